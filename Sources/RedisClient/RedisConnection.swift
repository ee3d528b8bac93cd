import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Commands encoded by the caller, handed to the channel's event loop as one write.
struct RedisRequest: Sendable {
    var buffer: ByteBuffer
    /// Replies that make up the answer: 1 for `send`, the command count for a pipeline.
    var replies: Int
    var promise: EventLoopPromise<RESPValue>
}

/// How a request reaches the channel: written by its caller, or queued for an event loop task.
private enum OutboxRoute {
    case writeNow, scheduleDrain, drainScheduled
}

/// One connection. Many commands may be in flight on it at once; replies are
/// matched to commands in order.
public final class RedisConnection: RedisCommandSender {
    let channel: any Channel
    private let handler: NIOLoopBound<RedisCommandHandler>
    private let metrics: RedisMetrics
    private let outbox = NIOLockedValueBox<[RedisRequest]>([])

    private init(channel: any Channel, handler: NIOLoopBound<RedisCommandHandler>, metrics: RedisMetrics) {
        self.channel = channel
        self.handler = handler
        self.metrics = metrics
    }

    public var isActive: Bool { channel.isActive }

    /// Opens a connection and runs AUTH and SELECT as the configuration asks.
    public static func connect(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: (any MetricsFactory)? = nil
    ) async throws -> RedisConnection {
        try await connect(
            configuration: configuration,
            eventLoop: eventLoopGroup.next(),
            sslContext: makeSSLContext(configuration),
            metrics: RedisMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        )
    }

    static func makeSSLContext(_ configuration: RedisConfiguration) throws -> NIOSSLContext? {
        try configuration.tls.map { try NIOSSLContext(configuration: $0) }
    }

    static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        sslContext: NIOSSLContext?,
        metrics: RedisMetrics,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        // SNI takes a name, never an IP address.
        let serverName = (try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil ? configuration.host : nil
        let bootstrap = ClientBootstrap(group: eventLoop).connectTimeout(TimeAmount(configuration.connectTimeout))
        let opened: (channel: any Channel, handler: NIOLoopBound<RedisCommandHandler>)
        do {
            // The handler is taken here, while it is surely in the pipeline: a TLS handshake
            // failure may tear the pipeline down before any later lookup.
            opened = try await bootstrap.connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    let handler = RedisCommandHandler(
                        parser: RESPParser(limits: configuration.parserLimits),
                        commandTimeout: TimeAmount(configuration.commandTimeout),
                        onPush: onPush
                    )
                    try pipeline.addHandler(handler)
                    return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        } catch {
            let failure = RedisError.connectFailed(host: configuration.host, port: configuration.port, underlying: error)
            metrics.recordError(failure)
            throw failure
        }
        let connection = RedisConnection(channel: opened.channel, handler: opened.handler, metrics: metrics)
        do {
            try await connection.handshake(configuration)
            return connection
        } catch {
            opened.channel.close(promise: nil)
            throw error
        }
    }

    private func handshake(_ configuration: RedisConfiguration) async throws {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            let credentials: [RedisArgument] = configuration.username.map { [.string($0), .string(password)] } ?? [.string(password)]
            commands.append(RedisCommand("AUTH", credentials))
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", [.integer(configuration.database)]))
        }
        for reply in try await pipeline(commands) {
            if case .error(let error) = reply {
                metrics.recordError(error)
                throw error
            }
        }
    }

    /// Sends one command; an error reply is thrown as ``RedisServerError``.
    public func send(_ command: String, _ arguments: [RedisArgument]) async throws -> RESPValue {
        var buffer = channel.allocator.buffer(capacity: 64)
        buffer.writeRESPCommand(command, arguments)
        let start = NIODeadline.now()
        let reply = try await request(buffer, replies: 1)
        metrics.timer(for: command).recordNanoseconds((NIODeadline.now() - start).nanoseconds)
        if case .error(let error) = reply {
            metrics.recordError(error)
            throw error
        }
        return reply
    }

    /// Sends all commands in one write and returns their replies in order.
    /// Error replies are returned as ``RESPValue/error(_:)`` values, not thrown.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var buffer = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands {
            buffer.writeRESPCommand(command.name, command.arguments)
        }
        let start = NIODeadline.now()
        let reply = try await request(buffer, replies: commands.count)
        // One sample per pipeline: its commands share one round trip.
        metrics.timer(for: commands.count == 1 ? commands[0].name : "PIPELINE")
            .recordNanoseconds((NIODeadline.now() - start).nanoseconds)
        if commands.count == 1 { return [reply] }
        guard case .array(let replies) = reply else { throw RedisError.unexpectedReply(command: "pipeline", reply: reply) }
        return replies
    }

    func request(_ buffer: ByteBuffer, replies: Int) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(buffer: buffer, replies: replies, promise: promise)
        // Requests queue here and one event loop task writes all that are waiting, with
        // one flush: under load, one task and one syscall serve many commands. A caller
        // already on the loop, with nothing queued ahead of it, writes at once.
        let route = outbox.withLockedValue { queue -> OutboxRoute in
            if queue.isEmpty, channel.eventLoop.inEventLoop { return .writeNow }
            queue.append(request)
            return queue.count == 1 ? .scheduleDrain : .drainScheduled
        }
        switch route {
        case .writeNow:
            handler.value.enqueue([request])
        case .scheduleDrain:
            channel.eventLoop.execute { [outbox, handler] in
                handler.value.enqueue(
                    outbox.withLockedValue { queue in
                        defer { queue = [] }
                        return queue
                    })
            }
        case .drainScheduled:
            break
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            metrics.recordError(error)
            throw error
        }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Parses replies and matches them, in order, to the queue of commands awaiting them.
