import Crypto
import Foundation
import Hummingbird

/// Personal access tokens: `aab_pat_` and 32 random bytes in base64url. With 256 bits of
/// entropy a plain SHA-256 protects the stored token as well as a slow hash would, and a
/// request finds its token by one indexed lookup.
final class PersonalAccessTokens: Sendable {
    static let marker = "aab_pat_"
    /// The marker and 43 characters of base64url.
    static let length = marker.utf8.count + 43
    /// What a list shows of a token: the marker and 4 characters (24 of its 256 bits).
    static let shownLength = marker.utf8.count + 4
    /// How long a token's row is used from memory; a revocation drops it on every replica at once.
    static let grantTTL: Duration = .seconds(5)
    /// `last_used_at` is written at most this often per token (and replica), not on every request.
    static let useRecordInterval: Duration = .seconds(60)

    let tokens: AccessTokenRepository
    let auditLogs: AuditLogRepository
    let trustedProxies: TrustedProxies
    let invalidations: InvalidationBus
    /// By the token's hash.
    private let grants = ExpiringMap<String, AccessTokenGrant>()
    private let recordedUses = ExpiringMap<UUID, Bool>()

    init(tokens: AccessTokenRepository, auditLogs: AuditLogRepository, trustedProxies: TrustedProxies, invalidations: InvalidationBus) {
        self.tokens = tokens
        self.auditLogs = auditLogs
        self.trustedProxies = trustedProxies
        self.invalidations = invalidations
        invalidations.subscribe(.accessTokens, grants.invalidate)
    }

    static func isPersonalToken(_ token: String) -> Bool { token.hasPrefix(marker) }

    static func generate() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let base64URL = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return marker + base64URL.replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The grant of a presented token. A revoked or expired one is refused and audited,
    /// whatever the request's method: its use is a security event even on a read.
    func grant(for token: String, request: Request, context: AppRequestContext) async throws -> AccessTokenGrant {
        guard token.utf8.count == Self.length else { throw AuthError.invalidToken }
        let hash = Self.hash(token)
        let grant: AccessTokenGrant
        if let cached = grants[hash] {
            grant = cached
        } else {
            guard let row = try await tokens.token(withHash: hash) else { throw AuthError.invalidToken }
            grant = try AccessTokenGrant(row)
            grants.set(grant, for: hash, ttl: Self.grantTTL)
        }
        let now = Date()
        if grant.revokedAt != nil {
            await auditRefusal(of: grant, "revoked-token", request, context)
            throw AuthError.revokedToken
        }
        if grant.expiresAt <= now {
            await auditRefusal(of: grant, "expired-token", request, context)
            throw AuthError.invalidToken
        }
        if recordedUses[grant.id] == nil {
            recordedUses.set(true, for: grant.id, ttl: Self.useRecordInterval)
            try await tokens.recordUse(of: grant.id, at: now)
        }
        return grant
    }

    /// Drops the revoked token's row from memory here and on the other replicas.
    func forget(_ token: AccessToken) async {
        await invalidations.publish(.accessToken(hash: token.tokenHash))
    }

    /// Names the token by its id and shown prefix, never by the secret part.
    private func auditRefusal(of grant: AccessTokenGrant, _ action: String, _ request: Request, _ context: AppRequestContext) async {
        let log = AuditLog(request, context, trustedProxies: trustedProxies, status: 401)
        log.userID = grant.userID
        log.username = try? await tokens.ownerName(grant.userID)
        log.action = action
        log.resourceType = "auth"
        log.resourceID = grant.id.uuidString
        log.summary = "personal access token \(grant.prefix)…"
        do {
            try await auditLogs.create(log)
        } catch {
            context.logger.error("audit record not written", metadata: ["error": "\(error)", "route": "\(log.route)"])
        }
    }
}
