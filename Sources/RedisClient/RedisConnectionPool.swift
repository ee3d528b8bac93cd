import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A fixed number of connections shared by all callers. Commands are spread
/// round-robin and pipelined on each connection, so nobody waits for a lease.
/// A dead connection is reopened by the next command that needs it; after a failed
/// connect, commands fail fast until the backoff has passed.
final class RedisConnectionPool: Sendable {
    fileprivate enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case connected(RedisConnection)
    }

    fileprivate struct State {
        var slots: [Slot]
        var next = 0
        var failures = 0
        var retryAt: NIODeadline?
        var lastError: (any Error)?
        var isClosed = false
    }

    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private let metrics: RedisMetrics
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        sslContext: NIOSSLContext?,
        metrics: RedisMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = sslContext
        self.metrics = metrics
        self.logger = logger
        self.state = NIOLockedValueBox(State(slots: Array(repeating: .empty, count: configuration.poolSize)))
    }

    private enum Choice {
        case use(RedisConnection)
        case wait(Task<RedisConnection, any Error>)
        case fail(any Error)
    }

    func connection() async throws -> RedisConnection {
        let callerLoop = MultiThreadedEventLoopGroup.currentEventLoop
        let choice = state.withLockedValue { state -> Choice in
            if state.isClosed { return .fail(RedisError.clientClosed) }
            let count = state.slots.count
            let start = state.next
            state.next = (start + 1) % count
            // Make sure the slot whose turn it is gets (re)opened, then take any live connection.
            if case .connected(let connection) = state.slots[start], connection.isActive {
                // A caller running on an event loop keeps to a connection of that loop, so that
                // neither the command nor its reply has to cross threads.
                if let callerLoop, connection.channel.eventLoop !== callerLoop,
                    let local = state.liveConnection(on: callerLoop)
                {
                    return .use(local)
                }
                return .use(connection)
            }
            let canConnect = state.retryAt.map { NIODeadline.now() >= $0 } ?? true
            if canConnect, !state.slots[start].isConnecting {
                state.slots[start] = .connecting(startConnecting(slot: start))
            }
            var waitFor: Task<RedisConnection, any Error>?
            for offset in 0..<count {
                switch state.slots[(start + offset) % count] {
                case .connected(let connection) where connection.isActive: return .use(connection)
                case .connecting(let task): waitFor = waitFor ?? task
                default: continue
                }
            }
            if let waitFor { return .wait(waitFor) }
            return .fail(state.lastError ?? RedisError.connectionClosed)
        }
        switch choice {
        case .use(let connection): return connection
        case .wait(let task): return try await task.value
        case .fail(let error): throw error
        }
    }

    /// Called with the lock held.
    private func startConnecting(slot: Int) -> Task<RedisConnection, any Error> {
        Task {
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration,
                    eventLoop: eventLoopGroup.next(),
                    sslContext: sslContext,
                    metrics: metrics
                )
                let keep = state.withLockedValue { state in
                    if state.isClosed { return false }
                    state.slots[slot] = .connected(connection)
                    state.failures = 0
                    state.retryAt = nil
                    state.lastError = nil
                    return true
                }
                if !keep {
                    await connection.close()
                    throw RedisError.clientClosed
                }
                return connection
            } catch {
                let delay = state.withLockedValue { state in
                    state.slots[slot] = .empty
                    state.failures += 1
                    state.lastError = error
                    let delay = configuration.reconnectBackoff.delay(afterFailures: state.failures)
                    state.retryAt = .now() + TimeAmount(delay)
                    return delay
                }
                logger.debug("Redis connect failed", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                throw error
            }
        }
    }

    func close() async {
        let slots = state.withLockedValue { state in
            state.isClosed = true
            defer { state.slots = state.slots.map { _ in .empty } }
            return state.slots
        }
        for slot in slots {
            switch slot {
            case .connected(let connection): await connection.close()
            case .connecting(let task): _ = try? await task.value
            case .empty: break
            }
        }
    }
}

extension RedisConnectionPool.Slot {
    fileprivate var isConnecting: Bool {
        if case .connecting = self { return true }
        return false
    }
}

extension RedisConnectionPool.State {
    fileprivate func liveConnection(on eventLoop: any EventLoop) -> RedisConnection? {
        for slot in slots {
            if case .connected(let connection) = slot, connection.isActive, connection.channel.eventLoop === eventLoop {
                return connection
            }
        }
        return nil
    }
}
