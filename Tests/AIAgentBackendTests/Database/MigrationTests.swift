import FluentKit
import Foundation
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct MigrationTests {
    @Test(arguments: DatabaseKind.allCases)
    func upgradeDowngradeRoundTrip(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withDatabase(settings) { database in
            let migrator = SchemaMigrator(database: database, logger: TestDatabases.logger)
            let head = migrator.migrations.last!.revision

            #expect(try await migrator.current() == nil)
            #expect(try await migrator.upgrade() == migrator.migrations.map(\.revision))
            #expect(try await migrator.current() == head)
            #expect(try await TestDatabases.tables(database).contains("system_settings"))

            #expect(try await migrator.downgrade(to: SchemaMigrator.base).count == migrator.migrations.count)
            #expect(try await migrator.current() == nil)
            #expect(try await TestDatabases.tables(database) == ["schema_version"])

            try await migrator.upgrade()
            #expect(try await migrator.current() == head)
            #expect(try await TestDatabases.tables(database).contains("system_settings"))
            #expect(try await migrator.upgrade().isEmpty, "a second upgrade applies nothing")
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func upgradeAndDowngradeToARevision(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withDatabase(settings) { database in
            let first = SampleMigration(revision: "0001", table: "first_table")
            let second = SampleMigration(revision: "0002", table: "second_table")
            let migrator = SchemaMigrator(database: database, migrations: [first, second], logger: TestDatabases.logger)

            #expect(try await migrator.upgrade(to: "0001") == ["0001"])
            #expect(try await TestDatabases.tables(database) == ["first_table", "schema_version"])
            #expect(try await migrator.upgrade() == ["0002"])
            #expect(try await migrator.downgrade(to: "0001") == ["0002"])
            #expect(try await TestDatabases.tables(database) == ["first_table", "schema_version"])
            await #expect(throws: MigrationError.unknownRevision("9999")) { try await migrator.upgrade(to: "9999") }
            try await migrator.upgrade()
            await #expect(throws: MigrationError.self) { try await migrator.upgrade(to: "0001") }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func stampCurrentAndHistory(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withDatabase(settings) { database in
            let migrations = [SampleMigration(revision: "0001", table: "a_table"), SampleMigration(revision: "0002", table: "b_table")]
            let migrator = SchemaMigrator(database: database, migrations: migrations, logger: TestDatabases.logger)

            #expect(try await migrator.history() == ["[ ] 0001  create a_table", "[ ] 0002  create b_table  (head)"])
            try await migrator.stamp("0001")
            #expect(try await migrator.current() == "0001")
            #expect(try await TestDatabases.tables(database) == ["schema_version"], "stamp runs nothing")
            #expect(try await migrator.history() == ["[x] 0001  create a_table  (current)", "[ ] 0002  create b_table  (head)"])
            #expect(try await migrator.upgrade() == ["0002"])
            #expect(try await TestDatabases.tables(database) == ["b_table", "schema_version"])
            try await migrator.stamp(SchemaMigrator.base)
            #expect(try await migrator.current() == nil)
        }
    }

    @Test func failedRevisionLeavesNoTrace() async throws {
        let settings = try await TestDatabases.settings(.postgres)
        try await withDatabase(settings) { database in
            let migrator = SchemaMigrator(
                database: database, migrations: [SampleMigration(revision: "0001", table: "half_done", failAfterCreate: true)],
                logger: TestDatabases.logger)
            await #expect(throws: SampleMigration.Failure.self) { try await migrator.upgrade() }
            let current = try await migrator.current()
            #expect(current == nil)
            #expect(try await TestDatabases.tables(database) == ["schema_version"], "PostgreSQL DDL rolled back with the transaction")
        }
    }

    @Test func concurrentUpgradesOnPostgresApplyEachRevisionOnce() async throws {
        let settings = try await TestDatabases.settings(.postgres)
        let migrations: [any SchemaMigration] = (1...5).map { SampleMigration(revision: String(format: "%04d", $0), table: "t\($0)") }
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await withDatabase(settings) { database in
                        try await SchemaMigrator(database: database, migrations: migrations, logger: TestDatabases.logger).upgrade()
                    }
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.sorted() == migrations.map(\.revision), "every revision applied exactly once across both replicas")
        try await withDatabase(settings) { database in
            let current = try await SchemaMigrator(database: database, migrations: migrations, logger: TestDatabases.logger).current()
            let tables = try await TestDatabases.tables(database)
            #expect(current == "0005")
            #expect(tables == ["schema_version", "t1", "t2", "t3", "t4", "t5"])
        }
    }

    @Test func createWritesAndRegistersARevision() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("revisions-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        public enum Revisions {
            public static let all: [any SchemaMigration] = [
                CreateSystemSettings(),
                \(MigrationTemplate.registryMarker)
            ]
        }
        """.write(toFile: "\(directory)/Revisions.swift", atomically: true, encoding: .utf8)
        let path = try MigrationTemplate.create(message: "add foo bar", directory: directory, existing: Revisions.all)
        let next = String(format: "%04d", Revisions.all.compactMap { Int($0.revision) }.max()! + 1)
        #expect(path == "\(directory)/R\(next)AddFooBar.swift")
        let source = try String(contentsOfFile: path, encoding: .utf8)
        #expect(source.contains("struct AddFooBar: SchemaMigration"))
        #expect(source.contains("let revision = \"\(next)\""))
        let registry = try String(contentsOfFile: "\(directory)/Revisions.swift", encoding: .utf8)
        #expect(registry.contains("CreateSystemSettings(),\n        AddFooBar(),\n"))
    }
}

/// A revision that creates one table, optionally failing half-way.
struct SampleMigration: SchemaMigration {
    struct Failure: Error {}
    let revision: String
    let table: String
    var failAfterCreate = false
    var name: String { "create \(table)" }

    func upgrade(on database: any Database) async throws {
        try await database.schema(table).field("id", .int, .identifier(auto: true)).create()
        if failAfterCreate { throw Failure() }
    }

    func downgrade(on database: any Database) async throws {
        try await database.schema(table).delete()
    }
}
