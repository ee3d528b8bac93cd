import FluentKit
import SQLKit

/// Agents and their runs; a run's steps are stored as JSON text on the run.
struct CreateAgents: SchemaMigration {
    let revision = "0005"
    let name = "create agents"

    func upgrade(on database: any Database) async throws {
        try await database.schema("agents")
            .id()
            .field("name", .string, .required)
            .field("description", .string)
            .field("type", .string, .required)
            .field("model_config_id", .uuid, .required, .references("model_configs", "id"))
            .field("system_prompt", .string)
            .field("temperature", .double)
            .field("max_tokens", .int)
            .field("tools", .array(of: .string), .required)
            .field("max_steps", .int, .required)
            .field("is_active", .bool, .required)
            .field("run_count", .int, .required)
            .field("success_count", .int, .required)
            .field("error_count", .int, .required)
            .field("last_run_at", .datetime)
            .field("owner_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "name")
            .create()
        try await database.schema("agent_runs")
            .id()
            .field("agent_id", .uuid, .required, .references("agents", "id", onDelete: .cascade))
            .field("user_id", .uuid)
            .field("input", .string, .required)
            .field("output", .string)
            .field("status", .string, .required)
            .field("error", .string)
            .field("steps", .string, .required)
            .field("input_tokens", .int, .required)
            .field("output_tokens", .int, .required)
            .field("cost", .double)
            .field("duration_ms", .double)
            .field("created_at", .datetime)
            .field("finished_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "agent_runs_agent_id").on("agent_runs").column("agent_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("agent_runs").delete()
        try await database.schema("agents").delete()
    }
}
