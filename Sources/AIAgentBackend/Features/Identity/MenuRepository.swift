import FluentKit
import Foundation

/// The menu/permission tree.
struct MenuRepository: Sendable {
    let database: DatabaseService

    func all() async throws -> [Menu] {
        try await Menu.query(on: database.database).all()
    }

    func find(_ id: UUID) async throws -> Menu {
        try await Menu.find(id, on: database.database, or404: "menu entry")
    }

    /// The entries among `ids` that exist.
    func menus(withIDs ids: [UUID]) async throws -> [Menu] {
        guard !ids.isEmpty else { return [] }
        return try await Menu.query(on: database.database).filter(\.$id ~~ ids).all()
    }

    /// The entries granted to any of the roles with these codes.
    func menuIDs(grantedTo roleCodes: [String]) async throws -> [UUID] {
        try await RoleMenu.query(on: database.database)
            .join(Role.self, on: \RoleMenu.$role.$id == \Role.$id)
            .filter(Role.self, \.$code ~~ roleCodes)
            .all().map(\.$menu.id)
    }

    func childCount(of menu: Menu) async throws -> Int {
        try await Menu.query(on: database.database).filter(\.$parent.$id == menu.requireID()).count()
    }

    func create(_ menu: Menu) async throws {
        try await menu.create(on: database.database)
    }

    func save(_ menu: Menu) async throws {
        try await menu.save(on: database.database)
    }

    func delete(_ menu: Menu) async throws {
        try await menu.delete(on: database.database)
    }
}
