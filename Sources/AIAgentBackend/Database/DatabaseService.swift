import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// The application's database: FluentKit's `Databases` for the configured URL, with the
/// start-up wait for a late database and the health probe.
public final class DatabaseService: Sendable {
    public let url: DatabaseURL
    public let poolSize: Int
    let databases: Databases
    /// A SQLite file's reading connections, one per core, for searches that take milliseconds
    /// each (knowledge bases): WAL lets them read beside the one writing connection, which
    /// then stays free for everything else, on threads of their own (SQLite's calls block a
    /// thread: the writer's short queries do not queue behind long searches). Nil on
    /// PostgreSQL (a pool already) and in memory.
    private let readers: (databases: Databases, threads: NIOThreadPool)?
    let logger: Logger

    public init(settings: Settings, logger: Logger) throws {
        self.url = settings.database
        self.logger = logger
        let sqlLogLevel: Logger.Level = settings.databaseEcho ? .info : .trace
        switch settings.database {
        case .sqlite, .sqliteMemory:
            // One event loop means one SQLite connection: writers never contend for the
            // file lock, and an in-memory database is the same database for every query.
            self.poolSize = 1
            databases = Databases(threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton.next())
            let storage: SQLiteConfiguration = if case .sqlite(let path) = settings.database { .file(path) } else { .memory }
            databases.use(.sqlite(storage, sqlLogLevel: sqlLogLevel), as: .sqlite)
            if case .sqlite(let path) = settings.database {
                // One connection per event loop of the group.
                let threads = NIOThreadPool(numberOfThreads: System.coreCount)
                threads.start()
                let readers = Databases(threadPool: threads, on: MultiThreadedEventLoopGroup.singleton)
                readers.use(.sqlite(.file(path), sqlLogLevel: sqlLogLevel), as: .sqlite)
                self.readers = (readers, threads)
            } else {
                readers = nil
            }
        case .postgres(let urlString):
            let group = MultiThreadedEventLoopGroup.singleton
            let loops = Array(group.makeIterator()).count
            self.poolSize = settings.databasePoolSize
            readers = nil
            var configuration = try SQLPostgresConfiguration(url: urlString)
            configuration.coreConfiguration.options.connectTimeout = .seconds(5)
            databases = Databases(threadPool: .singleton, on: group)
            databases.use(
                .postgres(
                    configuration: configuration,
                    maxConnectionsPerEventLoop: max(1, (settings.databasePoolSize + loops - 1) / loops),
                    connectionPoolTimeout: .seconds(10),
                    sqlLogLevel: sqlLogLevel
                ),
                as: .psql
            )
        }
    }

    /// A database handle for one unit of work; after `shutdown()`, one that refuses all work.
    public var database: any Database {
        let eventLoop = databases.eventLoopGroup.any()
        if let database = databases.database(logger: logger, on: eventLoop) { return database }
        return ClosedDatabase(
            context: DatabaseContext(configuration: databases.configuration()!, logger: logger, eventLoop: eventLoop),
            dialect: url.isSQLite ? SQLiteDialect() : PostgresDialect())
    }

    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// For reads only: a SQLite file's reading connections, otherwise `sql`.
    var readingSQL: any SQLDatabase {
        guard let readers = readers?.databases, let reader = readers.database(logger: logger, on: readers.eventLoopGroup.any()) else {
            return sql
        }
        return reader as! any SQLDatabase
    }

    public var isPostgres: Bool { !url.isSQLite }

    /// Round trip to the database; returns its latency.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await sql.raw("SELECT 1 AS one").all()
        return clock.now - start
    }

    /// Containers start in any order and "started" is not "ready": retry with capped
    /// exponential backoff until the database answers or `timeout` passes.
    public func waitUntilReachable(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var delay: Duration = .milliseconds(100)
        var attempt = 1
        while true {
            do {
                _ = try await ping()
                if attempt > 1 { logger.info("database reachable", metadata: ["attempt": "\(attempt)"]) }
                if case .sqlite = url {
                    // WAL with NORMAL sync: a commit no longer waits for an fsync of the whole
                    // database, and readers do not block the writer; still safe across crashes.
                    try await sql.raw("PRAGMA journal_mode=WAL").run()
                    try await sql.raw("PRAGMA synchronous=NORMAL").run()
                }
                return
            } catch {
                let remaining = deadline - clock.now
                guard remaining > .zero else {
                    logger.error("database unreachable, giving up", metadata: ["attempts": "\(attempt)", "url": "\(url.redacted)"])
                    throw DatabaseUnavailable(url: url.redacted, underlying: "\(String(reflecting: error))")
                }
                logger.warning(
                    "database not reachable yet, retrying",
                    metadata: [
                        "attempt": "\(attempt)", "retry_in_ms": "\(delay.milliseconds)", "error": "\(error)",
                    ])
                try await Task.sleep(for: min(delay, remaining))
                delay = min(delay * 2, .seconds(5))
                attempt += 1
            }
        }
    }

    /// Named PostgreSQL advisory locks, so concurrent replicas serialise one-time work.
    public enum ExclusiveWork: Int64, Sendable {
        case migration = 0x4149_4147_454E_5401
        case seeding = 0x4149_4147_454E_5402
    }

    /// Runs `body` in a transaction that, on PostgreSQL, first takes `work`'s
    /// transaction-scoped advisory lock: replicas doing the same work queue up behind it.
    /// SQLite serialises writers already.
    public func exclusiveTransaction<T: Sendable>(_ work: ExclusiveWork, _ body: @escaping @Sendable (any Database) async throws -> T) async throws
        -> T
    {
        let isPostgres = self.isPostgres
        return try await database.transaction { transaction in
            if isPostgres {
                try await (transaction as! any SQLDatabase).raw("SELECT pg_advisory_xact_lock(\(literal: work.rawValue))").run()
            }
            return try await body(transaction)
        }
    }

    public func shutdown() async {
        if let readers {
            await readers.databases.shutdownAsync()
            try? await readers.threads.shutdownGracefully()
        }
        await databases.shutdownAsync()
    }
}

public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public let url: String
    public let underlying: String
    public var description: String { "database \(url) is unreachable: \(underlying)" }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    var secondsDouble: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
