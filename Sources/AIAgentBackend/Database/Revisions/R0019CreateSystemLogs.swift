import FluentKit
import Foundation
import SQLKit

/// The service's WARNING-and-above log records; the "System logs" menu (`log:read`, granted
/// to the admin role) in a database seeded before it existed (a fresh database gets the menu
/// from the seed); and the flag that asks a user for a new password before anything else.
struct CreateSystemLogs: SchemaMigration {
    let revision = "0019"
    let name = "create system logs"

    func upgrade(on database: any Database) async throws {
        try await database.schema("system_logs")
            .id()
            .field("level", .string, .required)
            .field("module", .string, .required)
            .field("logger", .string, .required)
            .field("message", .string, .required)
            .field("metadata", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("users").field("password_change_required", .bool, .required, .sql(.default(false))).update()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "system_logs_created_at").on("system_logs").column("created_at").run()

        struct MenuID: Decodable { let id: UUID }
        guard
            let system = try await sql.select().column("id").from("menus").where("type", .equal, "catalog").where("path", .equal, "/system")
                .first(decoding: MenuID.self)
        else { return }
        let (menu, button, now) = (UUID(), UUID(), Date())
        for (id, parent, type, name, path, component, permission) in [
            (menu, system.id, "menu", "System logs", "/system/logs" as String?, "system/logs/index" as String?, nil as String?),
            (button, menu, "button", "View system logs", nil, nil, Permission.logRead.rawValue),
        ] {
            try await sql.insert(into: "menus")
                .columns(
                    "id", "parent_id", "type", "name", "path", "component", "icon", "sort_order", "hidden", "permission", "created_at", "updated_at"
                )
                .values(
                    SQLBind(id), SQLBind(parent), SQLBind(type), SQLBind(name), SQLBind(path), SQLBind(component),
                    SQLBind(type == "menu" ? "log" : nil),
                    SQLBind(6), SQLBind(false), SQLBind(permission), SQLBind(now), SQLBind(now)
                )
                .run()
        }
        for menuID in [menu, button] {
            try await sql.raw(
                "INSERT INTO role_menus (id, role_id, menu_id) SELECT \(bind: UUID()), id, \(bind: menuID) FROM roles WHERE code = 'admin'"
            )
            .run()
        }
    }

    func downgrade(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DELETE FROM role_menus WHERE menu_id IN (SELECT id FROM menus WHERE permission = 'log:read' OR path = '/system/logs')")
            .run()
        try await sql.raw("DELETE FROM menus WHERE permission = 'log:read'").run()
        try await sql.raw("DELETE FROM menus WHERE path = '/system/logs'").run()
        try await database.schema("system_logs").delete()
        try await database.schema("users").deleteField("password_change_required").update()
    }
}
