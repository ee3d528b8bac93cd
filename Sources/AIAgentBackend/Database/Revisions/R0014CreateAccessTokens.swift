import FluentKit
import SQLKit

/// Personal access tokens for CI: only a token's SHA-256 is kept, never the token.
struct CreateAccessTokens: SchemaMigration {
    let revision = "0014"
    let name = "create access tokens"

    func upgrade(on database: any Database) async throws {
        try await database.schema("access_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("permissions", .array(of: .string), .required)
            .field("created_at", .datetime)
            .field("expires_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await (database as! any SQLDatabase).create(index: "access_tokens_user_id").on("access_tokens").column("user_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("access_tokens").delete()
    }
}
