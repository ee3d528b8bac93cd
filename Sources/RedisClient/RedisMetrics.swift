import Metrics
import NIOConcurrencyHelpers

/// Metric objects created once and reused, so a command costs one dictionary
/// lookup for its timer and no allocation.
final class RedisMetrics: Sendable {
    private let factory: any MetricsFactory
    private let timers = NIOLockedValueBox<[String: Timer]>([:])
    private let connectErrors: Counter
    private let timeoutErrors: Counter
    private let protocolErrors: Counter
    private let serverErrors: Counter
    private let connectionErrors: Counter

    init(factory: any MetricsFactory) {
        self.factory = factory
        func errors(_ kind: String) -> Counter {
            Counter(label: "redis_errors_total", dimensions: [("kind", kind)], factory: factory)
        }
        connectErrors = errors("connect")
        timeoutErrors = errors("timeout")
        protocolErrors = errors("protocol")
        serverErrors = errors("server")
        connectionErrors = errors("connection")
    }

    func timer(for command: String) -> Timer {
        timers.withLockedValue { timers in
            if let timer = timers[command] { return timer }
            let timer = Timer(
                label: "redis_command_duration_seconds",
                dimensions: [("command", command.uppercased())],
                factory: factory
            )
            timers[command] = timer
            return timer
        }
    }

    func recordError(_ error: any Error) {
        switch error {
        case is RedisServerError: serverErrors.increment()
        case let error as RedisError:
            switch error {
            case .connectFailed: connectErrors.increment()
            case .timeout: timeoutErrors.increment()
            case .protocolError, .unexpectedReply: protocolErrors.increment()
            case .connectionClosed, .connectionError: connectionErrors.increment()
            case .invalidURL, .clientClosed, .subscriptionOverflow, .invalidArgument: break
            }
        default: connectionErrors.increment()
        }
    }
}
