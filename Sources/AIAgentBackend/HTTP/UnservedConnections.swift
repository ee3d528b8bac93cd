import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Connections accepted but not yet taken by the server loop. At shutdown NIO can drop a
/// connection it accepted a moment before the listening socket closed, unseen by the loop,
/// and the process then traps ("Deinited NIOAsyncWriter without calling finish()",
/// swift-nio#2813): a replica stopped under load crashed, cutting its open streams. Each
/// connection is kept here from its setup until the loop takes it; those the loop never took
/// are served once the server has stopped (`UnservedConnectionsLifecycle`), like any other.
final class UnservedConnections: Sendable {
    private struct State {
        var server: HTTP1Channel?
        var waiting: [ObjectIdentifier: HTTP1Channel.Value] = [:]
    }

    private let state = Mutex(State())

    /// Hummingbird's HTTP/1 server with its connections kept here until served.
    func http1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let server = HTTP1Channel(responder: responder, configuration: configuration)
            self.state.withLock { $0.server = server }
            return KeptHTTP1Channel(base: server, unserved: self)
        }
    }

    fileprivate func keep(_ connection: HTTP1Channel.Value) {
        state.withLock { $0.waiting[ObjectIdentifier(connection.channel)] = connection }
    }

    fileprivate func take(_ connection: HTTP1Channel.Value) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// Serves the connections the server loop never took; called once the server has stopped.
    func serveLeftovers(logger: Logger) async {
        let (server, leftovers) = state.withLock { state in
            defer { state.waiting = [:] }
            return (state.server, Array(state.waiting.values))
        }
        guard let server, !leftovers.isEmpty else { return }
        logger.info("serving connections accepted as the server stopped", metadata: ["count": "\(leftovers.count)"])
        await withDiscardingTaskGroup { group in
            for connection in leftovers { group.addTask { await server.handle(value: connection, logger: logger) } }
        }
    }
}

/// Added after the other services, so stopped right after the HTTP server, while the
/// database and the rest still serve.
struct UnservedConnectionsLifecycle: Service {
    let connections: UnservedConnections
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await connections.serveLeftovers(logger: logger)
    }
}

private struct KeptHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let unserved: UnservedConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        base.setup(channel: channel, logger: logger).map { connection in
            unserved.keep(connection)
            return connection
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        unserved.take(value)
        await base.handle(value: value, logger: logger)
    }
}
