import FluentKit
import SQLKit

/// Test runs: the run's request, progress and totals on `test_runs` (created minimal by
/// 0011), and one `test_results` row per case iteration with its steps' evidence as JSON.
struct CreateTestRuns: SchemaMigration {
    let revision = "0012"
    let name = "create test runs"

    /// Added one at a time: SQLite alters a table one column per statement. Nullable, so
    /// that rows written before this revision stay valid.
    private static let runColumns: [(String, DatabaseSchema.DataType)] = [
        ("environment_id", .uuid), ("suite_id", .uuid), ("case_ids", .string), ("concurrency", .int), ("job_id", .uuid),
        ("created_by", .uuid), ("planned_cases", .int), ("totals", .string), ("error", .string), ("duration_ms", .double),
        ("started_at", .datetime), ("finished_at", .datetime), ("updated_at", .datetime),
    ]

    func upgrade(on database: any Database) async throws {
        for (name, type) in Self.runColumns {
            try await database.schema("test_runs").field(.string(name), type).update()
        }
        try await database.schema("test_results")
            .id()
            .field("run_id", .uuid, .required, .references("test_runs", "id", onDelete: .cascade))
            .field("seq", .int, .required)
            .field("case_id", .uuid)
            .field("case_name", .string, .required)
            .field("role", .string, .required)
            .field("iteration", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("duration_ms", .double, .required)
            .field("step_count", .int, .required)
            .field("assertion_count", .int, .required)
            .field("steps", .string, .required)
            .field("timings", .string, .required)
            .field("created_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "test_results_run_id_seq").on("test_results").column("run_id").column("seq").run()
        try await sql.create(index: "test_runs_created_at").on("test_runs").column("created_at").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("test_results").delete()
        for (name, _) in Self.runColumns.reversed() {
            try await database.schema("test_runs").deleteField(.string(name)).update()
        }
    }
}
