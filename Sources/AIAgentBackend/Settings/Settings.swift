import Foundation
import Logging
import RedisClient

/// Where the service runs; production turns unsafe defaults into start-up errors.
public enum AppEnvironment: String, Sendable, CaseIterable {
    case development, production, testing
}

/// Every setting of the service, typed, with its default. Loaded from the process
/// environment and from a `.env` file (the environment wins).
public struct Settings: Sendable {
    public static let developmentSecretKey = "dev-secret-key-change-this-in-production-environment"
    public static let version = "0.1.0"

    public var environment: AppEnvironment = .development
    public var host = "127.0.0.1"
    public var port = 8000
    public var database: DatabaseURL = .sqlite(path: "./ai_agent.db")
    public var databaseEcho = false
    public var databasePoolSize = 10
    public var databaseConnectTimeout: Duration = .seconds(30)
    public var redisURL = "redis://localhost:6379/0"
    public var redisPassword: String?
    public var redisEnabled = true
    public var cachePrefix = "ai_agent:"
    public var cacheTTL: Duration = .seconds(3600)
    public var cacheMemoryMaxEntries = 10_000
    public var secretKey = Settings.developmentSecretKey
    public var logLevel: Logger.Level = .info
    public var logDirectory = "./logs"
    public var logRetentionDays = 30
    /// Days of WARNING-and-above records kept in `system_logs`.
    public var systemLogRetentionDays = 30
    /// The web console's files (`Console/` of the repository, installed beside the binary); none served when absent.
    public var consoleDirectory = "./Console"
    public var uploadDirectory = "./uploads"
    public var maxBodySize = 10 * 1024 * 1024
    public var autoMigrate = true
    public var enableMetrics = true
    /// When set, `/metrics` answers only requests bearing this token.
    public var metricsToken: String?
    /// Check every JSON answer against the route's declared schema (the test suite turns it on).
    public var validateResponses = false
    /// Bounded wait for in-flight requests on SIGTERM/SIGINT.
    public var shutdownTimeout: Duration = .seconds(30)
    /// The longest an LLM provider may take to connect and start answering, and then between two streamed chunks.
    public var llmTimeout: Duration = .seconds(60)
    public var accessTokenLifetime: Duration = .seconds(30 * 60)
    public var refreshTokenLifetime: Duration = .seconds(7 * 86_400)
    public var bcryptCost = 12
    public var passwordMinLength = 8
    public var loginMaxAttempts = 5
    /// Proxies whose `X-Forwarded-For` is believed (IPv4/IPv6 addresses or IPv4 CIDR ranges).
    public var trustedProxies: [String] = []
    /// Origins (`https://app.example.com`) whose browser pages may call the API; empty: same-origin only.
    public var corsOrigins: [String] = []
    /// Expensive requests (runs, generations, chat messages, imports, uploads) one user may make
    /// per minute, counted per kind.
    public var rateLimitPerUser = 120
    /// The same, per access token: one personal access token, or one sign-in's access tokens.
    public var rateLimitPerToken = 60
    /// Password of the `admin` account seeded on first start; generated and logged once when unset.
    public var adminPassword: String?
    /// 32 bytes that encrypt model API keys at rest; derived from `secretKey` when unset.
    public var encryptionKey: Data?
    /// Host names, IP addresses and CIDR ranges the agents' `http_request` tool may call; empty
    /// allows every host. Internal addresses (loopback, link-local, metadata...) stay refused
    /// unless their address or a range holding it is listed (see `EgressPolicy`).
    public var agentHTTPAllowlist: [String] = []
    public var agentHTTPTimeout: Duration = .seconds(15)
    /// Host names, IP addresses and CIDR ranges API tests may call; empty allows every host.
    /// In production internal addresses stay refused unless listed; elsewhere they are open,
    /// so developers can test their local services.
    public var testingAllowedHosts: [String] = []
    /// API test evidence keeps at most this much of each response body (`truncated` says so).
    public var testingMaxBodyBytes = 1 << 20
    /// Estimated tokens (characters / 4) of chat history sent to the model, system prompt included.
    public var chatContextTokens = 8000
    /// Background jobs run at once by this process (`JobWorker`); 0 runs none here. SQLite uses at most 1.
    public var workerConcurrency = 4
    /// How long a worker holds a job without renewing its claim; it renews every third of it.
    public var jobLease: Duration = .seconds(30)
    /// How often idle workers look for jobs other replicas enqueued.
    public var jobPollInterval: Duration = .milliseconds(500)
    /// How often this replica looks for schedules due to fire; nil fires none here.
    public var schedulerInterval: Duration? = .milliseconds(1000)
    /// The waits before a failed run notification is sent again (attempts: one more than the waits).
    public var notificationRetryDelays: [Duration] = [.seconds(10), .seconds(60)]
    /// Times an AI-generated positive case that fails verification is sent back to the model with its evidence.
    public var generationRepairRounds = 2
    /// Tokens (input and output) one AI test generation may spend before it is stopped.
    public var generationMaxTokens = 200_000

