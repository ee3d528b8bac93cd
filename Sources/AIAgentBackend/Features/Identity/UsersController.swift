import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/users`: user administration.
struct UsersController {
    let users: UserRepository
    let roles: RoleRepository
    let departments: DepartmentRepository
    let access: AccessControl
    let hasher: PasswordHasher
    let settings: Settings

    func register(on routes: SecuredRoutes) {
        let users = routes.group("users")
        users.get(
            .permission(.userRead),
            RouteContract(
                "List users",
                query: QueryParameter.paging + [
                    .string("username", maxLength: 64, "Part of the username"), .uuid("department_id"), .oneOf("status", UserStatus.self),
                ], returns: ListPage<UserResponse>.self), use: list)
        users.post(
            .permission(.userCreate),
            RouteContract(
                "Create a user", body: UserInput.self, as: "UserCreate", requiring: ["username", "password"], returns: UserResponse.self,
                status: .created,
                errors: [.conflict]), use: create)
        users.get(":id", .permission(.userRead), RouteContract("Get a user", returns: UserResponse.self), use: get)
        users.put(
            ":id", .permission(.userUpdate),
            RouteContract(
                "Update a user", body: UserInput.self, as: "UserUpdate", omitting: ["username", "password"], returns: UserResponse.self,
                errors: [.conflict]), use: update)
        users.delete(":id", .permission(.userDelete), RouteContract("Delete a user", errors: [.conflict]), use: delete)
        users.post(
            ":id/reset-password", .permission(.userUpdate),
            RouteContract(
                "Set another user's password", description: "Ends every session of the user.", body: PasswordReset.self, errors: [.conflict]),
            use: resetPassword)
        users.post(":id/enable", .permission(.userUpdate), RouteContract("Enable a user", returns: UserResponse.self), use: enable)
        users.post(
            ":id/disable", .permission(.userUpdate), RouteContract("Disable a user", returns: UserResponse.self, errors: [.conflict]),
            use: disable)
        users.put(
            ":id/roles", .permission(.userUpdate),
            RouteContract(
                "Replace a user's roles", body: RoleAssignment.self,
                returns: UserResponse.self, errors: [.conflict]), use: assignRoles)
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
        let (items, total) = try await users.page(filter, page)
        return .json(JSONWriter.encode(ListPage(items: items, total: total, request: page), capacity: 512 * items.count + 64))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
        return try UserResponse(user, roles: try await users.roles(of: user).map(\.code).sorted())
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let input = try await request.decodeJSON(as: UserInput.self, context: context)
        let actor = try context.requirePrincipal()
        guard let rawUsername = input.username else { throw APIError.validation(field: "username", "is required") }
        guard let password = input.password else { throw APIError.validation(field: "password", "is required") }
        guard let username = Username.normalized(rawUsername) else {
            throw APIError.validation(
                field: "username", "must be 3 to 64 ASCII letters, digits, '.', '_', '-' or '@' (names in other scripts go in the nickname)")
        }
        if input.isSuperuser == true, !actor.isSuperuser { throw Delegation.refused("only a superuser can create a superuser") }
        try PasswordPolicy(minLength: settings.passwordMinLength).check(password, username: username, field: "password")
        if try await users.isTaken(username: username) {
            throw APIError.conflict("the username '\(username)' is taken")
        }
        let user = User()
        user.username = username
        user.passwordHash = try await hasher.hash(password)
        user.status = .active
        user.isSuperuser = input.isSuperuser ?? false
        try await apply(input, to: user)
        let roles = try await findRoles(input.roleIDs ?? [])
        try Delegation.requireHeld(try await self.roles.permissions(ofRoles: Set(roles.compactMap(\.id))), by: actor, "a role you assign")
        try await users.create(user, roles: roles)
        context.audit?.resourceID = user.id?.uuidString
        return EditedResponse(status: .created, response: try UserResponse(user, roles: roles.map(\.code).sorted()))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let actor = try context.requirePrincipal()
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
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
        try await users.save(user)
        if let roles { try await users.replaceRoles(of: user, with: roles) }
        try await access.forget(try user.requireID())
        return try UserResponse(user, roles: try await users.roles(of: user, reload: true).map(\.code).sorted())
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
        guard user.id != context.principal?.userID else { throw APIError.conflict("you cannot delete your own account") }
        try Delegation.requireManageable(user, by: try context.requirePrincipal())
        try await users.delete(user)
        try await access.forget(try user.requireID())
        return Response(status: .noContent)
    }

    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
        let actor = try context.requirePrincipal()
        try Delegation.requireManageable(user, by: actor)
        // Your own password takes the old one (`POST /auth/me/password`): a stolen token alone cannot take over the account.
        guard user.id != actor.userID else { throw APIError.conflict("change your own password with POST /api/v1/auth/me/password") }
        let input = try await request.decodeJSON(as: PasswordReset.self, context: context)
        try PasswordPolicy(minLength: settings.passwordMinLength).check(input.password, username: user.username, field: "password")
        user.passwordHash = try await hasher.hash(input.password)
        user.sessionsValidAfter = Date()  // a reset ends every session of the account
        user.passwordChangeRequired = true
        try await users.save(user)
        try await access.forget(try user.requireID())
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
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
        try Delegation.requireManageable(user, by: actor)
        let input = try await request.decodeJSON(as: RoleAssignment.self, context: context)
        try await users.replaceRoles(of: user, with: try await checkedRoles(for: user, input.roleIDs, by: actor))
        try await access.forget(try user.requireID())
        return try UserResponse(user, roles: try await users.roles(of: user, reload: true).map(\.code).sorted())
    }

    private func setStatus(_ status: UserStatus, _ context: AppRequestContext) async throws -> UserResponse {
        let user = try await users.find(context.parameters.require("id", as: UUID.self))
        // This also keeps one superuser active: only a superuser disables another, and stays active.
        if status == .disabled, user.id == context.principal?.userID { throw APIError.conflict("you cannot disable your own account") }
        try Delegation.requireManageable(user, by: try context.requirePrincipal())
        user.status = status
        try await users.save(user)
        try await access.forget(try user.requireID())
        return try UserResponse(user)
    }

    private func apply(_ input: UserInput, to user: User) async throws {
        if let nickname = input.nickname { user.nickname = try Self.limited(nickname, field: "nickname", max: 100) }
        if let email = input.email {
            guard email.isEmpty || (email.contains("@") && email.unicodeScalars.count <= 254) else {
                throw APIError.validation(field: "email", "is not an email address")
            }
            user.email = email.isEmpty ? nil : email
        }
        if let mobile = input.mobile { user.mobile = try Self.limited(mobile, field: "mobile", max: 32) }
        if let avatar = input.avatarURL { user.avatarURL = try Self.limited(avatar, field: "avatar_url", max: 2000) }
        if let departmentID = input.departmentID {
            guard try await departments.exists(departmentID) else {
                throw APIError.missingReference(field: "department_id", "no such department")
            }
            user.$department.id = departmentID
        }
    }

    private func findRoles(_ ids: [UUID]) async throws -> [Role] {
        let roles = try await self.roles.roles(withIDs: ids)
        guard roles.count == Set(ids).count else { throw APIError.missingReference(field: "role_ids", "names a role that does not exist") }
        return roles
    }

    /// The roles named by `ids`, once `actor` may make them `user`'s roles: every role
    /// given or taken away carries only permissions the actor holds.
    private func checkedRoles(for user: User, _ ids: [UUID], by actor: Principal) async throws -> [Role] {
        let roles = try await findRoles(ids)
        let current = Set(try await users.roles(of: user).compactMap(\.id))
        let wanted = Set(roles.compactMap(\.id))
        let changed = current.symmetricDifference(wanted)
        try Delegation.requireHeld(try await self.roles.permissions(ofRoles: changed), by: actor, "a role you assign or remove")
        if !current.isSubset(of: wanted) { try await requireAnotherSuperuser(besides: user, "give up roles") }
        return roles
    }

    /// Someone must stay able to administer everything: the last active superuser keeps
    /// their flag and roles (their account is theirs alone to change).
    private func requireAnotherSuperuser(besides user: User, _ action: String) async throws {
        guard user.isSuperuser, user.status == .active else { return }
        guard try await users.otherActiveSuperusers(besides: user) > 0 else { throw APIError.conflict("the last active superuser cannot \(action)") }
    }

    static func limited(_ value: String, field: String, max: Int) throws -> String? {
        guard value.unicodeScalars.count <= max else { throw APIError.validation(field: field, "must be at most \(max) characters") }
        return value.isEmpty ? nil : value
    }
}

extension UsersController.UserInput: LongTextInput {
    static let maxLengths = ["avatar_url": 2_000]
}

/// What `create`, `apply` and `PasswordPolicy` check, for the API contract.
extension UsersController.UserInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "username": .string(minLength: 3, maxLength: 64, pattern: "^[A-Za-z0-9._@-]+$"),
        "password": .text(Settings().passwordMinLength...PasswordPolicy.maxLength).excluding(CommonPasswords.all.sorted()),
        "nickname": .text(0...100), "mobile": .text(0...32), "avatar_url": .text(0...2_000),
        "email": .string(maxLength: 254, pattern: #"^$|^[^\x00]*@[^\x00]*$"#),
    ]
}

extension UsersController.PasswordReset: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "password": .text(Settings().passwordMinLength...PasswordPolicy.maxLength).excluding(CommonPasswords.all.sorted())
    ]
}
