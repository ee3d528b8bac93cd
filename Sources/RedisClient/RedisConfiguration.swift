import NIOSSL

/// Where and how to connect; built from a `redis://` or `rediss://` URL or field by field.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// ACL user; nil authenticates as the default user with the password alone.
    public var username: String?
    public var password: String?
    public var database: Int
    /// TLS settings; nil for plain TCP.
    public var tls: TLSConfiguration?
    /// Connections in the pool; each one carries many commands in flight.
    public var poolSize: Int
    public var connectTimeout: Duration
    /// Longest wait for a reply before the connection is given up.
    public var commandTimeout: Duration
    /// After a failed connect, the pool fails fast until this backoff has passed;
    /// it doubles with each failure from `initial` up to `maximum`.
    public var reconnectBackoff: Backoff
    public var parserLimits: RESPParser.Limits
    /// Messages a subscription buffers for a slow consumer before it is ended.
    public var subscriptionBufferSize: Int

    public struct Backoff: Sendable, Hashable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(1)) {
            self.initial = initial
            self.maximum = maximum
        }

        func delay(afterFailures failures: Int) -> Duration {
            let doubled = initial * (1 << min(max(failures - 1, 0), 20))
            return min(doubled, maximum)
        }
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        tls: TLSConfiguration? = nil,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        reconnectBackoff: Backoff = Backoff(),
        parserLimits: RESPParser.Limits = RESPParser.Limits(),
        subscriptionBufferSize: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = max(1, poolSize)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
        self.parserLimits = parserLimits
        self.subscriptionBufferSize = subscriptionBufferSize
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS.
    /// A non-empty `password` overrides the URL's (the app passes `REDIS_PASSWORD`).
    public init(url: String, password: String? = nil) throws(RedisError) {
        self.init()
        let rest: Substring
        if url.hasPrefix("redis://") {
            rest = url.dropFirst("redis://".count)
        } else if url.hasPrefix("rediss://") {
            rest = url.dropFirst("rediss://".count)
            tls = .makeClientConfiguration()
        } else {
            throw .invalidURL(reason: "scheme must be redis:// or rediss://")
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw .invalidURL(reason: "query and fragment are not supported")
        }

        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...].dropFirst()

        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let user: Substring
            let secret: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                secret = userInfo[userInfo.index(after: colon)...]
            } else {
                // `redis://secret@host` is the common shorthand for a password alone.
                user = ""
                secret = userInfo
            }
            username = user.isEmpty ? nil : try Self.percentDecoded(user)
            if !secret.isEmpty {
                self.password = try Self.percentDecoded(secret)
            }
        }

        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidURL(reason: "unterminated IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .invalidURL(reason: "junk after IPv6 address") }
            portPart = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
            portPart = nil
        }
        guard !hostPart.isEmpty else { throw .invalidURL(reason: "missing host") }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else {
                throw .invalidURL(reason: "port must be a number in 1...65535")
            }
            self.port = port
        }

        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else {
                throw .invalidURL(reason: "database must be a non-negative integer")
            }
            self.database = database
        }
        if let password, !password.isEmpty {
            self.password = password
        }
    }

    private static func percentDecoded(_ text: Substring) throws(RedisError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else { throw .invalidURL(reason: "bad percent-encoding in credentials") }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