/// Runs on the channel's event loop only. It parses the socket's bytes itself rather than
/// behind a ByteToMessageHandler: one handler call per read instead of one per reply.
final class RedisCommandHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RESPValue>
        var replies: Int
        var deadline: NIODeadline
    }

    private let parser: RESPParser
    /// Bytes of a reply that has not fully arrived yet.
    private var unparsed: ByteBuffer?
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// Replies gathered so far for the oldest pending pipeline.
    private var collected: [RESPValue] = []
    private var context: ChannelHandlerContext?
    private var closedWith: RedisError?
    // One timer per connection, aimed at the oldest command, instead of one per command.
    private var timeout: Scheduled<Void>?
    private let commandTimeout: TimeAmount
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(parser: RESPParser, commandTimeout: TimeAmount, onPush: (@Sendable (RESPValue) -> Void)?) {
        self.parser = parser
        self.commandTimeout = commandTimeout
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        close(with: .connectionClosed)
    }

    func enqueue(_ requests: [RedisRequest]) {
        guard let context, closedWith == nil else {
            for request in requests {
                request.promise.fail(closedWith ?? .connectionClosed)
            }
            return
        }
        let deadline = NIODeadline.now() + commandTimeout
        for request in requests {
            pending.append(Pending(promise: request.promise, replies: request.replies, deadline: deadline))
            context.write(wrapOutboundOut(request.buffer), promise: nil)
        }
        if timeout == nil {
            scheduleTimeout(at: deadline, on: context.eventLoop)
        }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var buffered = unparsed {
            unparsed = nil
            buffered.writeBuffer(&bytes)
            bytes = buffered
        }
        do {
            while let value = try parser.parse(&bytes) {
                guard deliver(value, context: context) else { return }
            }
        } catch {
            fail(error, context: context)
            return
        }
        if bytes.readableBytes > 0 {
            bytes.discardReadBytes()
            unparsed = bytes
        }
    }

    /// Hands a reply to the command awaiting it; false when the connection had to close.
    private func deliver(_ value: RESPValue, context: ChannelHandlerContext) -> Bool {
        if let onPush, value.isPubSubMessage {
            onPush(value)
            return true
        }
        guard let head = pending.first else {
            fail(.protocolError("reply without a pending command"), context: context)
            return false
        }
        if head.replies == 1 {
            pending.removeFirst().promise.succeed(value)
            return true
        }
        if collected.isEmpty { collected.reserveCapacity(head.replies) }
        collected.append(value)
        if collected.count == head.replies {
            let replies = collected
            collected = []
            pending.removeFirst().promise.succeed(.array(replies))
        }
        return true
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error as? RedisError ?? .connectionError(underlying: error), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        close(with: .connectionClosed)
        context.fireChannelInactive()
    }

    private func fail(_ error: RedisError, context: ChannelHandlerContext) {
        close(with: error)
        context.close(promise: nil)
    }

    private func close(with error: RedisError) {
        if closedWith == nil { closedWith = error }
        timeout?.cancel()
        timeout = nil
        collected = []
        while let command = pending.popFirst() {
            command.promise.fail(error)
        }
    }

    private func scheduleTimeout(at deadline: NIODeadline, on eventLoop: any EventLoop) {
        timeout = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timeout = nil
            guard let context, let head = pending.first else { return }
            if head.deadline <= .now() {
                fail(.timeout, context: context)
            } else {
                scheduleTimeout(at: head.deadline, on: context.eventLoop)
            }
        }
    }
}

extension RESPValue {
    /// A published message pushed to a subscribed connection.
    var isPubSubMessage: Bool {
        guard case .array(let values) = self, let kind = values.first?.buffer else { return false }
        return (values.count == 3 && kind.readableBytesView.elementsEqual("message".utf8))
            || (values.count == 4 && kind.readableBytesView.elementsEqual("pmessage".utf8))
    }
}
