import RedisClient
import Testing
import TestSupport

@testable import AIAgentBackend

@Suite struct MemoryCacheTests {
    @Test func evictsLeastRecentlyUsed() async throws {
        let cache = MemoryCache(maxEntries: 3)
        try await cache.set("a", [1])
        try await cache.set("b", [2])
        try await cache.set("c", [3])
        _ = try await cache.get("a")
        try await cache.set("d", [4])
        #expect(cache.count == 3)
        #expect(try await cache.get("b") == nil)
        #expect(try await cache.get("a") == [1])
        #expect(try await cache.get("c") == [3])
        #expect(try await cache.get("d") == [4])
    }

    @Test func staysBoundedUnderChurn() async throws {
        let cache = MemoryCache(maxEntries: 100)
        var deleted = Set<Int>()
        for index in 0..<10_000 {
            if index % 3 == 0, try await cache.delete("k\(index - 7)") { deleted.insert(index - 7) }
            try await cache.set("k\(index)", [UInt8(truncatingIfNeeded: index)])
            #expect(cache.count <= 100)
        }
        // The newest keys that were not deleted are all there.
        for index in 9_950..<10_000 where !deleted.contains(index) {
            #expect(try await cache.get("k\(index)") == [UInt8(truncatingIfNeeded: index)])
        }
        #expect(cache.count == 100)
    }
}

@Suite struct RedisCacheTests {
    @Test func keysLiveUnderThePrefix() async throws {
        try await withRedisServer { server in
            let client = try RedisClient(configuration: RedisConfiguration(url: server.url))
            let cache = RedisCache(client: client, keyPrefix: "app:")
            try await cache.set("user:1", Array("ada".utf8))
            try await client.set("foreign", to: "untouched")
            #expect(try await client.getString("app:user:1") == "ada")
            #expect((3590...3600).contains(try await client.ttl("app:user:1")))
            #expect(try await cache.clear(prefix: "") == 1)
            #expect(try await client.getString("foreign") == "untouched")
            await client.close()
        }
    }
}