    public init() {}

    /// Reads `environment` plus the `.env` file at `dotEnvPath` (when it exists) and
    /// validates every value, naming the variable at fault.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dotEnvPath: String? = ".env"
    ) throws(SettingsError) -> Settings {
        var values: [String: String] = [:]
        if let dotEnvPath, let text = try? String(contentsOfFile: dotEnvPath, encoding: .utf8) {
            values = try DotEnv.parse(text, source: dotEnvPath)
        }
        values.merge(environment) { _, fromEnvironment in fromEnvironment }
        return try Settings(values: values)
    }

    /// Every variable the service reads, in the order of the table in the README.
    public static var variableNames: [String] {
        let reader = SettingsReader(values: [:])
        _ = try? Settings(reader: reader)
        return reader.names
    }

    init(values: [String: String]) throws(SettingsError) {
        try self.init(reader: SettingsReader(values: values))
    }

    private init(reader: SettingsReader) throws(SettingsError) {
        environment = try reader.choice("ENVIRONMENT", default: environment)
        host = reader.string("HOST", default: host)
        port = try reader.integer("PORT", default: port, in: 1...65535)
        database = try reader.parsed("DATABASE_URL", default: database, accepts: DatabaseURL.accepted) {
            try DatabaseURL(parsing: $0)
        }
        databaseEcho = try reader.bool("DATABASE_ECHO", default: databaseEcho)
        databasePoolSize = try reader.integer("DATABASE_POOL_SIZE", default: databasePoolSize, in: 1...500)
        databaseConnectTimeout = try reader.seconds("DATABASE_CONNECT_TIMEOUT", default: databaseConnectTimeout)
        redisURL = try reader.parsed("REDIS_URL", default: redisURL, accepts: "redis://[user:password@]host[:port][/db] or rediss://…") {
            try Self.validateRedisURL($0)
        }
        redisPassword = reader.optionalString("REDIS_PASSWORD")
        redisEnabled = try reader.bool("REDIS_ENABLED", default: redisEnabled)
        cachePrefix = reader.string("CACHE_PREFIX", default: cachePrefix)
        cacheTTL = try reader.seconds("CACHE_TTL", default: cacheTTL)
        cacheMemoryMaxEntries = try reader.integer("CACHE_MEMORY_MAX_ENTRIES", default: cacheMemoryMaxEntries, in: 1...10_000_000)
        secretKey = reader.string("SECRET_KEY", default: secretKey)
        logLevel = try reader.parsed("LOG_LEVEL", default: logLevel, accepts: "DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)") {
            try Self.parseLogLevel($0)
        }
        logDirectory = reader.string("LOG_DIR", default: logDirectory)
        logRetentionDays = try reader.integer("LOG_RETENTION_DAYS", default: logRetentionDays, in: 1...3650)
        systemLogRetentionDays = try reader.integer("SYSTEM_LOG_RETENTION_DAYS", default: systemLogRetentionDays, in: 1...3650)
        uploadDirectory = reader.string("UPLOAD_DIR", default: uploadDirectory)
        consoleDirectory = reader.string("CONSOLE_DIR", default: consoleDirectory)
        maxBodySize = try reader.parsed("MAX_BODY_SIZE", default: maxBodySize, accepts: "a size in bytes, optionally with KB, MB, KiB or MiB") {
            try Self.parseByteSize($0)
        }
        autoMigrate = try reader.bool("AUTO_MIGRATE", default: autoMigrate)
        enableMetrics = try reader.bool("ENABLE_METRICS", default: enableMetrics)
        metricsToken = reader.optionalString("METRICS_TOKEN")
        validateResponses = try reader.bool("VALIDATE_RESPONSES", default: validateResponses)
        shutdownTimeout = try reader.seconds("SHUTDOWN_TIMEOUT", default: shutdownTimeout)
        llmTimeout = try reader.seconds("LLM_TIMEOUT_SECONDS", default: llmTimeout)
        accessTokenLifetime = .seconds(60 * (try reader.integer("ACCESS_TOKEN_EXPIRE_MINUTES", default: 30, in: 1...1440)))
        refreshTokenLifetime = .seconds(86_400 * (try reader.integer("REFRESH_TOKEN_EXPIRE_DAYS", default: 7, in: 1...365)))
        bcryptCost = try reader.integer("BCRYPT_COST", default: bcryptCost, in: 4...16)
        passwordMinLength = try reader.integer("PASSWORD_MIN_LENGTH", default: passwordMinLength, in: 6...128)
        loginMaxAttempts = try reader.integer("LOGIN_MAX_ATTEMPTS", default: loginMaxAttempts, in: 1...1000)
        trustedProxies = try reader.parsed("TRUSTED_PROXIES", default: trustedProxies, accepts: "comma-separated IP addresses or IPv4 CIDR ranges") {
            let entries = $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard entries.allSatisfy(TrustedProxies.isValidEntry) else { throw SettingsReader.Invalid() }
            return entries
        }
        corsOrigins = try reader.parsed("CORS_ORIGINS", default: corsOrigins, accepts: "comma-separated origins like https://app.example.com") {
            let entries = $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            guard entries.allSatisfy(Self.isOrigin) else { throw SettingsReader.Invalid() }
            return entries
        }
        rateLimitPerUser = try reader.integer("RATE_LIMIT_USER_PER_MINUTE", default: rateLimitPerUser, in: 1...1_000_000)
        rateLimitPerToken = try reader.integer("RATE_LIMIT_TOKEN_PER_MINUTE", default: rateLimitPerToken, in: 1...1_000_000)
        adminPassword = reader.optionalString("ADMIN_PASSWORD")
        encryptionKey = try reader.parsed(
            "ENCRYPTION_KEY", default: encryptionKey, accepts: "the base64 encoding of 32 random bytes (openssl rand -base64 32)"
        ) {
            guard let key = SecretBox.parseKey($0) else { throw SettingsReader.Invalid() }
            return key
        }
        agentHTTPAllowlist = try reader.hostList("AGENT_HTTP_ALLOWLIST", default: agentHTTPAllowlist)
        testingAllowedHosts = try reader.hostList("TESTING_ALLOWED_HOSTS", default: testingAllowedHosts)
        testingMaxBodyBytes = try reader.integer("TESTING_MAX_BODY_BYTES", default: testingMaxBodyBytes, in: 1024...(64 << 20))
        agentHTTPTimeout = try reader.seconds("AGENT_HTTP_TIMEOUT", default: agentHTTPTimeout)
        chatContextTokens = try reader.integer("CHAT_CONTEXT_TOKENS", default: chatContextTokens, in: 256...2_000_000)
        workerConcurrency = try reader.integer("WORKER_CONCURRENCY", default: workerConcurrency, in: 0...256)
        jobLease = .seconds(try reader.integer("JOB_LEASE_SECONDS", default: 30, in: 3...3600))
        jobPollInterval = .milliseconds(try reader.integer("JOB_POLL_INTERVAL_MS", default: 500, in: 10...60_000))
        let schedulerMilliseconds = try reader.integer("SCHEDULER_INTERVAL_MS", default: 1000, in: 0...60_000)
        schedulerInterval = schedulerMilliseconds == 0 ? nil : .milliseconds(schedulerMilliseconds)
        generationRepairRounds = try reader.integer("GENERATION_REPAIR_ROUNDS", default: generationRepairRounds, in: 0...5)
        generationMaxTokens = try reader.integer("GENERATION_MAX_TOKENS", default: generationMaxTokens, in: 1_000...100_000_000)
        try validateForEnvironment()
    }

    /// Production refuses the development secret and short secrets.
    private func validateForEnvironment() throws(SettingsError) {
        guard environment == .production else { return }
        if secretKey == Self.developmentSecretKey {
            throw SettingsError(
                variable: "SECRET_KEY", message: "the development default is refused in production; set a random value of at least 32 characters")
        }
        if secretKey.count < 32 {
            throw SettingsError(variable: "SECRET_KEY", message: "must be at least 32 characters in production (got \(secretKey.count))")
        }
        if bcryptCost < 10 {
            throw SettingsError(variable: "BCRYPT_COST", message: "must be at least 10 in production (got \(bcryptCost))")
        }
    }

    /// `http(s)://host[:port]`, nothing after: what a browser sends as `Origin`.
    static func isOrigin(_ text: String) -> Bool {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme), url.host?.isEmpty == false else { return false }
        return url.path.isEmpty && url.query == nil && url.fragment == nil && url.user == nil
    }

    static func parseLogLevel(_ text: String) throws -> Logger.Level {
        switch text.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notice": .notice
        case "warning", "warn": .warning
        case "error": .error
        case "critical": .critical
        default: throw SettingsReader.Invalid()
        }
    }

    static func parseByteSize(_ text: String) throws -> Int {
        let units: [(String, Int)] = [
            ("KIB", 1024), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        let upper = text.uppercased().trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in units where upper.hasSuffix(suffix) {
            guard let number = Int(upper.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 else { break }
            return number * factor
        }
        guard let bytes = Int(upper), bytes > 0 else { throw SettingsReader.Invalid() }
        return bytes
    }

    static func validateRedisURL(_ text: String) throws -> String {
        _ = try RedisConfiguration(url: text)
        return text
    }
}

/// A configuration value that cannot be used: printed as one line at start-up.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let message: String
    public var description: String { "invalid configuration: \(variable): \(message)" }
}

