import FluentKit

/// Each model configuration's context budget, in tokens; chat history is trimmed to it.
struct AddModelContextTokens: SchemaMigration {
    let revision = "0007"
    let name = "add model context tokens"

    func upgrade(on database: any Database) async throws {
        try await database.schema("model_configs").field("context_tokens", .int).update()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("model_configs").deleteField("context_tokens").update()
    }
}
