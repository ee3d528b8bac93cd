import FluentKit
import SQLKit

/// The durable job queue (`JobQueue`): test runs, AI generations, document ingestion and
/// scheduled firings, each a row claimed under a lease.
struct CreateJobs: SchemaMigration {
    let revision = "0010"
    let name = "create jobs"

    func upgrade(on database: any Database) async throws {
        try await database.schema("jobs")
            .id()
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required, .sql(.default(0)))
            .field("max_attempts", .int, .required)
            .field("lease_owner", .string)
            .field("lease_expires_at", .datetime)
            .field("cancel_requested", .bool, .required, .sql(.default(false)))
            .field("run_after", .datetime, .required)
            .field("error", .string)
            .field("created_at", .datetime, .required)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("updated_at", .datetime, .required)
            .create()
        // The claim's two branches: queued work that is due, and running work whose lease expired.
        let sql = database as! any SQLDatabase
        try await sql.create(index: "jobs_status_run_after").on("jobs").column("status").column("run_after").run()
        try await sql.create(index: "jobs_status_lease_expires_at").on("jobs").column("status").column("lease_expires_at").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("jobs").delete()
    }
}
