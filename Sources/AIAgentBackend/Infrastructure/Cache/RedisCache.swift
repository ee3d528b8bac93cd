import RedisClient

/// The cache in Redis, under `keyPrefix` so that several apps can share one server.
public final class RedisCache: Cache {
    public let client: RedisClient
    public let keyPrefix: String
    private let defaultTTL: Duration?

    // INCRBY and the TTL of a new key in one atomic step.
    private static let incrementScript = RedisScript(
        """
        local created = redis.call('EXISTS', KEYS[1]) == 0
        local value = redis.call('INCRBY', KEYS[1], ARGV[1])
        if created and ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return value
        """
    )

    public init(client: RedisClient, keyPrefix: String = "ai_agent:", defaultTTL: Duration? = .seconds(3600)) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.defaultTTL = defaultTTL
    }

    /// The one place where keys get the prefix.
    private func redisKey(_ key: String) -> String {
        keyPrefix + key
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try await client.getBytes(redisKey(key))
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Duration?) async throws {
        let expiration = try (ttl ?? defaultTTL).map { RedisExpiration.milliseconds(try $0.cacheMilliseconds()) }
        try await client.set(redisKey(key), to: .bytes(value), expiration: expiration)
    }

    public func delete(_ key: String) async throws -> Bool {
        try await client.del(redisKey(key)) == 1
    }

    public func exists(_ key: String) async throws -> Bool {
        try await client.exists(redisKey(key)) == 1
    }

    public func increment(_ key: String, by amount: Int64, ttlOnCreate: Duration?) async throws -> Int64 {
        let milliseconds = try ttlOnCreate?.cacheMilliseconds() ?? 0
        do {
            let reply = try await client.evalsha(
                Self.incrementScript,
                keys: [redisKey(key)],
                arguments: [.integer(amount), .integer(milliseconds)]
            )
            guard let value = reply.int else { throw RedisError.unexpectedReply(command: "increment", reply: reply) }
            return value
        } catch let error as RedisServerError where error.message.contains("not an integer") {
            throw CacheError.notAnInteger
        } catch let error as RedisServerError where error.message.contains("overflow") {
            throw CacheError.overflow
        }
    }

    public func expire(_ key: String, ttl: Duration) async throws -> Bool {
        try await client.pexpire(redisKey(key), milliseconds: ttl.cacheMilliseconds())
    }

    /// SCAN and DEL page by page, never KEYS, so Redis is not blocked on a big keyspace.
    public func clear(prefix: String) async throws -> Int {
        let pattern = Self.globEscaped(redisKey(prefix)) + "*"
        var cursor: UInt64 = 0
        var deleted = 0
        repeat {
            let page = try await client.scan(cursor: cursor, match: pattern, count: 500)
            if !page.keys.isEmpty {
                deleted += try await client.del(page.keys)
            }
            cursor = page.cursor
        } while cursor != 0
        return deleted
    }

    public func ping() async throws {
        _ = try await client.ping()
    }

    func delete(keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 500) {
            try await client.del(keys[start..<min(start + 500, keys.count)].map(redisKey))
        }
    }

    private static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
