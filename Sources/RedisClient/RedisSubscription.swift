import NIOCore
import NIOSSL

public struct RedisPubSubMessage: Sendable, Hashable {
    public let channel: String
    public let payload: ByteBuffer

    public var string: String { String(buffer: payload) }
}

/// Messages published to the subscribed channels, in order.
public final class RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage

    private let stream: AsyncThrowingStream<RedisPubSubMessage, any Error>
    private let continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation
    private let connection: RedisConnection

    private init(
        stream: AsyncThrowingStream<RedisPubSubMessage, any Error>,
        continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation,
        connection: RedisConnection
    ) {
        self.stream = stream
        self.continuation = continuation
        self.connection = connection
    }

    static func start(
        channels: [String],
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        sslContext: NIOSSLContext?,
        metrics: RedisMetrics
    ) async throws -> RedisSubscription {
        guard !channels.isEmpty else { throw RedisError.invalidArgument("SUBSCRIBE needs at least one channel") }
        // A bounded buffer: a consumer that falls behind ends the subscription, as Redis itself would.
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: RedisPubSubMessage.self,
            bufferingPolicy: .bufferingOldest(configuration.subscriptionBufferSize)
        )
        let connection = try await RedisConnection.connect(
            configuration: configuration,
            eventLoop: eventLoop,
            sslContext: sslContext,
            metrics: metrics,
            onPush: { value in
                guard case .array(let parts) = value, let channel = parts[parts.count - 2].string,
                    let payload = parts[parts.count - 1].buffer
                else { return }
                if case .dropped = continuation.yield(RedisPubSubMessage(channel: channel, payload: payload)) {
                    continuation.finish(throwing: RedisError.subscriptionOverflow)
                }
            }
        )
        continuation.onTermination = { _ in connection.channel.close(promise: nil) }
        connection.channel.closeFuture.whenComplete { _ in continuation.finish(throwing: RedisError.connectionClosed) }

        var command = connection.channel.allocator.buffer(capacity: 64)
        command.writeRESPCommand("SUBSCRIBE", channels.map { .string($0) })
        // SUBSCRIBE answers with one confirmation per channel.
        do {
            let reply = try await connection.request(command, replies: channels.count)
            let confirmations = channels.count == 1 ? [reply] : reply.array ?? []
            for confirmation in confirmations {
                if case .error(let error) = confirmation { throw error }
                guard confirmation.array?.first?.string == "subscribe" else {
                    throw RedisError.unexpectedReply(command: "SUBSCRIBE", reply: confirmation)
                }
            }
        } catch {
            continuation.finish()
            throw error
        }
        return RedisSubscription(stream: stream, continuation: continuation, connection: connection)
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<RedisPubSubMessage, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    /// Ends the sequence normally and closes the connection.
    public func close() async {
        continuation.finish()
        await connection.close()
    }
}
