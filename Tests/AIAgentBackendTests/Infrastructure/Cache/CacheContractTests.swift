import Foundation
import RedisClient
import Testing
import TestSupport

@testable import AIAgentBackend

/// The implementations the contract runs against. FailoverCache is included to show
/// that putting Redis and memory behind it changes nothing.
enum CacheContractBackend: String, CaseIterable, CustomTestStringConvertible {
    case memory, redis, failover

    var testDescription: String { rawValue }

    func withCache(defaultTTL: Duration? = .seconds(3600), _ body: (any Cache) async throws -> Void) async throws {
        switch self {
        case .memory:
            try await body(MemoryCache(maxEntries: 10_000, defaultTTL: defaultTTL))
        case .redis, .failover:
            try await withRedisServer { server in
                let client = try RedisClient(configuration: RedisConfiguration(url: server.url))
                let redis = RedisCache(client: client, keyPrefix: "contract:", defaultTTL: defaultTTL)
                if self == .redis {
                    try await body(redis)
                } else {
                    let memory = MemoryCache(defaultTTL: defaultTTL)
                    try await body(FailoverCache(redis: redis, memory: memory, logger: .init(label: "test")))
                }
                await client.close()
            }
        }
    }
}

// Generous, so that a loaded machine cannot expire a key between two consecutive calls.
private let short = Duration.seconds(1)
private let afterShort = Duration.milliseconds(1500)

