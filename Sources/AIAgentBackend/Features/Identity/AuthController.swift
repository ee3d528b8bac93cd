import FluentKit
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v1/auth`: login, refresh (rotation), logout, the caller's profile, menus and password.
struct AuthController {
    let database: DatabaseService
    let access: AccessControl
    let hasher: PasswordHasher
    let cache: any Cache
    let settings: Settings
    static let throttleWindow: Duration = .seconds(15 * 60)
    private let profileBodies = ExpiringMap<UUID, (revision: UUID, body: ByteBuffer)>()

    func register(on routes: SecuredRoutes) {
        let auth = routes.group("auth")
        auth.post("login", .anyone, use: login)
        auth.post("refresh", .anyone, use: refresh)
        auth.post("logout", .authenticated, use: logout)
        auth.get("me", .authenticated, use: me)
        auth.get("me/menus", .authenticated, use: myMenus)
        auth.post("me/password", .authenticated, use: changePassword)
    }

    struct LoginRequest: Decodable {
        let username: String
        let password: String
    }

    struct RefreshRequest: Decodable {
        let refreshToken: String
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    struct PasswordChange: Decodable {
        let oldPassword: String
        let newPassword: String
        enum CodingKeys: String, CodingKey {
            case oldPassword = "old_password"
            case newPassword = "new_password"
        }
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> TokenPair {
        let input = try await request.decodeJSON(as: LoginRequest.self, context: context)
        let client = access.trustedProxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor]) ?? "unknown"
        let throttleKey = "auth:login-failures:\(input.username.lowercased()):\(client)"
        if let failures = try await cache.getJSON(throttleKey, as: Int.self), failures >= settings.loginMaxAttempts {
            var error = APIError(.tooManyRequests, code: "too_many_attempts", message: "too many failed logins; try again later")
            error.headers[.retryAfter] = String(Self.throttleWindow.components.seconds)
            throw error
        }
        let user = try await User.query(on: database.database).filter(\.$username == Username.normalized(input.username) ?? "").first()
        let passwordMatches: Bool
        if let user {
            passwordMatches = try await hasher.verify(input.password, hash: user.passwordHash)
        } else {
            try await hasher.burnTime(input.password)
            passwordMatches = false
        }
        // One message for every failure, so the answer does not reveal which accounts exist.
        guard let user, passwordMatches, user.status == .active else {
            _ = try await cache.increment(throttleKey, by: 1, ttlOnCreate: Self.throttleWindow)
            throw APIError(.unauthorized, code: "invalid_credentials", message: "invalid username or password")
        }
        _ = try await cache.delete(throttleKey)
        user.lastLoginAt = Date()
        try await user.save(on: database.database)
        try await access.forget(try user.requireID())
        let principal = try await access.principal(for: try user.requireID())
        context.audit?.principal = principal
        return try await access.tokens.issuePair(userID: principal.userID)
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> TokenPair {
        let input = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        do {
            let (claims, pair) = try await access.tokens.rotate(input.refreshToken)
            context.audit?.principal = try await access.principal(for: claims.userID!)
            return pair
        } catch let error as AuthError {
            throw error.apiError
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        if let claims = principal.claims { try await access.tokens.revoke(claims) }
        return Response(status: .noContent)
    }

    struct Profile: Codable, ResponseEncodable {
        let user: UserResponse
        let roles: [String]
        let permissions: [String]
    }

    /// The profile is a function of the principal alone, so its JSON is encoded once per
    /// loaded principal rather than on every call.
    @Sendable func me(_ request: Request, context: AppRequestContext) throws -> Response {
        let principal = try context.requirePrincipal()
        if let cached = profileBodies[principal.userID], cached.revision == principal.revision {
            return .json(cached.body)
        }
        let permissions = principal.isSuperuser ? PermissionCatalog.allPermissions : Array(principal.permissions)
        let profile = Profile(user: principal.profile, roles: principal.roles, permissions: permissions.sorted())
        let body = ByteBuffer(bytes: try JSONCoding.encoder.encode(profile))
        profileBodies.set((principal.revision, body), for: principal.userID, ttl: AccessControl.principalTTL)
        return .json(body)
    }

    /// The caller's navigation: catalogs and menus they may see, buttons excluded.
    @Sendable func myMenus(_ request: Request, context: AppRequestContext) async throws -> [MenuNode] {
        let principal = try context.requirePrincipal()
        let all = try await Menu.query(on: database.database).all()
        let visible: [Menu]
        if principal.isSuperuser {
            visible = all
        } else {
            let granted = try await RoleMenu.query(on: database.database)
                .join(Role.self, on: \RoleMenu.$role.$id == \Role.$id)
                .filter(Role.self, \.$code ~~ principal.roles)
                .all().map(\.$menu.id)
            // A granted entry makes its ancestors visible too.
            let byID = Dictionary(uniqueKeysWithValues: all.compactMap { menu in menu.id.map { ($0, menu) } })
            var keep = Set<UUID>()
            for id in granted {
                var current: UUID? = id
                while let node = current, keep.insert(node).inserted { current = byID[node]?.$parent.id }
            }
            visible = all.filter { $0.id.map(keep.contains) ?? false }
        }
        return MenuNode.tree(visible.filter { $0.type != .button && !$0.hidden })
    }

    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await request.decodeJSON(as: PasswordChange.self, context: context)
        guard let user = try await User.find(principal.userID, on: database.database) else { throw AuthError.inactiveUser.apiError }
        guard try await hasher.verify(input.oldPassword, hash: user.passwordHash) else {
            throw APIError.validation(field: "old_password", "is not the current password")
        }
        try PasswordPolicy(minLength: settings.passwordMinLength).check(input.newPassword, field: "new_password")
        user.passwordHash = try await hasher.hash(input.newPassword)
        try await user.save(on: database.database)
        try await access.forget(principal.userID)
        return Response(status: .noContent)
    }
}

struct PasswordPolicy {
    let minLength: Int

    func check(_ password: String, field: String) throws {
        guard password.count >= minLength else { throw APIError.validation(field: field, "must be at least \(minLength) characters") }
        guard password.count <= 128 else { throw APIError.validation(field: field, "must be at most 128 characters") }
    }
}

extension HTTPField.Name {
    static let retryAfter = HTTPField.Name("Retry-After")!
}