/// Typed lookups over the merged variables; each failure names the variable and what it accepts.
final class SettingsReader {
    struct Invalid: Error {}
    let values: [String: String]
    private(set) var names: [String] = []

    init(values: [String: String]) {
        self.values = values
    }

    func optionalString(_ name: String) -> String? {
        names.append(name)
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default fallback: String) -> String {
        optionalString(name) ?? fallback
    }

    func parsed<T>(_ name: String, default fallback: T, accepts: String, _ parse: (String) throws -> T) throws(SettingsError) -> T {
        guard let raw = optionalString(name) else { return fallback }
        do {
            return try parse(raw)
        } catch {
            throw SettingsError(variable: name, message: "\(Self.quoted(raw, name)) is not valid; expected \(accepts)")
        }
    }

    /// An egress allowlist: comma-separated host names, IP addresses or CIDR ranges.
    func hostList(_ name: String, default fallback: [String]) throws(SettingsError) -> [String] {
        try parsed(name, default: fallback, accepts: "comma-separated host names, IP addresses or CIDR ranges") {
            let entries = $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            guard entries.allSatisfy(EgressPolicy.isValidEntry) else { throw SettingsReader.Invalid() }
            return entries
        }
    }

    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        try parsed(name, default: fallback, accepts: "an integer from \(range.lowerBound) to \(range.upperBound)") { text in
            guard let value = Int(text), range.contains(value) else { throw Invalid() }
            return value
        }
    }

    func bool(_ name: String, default fallback: Bool) throws(SettingsError) -> Bool {
        try parsed(name, default: fallback, accepts: "true or false (also 1/0, yes/no, on/off)") { text in
            switch text.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw Invalid()
            }
        }
    }

    func seconds(_ name: String, default fallback: Duration) throws(SettingsError) -> Duration {
        try parsed(name, default: fallback, accepts: "a number of seconds greater than 0 (at most 1e9)") { text in
            // Bounded: a huge value would overflow the conversion to milliseconds.
            guard let value = Double(text), value > 0, value <= 1e9 else { throw Invalid() }
            return .milliseconds(Int64(value * 1000))
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(SettingsError) -> T where T.RawValue == String {
        let names = T.allCases.map(\.rawValue).joined(separator: ", ")
        return try parsed(name, default: fallback, accepts: "one of \(names)") { text in
            guard let value = T(rawValue: text.lowercased()) else { throw Invalid() }
            return value
        }
    }

    /// Secrets are never echoed back, not even in an error line.
    private static func quoted(_ raw: String, _ name: String) -> String {
        if name.contains("PASSWORD") || name.contains("SECRET") || name.contains("KEY") { return "the value" }
        if name.hasSuffix("_URL") { return "'\(DatabaseURL.redactingPassword(raw))'" }
        return "'\(raw)'"
    }
}
