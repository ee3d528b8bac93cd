import FluentKit
import Foundation
import HTTPTypes
import Hummingbird

/// What a route requires. Every `/api/v1` route declares one (`SecuredRoutes`); a test
/// walks the router and fails for a route that does not.
enum Access: Sendable, Equatable, CustomStringConvertible {
    case anyone
    case authenticated
    case permission(Permission)

    var description: String {
        switch self {
        case .anyone: "public"
        case .authenticated: "authenticated"
        case .permission(let permission): permission.rawValue
        }
    }
}

enum AuthError: Error {
    case missingToken, invalidToken, revokedToken, inactiveUser

    var apiError: APIError {
        let message =
            switch self {
            case .missingToken: "authentication required"
            case .invalidToken: "the token is invalid or expired"
            case .revokedToken: "the token has been revoked"
            case .inactiveUser: "the account is disabled or no longer exists"
            }
        var error = APIError(.unauthorized, code: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}

/// The authenticated user as routes see it.
struct Principal: Codable, Sendable {
    let userID: UUID
    let username: String
    let isSuperuser: Bool
    let roles: [String]
    let permissions: Set<String>
    /// The user's row as it was when the principal was loaded.
    let profile: UserResponse
    /// New on every load from the database: whatever is derived from a principal can be
    /// kept for as long as its revision is the current one.
    let revision: UUID
    /// Tokens issued before this are refused: every session ended by a password change or reset.
    let sessionsValidAfter: Date?
    /// The verified access token, for logout.
    var claims: TokenClaims?
    /// The personal access token the request came with; nil for a login's JWT.
    var accessTokenID: UUID?

    /// Whether a token of this user, otherwise valid, still belongs to a live session.
    func accepts(_ claims: TokenClaims) -> Bool {
        guard let sessionsValidAfter else { return true }
        return claims.iat.value >= sessionsValidAfter
    }

    /// What a personal access token of this user may do: those of its permissions the user
    /// still holds. Being a superuser is not among them: the token carries only what it lists.
    func narrowed(to grant: AccessTokenGrant) -> Principal {
        Principal(
            userID: userID, username: username, isSuperuser: false, roles: roles,
            permissions: isSuperuser ? grant.permissions : grant.permissions.intersection(permissions), profile: profile,
            revision: UUID(), sessionsValidAfter: sessionsValidAfter, accessTokenID: grant.id)
    }

    func allows(_ access: Access) -> Bool {
        switch access {
        case .anyone, .authenticated: true
        case .permission(let permission): isSuperuser || permissions.contains(permission.rawValue)
        }
    }

    func require(_ access: Access) throws {
        guard allows(access) else { throw APIError(.forbidden, code: "forbidden", message: "this action needs the permission '\(access)'") }
    }
}

/// Checks tokens and permissions, with a short cache of each user's status and
/// permissions (invalidated on every replica whenever a user, role or grant changes).
final class AccessControl: Sendable {
    let tokens: TokenService
    let personalTokens: PersonalAccessTokens
    let database: DatabaseService
    let cache: any Cache
    let trustedProxies: TrustedProxies
    let invalidations: InvalidationBus
    static let principalTTL: Duration = .seconds(60)
    /// In front of the shared cache: decoding a principal from JSON on every request costs
    /// more than the request. Changes drop entries on every replica (``InvalidationBus``);
    /// short-lived all the same, for when Redis cannot carry the news.
    static let localPrincipalTTL: Duration = .seconds(2)
    private let localPrincipals = ExpiringMap<UUID, Principal>()
    /// By token: a narrowed principal keeps its revision while its owner's does (``ProfileBodies``).
    private let tokenPrincipals = ExpiringMap<UUID, (ownerRevision: UUID, principal: Principal)>()

    init(tokens: TokenService, database: DatabaseService, cache: any Cache, trustedProxies: TrustedProxies, invalidations: InvalidationBus) {
        self.tokens = tokens
        personalTokens = PersonalAccessTokens(
            tokens: AccessTokenRepository(database: database), auditLogs: AuditLogRepository(database: database),
            trustedProxies: trustedProxies, invalidations: invalidations)
        self.database = database
        self.cache = cache
        self.trustedProxies = trustedProxies
        self.invalidations = invalidations
        invalidations.subscribe(.principals, localPrincipals.invalidate)
    }

    /// A bearer token is a login's JWT or a personal access token.
    func authorize(_ request: Request, context: AppRequestContext, _ access: Access) async throws -> Principal? {
        if access == .anyone { return nil }
        guard let token = request.headers[.authorization].flatMap(Self.bearerToken) else {
            throw AuthError.missingToken.apiError
        }
        do {
            let principal =
                PersonalAccessTokens.isPersonalToken(token)
                ? try await principal(forPersonalToken: token, request, context) : try await principal(forJWT: token)
            try principal.require(access)
            return principal
        } catch let error as AuthError {
            throw error.apiError
        }
    }

    private func principal(forJWT token: String) async throws -> Principal {
        let claims = try await tokens.verify(token, as: .access)
        var principal = try await principal(for: claims.userID!)
        guard principal.accepts(claims) else { throw AuthError.revokedToken }
        principal.claims = claims
        return principal
    }

    /// The owner's principal narrowed to the token: the owner's current permissions bound it.
    private func principal(forPersonalToken token: String, _ request: Request, _ context: AppRequestContext) async throws -> Principal {
        let grant = try await personalTokens.grant(for: token, request: request, context: context)
        let owner = try await principal(for: grant.userID)
        if let cached = tokenPrincipals[grant.id], cached.ownerRevision == owner.revision { return cached.principal }
        let principal = owner.narrowed(to: grant)
        tokenPrincipals.set((owner.revision, principal), for: grant.id, ttl: Self.localPrincipalTTL)
        return principal
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme in any case).
    static func bearerToken(_ header: String) -> String? {
        let scheme = header.utf8.prefix(7)
        guard scheme.count == 7, scheme.elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        let token = header.utf8.dropFirst(7).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let end = token.lastIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        return end.map { String(Substring(token[...$0])) }
    }

    /// Active users only: a disabled or deleted user's tokens stop working at once.
    func principal(for userID: UUID) async throws -> Principal {
        if let local = localPrincipals[userID] { return local }
        let key = Self.principalKey(userID)
        let principal: Principal
        if let cached = try await cachedPrincipal(key) {
            principal = cached
        } else {
            guard let user = try await User.find(userID, on: database.database), user.status == .active else {
                throw AuthError.inactiveUser
            }
            principal = try await Self.load(user, on: database.database)
            try await cache.setJSON(key, principal, ttl: Self.principalTTL)
        }
        localPrincipals.set(principal, for: userID, ttl: Self.localPrincipalTTL)
        return principal
    }

    /// An entry written by an older version of the service does not decode: it is reloaded.
    private func cachedPrincipal(_ key: String) async throws -> Principal? {
        do {
            return try await cache.getJSON(key, as: Principal.self)
        } catch is DecodingError {
            return nil
        }
    }

    static func load(_ user: User, on database: any Database) async throws -> Principal {
        let roles = try await user.$roles.query(on: database).filter(\.$isActive == true).all()
        let roleIDs = try roles.map { try $0.requireID() }
        let permissions =
            roleIDs.isEmpty
            ? []
            : try await Menu.query(on: database)
                .join(RoleMenu.self, on: \RoleMenu.$menu.$id == \Menu.$id)
                .filter(RoleMenu.self, \.$role.$id ~~ roleIDs)
                .filter(\.$permission != nil)
                .all()
                .compactMap(\.permission)
        let roleCodes = roles.map(\.code).sorted()
        return Principal(
            userID: try user.requireID(), username: user.username, isSuperuser: user.isSuperuser,
            roles: roleCodes, permissions: Set(permissions), profile: try UserResponse(user, roles: roleCodes),
            revision: UUID(), sessionsValidAfter: user.sessionsValidAfter)
    }

    /// Published after the shared entry went, so that no replica reloads it from there.
    func forget(_ userID: UUID) async throws {
        _ = try await cache.delete(Self.principalKey(userID))
        await invalidations.publish(.principal(userID))
    }

    /// After a role or grant change, any user's permissions may differ.
    func forgetAll() async throws {
        _ = try await cache.clear(prefix: "auth:principal:")
        await invalidations.publish(.allPrincipals)
    }

    static func principalKey(_ userID: UUID) -> String { "auth:principal:\(userID.uuidString)" }
}

extension AppRequestContext {
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw AuthError.missingToken.apiError }
        return principal
    }
}

extension HTTPField.Name {
    static let wwwAuthenticate = HTTPField.Name("WWW-Authenticate")!
}
