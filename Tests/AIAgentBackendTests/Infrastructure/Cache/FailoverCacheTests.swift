import Foundation
import Logging
import MetricsTestKit
import RedisClient
import Testing
import TestSupport

@testable import AIAgentBackend

/// Keeps every log line, to count warnings.
private final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []

    var logger: Logger {
        Logger(label: "cache-test") { _ in Handler(recorder: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines.filter { $0.0 == level }.map(\.1)
    }

    private func append(_ level: Logger.Level, _ message: String) {
        lock.lock()
        defer { lock.unlock() }
        lines.append((level, message))
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(event.level, event.message.description)
        }
    }
}

private func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A short reconnect backoff, so that the probe sees Redis back at its next tick.
private func clientWithShortBackoff(_ server: RedisServerProcess) throws -> RedisClient {
    var configuration = try RedisConfiguration(url: server.url)
    configuration.connectTimeout = .seconds(2)
    configuration.commandTimeout = .seconds(2)
    configuration.reconnectBackoff = .init(initial: .milliseconds(50), maximum: .milliseconds(200))
    return try RedisClient(configuration: configuration)
}

@Suite struct FailoverCacheTests {
    @Test func servesFromMemoryDuringAnOutageAndReturnsToRedis() async throws {
        try await withRedisServer(extraArguments: ["--appendfsync", "always"]) { server in
            let client = try clientWithShortBackoff(server)
            let logs = LogRecorder()
            let metrics = TestMetrics()
            let cache = FailoverCache(
                redis: RedisCache(client: client, keyPrefix: "app:"),
                memory: MemoryCache(),
                logger: logs.logger,
                metricsFactory: metrics
            )
            let probe = Task { await cache.runProbe(interval: .milliseconds(200)) }
            defer { probe.cancel() }

            try await cache.set("kept", Array("from redis".utf8))
            try await cache.set("stale", Array("old".utf8))
            #expect(cache.status == CacheStatus(backend: .redis, health: .up, reason: nil))
            #expect(try metrics.expectGauge("cache_backend").lastValue == 1)

            server.kill()
            // Every call succeeds, from memory.
            for index in 0..<20 {
                try await cache.set("outage:\(index)", [UInt8(index)])
                #expect(try await cache.get("outage:\(index)") == [UInt8(index)])
                #expect(try await cache.increment("counter") == Int64(index + 1))
            }
            #expect(try await !cache.delete("stale"))
            #expect(try await cache.get("kept") == nil)
            let status = cache.status
            #expect(status.backend == .memory && status.health == .degraded)
            #expect(status.reason?.contains("redis unavailable") == true)
            #expect(logs.messages(at: .warning).count == 1)
            #expect(try metrics.expectCounter("cache_failovers_total").totalValue == 1)
            #expect(try metrics.expectGauge("cache_backend").lastValue == 0)

            try await server.restart()
            #expect(try await waitUntil { cache.status.backend == .redis })
            #expect(cache.status == CacheStatus(backend: .redis, health: .up, reason: nil))
            // The notice follows the switch, once the memory copy is cleared.
            #expect(try await waitUntil { logs.messages(at: .notice) == ["Cache back on Redis"] })
            #expect(logs.messages(at: .warning).count == 1)
            #expect(try metrics.expectGauge("cache_backend").lastValue == 1)

            // Untouched keys are served by Redis again; keys written during the outage were invalidated there.
            #expect(try await cache.get("kept") == Array("from redis".utf8))
            #expect(try await cache.get("stale") == nil)
            #expect(try await client.get("app:stale") == nil)
            #expect(try await cache.get("outage:3") == nil)
            #expect(try await cache.increment("counter") == 1)
            await client.close()
        }
    }

