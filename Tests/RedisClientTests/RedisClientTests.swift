import MetricsTestKit
import NIOCore
import Testing
import TestSupport

@testable import RedisClient

/// A client of `server`, closed after `body`.
private func withClient(
    _ server: RedisServerProcess,
    database: Int = 0,
    _ adjust: (inout RedisConfiguration) -> Void = { _ in },
    _ body: (RedisClient) async throws -> Void
) async throws {
    var configuration = try RedisConfiguration(url: "\(server.url)/\(database)")
    configuration.connectTimeout = .seconds(2)
    configuration.commandTimeout = .seconds(2)
    configuration.reconnectBackoff = .init(initial: .milliseconds(20), maximum: .milliseconds(200))
    adjust(&configuration)
    let redis = try RedisClient(configuration: configuration)
    do {
        try await body(redis)
    } catch {
        await redis.close()
        throw error
    }
    await redis.close()
}

@Suite struct RedisCommandTests {
    @Test func stringCommands() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                #expect(try await redis.ping() == "PONG")
                #expect(try await redis.get("missing") == nil)
                #expect(try await redis.set("greeting", to: "hello"))
                #expect(try await redis.getString("greeting") == "hello")

                let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
                try await redis.set("binary", to: .bytes(binary))
                #expect(try await redis.getBytes("binary") == binary)

                #expect(try await redis.set("once", to: "1", condition: .ifNotExists))
                #expect(try await !redis.set("once", to: "2", condition: .ifNotExists))
                #expect(try await !redis.set("absent", to: "x", condition: .ifExists))
                #expect(try await redis.set("once", to: "3", condition: .ifExists))
                #expect(try await redis.getString("once") == "3")

                try await redis.set("ex", to: "v", expiration: .seconds(100))
                #expect((90...100).contains(try await redis.ttl("ex")))
                try await redis.set("px", to: "v", expiration: .milliseconds(50_000))
                #expect((40_000...50_000).contains(try await redis.pttl("px")))
                #expect(try await redis.ttl("greeting") == -1)
                #expect(try await redis.ttl("missing") == -2)

