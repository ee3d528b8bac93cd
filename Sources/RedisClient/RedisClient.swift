import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL

/// The entry point: a pool of connections opened lazily, plus dedicated
/// connections for subscriptions. Safe to share across tasks.
public final class RedisClient: RedisCommandSender {
    public let configuration: RedisConfiguration
    private let pool: RedisConnectionPool
    private let eventLoopGroup: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private let metrics: RedisMetrics

    /// Opens no connection yet; the first command does. Throws only when the TLS settings are unusable.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = try RedisConnection.makeSSLContext(configuration)
        self.metrics = RedisMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.pool = RedisConnectionPool(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            sslContext: sslContext,
            metrics: metrics,
            logger: logger
        )
    }

    /// Sends one command on a pooled connection. Commands are not retried: a command
    /// in flight when its connection drops fails, and the next one reconnects.
    public func send(_ command: String, _ arguments: [RedisArgument]) async throws -> RESPValue {
        try await pool.connection().send(command, arguments)
    }

    /// Sends the commands in one write on one connection; see ``RedisConnection/pipeline(_:)``.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await pool.connection().pipeline(commands)
    }

    /// Subscribes on a connection of its own. The sequence ends with an error when that
    /// connection is lost; subscribe again to resume.
    public func subscribe(to channels: [String]) async throws -> RedisSubscription {
        try await RedisSubscription.start(
            channels: channels,
            configuration: configuration,
            eventLoop: eventLoopGroup.next(),
            sslContext: sslContext,
            metrics: metrics
        )
    }

    /// Closes the pooled connections; later commands throw ``RedisError/clientClosed``.
    public func close() async {
        await pool.close()
    }
}
