import Foundation
import Hummingbird
import JWTKit

enum TokenKind: String, Codable, Sendable {
    case access, refresh
}

/// JWT claims of both token kinds. `fam` names the login session: every refresh of it
/// stays in the family, so a replayed refresh token can revoke all of them at once.
struct TokenClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var type: TokenKind
    var fam: String

    /// `sub` parsed once, when the token is verified (parsing a UUID on every use shows in profiles).
    private(set) var userID: UUID?

    enum CodingKeys: String, CodingKey { case sub, iat, exp, jti, type, fam }

    init(sub: SubjectClaim, iat: IssuedAtClaim, exp: ExpirationClaim, jti: IDClaim, type: TokenKind, fam: String) {
        (self.sub, self.iat, self.exp, self.jti, self.type, self.fam) = (sub, iat, exp, jti, type, fam)
        userID = UUID(uuidString: sub.value)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            sub: try container.decode(SubjectClaim.self, forKey: .sub), iat: try container.decode(IssuedAtClaim.self, forKey: .iat),
            exp: try container.decode(ExpirationClaim.self, forKey: .exp), jti: try container.decode(IDClaim.self, forKey: .jti),
            type: try container.decode(TokenKind.self, forKey: .type), fam: try container.decode(String.self, forKey: .fam))
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired(currentDate: Date())
    }
}

struct TokenPair: Codable, ResponseEncodable {
    let accessToken: String
    let refreshToken: String
    let tokenType: String
    let expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }
}

/// Issues, verifies, rotates and revokes tokens. A revoked session is written to the
/// database first (``RevocationStore``, which this replica checks in memory), then to the
/// shared cache with a TTL of the session's remaining life, so a logout on one replica
/// holds on the others at once (``InvalidationBus``; without Redis, within
/// ``sessionCheckInterval``), and across restarts.
struct TokenService: Sendable {
    let keys: JWTKeyCollection
    let cache: any Cache
    let revocations: RevocationStore
    let invalidations: InvalidationBus
    let accessLifetime: Duration
    let refreshLifetime: Duration
    /// How long a session found unrevoked in the shared cache is taken as such without asking
    /// again: a request then costs no round trip to Redis.
    static let sessionCheckInterval: Duration = .seconds(1)
    /// A token's signature and claims never change, so each is verified and decoded once.
    private let verifiedTokens = ExpiringMap<String, TokenClaims>()
    private let liveSessions = ExpiringMap<String, Bool>()

    init(
        secret: String, cache: any Cache, revocations: RevocationStore, invalidations: InvalidationBus,
        accessLifetime: Duration, refreshLifetime: Duration
    ) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.cache = cache
        self.revocations = revocations
        self.invalidations = invalidations
        self.accessLifetime = accessLifetime
        self.refreshLifetime = refreshLifetime
        invalidations.subscribe(.sessions, liveSessions.invalidate)
    }

    func issuePair(userID: UUID, family: String = UUID().uuidString) async throws -> TokenPair {
        let now = Date()
        func claims(_ kind: TokenKind, _ lifetime: Duration) -> TokenClaims {
            TokenClaims(
                sub: .init(value: userID.uuidString), iat: .init(value: now),
                exp: .init(value: now.addingTimeInterval(lifetime.secondsDouble)),
                jti: .init(value: UUID().uuidString), type: kind, fam: family
            )
        }
        return TokenPair(
            accessToken: try await keys.sign(claims(.access, accessLifetime)),
            refreshToken: try await keys.sign(claims(.refresh, refreshLifetime)),
            tokenType: "bearer",
            expiresIn: Int(accessLifetime.components.seconds)
        )
    }

    /// Signature, expiry, kind, and neither the token nor its session revoked.
    func verify(_ token: String, as kind: TokenKind) async throws -> TokenClaims {
        let claims = try await decode(token)
        guard claims.type == kind, claims.userID != nil else { throw AuthError.invalidToken }
        if try await isRevoked(session: claims.fam) { throw AuthError.revokedToken }
        // Access tokens are only ever revoked with their whole session (logout, theft), so one
        // lookup suffices on the hot path; refresh tokens are also revoked one by one (rotation).
        if kind == .refresh, try await cache.exists(Self.revokedKey(claims.jti.value)) { throw AuthError.revokedToken }
        return claims
    }

    /// Signature and expiry, remembered until the token expires.
    private func decode(_ token: String) async throws -> TokenClaims {
        if let claims = verifiedTokens[token], claims.exp.value > Date() { return claims }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw AuthError.invalidToken
        }
        verifiedTokens.set(claims, for: token, until: .now + .seconds(claims.exp.value.timeIntervalSinceNow))
        return claims
    }

    private func isRevoked(session family: String) async throws -> Bool {
        // Checked first: a check that read the shared cache just before a revocation here
        // cannot mark the session live again.
        if try await revocations.contains(family) { return true }
        if liveSessions[family] != nil { return false }
        if try await cache.exists(Self.familyKey(family)) { return true }
        liveSessions.set(true, for: family, ttl: Self.sessionCheckInterval)
        return false
    }

    /// Exchanges a refresh token for a new pair. A refresh token works once: presenting
    /// it again means it was copied, and the whole session is revoked.
    func rotate(_ refreshToken: String) async throws -> (TokenClaims, TokenPair) {
        let claims: TokenClaims
        do {
            claims = try await verify(refreshToken, as: .refresh)
        } catch AuthError.revokedToken {
            // A rotated token presented again: treat it as stolen.
            if let replayed = try? await decode(refreshToken) {
                try await revokeSession(replayed.fam)
            }
            throw AuthError.revokedToken
        }
        let uses = try await cache.increment(Self.revokedKey(claims.jti.value), by: 1, ttlOnCreate: remaining(claims))
        guard uses == 1 else {
            try await revokeSession(claims.fam)
            throw AuthError.revokedToken
        }
        return (claims, try await issuePair(userID: claims.userID!, family: claims.fam))
    }

    /// Logout: every token of the presented token's session.
    func revoke(_ claims: TokenClaims) async throws {
        try await revokeSession(claims.fam)
    }

    /// Durable when it returns: the database holds the revocation, whatever the cache does.
    func revokeSession(_ family: String) async throws {
        // Refresh tokens are the longest-lived tokens of a session.
        try await revocations.revoke(family, until: Date().addingTimeInterval(refreshLifetime.secondsDouble))
        try await cache.set(Self.familyKey(family), Self.revokedMark, ttl: refreshLifetime)
        // Other replicas then ask the shared cache again rather than after ``sessionCheckInterval``.
        await invalidations.publish(.session(family))
    }

    /// Copies every revocation this replica knows into the shared cache, which may have
    /// lost those written while it was unreachable (see `FailoverCache.onRecovery`).
    func republishRevocations() async throws {
        for (family, expiry) in revocations.unexpired() {
            let ttl = Duration.seconds(max(1, Int(expiry.timeIntervalSinceNow.rounded(.up))))
            try await cache.set(Self.familyKey(family), Self.revokedMark, ttl: ttl)
        }
    }

    private static let revokedMark = Array("revoked".utf8)

    private func remaining(_ claims: TokenClaims) -> Duration {
        .seconds(max(1, Int(claims.exp.value.timeIntervalSinceNow.rounded(.up))))
    }

    static func revokedKey(_ jti: String) -> String { "auth:revoked:\(jti)" }
    static func familyKey(_ family: String) -> String { "auth:session-revoked:\(family)" }
}