                #expect(try await redis.expire("greeting", seconds: 30))
                #expect(try await !redis.expire("missing", seconds: 30))
                #expect(try await redis.pexpire("greeting", milliseconds: 80))
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await redis.get("greeting") == nil)

                #expect(try await redis.exists("once", "ex", "missing", "once") == 3)
                #expect(try await redis.del("once", "ex", "missing") == 2)
                #expect(try await redis.exists("once") == 0)

                let values = try await redis.mget(["binary", "missing", "px"])
                #expect(values.map { $0.map { Array($0.readableBytesView) } } == [binary, nil, Array("v".utf8)])
            }
        }
    }

    @Test func counters() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                #expect(try await redis.incr("n") == 1)
                #expect(try await redis.incrby("n", 41) == 42)
                #expect(try await redis.incrby("n", -50) == -8)
                try await redis.set("text", to: "abc")
                await #expect {
                    _ = try await redis.incr("text")
                } throws: { error in
                    (error as? RedisServerError)?.kind == "ERR"
                        && (error as? RedisServerError)?.message.contains("not an integer") == true
                }
                _ = try await redis.send("LPUSH", "list", "a")
                await #expect {
                    _ = try await redis.get("list")
                } throws: { error in
                    (error as? RedisServerError)?.kind == "WRONGTYPE"
                }
            }
        }
    }

    @Test func scanVisitsEveryMatchingKey() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                let expected = Set((0..<250).map { "scan:\($0)" })
                _ = try await redis.pipeline(expected.map { RedisCommand("SET", [.string($0), "x"]) } + [RedisCommand("SET", ["other", "x"])])
                var found = Set<String>()
                var cursor: UInt64 = 0
                var steps = 0
                repeat {
                    let page = try await redis.scan(cursor: cursor, match: "scan:*", count: 20)
                    found.formUnion(page.keys)
                    cursor = page.cursor
                    steps += 1
                } while cursor != 0
                #expect(found == expected)
                #expect(steps > 1)
            }
        }
    }

    @Test func scripts() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                let reply = try await redis.eval("return {KEYS[1], ARGV[1], 7, {'nested'}}", keys: ["k"], arguments: ["a"])
                #expect(
                    reply
                        == .array([
                            .bulkString(ByteBuffer(string: "k")), .bulkString(ByteBuffer(string: "a")), .integer(7),
                            .array([.bulkString(ByteBuffer(string: "nested"))]),
                        ]))

                let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
                #expect(try await redis.evalsha(script, keys: ["counter"], arguments: [5]).int == 5)
                let sha = try #require(script.loadedSHA)
                #expect(try await redis.evalsha(sha, keys: ["counter"], arguments: [1]).int == 6)

                // After a flush the server answers NOSCRIPT; the script is loaded again and the call succeeds.
                _ = try await redis.send("SCRIPT", "FLUSH")
                await #expect {
                    _ = try await redis.evalsha(sha, keys: ["counter"], arguments: [1])
                } throws: { ($0 as? RedisServerError)?.kind == "NOSCRIPT" }
                #expect(try await redis.evalsha(script, keys: ["counter"], arguments: [10]).int == 16)
            }
        }
    }

    @Test func publishSubscribe() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                let subscription = try await redis.subscribe(to: ["news", "alerts"])
                #expect(try await redis.publish("first", to: "news") == 1)
                #expect(try await redis.publish("second", to: "alerts") == 1)
                #expect(try await redis.publish("nobody", to: "elsewhere") == 0)
                #expect(try await redis.publish("third", to: "news") == 1)

                var received: [String] = []
                for try await message in subscription {
                    received.append("\(message.channel):\(message.string)")
                    if received.count == 3 { break }
                }
                #expect(received == ["news:first", "alerts:second", "news:third"])

                await subscription.close()
                var ended = true
                for try await _ in subscription { ended = false }
                #expect(ended)
                // The pooled connections were untouched by the subscription.
                #expect(try await redis.ping() == "PONG")
            }
        }
    }

    @Test func subscriptionEndsWithAnErrorWhenTheServerDies() async throws {
        try await withRedisServer { server in
            try await withClient(server) { redis in
                await #expect(throws: RedisError.self) { _ = try await redis.subscribe(to: []) }
                let subscription = try await redis.subscribe(to: ["news"])
                server.kill()
                await #expect(throws: RedisError.self) {
                    for try await _ in subscription {}
                }
            }
        }
    }
}

