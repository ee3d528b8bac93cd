import FluentKit
import Foundation

/// Users and their role assignments. Every write here clears the cached list (``UserListCache``).
struct UserRepository: Sendable {
    let database: DatabaseService
    let list: UserListCache

    init(database: DatabaseService, invalidations: InvalidationBus) {
        self.database = database
        list = UserListCache(invalidations: invalidations)
    }

    /// One page of the list, newest first, with the filter's total.
    func page(_ filter: UserQueries.Filter, _ page: ListQuery) async throws -> (items: [UserResponse], total: Int) {
        let key = UserListCache.PageKey(filter: filter, page: page.page, pageSize: page.pageSize)
        if let items = list[key], let total = list[filter] { return (items, total) }
        let generation = list.currentGeneration
        let queries = UserQueries(sql: database.sql)
        let items = try await queries.page(filter, page)
        let total = if let known = list[filter] { known } else { try await queries.count(filter) }
        list.store(items, for: key, total: total, readAt: generation)
        return (items, total)
    }

    func find(_ id: UUID) async throws -> User {
        try await User.find(id, on: database.database, or404: "user")
    }

    /// The user with this id, nil when there is none or it was deleted.
    func user(withID id: UUID) async throws -> User? {
        try await User.find(id, on: database.database)
    }

    /// The user with this (normalised) username.
    func user(named username: String) async throws -> User? {
        try await User.query(on: database.database).filter(\.$username == username).first()
    }

    /// Deleted accounts keep their names: a name is never reused for someone else.
    func isTaken(username: String) async throws -> Bool {
        try await User.query(on: database.database).withDeleted().filter(\.$username == username).count() > 0
    }

    /// Active superusers other than `user`.
    func otherActiveSuperusers(besides user: User) async throws -> Int {
        try await User.query(on: database.database)
            .filter(\.$isSuperuser == true).filter(\.$status == .active).filter(\.$id != user.requireID()).count()
    }

    func roles(of user: User, reload: Bool = false) async throws -> [Role] {
        try await user.$roles.get(reload: reload, on: database.database)
    }

    func create(_ user: User, roles: [Role]) async throws {
        try await database.database.transaction { db in
            try await user.create(on: db)
            try await user.$roles.attach(roles, on: db)
        }
        await list.invalidateAll()
    }

    func save(_ user: User) async throws {
        try await user.save(on: database.database)
        await list.invalidateAll()
    }

    /// Stamps the login time, which the list shows.
    func recordLogin(_ user: User) async throws {
        user.lastLoginAt = Date()
        try await user.save(on: database.database)
        await list.invalidateAll()
    }

    func delete(_ user: User) async throws {
        try await user.delete(on: database.database)
        await list.invalidateAll()
    }

    func replaceRoles(of user: User, with roles: [Role]) async throws {
        try await database.database.transaction { db in
            try await user.$roles.detachAll(on: db)
            try await user.$roles.attach(roles, on: db)
        }
    }
}
