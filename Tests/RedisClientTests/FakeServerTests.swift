import NIOCore
import NIOPosix
import Testing

@testable import RedisClient

/// A TCP server that answers every read with fixed bytes (or nothing), to test how the
/// client handles a peer that is not a well-behaved Redis.
private final class CannedReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let reply: String?
    init(reply: String?) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let reply { context.writeAndFlush(NIOAny(ByteBuffer(string: reply)), promise: nil) }
    }
}

/// Answers every read with fixed bytes sent one at a time, a millisecond apart, so that
/// replies reach the client cut at every possible place.
private final class DribbledReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let reply: String
    init(reply: String) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = context.channel
        for (index, byte) in reply.utf8.enumerated() {
            channel.eventLoop.scheduleTask(in: .milliseconds(Int64(index))) {
                channel.writeAndFlush(ByteBuffer(bytes: [byte]), promise: nil)
            }
        }
    }
}

private func withFakeServer(reply: String?, dribbled: Bool = false, _ body: (Int) async throws -> Void) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let handler: any ChannelHandler & Sendable =
                    dribbled ? DribbledReplyHandler(reply: reply ?? "") : CannedReplyHandler(reply: reply)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        try await body(channel.localAddress!.port!)
    } catch {
        try await channel.close()
        throw error
    }
    try await channel.close()
}

@Suite struct FakeServerTests {
    @Test func repliesCutAtEveryByteAreReassembled() async throws {
        try await withFakeServer(reply: "$5\r\nhello\r\n*2\r\n:7\r\n$-1\r\n", dribbled: true) { port in
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(port: port))
            let replies = try await connection.pipeline([RedisCommand("GET", ["a"]), RedisCommand("HMGET", ["h", "x", "y"])])
            #expect(replies == [.bulkString(ByteBuffer(string: "hello")), .array([.integer(7), .null])])
            await connection.close()
        }
    }

    @Test func garbageReplyIsAProtocolErrorAndClosesTheConnection() async throws {
        try await withFakeServer(reply: "?garbage\r\n") { port in
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(port: port))
            await #expect {
                _ = try await connection.ping()
            } throws: { error in
                if case .protocolError = error as? RedisError { return true }
                return false
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(!connection.isActive)
            await #expect(throws: RedisError.self) { _ = try await connection.ping() }
        }
    }

    @Test func oversizedBulkIsRejected() async throws {
        try await withFakeServer(reply: "$999999999999\r\n") { port in
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(port: port))
            await #expect(throws: RedisError.self) { _ = try await connection.get("k") }
            await connection.close()
        }
    }

    @Test func silentServerTimesOut() async throws {
        try await withFakeServer(reply: nil) { port in
            let connection = try await RedisConnection.connect(
                configuration: RedisConfiguration(port: port, commandTimeout: .milliseconds(200))
            )
            let clock = ContinuousClock()
            let started = clock.now
            await #expect {
                _ = try await connection.ping()
            } throws: { error in
                if case .timeout = error as? RedisError { return true }
                return false
            }
            #expect(clock.now - started < .seconds(5))
            try await Task.sleep(for: .milliseconds(50))
            #expect(!connection.isActive)
            await connection.close()
        }
    }

    @Test func unreachableServerFailsToConnect() async throws {
        await #expect {
            _ = try await RedisConnection.connect(configuration: RedisConfiguration(port: 1, connectTimeout: .milliseconds(500)))
        } throws: { error in
            if case .connectFailed = error as? RedisError { return true }
            return false
        }
    }
}
