import FluentKit
import SQLKit

/// The audit trail of every change made through the API.
struct CreateAuditLogs: SchemaMigration {
    let revision = "0003"
    let name = "create audit logs"

    func upgrade(on database: any Database) async throws {
        try await database.schema("audit_logs")
            .id()
            .field("user_id", .uuid)
            .field("username", .string)
            .field("action", .string, .required)
            .field("resource_type", .string, .required)
            .field("resource_id", .string)
            .field("method", .string, .required)
            .field("route", .string, .required)
            .field("status", .int, .required)
            .field("ip", .string)
            .field("user_agent", .string)
            .field("duration_ms", .double, .required)
            .field("summary", .string)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "audit_logs_created_at").on("audit_logs").column("created_at").run()
        try await sql.create(index: "audit_logs_user_id").on("audit_logs").column("user_id").run()
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema("audit_logs").delete()
    }
}
