import FluentKit

/// Chat sessions grounded on knowledge bases, and the citations of each answer.
struct AddChatKnowledge: SchemaMigration {
    let revision = "0020"
    let name = "add chat knowledge"

    func upgrade(on database: any Database) async throws {
        try await database.schema("chat_sessions").field("knowledge_base_ids", .string).update()
        try await database.schema("chat_messages").field("citations", .string).update()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("chat_messages").deleteField("citations").update()
        try await database.schema("chat_sessions").deleteField("knowledge_base_ids").update()
    }
}
