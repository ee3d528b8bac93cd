import FluentKit
import SQLKit

/// API testing: projects and their members, environments, the endpoint catalogue, test
/// cases and suites, and a minimal `test_runs` table the runner extends. Structured
/// content (variables, steps, schemas) is stored as JSON text.
struct CreateAPITesting: SchemaMigration {
    let revision = "0011"
    let name = "create api testing"

    func upgrade(on database: any Database) async throws {
        try await database.schema("projects")
            .id()
            .field("name", .string, .required)
            .field("description", .string)
            .field("owner_id", .uuid, .required, .references("users", "id"))
            .field("variables", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "name")
            .create()
        try await database.schema("project_members")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "project_id", "user_id")
            .create()
        try await database.schema("environments")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("base_urls", .string, .required)
            .field("variables", .string, .required)
            .field("headers", .string, .required)
            .field("auth", .string, .required)
            .field("verify_tls", .bool, .required)
            .field("timeout_ms", .int, .required)
            .field("follow_redirects", .bool, .required)
            .field("max_redirects", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "project_id", "name")
            .create()
        try await database.schema("endpoints")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("method", .string, .required)
            .field("path", .string, .required)
            .field("operation_key", .string, .required)
            .field("summary", .string)
            .field("tags", .string, .required)
            .field("parameters", .string)
            .field("request_body", .string)
            .field("responses", .string)
            .field("deprecated", .bool, .required)
            .field("import_id", .uuid)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "project_id", "operation_key")
            .create()
        try await database.schema("test_cases")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("tags", .string, .required)
            .field("priority", .string, .required)
            .field("endpoint_id", .uuid, .references("endpoints", "id", onDelete: .setNull))
            .field("flagged", .bool, .required)
            .field("flag_reason", .string)
            .field("definition", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("test_suites")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string)
            .field("case_ids", .string, .required)
            .field("mode", .string, .required)
            .field("concurrency", .int, .required)
            .field("setup_case_id", .uuid, .references("test_cases", "id", onDelete: .setNull))
            .field("teardown_case_id", .uuid, .references("test_cases", "id", onDelete: .setNull))
            .field("stop_on_failure", .bool, .required)
            .field("retries", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "project_id", "name")
            .create()
        // The runner's table: only what deleting a project needs to know; its revision adds the rest.
        try await database.schema("test_runs")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("created_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        for table in ["project_members", "environments", "endpoints", "test_cases", "test_suites", "test_runs"] {
            try await sql.create(index: "\(table)_project_id").on(table).column("project_id").run()
        }
        try await sql.create(index: "project_members_user_id").on("project_members").column("user_id").run()
    }

    func downgrade(on database: any Database) async throws {
        for table in ["test_runs", "test_suites", "test_cases", "endpoints", "environments", "project_members", "projects"] {
            try await database.schema(table).delete()
        }
    }
}