    @Test func aSecondOutageWarnsAgainOnce() async throws {
        try await withRedisServer(extraArguments: ["--appendfsync", "always"]) { server in
            let client = try clientWithShortBackoff(server)
            let logs = LogRecorder()
            let cache = FailoverCache(redis: RedisCache(client: client), memory: MemoryCache(), logger: logs.logger)
            let probe = Task { await cache.runProbe(interval: .milliseconds(100)) }
            defer { probe.cancel() }
            for round in 1...2 {
                server.kill()
                for _ in 0..<5 { _ = try await cache.get("k") }
                #expect(logs.messages(at: .warning).count == round)
                try await server.restart()
                #expect(try await waitUntil { cache.status.backend == .redis })
            }
            #expect(logs.messages(at: .notice).count == 2)
            await client.close()
        }
    }

    @Test func startsWhileRedisIsDown() async throws {
        try await withRedisServer { server in
            server.kill()
            let client = try clientWithShortBackoff(server)
            let logs = LogRecorder()
            let cache = FailoverCache(redis: RedisCache(client: client), memory: MemoryCache(), logger: logs.logger)
            try await cache.set("k", [1])
            #expect(try await cache.get("k") == [1])
            #expect(cache.status.health == .degraded)
            let probe = Task { await cache.runProbe(interval: .milliseconds(100)) }
            defer { probe.cancel() }
            try await server.restart()
            #expect(try await waitUntil { cache.status.backend == .redis })
            #expect(try await cache.get("k") == nil)
            #expect(logs.messages(at: .warning).count == 1)
            await client.close()
        }
    }

    @Test func probeNoticesAnOutageWhileIdle() async throws {
        try await withRedisServer { server in
            let client = try clientWithShortBackoff(server)
            let logs = LogRecorder()
            let cache = FailoverCache(redis: RedisCache(client: client), memory: MemoryCache(), logger: logs.logger)
            let probe = Task { await cache.runProbe(interval: .milliseconds(100)) }
            defer { probe.cancel() }
            #expect(cache.status.backend == .redis)
            server.kill()
            // No cache call in between: the probe alone must notice.
            #expect(try await waitUntil { cache.status.health == .degraded })
            #expect(logs.messages(at: .warning).count == 1)
            try await server.restart()
            #expect(try await waitUntil { cache.status.backend == .redis })
            await client.close()
        }
    }

    @Test func commandErrorsAreNotOutages() async throws {
        try await withRedisServer { server in
            let client = try RedisClient(configuration: RedisConfiguration(url: server.url))
            let logs = LogRecorder()
            let metrics = TestMetrics()
            let cache = FailoverCache(redis: RedisCache(client: client), memory: MemoryCache(), logger: logs.logger, metricsFactory: metrics)
            try await cache.set("text", Array("abc".utf8))
            await #expect(throws: CacheError.notAnInteger) { _ = try await cache.increment("text") }
            #expect(cache.status.backend == .redis)
            #expect(logs.messages(at: .warning).isEmpty)
            _ = try await cache.get("text")
            _ = try await cache.get("missing")
            _ = try await cache.get("missing")
            #expect(try metrics.expectCounter("cache_requests_total", [("op", "get"), ("result", "hit")]).totalValue == 1)
            #expect(try metrics.expectCounter("cache_requests_total", [("op", "get"), ("result", "miss")]).totalValue == 2)
            #expect(try metrics.expectCounter("cache_requests_total", [("op", "increment"), ("result", "error")]).totalValue == 1)
            #expect(try metrics.expectCounter("cache_requests_total", [("op", "set"), ("result", "ok")]).totalValue == 1)
            await client.close()
        }
    }

    @Test func redisDisabledRunsOnMemory() async throws {
        let metrics = TestMetrics()
        let cache = FailoverCache(
            configuration: CacheConfiguration(redisEnabled: false),
            redis: nil,
            logger: Logger(label: "test"),
            metricsFactory: metrics
        )
        #expect(cache.status == CacheStatus(backend: .memory, health: .up, reason: "redis disabled"))
        try await cache.set("k", [1])
        #expect(try await cache.get("k") == [1])
        #expect(try await cache.increment("n", by: 2, ttlOnCreate: .seconds(5)) == 2)
        #expect(try metrics.expectGauge("cache_backend").lastValue == 0)
        // The probe idles until cancelled, as a service must.
        let probe = Task { await cache.runProbe(interval: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        probe.cancel()
        await probe.value
    }
}
