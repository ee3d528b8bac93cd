import Foundation

/// A key-value cache of bytes. ``RedisCache`` and ``MemoryCache`` behave the same for
/// every operation (a shared contract test proves it); ``FailoverCache`` puts them together.
public protocol Cache: Sendable {
    func get(_ key: String) async throws -> [UInt8]?
    /// Stores the value; with `ttl` nil the cache's default TTL applies.
    func set(_ key: String, _ value: [UInt8], ttl: Duration?) async throws
    /// Returns whether the key existed.
    func delete(_ key: String) async throws -> Bool
    func exists(_ key: String) async throws -> Bool
    /// Adds `amount` and returns the new value; a missing key counts as 0 and is created,
    /// and only then gets `ttlOnCreate` (nil: no expiry). Throws ``CacheError/notAnInteger``
    /// when the stored value is not a decimal integer, ``CacheError/overflow`` past Int64.
    func increment(_ key: String, by amount: Int64, ttlOnCreate: Duration?) async throws -> Int64
    /// Sets a new TTL; returns false when the key does not exist.
    func expire(_ key: String, ttl: Duration) async throws -> Bool
    /// Deletes every key starting with `prefix` ("" for all) and returns how many there were.
    func clear(prefix: String) async throws -> Int
}

public enum CacheError: Error, Sendable, Hashable {
    case notAnInteger
    case overflow
    /// TTLs must be positive.
    case invalidTTL
}

extension Cache {
    public func set(_ key: String, _ value: [UInt8]) async throws {
        try await set(key, value, ttl: nil)
    }

    public func increment(_ key: String, by amount: Int64 = 1) async throws -> Int64 {
        try await increment(key, by: amount, ttlOnCreate: nil)
    }

    public func getJSON<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) async throws -> Value? {
        guard let bytes = try await get(key) else { return nil }
        return try JSONDecoder().decode(Value.self, from: Data(bytes))
    }

    public func setJSON(_ key: String, _ value: some Encodable, ttl: Duration? = nil) async throws {
        try await set(key, Array(JSONEncoder().encode(value)), ttl: ttl)
    }
}

/// What `/health` and the logs report about the cache.
public struct CacheStatus: Sendable, Hashable {
    public enum Backend: String, Sendable { case redis, memory }
    public enum Health: String, Sendable { case up, degraded }

    public var backend: Backend
    public var health: Health
    public var reason: String?
}

/// Cache settings (the environment's CACHE_* and REDIS_ENABLED).
public struct CacheConfiguration: Sendable, Hashable {
    /// `CACHE_PREFIX`: namespaces the keys in Redis.
    public var keyPrefix: String
    /// `CACHE_TTL`: used when `set` gets no TTL; nil means no default expiry.
    public var defaultTTL: Duration?
    /// `CACHE_MEMORY_MAX_ENTRIES`: the in-memory cache evicts least recently used entries beyond it.
    public var memoryMaxEntries: Int
    /// `REDIS_ENABLED`: false runs on memory only.
    public var redisEnabled: Bool

    public init(
        keyPrefix: String = "ai_agent:",
        defaultTTL: Duration? = .seconds(3600),
        memoryMaxEntries: Int = 10_000,
        redisEnabled: Bool = true
    ) {
        self.keyPrefix = keyPrefix
        self.defaultTTL = defaultTTL
        self.memoryMaxEntries = memoryMaxEntries
        self.redisEnabled = redisEnabled
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a short TTL never becomes 0; throws for TTLs ≤ 0.
    func cacheMilliseconds() throws(CacheError) -> Int64 {
        guard self > .zero else { throw .invalidTTL }
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflow2) = whole.addingReportingOverflow((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        guard !overflow, !overflow2 else { throw .invalidTTL }
        return total
    }
}

/// A value behind an NSLock, for the few fields shared across tasks.
final class CacheLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
