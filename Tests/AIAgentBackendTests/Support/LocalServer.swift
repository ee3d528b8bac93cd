import Hummingbird
import Logging

/// Runs `router` on 127.0.0.1 and a free port, quietly: a stand-in for an outside service.
/// Returns the port and the server's task; cancelling the task stops it.
func startLocalServer(_ router: Router<BasicRequestContext>, label: String) async -> (port: Int, server: Task<Void, any Error>) {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
    let server = Task { try await app.runService(gracefulShutdownSignals: []) }
    var iterator = ports.makeAsyncIterator()
    return (await iterator.next() ?? 0, server)
}
