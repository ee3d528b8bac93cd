import Foundation
import HTTPTypes

/// Limits the expensive requests (runs, generations, chat messages, agent runs, imports,
/// uploads) per user and per access token, in fixed one-minute windows counted in the shared
/// cache: Redis across replicas, memory while Redis is away. Each kind has its own count, so
/// a burst of chat does not block starting a run.
struct RateLimiter: Sendable {
    enum Kind: String, Sendable {
        case runs, generations, chat, imports, uploads
        case agentRuns = "agent_runs"
    }

    let cache: any Cache
    let perUser: Int
    let perToken: Int
    static let windowSeconds = 60

    init(cache: any Cache, settings: Settings) {
        self.cache = cache
        perUser = settings.rateLimitPerUser
        perToken = settings.rateLimitPerToken
    }

    /// Counts one request of `kind`; 429 `rate_limited` with `Retry-After` (the seconds left in
    /// the window) past a limit. The token is counted first, and a request its token may not
    /// make is not counted against the user: a runaway token does not use up its owner's other tokens.
    func admit(_ kind: Kind, _ principal: Principal, now: Date = Date()) async throws {
        let seconds = Int(now.timeIntervalSince1970)
        let window = seconds / Self.windowSeconds
        let retryAfter = Self.windowSeconds - seconds % Self.windowSeconds
        if let token = Self.tokenSubject(principal) {
            try await count("\(kind.rawValue):\(token):\(window)", limit: perToken, retryAfter: retryAfter)
        }
        try await count("\(kind.rawValue):user:\(principal.userID):\(window)", limit: perUser, retryAfter: retryAfter)
    }

    private func count(_ key: String, limit: Int, retryAfter: Int) async throws {
        // The key outlives its window by a little, so a late increment never restarts it.
        let count = try await cache.increment("ratelimit:" + key, by: 1, ttlOnCreate: .seconds(Self.windowSeconds + 5))
        guard count > Int64(limit) else { return }
        var error = APIError(.tooManyRequests, code: "rate_limited", message: "too many requests of this kind; try again in \(retryAfter) s")
        error.headers[.retryAfter] = String(retryAfter)
        throw error
    }

    /// A personal access token by its id; a sign-in's access tokens by their session (family),
    /// which a refresh keeps.
    static func tokenSubject(_ principal: Principal) -> String? {
        if let id = principal.accessTokenID { return "pat:\(id)" }
        return principal.claims.map { "session:\($0.fam)" }
    }
}
