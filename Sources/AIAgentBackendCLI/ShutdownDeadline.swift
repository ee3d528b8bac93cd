import Foundation
import Logging
import ServiceLifecycle

/// The hard bound on a shutdown: once SIGTERM/SIGINT starts it, the process ends by
/// `timeout` whatever still runs. The service group cancels the services earlier (see
/// `Serve`); this catches a dependency that does not honour cancellation, so an
/// orchestrator never waits past `SHUTDOWN_TIMEOUT`.
struct ShutdownDeadline: Service {
    let timeout: Duration
    let logger: Logger

    /// In-flight work gets this share of `timeout`; cancellation has the rest.
    static func gracefulPart(of timeout: Duration) -> Duration { timeout * 4 / 5 }

    func run() async throws {
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        let (timeout, logger) = (timeout, logger)
        // A thread, not a task: it must fire even if the cooperative pool is blocked.
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
            logger.critical("shutdown did not finish within SHUTDOWN_TIMEOUT; exiting now", metadata: ["timeout": "\(timeout)"])
            exit(1)
        }
    }
}
