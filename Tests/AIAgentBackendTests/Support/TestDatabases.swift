import Foundation
import Logging
import SQLKit
import Testing
@testable import AIAgentBackend

/// The databases every storage test runs against: SQLite always, PostgreSQL 15 from
/// `TEST_POSTGRES_URL` (started by `scripts/test`).
enum DatabaseKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

enum TestDatabases {
    static let logger = Logger(label: "test")
    static let adminPassword = "admin-test-password"

    /// An admin URL on the test server, e.g. `postgres://postgres@127.0.0.1:15432/postgres`.
    static var postgresAdminURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
                Issue.record("TEST_POSTGRES_URL is not set: run the suite with ./scripts/test, which starts PostgreSQL")
                throw TestSetupError()
            }
            return url
        }
    }

    /// Settings for a brand-new, empty database of `kind`.
    static func settings(_ kind: DatabaseKind, autoMigrate: Bool = true) async throws -> Settings {
        var settings = Settings()
        settings.environment = .testing
        settings.autoMigrate = autoMigrate
        settings.logLevel = .warning
        settings.logDirectory = FileManager.default.temporaryDirectory.path
        settings.database = try await freshDatabase(kind)
        settings.adminPassword = TestDatabases.adminPassword
        settings.bcryptCost = 4
        settings.redisEnabled = false
        settings.validateResponses = true
        return settings
    }

    static func freshDatabase(_ kind: DatabaseKind) async throws -> DatabaseURL {
        switch kind {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("test-\(UUID().uuidString).db").path
            return .sqlite(path: path)
        case .postgres:
            let adminURL = try postgresAdminURL
            var admin = Settings()
            admin.database = try DatabaseURL(parsing: adminURL)
            let service = try DatabaseService(settings: admin, logger: logger)
            let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
            do {
                try await service.sql.raw("CREATE DATABASE \(ident: name)").run()
            } catch {
                await service.shutdown()
                throw error
            }
            await service.shutdown()
            var components = URLComponents(string: adminURL)!
            components.path = "/\(name)"
            return .postgres(url: components.string!)
        }
    }

    /// Table names in the public schema / main database, sorted.
    static func tables(_ database: DatabaseService) async throws -> [String] {
        let query: SQLQueryString =
            database.isPostgres
            ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        return try await database.sql.raw(query).all().map { try $0.decode(column: "name", as: String.self) }
    }
}

struct TestSetupError: Error {}

/// Runs `body` with a database service and always shuts it down.
func withDatabase<T>(_ settings: Settings, _ body: (DatabaseService) async throws -> T) async throws -> T {
    let database = try DatabaseService(settings: settings, logger: TestDatabases.logger)
    do {
        let result = try await body(database)
        await database.shutdown()
        return result
    } catch {
        await database.shutdown()
        throw error
    }
}
