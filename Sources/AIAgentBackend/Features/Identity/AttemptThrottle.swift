import Crypto
import Foundation
import HTTPTypes

/// Counts password attempts in the shared cache, atomically and BEFORE the password is
/// checked: parallel guesses each take a number, and only the first `limit` are checked.
/// Keys are hashes, so what an attacker types never grows the cache beyond a fixed size.
struct AttemptThrottle: Sendable {
    let cache: any Cache
    static let window: Duration = .seconds(15 * 60)

    struct Counter: Sendable {
        let key: String
        let limit: Int
    }

    /// One counter per purpose and subject, e.g. `counter("login-user", ["alice"], limit: 20)`.
    static func counter(_ purpose: String, _ subject: [String], limit: Int) -> Counter {
        let digest = SHA256.hash(data: Data(subject.joined(separator: "\u{1F}").utf8))
        return Counter(key: "auth:attempts:\(purpose):" + digest.map { String(format: "%02x", $0) }.joined(), limit: limit)
    }

    /// Counts one attempt on every counter; a 429 when any is past its limit.
    func admit(_ counters: [Counter]) async throws {
        var refused = false
        for counter in counters {
            let attempts = try await cache.increment(counter.key, by: 1, ttlOnCreate: Self.window)
            if attempts > Int64(counter.limit) { refused = true }
        }
        guard !refused else {
            var error = APIError(.tooManyRequests, code: "too_many_attempts", message: "too many attempts; try again later")
            error.headers[.retryAfter] = String(Self.window.components.seconds)
            throw error
        }
    }

    /// A successful attempt: the counter starts again.
    func reset(_ counter: Counter) async throws {
        _ = try await cache.delete(counter.key)
    }

    /// A successful attempt does not count against a shared counter (an address many users sign in from).
    func refund(_ counter: Counter) async throws {
        _ = try await cache.increment(counter.key, by: -1, ttlOnCreate: Self.window)
    }
}

extension HTTPField.Name {
    static let retryAfter = HTTPField.Name("Retry-After")!
}
