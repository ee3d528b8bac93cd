/// An error reply from Redis, e.g. `WRONGPASS invalid username-password pair`.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole message as Redis sent it.
    public let message: String

    public init(message: String) {
        self.message = message
    }

    /// The leading word of the message: `ERR`, `WRONGPASS`, `NOAUTH`, `WRONGTYPE`, `NOSCRIPT`, …
    public var kind: String {
        String(message.prefix { $0 != " " })
    }

    public var description: String { "Redis error: \(message)" }
}

/// A failure on the client side: configuration, connection, timeout or protocol.
public enum RedisError: Error, Sendable, CustomStringConvertible {
    /// The reason never repeats the URL, which may hold a password.
    case invalidURL(reason: String)
    case connectFailed(host: String, port: Int, underlying: any Error)
    /// No reply within the command timeout; the connection is closed because
    /// later replies could no longer be matched to their commands.
    case timeout
    case connectionClosed
    /// The connection failed underneath, e.g. a reset or a TLS handshake error.
    case connectionError(underlying: any Error)
    /// The server sent bytes that are not valid RESP2, or exceeded a parser limit.
    case protocolError(String)
    /// A typed helper got a reply of a shape it does not expect.
    case unexpectedReply(command: String, reply: RESPValue)
    case clientClosed
    /// A helper was called with arguments Redis cannot accept, e.g. SUBSCRIBE without channels.
    case invalidArgument(String)
    /// The subscriber did not keep up and the buffer of pending messages overflowed.
    case subscriptionOverflow

    public var description: String {
        switch self {
        case .invalidURL(let reason): "Invalid Redis URL: \(reason)"
        case .connectFailed(let host, let port, let underlying): "Cannot connect to Redis at \(host):\(port): \(underlying)"
        case .timeout: "Redis command timed out"
        case .connectionClosed: "Redis connection closed"
        case .connectionError(let underlying): "Redis connection failed: \(underlying)"
        case .protocolError(let reason): "Redis protocol error: \(reason)"
        case .unexpectedReply(let command, let reply): "Unexpected reply to \(command): \(reply)"
        case .clientClosed: "Redis client is closed"
        case .invalidArgument(let reason): "Invalid Redis command argument: \(reason)"
        case .subscriptionOverflow: "Redis subscription buffer overflowed"
        }
    }
}
