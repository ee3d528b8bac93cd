import FluentKit
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v1/auth`: login, refresh (rotation), logout, the caller's profile, menus and password.
struct AuthController {
    let users: UserRepository
    let menus: MenuRepository
    let profileBodies: ProfileBodies
    let access: AccessControl
    let hasher: PasswordHasher
    let cache: any Cache
    let settings: Settings
    var throttle: AttemptThrottle { AttemptThrottle(cache: cache) }

    func register(on routes: SecuredRoutes) {
        let auth = routes.group("auth")
        auth.post(
            "login", .anyone,
            RouteContract(
                "Sign in", description: "Attempts are counted before the password is checked: past LOGIN_MAX_ATTEMPTS, 429 with Retry-After.",
                body: LoginRequest.self, returns: TokenPair.self, errors: [.unauthorized, .tooManyRequests, .serviceUnavailable]), use: login)
        auth.post(
            "refresh", .anyone,
            RouteContract(
                "Exchange a refresh token for a new pair",
                description: """
                    A refresh token works once; a used one presented again ends its session (401 `refresh_token_reused`). \
                    Without `refresh_token` in the body, the `aab_refresh` cookie set by sign-in is used (the web console's way).
                    """,
                body: RefreshRequest.self, returns: TokenPair.self, errors: [.unauthorized]), use: refresh)
        auth.post("logout", .authenticated, RouteContract("End the session of the presented token"), use: logout)
        auth.get("me", .authenticated, RouteContract("The caller's profile, roles and permissions", returns: Profile.self), use: me)
        auth.get("me/menus", .authenticated, RouteContract("The caller's navigation tree", returns: [MenuNode].self), use: myMenus)
        auth.post(
            "me/password", .authenticated,
            RouteContract(
                "Change the caller's password", description: "Ends every session of the user; the answer carries the tokens of a new one.",
                body: PasswordChange.self, returns: TokenPair.self, errors: [.tooManyRequests, .serviceUnavailable]), use: changePassword)
    }

    struct LoginRequest: Decodable {
        let username: String
        let password: String
    }

    struct RefreshRequest: Decodable, LongTextInput {
        var refreshToken: String?
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
        static let maxLengths = ["refresh_token": 2_000]
    }

    struct PasswordChange: Decodable {
        let oldPassword: String
        let newPassword: String
        enum CodingKeys: String, CodingKey {
            case oldPassword = "old_password"
            case newPassword = "new_password"
        }
    }

    /// Three counters, each counted before the password is checked: this username from this
    /// address (`LOGIN_MAX_ATTEMPTS`), and four times as many for the username from every
    /// address (distributed guessing) and for the address with every username (spraying).
    func loginCounters(username: String, client: String) -> [AttemptThrottle.Counter] {
        let limit = settings.loginMaxAttempts
        return [
            AttemptThrottle.counter("login", [username, client], limit: limit),
            AttemptThrottle.counter("login-user", [username], limit: 4 * limit),
            AttemptThrottle.counter("login-client", [client], limit: 4 * limit),
        ]
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: LoginRequest.self, context: context)
        let client = access.trustedProxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor]) ?? "unknown"
        // A name that cannot be a username matches no account, and is counted like any guess.
        let username = Username.normalized(input.username)
        let counters = loginCounters(username: username ?? input.username.lowercased(), client: client)
        try await throttle.admit(counters)
        let user = try await users.user(named: username ?? "")
        let passwordMatches: Bool
        if let user {
            passwordMatches = try await hasher.verify(input.password, hash: user.passwordHash)
        } else {
            try await hasher.burnTime(input.password)
            passwordMatches = false
        }
        // One message for every failure, so the answer does not reveal which accounts exist.
        guard let user, passwordMatches, user.status == .active else {
            throw APIError(.unauthorized, code: "invalid_credentials", message: "invalid username or password")
        }
        try await throttle.reset(counters[0])
        try await throttle.reset(counters[1])
        try await throttle.refund(counters[2])
        try await users.recordLogin(user)
        try await access.forget(try user.requireID())
        let principal = try await access.principal(for: try user.requireID())
        context.audit?.principal = principal
        return try tokenResponse(try await access.tokens.issuePair(userID: principal.userID))
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        guard let refreshToken = input.refreshToken ?? request.cookies[Self.refreshCookie]?.value else { throw AuthError.missingToken.apiError }
        do {
            // Rotation first, so a replayed token revokes its session whatever else holds.
            let (claims, pair) = try await access.tokens.rotate(refreshToken)
            let principal = try await access.principal(for: claims.userID!)
            guard principal.accepts(claims) else { throw AuthError.revokedToken }
            context.audit?.principal = principal
            return try tokenResponse(pair)
        } catch AuthError.revokedToken {
            // Told apart, so the console can say why the user must sign in again.
            var error = APIError(.unauthorized, code: "refresh_token_reused", message: "the refresh token was already used or its session ended")
            error.headers[.wwwAuthenticate] = "Bearer"
            error.headers[.setCookie] = Self.clearedRefreshCookie
            throw error
        } catch let error as AuthError {
            throw error.apiError
        }
    }

    /// The refresh token as an `HttpOnly` cookie sent only to the refresh route: the console
    /// keeps the access token in memory and never sees the refresh token, so a script injected
    /// into the page cannot read either from storage.
    static let refreshCookie = "aab_refresh"
    static let refreshCookiePath = "/api/v1/auth/refresh"
    static let clearedRefreshCookie = "\(refreshCookie)=; Max-Age=0; Path=\(refreshCookiePath); HttpOnly; Secure; SameSite=Strict"

    /// Tokens are never stored by a browser cache or a proxy.
    func tokenResponse(_ pair: TokenPair) throws -> Response {
        var response = Response.json(ByteBuffer(bytes: try JSONCoding.encoder.encode(pair)))
        response.headers[.cacheControl] = "no-store"
        response.headers[.pragma] = "no-cache"
        let maxAge = settings.refreshTokenLifetime.components.seconds
        response.headers[.setCookie] =
            "\(Self.refreshCookie)=\(pair.refreshToken); Max-Age=\(maxAge); Path=\(Self.refreshCookiePath); HttpOnly; Secure; SameSite=Strict"
        return response
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        if let claims = principal.claims { try await access.tokens.revoke(claims) }
        return Response(status: .noContent, headers: [.setCookie: Self.clearedRefreshCookie])
    }

    struct Profile: Codable, ResponseEncodable {
        let user: UserResponse
        let roles: [String]
        let permissions: [String]
    }

    /// Encoded once per loaded principal (see ``ProfileBodies``).
    @Sendable func me(_ request: Request, context: AppRequestContext) throws -> Response {
        .json(try profileBodies.body(for: try context.requirePrincipal()))
    }

    /// The caller's navigation: catalogs and menus they may see, buttons excluded.
    @Sendable func myMenus(_ request: Request, context: AppRequestContext) async throws -> [MenuNode] {
        let principal = try context.requirePrincipal()
        let all = try await menus.all()
        let visible: [Menu]
        if principal.isSuperuser {
            visible = all
        } else {
            let granted = try await menus.menuIDs(grantedTo: principal.roles)
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

    /// Throttled like a login (the old password is a guess too). Every session of the user
    /// ends, this one included; the answer carries the tokens of a new one.
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await request.decodeJSON(as: PasswordChange.self, context: context)
        let counter = AttemptThrottle.counter("password", [principal.userID.uuidString], limit: settings.loginMaxAttempts)
        try await throttle.admit([counter])
        guard let user = try await users.user(withID: principal.userID) else { throw AuthError.inactiveUser.apiError }
        guard try await hasher.verify(input.oldPassword, hash: user.passwordHash) else {
            throw APIError.validation(field: "old_password", "is not the current password")
        }
        try await throttle.reset(counter)
        try PasswordPolicy(minLength: settings.passwordMinLength).check(input.newPassword, username: user.username, field: "new_password")
        user.passwordHash = try await hasher.hash(input.newPassword)
        user.sessionsValidAfter = Date()
        user.passwordChangeRequired = false
        try await users.save(user)
        try await access.forget(principal.userID)
        return try tokenResponse(try await access.tokens.issuePair(userID: principal.userID))
    }
}

/// What a new password must be: long enough, not the username, not a well-known password.
struct PasswordPolicy {
    let minLength: Int
    static let maxLength = 128

    func check(_ password: String, username: String, field: String) throws {
        guard password.unicodeScalars.count >= minLength else { throw APIError.validation(field: field, "must be at least \(minLength) characters") }
        guard password.unicodeScalars.count <= Self.maxLength else {
            throw APIError.validation(field: field, "must be at most \(Self.maxLength) characters")
        }
        let lowered = password.lowercased()
        guard lowered != username.lowercased() else { throw APIError.validation(field: field, "must not be the username") }
        guard !CommonPasswords.all.contains(lowered) else {
            throw APIError.validation(field: field, "is on the list of commonly used passwords; choose another")
        }
    }
}

extension HTTPField.Name {
    static let pragma = HTTPField.Name("Pragma")!
}

extension AuthController.PasswordChange: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "old_password": .text(0...PasswordPolicy.maxLength),
        "new_password": .text(Settings().passwordMinLength...PasswordPolicy.maxLength).excluding(CommonPasswords.all.sorted()),
    ]
}
