import Logging
import Metrics
import RedisClient

/// Serves from Redis while it answers and from memory while it does not, so that a
/// Redis outage slows nothing down and fails no request. One warning per outage;
/// ``runProbe(interval:)`` switches back when PING answers again.
///
/// Writes served from memory during an outage are remembered, and those keys are
/// deleted in Redis before switching back, so that Redis never serves a value that
/// was overwritten or deleted meanwhile.
public final class FailoverCache: Cache {
    private struct State {
        var onRedis: Bool
        var reason: String?
        var missed = MissedWrites()
    }

    private let redis: RedisCache?
    private let memory: MemoryCache
    private let state: CacheLocked<State>
    private let logger: Logger
    private let metrics: CacheMetrics
    private let maxMissedKeys: Int
    private let recoveryActions = CacheLocked<[@Sendable () async -> Void]>([])

    /// With `redis` nil (`REDIS_ENABLED=false`) the cache runs on memory only.
    public init(
        redis: RedisCache?,
        memory: MemoryCache,
        logger: Logger,
        maxMissedKeys: Int = 10_000,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.redis = redis
        self.memory = memory
        self.logger = logger
        self.maxMissedKeys = maxMissedKeys
        self.state = CacheLocked(State(onRedis: redis != nil))
        self.metrics = CacheMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        metrics.backend.record(redis != nil ? 1 : 0)
    }

    /// Builds the cache from settings; pass nil for `redis` when Redis is disabled.
    public convenience init(
        configuration: CacheConfiguration,
        redis: RedisClient?,
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.init(
            redis: configuration.redisEnabled
                ? redis.map { RedisCache(client: $0, keyPrefix: configuration.keyPrefix, defaultTTL: configuration.defaultTTL) }
                : nil,
            memory: MemoryCache(maxEntries: configuration.memoryMaxEntries, defaultTTL: configuration.defaultTTL),
            logger: logger,
            maxMissedKeys: configuration.memoryMaxEntries,
            metricsFactory: metricsFactory
        )
    }

    public var status: CacheStatus {
        guard redis != nil else { return CacheStatus(backend: .memory, health: .up, reason: "redis disabled") }
        return state.withLock { state in
            state.onRedis
                ? CacheStatus(backend: .redis, health: .up, reason: nil)
                : CacheStatus(backend: .memory, health: .degraded, reason: state.reason)
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let value = try await perform(.get, writing: nil) { try await $0.get(key) }
        (value == nil ? metrics.getMiss : metrics.getHit).increment()
        return value
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Duration?) async throws {
        try await perform(.set, writing: .key(key)) { try await $0.set(key, value, ttl: ttl) }
        metrics.succeeded(.set)
    }

    public func delete(_ key: String) async throws -> Bool {
        let deleted = try await perform(.delete, writing: .key(key)) { try await $0.delete(key) }
        metrics.succeeded(.delete)
        return deleted
    }

    public func exists(_ key: String) async throws -> Bool {
        let exists = try await perform(.exists, writing: nil) { try await $0.exists(key) }
        metrics.succeeded(.exists)
        return exists
    }

    public func increment(_ key: String, by amount: Int64, ttlOnCreate: Duration?) async throws -> Int64 {
        let value = try await perform(.increment, writing: .key(key)) {
            try await $0.increment(key, by: amount, ttlOnCreate: ttlOnCreate)
        }
        metrics.succeeded(.increment)
        return value
    }

    public func expire(_ key: String, ttl: Duration) async throws -> Bool {
        let found = try await perform(.expire, writing: .key(key)) { try await $0.expire(key, ttl: ttl) }
        metrics.succeeded(.expire)
        return found
    }

    public func clear(prefix: String) async throws -> Int {
        let count = try await perform(.clear, writing: .prefix(prefix)) { try await $0.clear(prefix: prefix) }
        metrics.succeeded(.clear)
        return count
    }

    /// One PING before the service takes traffic, so that the first `/health` already tells
    /// the truth about a Redis that is down or refuses us (a wrong password).
    public func probeAtStart() async {
        guard let redis, state.withLock({ $0.onRedis }) else { return }
        do {
            try await redis.ping()
        } catch  where Self.isOutage(error) {
            failOver(after: error, recording: nil)
        } catch {}
    }

    /// Checks Redis every `interval` while on memory and switches back once PING
    /// answers and the missed writes are invalidated. Returns when the task is cancelled.
    public func runProbe(interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            guard let redis else { continue }
            if state.withLock({ $0.onRedis }) {
                // Also while healthy: an idle service must not report Redis up when it is gone.
                do {
                    try await redis.ping()
                } catch  where Self.isOutage(error) {
                    failOver(after: error, recording: nil)
                } catch {}
            } else {
                await recover(redis)
            }
        }
    }

