import FluentPostgresDriver
import NIOCore
import NIOPosix

/// Tells a database that cannot be reached (stopped, restarting, network gone) from any
/// other database error: the first is the client's cue to retry later (503), the second a
/// bug (500). SQLite's "database is locked" is contention, not an outage, and stays a 500.
enum DatabaseOutage {
    /// Seconds a client is asked to wait before retrying.
    static let retryAfterSeconds = 5

    static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                // Class 08 (connection exception), 57P01-57P03 (shutting down, starting up).
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            default:
                return error.underlying.map(isOutage) ?? false
            }
        case is ConnectionPoolTimeoutError, ConnectionPoolError.shutdown:
            return true
        case is NIOConnectionError:
            return true
        case let error as ChannelError:
            switch error {
            case .connectTimeout, .ioOnClosedChannel, .alreadyClosed, .eof: return true
            default: return false
            }
        case let error as IOError:
            return [ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(error.errnoCode)
        default:
            return false
        }
    }
}

extension APIError {
    static var databaseUnavailable: APIError {
        var error = APIError(
            .serviceUnavailable, code: "database_unavailable", message: "the database is unreachable for the moment; retry shortly")
        error.headers[.retryAfter] = "\(DatabaseOutage.retryAfterSeconds)"
        return error
    }
}
