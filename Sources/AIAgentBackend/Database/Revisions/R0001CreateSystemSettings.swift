import FluentKit

/// Key/value settings the platform changes at run time.
struct CreateSystemSettings: SchemaMigration {
    let revision = "0001"
    let name = "create system settings"

    func upgrade(on database: any Database) async throws {
        try await database.schema("system_settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("description", .string)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("system_settings").delete()
    }
}
