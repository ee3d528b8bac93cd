import FluentKit
import SQLKit

/// Users, roles, the menu/permission tree, departments and their join tables.
struct CreateIdentity: SchemaMigration {
    let revision = "0002"
    let name = "create identity"

    func upgrade(on database: any Database) async throws {
        try await database.schema("departments")
            .id()
            .field("parent_id", .uuid, .references("departments", "id"))
            .field("name", .string, .required)
            .field("sort_order", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("users")
            .id()
            .field("username", .string, .required)
            .field("password_hash", .string, .required)
            .field("nickname", .string)
            .field("email", .string)
            .field("mobile", .string)
            .field("avatar_url", .string)
            .field("department_id", .uuid, .references("departments", "id"))
            .field("status", .string, .required)
            .field("is_superuser", .bool, .required)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .field("deleted_at", .datetime)
            .unique(on: "username")
            .create()
        // The users list pages newest first.
        try await (database as! any SQLDatabase).create(index: "users_created_at").on("users").column("created_at").run()
        try await database.schema("roles")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("description", .string)
            .field("is_active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
        try await database.schema("menus")
            .id()
            .field("parent_id", .uuid, .references("menus", "id"))
            .field("type", .string, .required)
            .field("name", .string, .required)
            .field("path", .string)
            .field("component", .string)
            .field("icon", .string)
            .field("sort_order", .int, .required)
            .field("hidden", .bool, .required)
            .field("permission", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("user_roles")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("role_id", .uuid, .required, .references("roles", "id", onDelete: .cascade))
            .unique(on: "user_id", "role_id")
            .create()
        try await database.schema("role_menus")
            .id()
            .field("role_id", .uuid, .required, .references("roles", "id", onDelete: .cascade))
            .field("menu_id", .uuid, .required, .references("menus", "id", onDelete: .cascade))
            .unique(on: "role_id", "menu_id")
            .create()
    }

    func downgrade(on database: any Database) async throws {
        for table in ["role_menus", "user_roles", "menus", "roles", "users", "departments"] {
            try await database.schema(table).delete()
        }
    }
}
