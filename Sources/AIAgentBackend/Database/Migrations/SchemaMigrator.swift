import FluentKit
import Logging
import SQLKit

/// Moves the schema between revisions and records the applied one in `schema_version`
/// (Alembic's `alembic_version`). Each step is its own transaction; on PostgreSQL every
/// step first takes a transaction-scoped advisory lock and re-reads the current revision,
/// so replicas starting together apply each revision exactly once.
public struct SchemaMigrator: Sendable {
    public static let base = "base"
    public static let head = "head"

    let database: DatabaseService
    public let migrations: [any SchemaMigration]
    let logger: Logger

    public init(database: DatabaseService, migrations: [any SchemaMigration] = Revisions.all, logger: Logger) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    /// The applied revision, or nil at base.
    public func current() async throws -> String? {
        try await ensureVersionTable()
        return try await readCurrent(database.sql)
    }

    /// One line a revision, oldest first: `[x]` applied, `(current)` and `(head)` marked.
    public func history() async throws -> [String] {
        let current = try await self.current()
        let appliedCount = try position(of: current)
        return migrations.enumerated().map { index, migration in
            var line = "[\(index < appliedCount ? "x" : " ")] \(migration.revision)  \(migration.name)"
            if migration.revision == current { line += "  (current)" }
            if index == migrations.count - 1 { line += "  (head)" }
            return line
        }
    }

    /// Applies revisions up to `target` ("head" or an id); returns the ids applied.
    @discardableResult
    public func upgrade(to target: String = SchemaMigrator.head) async throws -> [String] {
        let targetCount = try count(for: target)
        var applied: [String] = []
        while let revision = try await step(toward: targetCount, direction: .up) {
            applied.append(revision)
        }
        return applied
    }

    /// Reverts revisions newer than `target` ("base" or an id); returns the ids reverted.
    @discardableResult
    public func downgrade(to target: String) async throws -> [String] {
        let targetCount = try count(for: target)
        var reverted: [String] = []
        while let revision = try await step(toward: targetCount, direction: .down) {
            reverted.append(revision)
        }
        return reverted
    }

    /// Records `target` as applied without running anything (for adopting an existing schema).
    public func stamp(_ target: String) async throws {
        let targetCount = try count(for: target)
        try await locked { sql in
            try await writeCurrent(targetCount == 0 ? nil : migrations[targetCount - 1].revision, sql)
        }
    }

    private enum Direction { case up, down }

    /// Applies or reverts one revision in a transaction; nil when already at the target.
    private func step(toward targetCount: Int, direction: Direction) async throws -> String? {
        try await locked { sql in
            let currentCount = try position(of: try await readCurrent(sql))
            let database = sql as! any Database
            switch direction {
            case .up:
                if currentCount > targetCount {
                    throw MigrationError.wrongDirection("the target is older than the current revision; use 'downgrade'")
                }
                guard currentCount < targetCount else { return nil }
                let migration = migrations[currentCount]
                logger.info("applying migration", metadata: ["revision": "\(migration.revision)", "name": "\(migration.name)"])
                try await migration.upgrade(on: database)
                try await writeCurrent(migration.revision, sql)
                return migration.revision
            case .down:
                if currentCount < targetCount {
                    throw MigrationError.wrongDirection("the target is newer than the current revision; use 'upgrade'")
                }
                guard currentCount > targetCount else { return nil }
                let migration = migrations[currentCount - 1]
                logger.info("reverting migration", metadata: ["revision": "\(migration.revision)", "name": "\(migration.name)"])
                try await migration.downgrade(on: database)
                try await writeCurrent(currentCount >= 2 ? migrations[currentCount - 2].revision : nil, sql)
                return migration.revision
            }
        }
    }

    private func locked<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await ensureVersionTable()
        return try await database.exclusiveTransaction(.migration) { try await body($0 as! any SQLDatabase) }
    }

    /// Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type.
    private func ensureVersionTable() async throws {
        try await database.exclusiveTransaction(.migration) { transaction in
            try await (transaction as! any SQLDatabase).create(table: "schema_version").ifNotExists()
                .column("version_num", type: .text, .primaryKey(autoIncrement: false)).run()
        }
    }

    private func readCurrent(_ sql: any SQLDatabase) async throws -> String? {
        try await sql.select().column("version_num").from("schema_version").first(decodingColumn: "version_num", as: String.self)
    }

    private func writeCurrent(_ revision: String?, _ sql: any SQLDatabase) async throws {
        try await sql.delete(from: "schema_version").run()
        if let revision {
            try await sql.insert(into: "schema_version").columns("version_num").values(SQLBind(revision)).run()
        }
    }

    /// Number of revisions applied when `revision` is current.
    private func position(of revision: String?) throws -> Int {
        guard let revision else { return 0 }
        guard let index = migrations.firstIndex(where: { $0.revision == revision }) else {
            throw MigrationError.unknownAppliedRevision(revision)
        }
        return index + 1
    }

    private func count(for target: String) throws -> Int {
        switch target {
        case Self.head: return migrations.count
        case Self.base: return 0
        default:
            guard let index = migrations.firstIndex(where: { $0.revision == target }) else {
                throw MigrationError.unknownRevision(target)
            }
            return index + 1
        }
    }
}
