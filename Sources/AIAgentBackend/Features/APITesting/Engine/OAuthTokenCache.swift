import Foundation

/// OAuth2 client-credentials tokens, per environment and client, kept until `expires_in`
/// runs out or a 401 says otherwise. Concurrent steps needing the same token share one fetch.
actor OAuthTokenCache {
    struct Key: Hashable, Sendable {
        var environment: String
        var tokenURL: String
        var clientID: String
        var scope: String?
    }

    private struct Entry {
        var token: String
        var expires: ContinuousClock.Instant?
    }

    private var entries: [Key: Entry] = [:]
    private var fetches: [Key: Task<Entry, any Error>] = [:]

    /// The cached token, or a fresh one from `fetch` (the token and its lifetime).
    func token(for key: Key, fetch: @escaping @Sendable () async throws -> (String, Duration?)) async throws -> String {
        if let entry = entries[key], entry.expires.map({ $0 > .now }) ?? true { return entry.token }
        if let running = fetches[key] { return try await running.value.token }
        let task = Task {
            let (token, lifetime) = try await fetch()
            return Entry(token: token, expires: lifetime.map { .now + $0 })
        }
        fetches[key] = task
        defer { fetches[key] = nil }
        let entry = try await task.value
        entries[key] = entry
        return entry.token
    }

    /// Forgets `token` (refused with a 401), unless another step already replaced it.
    func invalidate(_ key: Key, token: String) {
        if entries[key]?.token == token { entries[key] = nil }
    }
}
