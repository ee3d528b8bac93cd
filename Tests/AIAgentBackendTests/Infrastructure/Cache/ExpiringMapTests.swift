import Testing
@testable import AIAgentBackend

@Suite struct ExpiringMapTests {
    @Test func entriesExpire() async throws {
        let map = ExpiringMap<String, Int>()
        map.set(1, for: "short", ttl: .milliseconds(50))
        map.set(2, for: "long", ttl: .seconds(60))
        #expect(map["short"] == 1 && map["long"] == 2)
        try await Task.sleep(for: .milliseconds(80))
        #expect(map["short"] == nil)
        #expect(map["long"] == 2)
        map.remove("long")
        #expect(map["long"] == nil)
    }

    @Test func fullMapDropsExpiredEntriesFirstThenEverything() async throws {
        let map = ExpiringMap<Int, Int>(maxEntries: 3)
        map.set(0, for: 0, ttl: .milliseconds(20))
        map.set(1, for: 1, ttl: .seconds(60))
        map.set(2, for: 2, ttl: .seconds(60))
        try await Task.sleep(for: .milliseconds(40))
        map.set(3, for: 3, ttl: .seconds(60))
        #expect(map.count == 3, "the expired entry made room")
        #expect(map[1] == 1 && map[3] == 3)
        map.set(2, for: 2, ttl: .seconds(60))
        #expect(map.count == 3, "replacing a key needs no room")
        map.set(4, for: 4, ttl: .seconds(60))
        #expect(map.count == 1 && map[4] == 4, "nothing expired: everything went")
    }
}
