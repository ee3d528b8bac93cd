import NIOConcurrencyHelpers
import NIOCore

/// Anything that can send a command: a ``RedisClient`` (pooled) or a single ``RedisConnection``.
/// The typed helpers below are built on `send`.
public protocol RedisCommandSender: Sendable {
    func send(_ command: String, _ arguments: [RedisArgument]) async throws -> RESPValue
}

public enum RedisExpiration: Sendable, Hashable {
    case seconds(Int64)
    case milliseconds(Int64)
}

public enum RedisSetCondition: Sendable, Hashable {
    case always
    /// NX
    case ifNotExists
    /// XX
    case ifExists
}

/// A Lua script run by SHA: loaded with SCRIPT LOAD on first use, reloaded when
/// the server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
public final class RedisScript: Sendable {
    public let source: String
    private let sha = NIOLockedValueBox<String?>(nil)

    public init(_ source: String) {
        self.source = source
    }

    var loadedSHA: String? {
        get { sha.withLockedValue { $0 } }
        set { sha.withLockedValue { $0 = newValue } }
    }
}

extension RedisCommandSender {
    public func send(_ command: String, _ arguments: RedisArgument...) async throws -> RESPValue {
        try await send(command, arguments)
    }

    public func ping() async throws -> String {
        let reply = try await send("PING", [])
        guard let pong = reply.string else { throw RedisError.unexpectedReply(command: "PING", reply: reply) }
        return pong
    }

    public func get(_ key: String) async throws -> ByteBuffer? {
        let reply = try await send("GET", [.string(key)])
        if reply.isNull { return nil }
        guard let value = reply.buffer else { throw RedisError.unexpectedReply(command: "GET", reply: reply) }
        return value
    }

    public func getBytes(_ key: String) async throws -> [UInt8]? {
        try await get(key).map { Array($0.readableBytesView) }
    }

    public func getString(_ key: String) async throws -> String? {
        try await get(key).map { String(buffer: $0) }
    }

    /// SET with optional EX/PX and NX/XX. Returns false when the condition was not met.
    @discardableResult
    public func set(
        _ key: String,
        to value: RedisArgument,
        expiration: RedisExpiration? = nil,
        condition: RedisSetCondition = .always
    ) async throws -> Bool {
        var arguments: [RedisArgument] = [.string(key), value]
        switch expiration {
        case .seconds(let seconds): arguments += ["EX", .integer(seconds)]
        case .milliseconds(let milliseconds): arguments += ["PX", .integer(milliseconds)]
        case nil: break
        }
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        return try await !send("SET", arguments).isNull
    }

    /// Returns how many of the keys existed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        try await Int(integer("DEL", keys.map { .string($0) }))
    }

    public func del(_ keys: String...) async throws -> Int {
        try await del(keys)
    }

    /// Returns how many of the keys exist (a key named twice counts twice).
    public func exists(_ keys: String...) async throws -> Int {
        try await Int(integer("EXISTS", keys.map { .string($0) }))
    }

    public func incr(_ key: String) async throws -> Int64 {
        try await integer("INCR", [.string(key)])
    }

    public func incrby(_ key: String, _ increment: Int64) async throws -> Int64 {
        try await integer("INCRBY", [.string(key), .integer(increment)])
    }

    /// Returns false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int64) async throws -> Bool {
        try await integer("EXPIRE", [.string(key), .integer(seconds)]) == 1
    }

    @discardableResult
    public func pexpire(_ key: String, milliseconds: Int64) async throws -> Bool {
        try await integer("PEXPIRE", [.string(key), .integer(milliseconds)]) == 1
    }

    /// Seconds to live: -1 when the key has no expiry, -2 when it does not exist.
    public func ttl(_ key: String) async throws -> Int64 {
        try await integer("TTL", [.string(key)])
    }

    /// Milliseconds to live: -1 when the key has no expiry, -2 when it does not exist.
    public func pttl(_ key: String) async throws -> Int64 {
        try await integer("PTTL", [.string(key)])
    }

    public func mget(_ keys: [String]) async throws -> [ByteBuffer?] {
        let reply = try await send("MGET", keys.map { .string($0) })
        guard let values = reply.array, values.count == keys.count else {
            throw RedisError.unexpectedReply(command: "MGET", reply: reply)
        }
        return values.map(\.buffer)
    }

    /// One SCAN step; iterate until the returned cursor is 0.
    public func scan(cursor: UInt64 = 0, match: String? = nil, count: Int? = nil) async throws -> (cursor: UInt64, keys: [String]) {
        var arguments: [RedisArgument] = [.string(String(cursor))]
        if let match { arguments += ["MATCH", .string(match)] }
        if let count { arguments += ["COUNT", .integer(count)] }
        let reply = try await send("SCAN", arguments)
        guard let parts = reply.array, parts.count == 2, let next = parts[0].string.flatMap({ UInt64($0) }),
            let keys = parts[1].array
        else { throw RedisError.unexpectedReply(command: "SCAN", reply: reply) }
        return (next, keys.compactMap(\.string))
    }

    public func eval(_ source: String, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        try await send("EVAL", [.string(source), .integer(keys.count)] + keys.map { .string($0) } + arguments)
    }

    public func evalsha(_ sha: String, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        try await send("EVALSHA", [.string(sha), .integer(keys.count)] + keys.map { .string($0) } + arguments)
    }

    /// Returns the script's SHA1.
    public func scriptLoad(_ source: String) async throws -> String {
        let reply = try await send("SCRIPT", ["LOAD", .string(source)])
        guard let sha = reply.string else { throw RedisError.unexpectedReply(command: "SCRIPT LOAD", reply: reply) }
        return sha
    }

    /// Runs the script by SHA, loading it first if this process has not, and again on NOSCRIPT.
    public func evalsha(_ script: RedisScript, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        if let sha = script.loadedSHA {
            do {
                return try await evalsha(sha, keys: keys, arguments: arguments)
            } catch let error as RedisServerError where error.kind == "NOSCRIPT" {}
        }
        let sha = try await scriptLoad(script.source)
        script.loadedSHA = sha
        return try await evalsha(sha, keys: keys, arguments: arguments)
    }

    /// Returns how many subscribers received the message.
    @discardableResult
    public func publish(_ message: RedisArgument, to channel: String) async throws -> Int {
        try await Int(integer("PUBLISH", [.string(channel), message]))
    }

    private func integer(_ command: String, _ arguments: [RedisArgument]) async throws -> Int64 {
        let reply = try await send(command, arguments)
        guard case .integer(let value) = reply else { throw RedisError.unexpectedReply(command: command, reply: reply) }
        return value
    }
}
