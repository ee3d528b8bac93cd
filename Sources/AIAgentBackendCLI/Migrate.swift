import AIAgentBackend
import ArgumentParser
import Foundation
import Logging

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage schema revisions (like Alembic).",
        subcommands: [Upgrade.self, Downgrade.self, Current.self, History.self, Stamp.self, Create.self]
    )

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply revisions up to REVISION (default: head).")
        @Argument(help: "'head' or a revision id.") var revision = SchemaMigrator.head

        func run() async throws {
            try await withMigrator { migrator in
                let applied = try await migrator.upgrade(to: revision)
                print(applied.isEmpty ? "already at \(revision)" : "applied: \(applied.joined(separator: ", "))")
            }
        }
    }

    struct Downgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revert revisions newer than REVISION ('base' reverts all).")
        @Argument(help: "'base' or a revision id.") var revision: String

        func run() async throws {
            try await withMigrator { migrator in
                let reverted = try await migrator.downgrade(to: revision)
                print(reverted.isEmpty ? "already at \(revision)" : "reverted: \(reverted.joined(separator: ", "))")
            }
        }
    }

    struct Current: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the applied revision.")

        func run() async throws {
            try await withMigrator { migrator in
                print(try await migrator.current() ?? SchemaMigrator.base)
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every revision, marking the applied ones.")

        func run() async throws {
            try await withMigrator { migrator in
                for line in try await migrator.history() { print(line) }
            }
        }
    }

    struct Stamp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record REVISION as applied without running migrations.")
        @Argument(help: "'head', 'base' or a revision id.") var revision: String

        func run() async throws {
            try await withMigrator { migrator in
                try await migrator.stamp(revision)
                print("stamped \(revision)")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new revision file from the template and register it.")
        @Argument(help: "What the revision does, e.g. \"add foo\".") var message: String
        @Option(help: "The revisions folder.") var directory = "Sources/AIAgentBackend/Database/Revisions"

        func run() async throws {
            let path = try MigrationTemplate.create(message: message, directory: directory, existing: Revisions.all)
            print("created \(path)")
        }
    }
}

/// Runs `body` with a migrator on the configured database; failures print one line, exit 1.
private func withMigrator(_ body: (SchemaMigrator) async throws -> Void) async throws {
    try await withConfiguredDatabase("migrate") { database, _, logger in try await body(SchemaMigrator(database: database, logger: logger)) }
}

/// Runs `body` once the configured database answers, and closes it; failures print one line
/// starting with `command`, and exit 1.
func withConfiguredDatabase(_ command: String, _ body: (DatabaseService, Settings, Logger) async throws -> Void) async throws {
    let settings = try loadSettings { try $0.checkDatabaseFolder() }
    LogOutput(format: .text, directory: nil, retentionDays: settings.logRetentionDays).bootstrap(level: settings.logLevel)
    let logger = Logger(label: command)
    let database = try DatabaseService(settings: settings, logger: logger)
    do {
        try await database.waitUntilReachable(timeout: settings.databaseConnectTimeout)
        try await body(database, settings, logger)
        await database.shutdown()
    } catch {
        await database.shutdown()
        FileHandle.standardError.write(Data("\(command): \(error)\n".utf8))
        throw ExitCode.failure
    }
}