@Suite struct CacheContractTests {
    @Test(arguments: CacheContractBackend.allCases)
    func getSetOverwrite(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            #expect(try await cache.get("k") == nil)
            try await cache.set("k", Array("one".utf8))
            #expect(try await cache.get("k") == Array("one".utf8))
            let binary: [UInt8] = [0, 255, 13, 10, 42]
            try await cache.set("k", binary)
            #expect(try await cache.get("k") == binary)
            try await cache.set("empty", [])
            #expect(try await cache.get("empty") == [])
            #expect(try await cache.exists("empty"))
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func ttlExpires(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            let setAt = ContinuousClock.now
            try await cache.set("short", [1], ttl: short)
            try await cache.set("long", [2], ttl: .seconds(60))
            // Only a machine slower than the TTL may have dropped it already.
            #expect(try await cache.exists("short") || ContinuousClock.now - setAt >= short)
            try await Task.sleep(for: afterShort)
            #expect(try await cache.get("short") == nil)
            #expect(try await !cache.exists("short"))
            #expect(try await !cache.delete("short"))
            #expect(try await cache.get("long") == [2])
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func defaultTTLAppliesWhenSetHasNone(backend: CacheContractBackend) async throws {
        try await backend.withCache(defaultTTL: short) { cache in
            try await cache.set("default", [1])
            try await cache.set("explicit", [2], ttl: .seconds(60))
            try await Task.sleep(for: afterShort)
            #expect(try await cache.get("default") == nil)
            #expect(try await cache.get("explicit") == [2])
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func setReplacesTheTTL(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            try await cache.set("k", [1], ttl: short)
            try await cache.set("k", [2])
            try await Task.sleep(for: afterShort)
            #expect(try await cache.get("k") == [2])
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func deleteAndExists(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            #expect(try await !cache.delete("k"))
            #expect(try await !cache.exists("k"))
            try await cache.set("k", [1])
            #expect(try await cache.exists("k"))
            #expect(try await cache.delete("k"))
            #expect(try await !cache.exists("k"))
            #expect(try await cache.get("k") == nil)
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func incrementCreatesAndAdds(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            #expect(try await cache.increment("n") == 1)
            #expect(try await cache.increment("n", by: 41) == 42)
            #expect(try await cache.increment("n", by: -50) == -8)
            #expect(try await cache.get("n") == Array("-8".utf8))
            #expect(try await cache.increment("m", by: -3) == -3)
            try await cache.set("text", Array("12".utf8))
            #expect(try await cache.increment("text", by: 1) == 13)
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func incrementRejectsWhatRedisRejects(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            for value in ["abc", "", " 1", "1 ", "+1", "007", "-0", "1.5", "99999999999999999999"] {
                try await cache.set("bad", Array(value.utf8))
                await #expect(throws: CacheError.notAnInteger, "value '\(value)'") {
                    _ = try await cache.increment("bad", by: 1)
                }
                #expect(try await cache.get("bad") == Array(value.utf8))
            }
            try await cache.set("max", Array(String(Int64.max).utf8))
            await #expect(throws: CacheError.overflow) { _ = try await cache.increment("max", by: 1) }
            try await cache.set("min", Array(String(Int64.min).utf8))
            #expect(try await cache.increment("min", by: 0) == .min)
            await #expect(throws: CacheError.overflow) { _ = try await cache.increment("min", by: -1) }
            try await cache.set("zero", Array("0".utf8))
            #expect(try await cache.increment("zero", by: 5) == 5)
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func ttlOnCreateOnlyWhenCreated(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            #expect(try await cache.increment("created", by: 1, ttlOnCreate: short) == 1)
            // A later increment's TTL is ignored: the key keeps its long one.
            #expect(try await cache.increment("kept", by: 1, ttlOnCreate: .seconds(60)) == 1)
            #expect(try await cache.increment("kept", by: 1, ttlOnCreate: short) == 2)
            // No ttlOnCreate: the counter does not expire.
            #expect(try await cache.increment("forever", by: 1, ttlOnCreate: nil) == 1)
            // An increment keeps the TTL a set gave the key (unless the machine was slower than that TTL).
            let setAt = ContinuousClock.now
            try await cache.set("s", Array("5".utf8), ttl: short)
            let incremented = try await cache.increment("s", by: 1, ttlOnCreate: nil)
            #expect(incremented == 6 || ContinuousClock.now - setAt >= short)

            try await Task.sleep(for: afterShort)
            #expect(try await !cache.exists("created"))
            #expect(try await cache.get("kept") == Array("2".utf8))
            #expect(try await cache.exists("forever"))
            if incremented == 6 { #expect(try await !cache.exists("s")) }
            #expect(try await cache.increment("created", by: 1, ttlOnCreate: nil) == 1)
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func concurrentIncrementsAreAtomic(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await cache.increment("hits", by: 1, ttlOnCreate: .seconds(60)) }
                }
                var seen = Set<Int64>()
                for try await value in group { seen.insert(value) }
                #expect(seen == Set(1...200))
            }
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func expireSemantics(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            #expect(try await !cache.expire("missing", ttl: .seconds(10)))
            try await cache.set("k", [1], ttl: .seconds(60))
            #expect(try await cache.expire("k", ttl: short))
            try await Task.sleep(for: afterShort)
            #expect(try await !cache.exists("k"))
            #expect(try await !cache.expire("k", ttl: .seconds(10)))
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func nonPositiveTTLIsRejected(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            try await cache.set("k", [1])
            await #expect(throws: CacheError.invalidTTL) { try await cache.set("k", [2], ttl: .zero) }
            await #expect(throws: CacheError.invalidTTL) { try await cache.set("k", [2], ttl: .seconds(-1)) }
            await #expect(throws: CacheError.invalidTTL) { _ = try await cache.expire("k", ttl: .zero) }
            await #expect(throws: CacheError.invalidTTL) { _ = try await cache.increment("n", by: 1, ttlOnCreate: .zero) }
            #expect(try await cache.get("k") == [1])
            #expect(try await !cache.exists("n"))
            // A TTL under a millisecond is valid and rounds up.
            try await cache.set("tiny", [1], ttl: .microseconds(10))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await !cache.exists("tiny"))
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func clearByPrefixCountsDeletedKeys(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            for key in ["user:1", "user:2", "user:10", "users", "session:1", "a*b", "a*c", "ab", "a?"] {
                try await cache.set(key, [1])
            }
            try await cache.set("user:gone", [1], ttl: short)
            try await Task.sleep(for: afterShort)
            #expect(try await cache.clear(prefix: "user:") == 3)
            #expect(try await cache.exists("users"))
            // Glob characters in a prefix are literal.
            #expect(try await cache.clear(prefix: "a*") == 2)
            #expect(try await cache.exists("ab"))
            #expect(try await cache.exists("a?"))
            #expect(try await cache.clear(prefix: "") == 4)
            #expect(try await !cache.exists("session:1"))
            #expect(try await cache.clear(prefix: "") == 0)
        }
    }

    @Test(arguments: CacheContractBackend.allCases)
    func clearManyKeys(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            for index in 0..<1_200 {
                try await cache.set("bulk:\(index)", [1])
            }
            #expect(try await cache.clear(prefix: "bulk:") == 1_200)
            #expect(try await !cache.exists("bulk:7"))
        }
    }

    struct Profile: Codable, Equatable {
        var name: String
        var tags: [String]
        var createdAt: Date
    }

    @Test(arguments: CacheContractBackend.allCases)
    func codableHelpers(backend: CacheContractBackend) async throws {
        try await backend.withCache { cache in
            let profile = Profile(name: "Ada", tags: ["admin"], createdAt: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(try await cache.getJSON("profile", as: Profile.self) == nil)
            try await cache.setJSON("profile", profile, ttl: .seconds(60))
            #expect(try await cache.getJSON("profile", as: Profile.self) == profile)
            try await cache.set("profile", Array("not json".utf8))
            await #expect(throws: DecodingError.self) { _ = try await cache.getJSON("profile", as: Profile.self) }
        }
    }
}
