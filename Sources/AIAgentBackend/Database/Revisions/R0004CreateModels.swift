import FluentKit
import SQLKit

/// Model (provider) configurations and the usage of every model call.
struct CreateModels: SchemaMigration {
    let revision = "0004"
    let name = "create models"

    func upgrade(on database: any Database) async throws {
        try await database.schema("model_configs")
            .id()
            .field("name", .string, .required)
            .field("provider", .string, .required)
            .field("model", .string, .required)
            .field("base_url", .string, .required)
            .field("api_key_encrypted", .string)
            .field("api_key_mask", .string)
            .field("max_tokens", .int)
            .field("temperature", .double)
            .field("input_price_per_million", .double)
            .field("output_price_per_million", .double)
            .field("is_active", .bool, .required)
            .field("owner_id", .uuid, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "name")
            .create()
        // No foreign keys: usage outlives the configurations and users it names.
        try await database.schema("llm_usage")
            .id()
            .field("model_config_id", .uuid)
            .field("provider", .string, .required)
            .field("model", .string, .required)
            .field("input_tokens", .int, .required)
            .field("output_tokens", .int, .required)
            .field("cost", .double)
            .field("user_id", .uuid)
            .field("source", .string, .required)
            .field("created_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "llm_usage_created_at").on("llm_usage").column("created_at").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("llm_usage").delete()
        try await database.schema("model_configs").delete()
    }
}
