/// An in-process cache with TTLs, holding at most `maxEntries` keys and evicting the
/// least recently used. Keys need no prefix: nothing else shares this store.
public final class MemoryCache: Cache {
    private let store: CacheLocked<LRUStore>
    private let defaultTTL: Duration?
    private let clock = ContinuousClock()

    public init(maxEntries: Int = 10_000, defaultTTL: Duration? = .seconds(3600)) {
        store = CacheLocked(LRUStore(capacity: max(1, maxEntries)))
        self.defaultTTL = defaultTTL
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let now = clock.now
        return store.withLock { store in store.find(key, now: now).map { store.entries[$0].value } }
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Duration?) async throws {
        let lifetime = ttl ?? defaultTTL
        _ = try lifetime?.cacheMilliseconds()
        let expiry = lifetime.map { clock.now + $0 }
        store.withLock { $0.insert(key, value, expiresAt: expiry) }
    }

    public func delete(_ key: String) async throws -> Bool {
        let now = clock.now
        return store.withLock { store in
            guard let index = store.find(key, now: now) else { return false }
            store.remove(index)
            return true
        }
    }

    public func exists(_ key: String) async throws -> Bool {
        let now = clock.now
        return store.withLock { $0.find(key, now: now) != nil }
    }

    public func increment(_ key: String, by amount: Int64, ttlOnCreate: Duration?) async throws -> Int64 {
        _ = try ttlOnCreate?.cacheMilliseconds()
        let now = clock.now
        return try store.withLock { store throws(CacheError) in
            guard let index = store.find(key, now: now) else {
                store.insert(key, Array(String(amount).utf8), expiresAt: ttlOnCreate.map { now + $0 })
                return amount
            }
            guard let current = Self.redisInteger(store.entries[index].value) else { throw .notAnInteger }
            let (next, overflow) = current.addingReportingOverflow(amount)
            guard !overflow else { throw .overflow }
            store.entries[index].value = Array(String(next).utf8)
            return next
        }
    }

    public func expire(_ key: String, ttl: Duration) async throws -> Bool {
        _ = try ttl.cacheMilliseconds()
        let now = clock.now
        return store.withLock { store in
            guard let index = store.find(key, now: now) else { return false }
            store.entries[index].expiresAt = now + ttl
            return true
        }
    }

    public func clear(prefix: String) async throws -> Int {
        let now = clock.now
        return store.withLock { $0.removeAll(prefix: prefix, now: now) }
    }

    /// Entries held, counting expired ones not yet dropped.
    public var count: Int {
        store.withLock { $0.index.count }
    }

    /// Parses a value the way Redis's INCR does: optional minus, no leading zeros or
    /// spaces, no plus sign, within Int64.
    static func redisInteger(_ bytes: [UInt8]) -> Int64? {
        guard let first = bytes.first else { return nil }
        if bytes == [UInt8(ascii: "0")] { return 0 }
        let digits = first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes[...]
        guard let lead = digits.first, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(lead) else { return nil }
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(String(decoding: bytes, as: UTF8.self))
    }
}

/// A dictionary plus an intrusive doubly linked list over array slots, so that
/// lookup, touch, insert and eviction are all O(1).
struct LRUStore {
    struct Entry {
        var key: String
        var value: [UInt8]
        var expiresAt: ContinuousClock.Instant?
        var newer = -1
        var older = -1
    }

    let capacity: Int
    var entries: [Entry] = []
    var index: [String: Int] = [:]
    private var freeSlots: [Int] = []
    private var newest = -1
    private var oldest = -1

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The slot of a live entry, marked most recently used; an expired entry is dropped.
    mutating func find(_ key: String, now: ContinuousClock.Instant) -> Int? {
        guard let slot = index[key] else { return nil }
        if let expiresAt = entries[slot].expiresAt, expiresAt <= now {
            remove(slot)
            return nil
        }
        unlink(slot)
        pushNewest(slot)
        return slot
    }

    mutating func insert(_ key: String, _ value: [UInt8], expiresAt: ContinuousClock.Instant?) {
        if let slot = index[key] {
            entries[slot].value = value
            entries[slot].expiresAt = expiresAt
            unlink(slot)
            pushNewest(slot)
            return
        }
        if index.count >= capacity {
            remove(oldest)
        }
        let entry = Entry(key: key, value: value, expiresAt: expiresAt)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        index[key] = slot
        pushNewest(slot)
    }

    mutating func remove(_ slot: Int) {
        unlink(slot)
        index[entries[slot].key] = nil
        entries[slot] = Entry(key: "", value: [], expiresAt: nil)
        freeSlots.append(slot)
    }

    /// Removes matching keys and returns how many of them were still live.
    mutating func removeAll(prefix: String, now: ContinuousClock.Instant) -> Int {
        var live = 0
        for (key, slot) in index where key.hasPrefix(prefix) {
            if entries[slot].expiresAt.map({ $0 > now }) ?? true { live += 1 }
            remove(slot)
        }
        return live
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (entries[slot].newer, entries[slot].older)
        if newer >= 0 { entries[newer].older = older } else { newest = older }
        if older >= 0 { entries[older].newer = newer } else { oldest = newer }
        entries[slot].newer = -1
        entries[slot].older = -1
    }

    private mutating func pushNewest(_ slot: Int) {
        entries[slot].older = newest
        if newest >= 0 { entries[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