    private func recover(_ redis: RedisCache) async {
        do {
            try await redis.ping()
            // Switch only once nothing is left to invalidate, under the same lock that records misses.
            while let missed = state.withLock({ state -> MissedWrites? in
                if state.missed.isEmpty {
                    state.onRedis = true
                    state.reason = nil
                    return nil
                }
                defer { state.missed = MissedWrites() }
                return state.missed
            }) {
                do {
                    try await missed.invalidate(in: redis)
                } catch {
                    state.withLock { $0.missed.merge(missed, maxKeys: maxMissedKeys) }
                    throw error
                }
            }
        } catch {
            return  // still down; the outage was already logged
        }
        _ = try? await memory.clear(prefix: "")
        metrics.backend.record(1)
        logger.notice("Cache back on Redis")
        for action in recoveryActions.withLock({ $0 }) { await action() }
    }

    /// Runs `action` each time the cache switches back to Redis, for owners of entries that
    /// must outlive an outage (written meanwhile to memory only, then invalidated in Redis).
    public func onRecovery(_ action: @escaping @Sendable () async -> Void) {
        recoveryActions.withLock { $0.append(action) }
    }

    private func perform<Result>(
        _ operation: CacheMetrics.Operation,
        writing scope: MissedWrites.Scope?,
        _ body: (any Cache) async throws -> Result
    ) async throws -> Result {
        do {
            if let redis, useRedis(elseRecord: scope) {
                do {
                    return try await body(redis)
                } catch let error where Self.isOutage(error) {
                    failOver(after: error, recording: scope)
                }
            }
            return try await body(memory)
        } catch {
            metrics.failed(operation)
            throw error
        }
    }

    /// True while on Redis; otherwise records the write that memory is about to serve.
    private func useRedis(elseRecord scope: MissedWrites.Scope?) -> Bool {
        state.withLock { state in
            if state.onRedis { return true }
            if let scope { state.missed.record(scope, maxKeys: maxMissedKeys) }
            return false
        }
    }

    private func failOver(after error: any Error, recording scope: MissedWrites.Scope?) {
        let firstFailure = state.withLock { state in
            if let scope { state.missed.record(scope, maxKeys: maxMissedKeys) }
            guard state.onRedis else { return false }
            state.onRedis = false
            state.reason = "redis unavailable: \(error)"
            return true
        }
        guard firstFailure else { return }
        metrics.failovers.increment()
        metrics.backend.record(0)
        logger.warning("Redis unavailable, cache serving from memory", metadata: ["error": "\(error)"])
    }

    /// Redis cannot serve at all (as opposed to refusing one command, e.g. WRONGTYPE).
    static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as RedisError:
            if case .unexpectedReply = error { return false }
            return true
        case let error as RedisServerError:
            return outageKinds.contains(error.kind)
        default:
            return false
        }
    }

    private static let outageKinds: Set<String> = [
        "LOADING", "MASTERDOWN", "BUSY", "NOAUTH", "WRONGPASS", "NOPERM", "MISCONF", "READONLY", "OOM", "CLUSTERDOWN",
        "TRYAGAIN",
    ]
}

/// Keys written to memory while Redis was away; past `maxKeys` the whole namespace is invalidated.
struct MissedWrites: Sendable {
    enum Scope {
        case key(String)
        case prefix(String)
    }

    private(set) var keys: Set<String> = []
    private(set) var prefixes: Set<String> = []
    private(set) var everything = false

    var isEmpty: Bool { keys.isEmpty && prefixes.isEmpty && !everything }

    mutating func record(_ scope: Scope, maxKeys: Int) {
        guard !everything else { return }
        switch scope {
        case .key(let key): keys.insert(key)
        case .prefix(let prefix): prefixes.insert(prefix)
        }
        if keys.count + prefixes.count > maxKeys {
            self = MissedWrites(everything: true)
        }
    }

    mutating func merge(_ other: MissedWrites, maxKeys: Int) {
        if other.everything { self = MissedWrites(everything: true) }
        for key in other.keys { record(.key(key), maxKeys: maxKeys) }
        for prefix in other.prefixes { record(.prefix(prefix), maxKeys: maxKeys) }
    }

    func invalidate(in redis: RedisCache) async throws {
        if everything {
            _ = try await redis.clear(prefix: "")
            return
        }
        for prefix in prefixes {
            _ = try await redis.clear(prefix: prefix)
        }
        try await redis.delete(keys: Array(keys))
    }
}

/// Cached metric objects: the hot path only increments.
struct CacheMetrics: Sendable {
    enum Operation: Int, CaseIterable {
        case get, set, delete, exists, increment, expire, clear
    }

    let getHit: Counter
    let getMiss: Counter
    private let ok: [Counter?]
    private let errors: [Counter]
    let backend: Gauge
    let failovers: Counter

    init(factory: any MetricsFactory) {
        func requests(_ operation: Operation, _ result: String) -> Counter {
            Counter(label: "cache_requests_total", dimensions: [("op", "\(operation)"), ("result", result)], factory: factory)
        }
        getHit = requests(.get, "hit")
        getMiss = requests(.get, "miss")
        ok = Operation.allCases.map { $0 == .get ? nil : requests($0, "ok") }
        errors = Operation.allCases.map { requests($0, "error") }
        backend = Gauge(label: "cache_backend", factory: factory)
        failovers = Counter(label: "cache_failovers_total", factory: factory)
    }

    func succeeded(_ operation: Operation) {
        ok[operation.rawValue]?.increment()
    }

    func failed(_ operation: Operation) {
        errors[operation.rawValue].increment()
    }
}
