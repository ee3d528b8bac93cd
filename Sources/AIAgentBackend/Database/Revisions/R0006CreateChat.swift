import FluentKit
import SQLKit

/// Chat sessions (each owned by one user) and their messages, in order.
struct CreateChat: SchemaMigration {
    let revision = "0006"
    let name = "create chat"

    func upgrade(on database: any Database) async throws {
        try await database.schema("chat_sessions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("agent_id", .uuid, .references("agents", "id", onDelete: .setNull))
            .field("model_config_id", .uuid, .references("model_configs", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("chat_messages")
            .id()
            .field("session_id", .uuid, .required, .references("chat_sessions", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("role", .string, .required)
            .field("content", .string, .required)
            .field("status", .string, .required)
            .field("error", .string)
            .field("steps", .string)
            .field("input_tokens", .int, .required)
            .field("output_tokens", .int, .required)
            .field("cost", .double)
            .field("created_at", .datetime)
            .unique(on: "session_id", "position")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "chat_sessions_user_id").on("chat_sessions").column("user_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("chat_messages").delete()
        try await database.schema("chat_sessions").delete()
    }
}