@Suite struct RedisConnectionTests {
    @Test func wrongPasswordIsWRONGPASS() async throws {
        try await withRedisServer { server in
            try await withClient(server, { $0.password = "not-the-password" }) { redis in
                await #expect {
                    _ = try await redis.ping()
                } throws: { error in
                    let error = error as? RedisServerError
                    return error?.kind == "WRONGPASS" && error?.message.contains("invalid username-password pair") == true
                }
            }
        }
    }

    @Test func noPasswordIsNOAUTH() async throws {
        try await withRedisServer { server in
            try await withClient(server, { $0.password = nil }) { redis in
                await #expect {
                    _ = try await redis.ping()
                } throws: { ($0 as? RedisServerError)?.kind == "NOAUTH" }
            }
        }
    }

    @Test func aclUserAndEncodedPassword() async throws {
        try await withRedisServer(password: "p@ss w:rd") { server in
            let admin = try RedisClient(configuration: RedisConfiguration(url: "redis://:p%40ss%20w%3Ard@127.0.0.1:\(server.port)"))
            _ = try await admin.send("ACL", "SETUSER", "alice", "on", ">wonder", "~*", "+@all")
            let alice = try RedisClient(configuration: RedisConfiguration(url: "redis://alice:wonder@127.0.0.1:\(server.port)/0"))
            #expect(try await alice.send("ACL", "WHOAMI").string == "alice")
            let mallory = try RedisClient(configuration: RedisConfiguration(url: "redis://alice:guess@127.0.0.1:\(server.port)"))
            await #expect { _ = try await mallory.ping() } throws: { ($0 as? RedisServerError)?.kind == "WRONGPASS" }
            for client in [admin, alice, mallory] { await client.close() }
        }
    }

    @Test func selectIsolatesDatabases() async throws {
        try await withRedisServer { server in
            try await withClient(server, database: 1) { one in
                try await withClient(server, database: 2) { two in
                    try await withClient(server) { zero in
                        try await one.set("shared", to: "one")
                        try await two.set("shared", to: "two")
                        #expect(try await one.getString("shared") == "one")
                        #expect(try await two.getString("shared") == "two")
                        #expect(try await zero.get("shared") == nil)
                    }
                }
            }
        }
    }

    @Test func pipelineOf10000ReturnsEveryReplyInOrder() async throws {
        try await withRedisServer { server in
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(url: server.url))
            let sets = (0..<10_000).map { RedisCommand("SET", [.string("key:\($0)"), .integer($0)]) }
            let setReplies = try await connection.pipeline(sets)
            #expect(setReplies.count == 10_000 && setReplies.allSatisfy { $0 == .simpleString("OK") })

            var commands: [RedisCommand] = []
            for index in 0..<10_000 {
                commands.append(
                    index % 2 == 0 ? RedisCommand("GET", [.string("key:\(index)")]) : RedisCommand("INCRBY", [.string("key:\(index)"), 1]))
            }
            let replies = try await connection.pipeline(commands)
            #expect(replies.count == 10_000)
            for (index, reply) in replies.enumerated() {
                let expected: RESPValue = index % 2 == 0 ? .bulkString(ByteBuffer(string: "\(index)")) : .integer(Int64(index + 1))
                if reply != expected {
                    Issue.record("reply \(index) is \(reply), expected \(expected)")
                    break
                }
            }
            await connection.close()
        }
    }

    /// Many tasks share one connection; each reply reaches the task that sent its command.
    @Test func concurrentCommandsOnOneConnection() async throws {
        try await withRedisServer { server in
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(url: server.url))
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10_000 {
                    group.addTask { try await connection.send("ECHO", [.string("m\(index)")]).string == "m\(index)" }
                }
                return try await group.reduce(0) { $0 + ($1 ? 0 : 1) }
            }
            #expect(mismatches == 0)
            await connection.close()
        }
    }

    @Test func reconnectsAfterServerRestart() async throws {
        try await withRedisServer(extraArguments: ["--appendfsync", "always"]) { server in
            try await withClient(server, { $0.poolSize = 2 }) { redis in
                try await redis.set("survivor", to: "still here")
                server.kill()
                await #expect(throws: (any Error).self) { _ = try await redis.ping() }
                await #expect(throws: (any Error).self) { _ = try await redis.ping() }

                try await server.restart()
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(10)
                var recovered = false
                while clock.now < deadline, !recovered {
                    recovered = (try? await redis.ping()) == "PONG"
                    if !recovered { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(recovered)
                #expect(try await redis.getString("survivor") == "still here")
            }
        }
    }

    @Test func metricsAreRecorded() async throws {
        try await withRedisServer { server in
            let metrics = TestMetrics()
            let redis = try RedisClient(configuration: RedisConfiguration(url: server.url), metricsFactory: metrics)
            for _ in 0..<3 { _ = try await redis.get("x") }
            _ = try? await redis.send("NOSUCHCOMMAND", [])
            #expect(try metrics.expectTimer("redis_command_duration_seconds", [("command", "GET")]).values.count == 3)
            // A pipeline's commands share one round trip: one sample for all of them.
            _ = try await redis.pipeline([RedisCommand("GET", ["x"]), RedisCommand("GET", ["y"])])
            #expect(try metrics.expectTimer("redis_command_duration_seconds", [("command", "PIPELINE")]).values.count == 1)
            #expect(try metrics.expectTimer("redis_command_duration_seconds", [("command", "GET")]).values.count == 3)
            #expect(try metrics.expectCounter("redis_errors_total", [("kind", "server")]).totalValue == 1)

            let unreachable = try RedisClient(
                configuration: RedisConfiguration(url: "redis://127.0.0.1:1"),
                metricsFactory: metrics
            )
            await #expect(throws: RedisError.self) { _ = try await unreachable.ping() }
            #expect(try metrics.expectCounter("redis_errors_total", [("kind", "connect")]).totalValue >= 1)
            await redis.close()
            await unreachable.close()
        }
    }
}
