import FluentKit
import SQLKit

/// AI test generations: the job's request and outcome, its draft cases, and its events;
/// accepted cases remember the generation and test points they came from.
struct CreateGenerations: SchemaMigration {
    let revision = "0017"
    let name = "create generations"

    func upgrade(on database: any Database) async throws {
        try await database.schema("generations")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("stage", .string)
            .field("request", .string, .required)
            .field("model_config_id", .uuid)
            .field("environment_id", .uuid)
            .field("prompt_version", .string, .required)
            .field("language", .string, .required)
            .field("job_id", .uuid)
            .field("created_by", .uuid)
            .field("test_points", .string)
            .field("review", .string)
            .field("input_tokens", .int, .required)
            .field("output_tokens", .int, .required)
            .field("cost", .double)
            .field("error", .string)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("generated_cases")
            .id()
            .field("generation_id", .uuid, .required, .references("generations", "id", onDelete: .cascade))
            .field("ref", .string, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("priority", .string, .required)
            .field("endpoint_id", .uuid)
            .field("test_points", .string, .required)
            .field("definition", .string, .required)
            .field("status", .string, .required)
            .field("reason", .string)
            .field("evidence", .string)
            .field("repair_rounds", .int, .required)
            .field("accepted_case_id", .uuid)
            .field("created_at", .datetime)
            .unique(on: "generation_id", "ref")
            .create()
        try await database.schema("generation_events")
            .id()
            .field("generation_id", .uuid, .required, .references("generations", "id", onDelete: .cascade))
            .field("seq", .int, .required)
            .field("name", .string, .required)
            .field("data", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "generation_id", "seq")
            .create()
        // One column per statement: SQLite alters a table a column at a time.
        try await database.schema("test_cases").field("generation_id", .uuid).update()
        try await database.schema("test_cases").field("test_points", .string).update()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "generations_project_id").on("generations").column("project_id").column("created_at").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("test_cases").deleteField("test_points").update()
        try await database.schema("test_cases").deleteField("generation_id").update()
        try await database.schema("generation_events").delete()
        try await database.schema("generated_cases").delete()
        try await database.schema("generations").delete()
    }
}
