import NIOCore

/// A RESP2 reply value.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    /// An error reply. Nested errors (inside arrays, e.g. from EVAL) stay values;
    /// a top-level error reply is thrown by `send` as ``RedisServerError``.
    case error(RedisServerError)
    case integer(Int64)
    case bulkString(ByteBuffer)
    /// The null bulk string (`$-1`) or the null array (`*-1`).
    case null
    case array([RESPValue])
}

extension RESPValue {
    public var string: String? {
        switch self {
        case .simpleString(let string): string
        case .bulkString(let buffer): String(buffer: buffer)
        case .integer(let value): String(value)
        default: nil
        }
    }

    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString, .bulkString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let buffer): Array(buffer.readableBytesView)
        case .simpleString(let string): Array(string.utf8)
        default: nil
        }
    }

    public var buffer: ByteBuffer? {
        if case .bulkString(let buffer) = self { return buffer }
        return nil
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension RESPValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .simpleString(let string): "+\(string)"
        case .error(let error): "-\(error.message)"
        case .integer(let value): ":\(value)"
        case .bulkString(let buffer): "$\(String(buffer: buffer).debugDescription)"
        case .null: "(nil)"
        case .array(let values): "[\(values.map(\.description).joined(separator: ", "))]"
        }
    }
}

/// One argument of a command. Redis receives every argument as a bulk string.
public struct RedisArgument: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes([UInt8])
        case buffer(ByteBuffer)
        case integer(Int64)
    }

    let storage: Storage

    public static func string(_ value: String) -> RedisArgument { RedisArgument(storage: .string(value)) }
    public static func bytes(_ value: [UInt8]) -> RedisArgument { RedisArgument(storage: .bytes(value)) }
    public static func buffer(_ value: ByteBuffer) -> RedisArgument { RedisArgument(storage: .buffer(value)) }
    public static func integer(_ value: some BinaryInteger) -> RedisArgument {
        RedisArgument(storage: .integer(Int64(value)))
    }
}

extension RedisArgument: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self.storage = .string(value) }
    public init(integerLiteral value: Int64) { self.storage = .integer(value) }
}

/// A command for ``RedisConnection/pipeline(_:)``.
public struct RedisCommand: Sendable, Hashable {
    public var name: String
    public var arguments: [RedisArgument]

    public init(_ name: String, _ arguments: [RedisArgument] = []) {
        self.name = name
        self.arguments = arguments
    }
}
