import FluentKit
import SQLKit

/// Notification channels of a project, and the log of every delivery attempt.
struct CreateNotifications: SchemaMigration {
    let revision = "0016"
    let name = "create notifications"

    func upgrade(on database: any Database) async throws {
        try await database.schema("notification_channels")
            .id()
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("events", .string, .required)
            .field("enabled", .bool, .required)
            .field("config", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "project_id", "name")
            .create()
        try await database.schema("notification_deliveries")
            .id()
            .field("channel_id", .uuid, .required, .references("notification_channels", "id", onDelete: .cascade))
            .field("event", .string, .required)
            .field("run_id", .uuid)
            .field("attempt", .int, .required)
            .field("status", .string, .required)
            .field("http_status", .int)
            .field("error", .string)
            .field("latency_ms", .double)
            .field("created_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "notification_deliveries_channel_id").on("notification_deliveries").column("channel_id").column("created_at")
            .run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("notification_deliveries").delete()
        try await database.schema("notification_channels").delete()
    }
}
