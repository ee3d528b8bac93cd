import FluentKit
import Foundation

/// Roles and the menu entries (permissions) granted to them.
struct RoleRepository: Sendable {
    let database: DatabaseService

    /// By code.
    func list(_ page: ListQuery) async throws -> (items: [Role], total: Int) {
        try await Role.query(on: database.database).sort(\.$code).paginate(page)
    }

    func find(_ id: UUID) async throws -> Role {
        try await Role.find(id, on: database.database, or404: "role")
    }

    /// The roles among `ids` that exist.
    func roles(withIDs ids: [UUID]) async throws -> [Role] {
        guard !ids.isEmpty else { return [] }
        return try await Role.query(on: database.database).filter(\.$id ~~ ids).all()
    }

    func isTaken(code: String) async throws -> Bool {
        try await Role.query(on: database.database).filter(\.$code == code).count() > 0
    }

    /// Users holding the role.
    func memberCount(of role: Role) async throws -> Int {
        try await UserRole.query(on: database.database).filter(\.$role.$id == role.requireID()).count()
    }

    func menus(of role: Role) async throws -> [Menu] {
        try await role.$menus.get(on: database.database)
    }

    /// The permission codes the given roles grant, inactive roles included (they can be
    /// switched on again).
    func permissions(ofRoles ids: Set<UUID>) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let menus = try await Menu.query(on: database.database)
            .join(RoleMenu.self, on: \RoleMenu.$menu.$id == \Menu.$id)
            .filter(RoleMenu.self, \.$role.$id ~~ Array(ids))
            .filter(\.$permission != nil)
            .all()
        return Set(menus.compactMap(\.permission))
    }

    func create(_ role: Role) async throws {
        try await role.create(on: database.database)
    }

    func save(_ role: Role) async throws {
        try await role.save(on: database.database)
    }

    func delete(_ role: Role) async throws {
        try await role.delete(on: database.database)
    }

    func replaceMenus(of role: Role, with menus: [Menu]) async throws {
        try await database.database.transaction { db in
            try await role.$menus.detachAll(on: db)
            try await role.$menus.attach(menus, on: db)
        }
    }
}
