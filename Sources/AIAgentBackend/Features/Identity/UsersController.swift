import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/users`: user administration.
struct UsersController {
    let database: DatabaseService
    let access: AccessControl
    let hasher: PasswordHasher
    let settings: Settings
    let invalidations: InvalidationBus
    /// Totals of the list, by filter: counting every row costs more than the page itself.
    /// A change clears them on every replica; without Redis, other replicas' changes show
    /// within ``totalsTTL``.
    private let totals = ExpiringMap<UserQueries.Filter, Int>(maxEntries: 1_000)
    static let totalsTTL: Duration = .seconds(5)

    init(database: DatabaseService, access: AccessControl, hasher: PasswordHasher, settings: Settings, invalidations: InvalidationBus) {
        self.database = database
        self.access = access
        self.hasher = hasher
        self.settings = settings
        self.invalidations = invalidations
        invalidations.subscribe(.userTotals) { [totals] _ in totals.removeAll() }
    }

    func register(on routes: SecuredRoutes) {
        let users = routes.group("users")
        users.get(.permission("user:read"), use: list)
        users.post(.permission("user:create"), use: create)
        users.get(":id", .permission("user:read"), use: get)
        users.put(":id", .permission("user:update"), use: update)
        users.delete(":id", .permission("user:delete"), use: delete)
        users.post(":id/reset-password", .permission("user:update"), use: resetPassword)
        users.post(":id/enable", .permission("user:update"), use: enable)
        users.post(":id/disable", .permission("user:update"), use: disable)
        users.put(":id/roles", .permission("user:update"), use: assignRoles)
    }

    struct UserInput: Decodable {
        var username: String?
        var password: String?
        var nickname: String?
        var email: String?
        var mobile: String?
        var avatarURL: String?
        var departmentID: UUID?
        var isSuperuser: Bool?
        var roleIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case username, password, nickname, email, mobile
            case avatarURL = "avatar_url"
            case departmentID = "department_id"
            case isSuperuser = "is_superuser"
            case roleIDs = "role_ids"
        }
    }

    struct PasswordReset: Decodable { let password: String }

    struct RoleAssignment: Decodable {
        let roleIDs: [UUID]
        enum CodingKeys: String, CodingKey { case roleIDs = "role_ids" }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let page = try ListQuery(request)
        let parameters = request.uri.queryParameters
        var filter = UserQueries.Filter()
        if let username = parameters["username"], !username.isEmpty { filter.username = String(username) }
        if let department = parameters["department_id"] {
            guard let id = UUID(uuidString: String(department)) else { throw APIError.validation(field: "department_id", "must be a UUID") }
            filter.departmentID = id
        }
        filter.status = try request.enumParameter("status")
        let queries = UserQueries(sql: database.sql)
        let items = try await queries.page(filter, page)
        let total: Int
        if let known = totals[filter] {
            total = known
        } else {
            total = try await queries.count(filter)
            totals.set(total, for: filter, ttl: Self.totalsTTL)
        }
        return .json(JSONWriter.encode(ListPage(items: items, total: total, request: page), capacity: 512 * items.count + 64))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let user = try await find(context)
        return try UserResponse(user, roles: try await user.$roles.get(on: database.database).map(\.code).sorted())
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let input = try await request.decodeJSON(as: UserInput.self, context: context)
        let actor = try context.requirePrincipal()
        guard let rawUsername = input.username else { throw APIError.validation(field: "username", "is required") }
        guard let password = input.password else { throw APIError.validation(field: "password", "is required") }
        guard let username = Username.normalized(rawUsername) else {
            throw APIError.validation(field: "username", "must be 3 to 64 ASCII letters, digits, '.', '_', '-' or '@' (names in other scripts go in the nickname)")
        }
        if input.isSuperuser == true, !actor.isSuperuser { throw Delegation.refused("only a superuser can create a superuser") }
        try PasswordPolicy(minLength: settings.passwordMinLength).check(password, username: username, field: "password")
        if try await User.query(on: database.database).withDeleted().filter(\.$username == username).count() > 0 {
            throw APIError.conflict("the username '\(username)' is taken")
        }
        let user = User()
        user.username = username
        user.passwordHash = try await hasher.hash(password)
        user.status = .active
        user.isSuperuser = input.isSuperuser ?? false
        try await apply(input, to: user)
        let roles = try await findRoles(input.roleIDs ?? [])
        try Delegation.requireHeld(try await Delegation.permissions(ofRoles: Set(roles.compactMap(\.id)), on: database.database), by: actor, "a role you assign")
        try await database.database.transaction { db in
            try await user.create(on: db)
            try await user.$roles.attach(roles, on: db)
        }
        await invalidations.publish(.userTotals)
        context.audit?.resourceID = user.id?.uuidString
        return EditedResponse(status: .created, response: try UserResponse(user, roles: roles.map(\.code).sorted()))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let actor = try context.requirePrincipal()
        let user = try await find(context)
        let input = try await request.decodeJSON(as: UserInput.self, context: context)
        if input.username != nil || input.password != nil {
            throw APIError.validation(field: input.username != nil ? "username" : "password", "cannot be changed here")
        }
        try Delegation.requireManageable(user, by: actor)
        if let isSuperuser = input.isSuperuser, isSuperuser != user.isSuperuser {
            guard actor.isSuperuser else { throw Delegation.refused("only a superuser can grant or remove superuser") }
            if !isSuperuser { try await requireAnotherSuperuser(besides: user, "give up the superuser flag") }
            user.isSuperuser = isSuperuser
        }
        var roles: [Role]?
        if let roleIDs = input.roleIDs { roles = try await checkedRoles(for: user, roleIDs, by: actor) }
        try await apply(input, to: user)
        try await user.save(on: database.database)
        if let roles { try await replaceRoles(of: user, with: roles) }
        try await changed(user)
        return try UserResponse(user, roles: try await user.$roles.get(reload: true, on: database.database).map(\.code).sorted())
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try await find(context)
        guard user.id != context.principal?.userID else { throw APIError.conflict("you cannot delete your own account") }
        try Delegation.requireManageable(user, by: try context.requirePrincipal())
        try await user.delete(on: database.database)
        try await changed(user)
        return Response(status: .noContent)
    }

    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try await find(context)
        try Delegation.requireManageable(user, by: try context.requirePrincipal())
        let input = try await request.decodeJSON(as: PasswordReset.self, context: context)
        try PasswordPolicy(minLength: settings.passwordMinLength).check(input.password, username: user.username, field: "password")
        user.passwordHash = try await hasher.hash(input.password)
        user.sessionsValidAfter = Date()  // a reset ends every session of the account
        try await user.save(on: database.database)
        try await changed(user)
        return Response(status: .noContent)
    }

    @Sendable func enable(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        try await setStatus(.active, context)
    }

    @Sendable func disable(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        try await setStatus(.disabled, context)
    }

    @Sendable func assignRoles(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let actor = try context.requirePrincipal()
        let user = try await find(context)
        try Delegation.requireManageable(user, by: actor)
        let input = try await request.decodeJSON(as: RoleAssignment.self, context: context)
        try await replaceRoles(of: user, with: try await checkedRoles(for: user, input.roleIDs, by: actor))
        try await changed(user)
        return try UserResponse(user, roles: try await user.$roles.get(reload: true, on: database.database).map(\.code).sorted())
    }

    private func setStatus(_ status: UserStatus, _ context: AppRequestContext) async throws -> UserResponse {
        let user = try await find(context)
        // This also keeps one superuser active: only a superuser disables another, and stays active.
        if status == .disabled, user.id == context.principal?.userID { throw APIError.conflict("you cannot disable your own account") }
        try Delegation.requireManageable(user, by: try context.requirePrincipal())
        user.status = status
        try await user.save(on: database.database)
        try await changed(user)
        return try UserResponse(user)
    }

    /// After any change to a user: its cached principal and the list's totals are stale.
    private func changed(_ user: User) async throws {
        await invalidations.publish(.userTotals)
        try await access.forget(try user.requireID())
    }

    private func find(_ context: AppRequestContext) async throws -> User {
        let id = try context.parameters.require("id", as: UUID.self)
        guard let user = try await User.find(id, on: database.database) else { throw APIError.notFound("no user \(id)") }
        return user
    }

    private func apply(_ input: UserInput, to user: User) async throws {
        if let nickname = input.nickname { user.nickname = try Self.limited(nickname, field: "nickname", max: 100) }
        if let email = input.email {
            guard email.isEmpty || (email.contains("@") && email.count <= 254) else { throw APIError.validation(field: "email", "is not an email address") }
            user.email = email.isEmpty ? nil : email
        }
        if let mobile = input.mobile { user.mobile = try Self.limited(mobile, field: "mobile", max: 32) }
        if let avatar = input.avatarURL { user.avatarURL = try Self.limited(avatar, field: "avatar_url", max: 2000) }
        if let departmentID = input.departmentID {
            guard try await Department.find(departmentID, on: database.database) != nil else {
                throw APIError.validation(field: "department_id", "no such department")
            }
            user.$department.id = departmentID
        }
    }

    private func findRoles(_ ids: [UUID]) async throws -> [Role] {
        guard !ids.isEmpty else { return [] }
        let roles = try await Role.query(on: database.database).filter(\.$id ~~ ids).all()
        guard roles.count == Set(ids).count else { throw APIError.validation(field: "role_ids", "names a role that does not exist") }
        return roles
    }

    /// The roles named by `ids`, once `actor` may make them `user`'s roles: every role
    /// given or taken away carries only permissions the actor holds.
    private func checkedRoles(for user: User, _ ids: [UUID], by actor: Principal) async throws -> [Role] {
        let roles = try await findRoles(ids)
        let current = Set(try await user.$roles.get(on: database.database).compactMap(\.id))
        let wanted = Set(roles.compactMap(\.id))
        let changed = current.symmetricDifference(wanted)
        try Delegation.requireHeld(try await Delegation.permissions(ofRoles: changed, on: database.database), by: actor, "a role you assign or remove")
        if !current.isSubset(of: wanted) { try await requireAnotherSuperuser(besides: user, "give up roles") }
        return roles
    }

    /// Someone must stay able to administer everything: the last active superuser keeps
    /// their flag and roles (their account is theirs alone to change).
    private func requireAnotherSuperuser(besides user: User, _ action: String) async throws {
        guard user.isSuperuser, user.status == .active else { return }
        let others = try await User.query(on: database.database)
            .filter(\.$isSuperuser == true).filter(\.$status == .active).filter(\.$id != user.requireID()).count()
        guard others > 0 else { throw APIError.conflict("the last active superuser cannot \(action)") }
    }

    private func replaceRoles(of user: User, with roles: [Role]) async throws {
        try await database.database.transaction { db in
            try await user.$roles.detachAll(on: db)
            try await user.$roles.attach(roles, on: db)
        }
    }

    static func limited(_ value: String, field: String, max: Int) throws -> String? {
        guard value.count <= max else { throw APIError.validation(field: field, "must be at most \(max) characters") }
        return value.isEmpty ? nil : value
    }
}

extension UsersController.UserInput: LongTextInput {
    static let maxLengths = ["avatar_url": 2_000]
}
