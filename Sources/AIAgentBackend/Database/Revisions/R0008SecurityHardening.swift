import FluentKit
import SQLKit

/// Durable revocations (ended sessions; every session of a user before a moment),
/// secret settings, and the viewer no longer reading the audit log.
struct SecurityHardening: SchemaMigration {
    let revision = "0008"
    let name = "security hardening"

    func upgrade(on database: any Database) async throws {
        try await database.schema("revoked_sessions")
            .field("family", .string, .identifier(auto: false))
            .field("expires_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "revoked_sessions_expires_at").on("revoked_sessions").column("expires_at").run()
        try await database.schema("users").field("sessions_valid_after", .datetime).update()
        try await database.schema("system_settings").field("is_secret", .bool, .required, .sql(.default(false))).update()
        let sql = database as! any SQLDatabase
        try await sql.raw(
            """
            DELETE FROM role_menus WHERE role_id IN (SELECT id FROM roles WHERE code = 'viewer')
              AND menu_id IN (SELECT id FROM menus WHERE permission = 'audit:read')
            """
        ).run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("system_settings").deleteField("is_secret").update()
        try await database.schema("users").deleteField("sessions_valid_after").update()
        try await database.schema("revoked_sessions").delete()
    }
}
