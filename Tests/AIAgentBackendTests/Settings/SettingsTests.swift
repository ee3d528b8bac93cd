import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct SettingsTests {
    @Test func defaultsMatchTheDocumentedTable() throws {
        let settings = try Settings.load(environment: [:], dotEnvPath: nil)
        #expect(settings.environment == .development)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8000)
        #expect(settings.database == .sqlite(path: "./ai_agent.db"))
        #expect(settings.redisURL == "redis://localhost:6379/0")
        #expect(settings.secretKey == Settings.developmentSecretKey)
        #expect(settings.logLevel == .info)
        #expect(settings.logDirectory == "./logs")
        #expect(settings.logRetentionDays == 30)
        #expect(settings.maxBodySize == 10 * 1024 * 1024)
        #expect(settings.autoMigrate)
        #expect(settings.enableMetrics)
        #expect(!settings.databaseEcho)
    }

    @Test func environmentValuesAreTyped() throws {
        let settings = try Settings.load(
            environment: [
                "ENVIRONMENT": "Testing", "PORT": "9001", "LOG_LEVEL": "warning", "DATABASE_ECHO": "yes",
                "MAX_BODY_SIZE": "2MiB", "DATABASE_CONNECT_TIMEOUT": "1.5", "AUTO_MIGRATE": "0",
            ], dotEnvPath: nil)
        #expect(settings.environment == .testing)
        #expect(settings.port == 9001)
        #expect(settings.logLevel == .warning)
        #expect(settings.databaseEcho)
        #expect(settings.maxBodySize == 2 * 1024 * 1024)
        #expect(settings.databaseConnectTimeout == .milliseconds(1500))
        #expect(!settings.autoMigrate)
    }

    @Test(arguments: [
        ("postgresql://u:p@db:5432/ai_agent_db", "postgres://u:p@db:5432/ai_agent_db"),
        ("postgres://u:p@db/ai_agent_db", "postgres://u:p@db/ai_agent_db"),
        ("postgresql+asyncpg://u:p@db:5432/ai_agent_db", "postgres://u:p@db:5432/ai_agent_db"),
    ])
    func postgresURLsAreNormalised(input: String, expected: String) throws {
        let settings = try Settings.load(environment: ["DATABASE_URL": input], dotEnvPath: nil)
        #expect(settings.database == .postgres(url: expected))
    }

    @Test func sqliteURLForms() throws {
        #expect(try DatabaseURL(parsing: "sqlite:///./ai_agent.db") == .sqlite(path: "./ai_agent.db"))
        #expect(try DatabaseURL(parsing: "sqlite:////var/data/app.db") == .sqlite(path: "/var/data/app.db"))
        #expect(try DatabaseURL(parsing: "sqlite:///:memory:") == .sqliteMemory)
    }

    @Test(arguments: [
        ("PORT", "abc"), ("PORT", "70000"), ("DATABASE_URL", "mysql://u:p@h/db"), ("DATABASE_URL", "postgresql://h"),
        ("LOG_LEVEL", "LOUD"), ("ENVIRONMENT", "staging"), ("DATABASE_ECHO", "maybe"), ("REDIS_URL", "http://x"),
        ("MAX_BODY_SIZE", "-1"), ("DATABASE_POOL_SIZE", "0"), ("LOG_RETENTION_DAYS", "x"), ("DATABASE_CONNECT_TIMEOUT", "soon"),
    ])
    func badValuesNameTheVariable(variable: String, value: String) {
        #expect {
            _ = try Settings.load(environment: [variable: value], dotEnvPath: nil)
        } throws: { error in
            guard let error = error as? SettingsError else { return false }
            return error.variable == variable && error.description.contains("expected")
        }
    }

    @Test func productionRefusesTheDevelopmentSecret() {
        #expect(throws: SettingsError.self) {
            try Settings.load(environment: ["ENVIRONMENT": "production"], dotEnvPath: nil)
        }
        #expect(throws: SettingsError.self) {
            try Settings.load(environment: ["ENVIRONMENT": "production", "SECRET_KEY": "short-but-not-default"], dotEnvPath: nil)
        }
        let good = String(repeating: "k", count: 32)
        #expect(throws: Never.self) {
            try Settings.load(environment: ["ENVIRONMENT": "production", "SECRET_KEY": good], dotEnvPath: nil)
        }
    }

    @Test func secretsAreNotEchoedInErrors() {
        do {
            _ = try Settings.load(environment: ["DATABASE_URL": "mysql://user:hunter2@h/db"], dotEnvPath: nil)
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func dotEnvFileIsReadAndTheEnvironmentWins() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)").path
        try """
        # comment
        export PORT=9100
        LOG_LEVEL="debug"
        HOST='0.0.0.0'
        SECRET_KEY=abc # inline comment
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try Settings.load(environment: [:], dotEnvPath: path)
        #expect(fromFile.port == 9100)
        #expect(fromFile.logLevel == .debug)
        #expect(fromFile.host == "0.0.0.0")
        #expect(fromFile.secretKey == "abc")
        let overridden = try Settings.load(environment: ["PORT": "9200"], dotEnvPath: path)
        #expect(overridden.port == 9200)
    }

    @Test func malformedDotEnvLineIsReported() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)").path
        try "PORT=1\nthis is not a setting\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SettingsError(variable: "\(path):2", message: "expected KEY=value")) {
            try Settings.load(environment: [:], dotEnvPath: path)
        }
    }

    @Test func envExampleAndReadmeListEverySetting() throws {
        // The repository root: the nearest folder above this file that holds Package.swift.
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            let parent = root.deletingLastPathComponent()
            try #require(parent.path != root.path, "no Package.swift above \(#filePath)")
            root = parent
        }
        let example = try String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let names = Set(
            example.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "# ", with: "")
                guard let equals = trimmed.firstIndex(of: "=") else { return nil }
                return String(trimmed[..<equals])
            })
        for name in Settings.variableNames {
            #expect(names.contains(name), "\(name) is missing from .env.example")
            #expect(readme.contains("| `\(name)` |"), "\(name) is missing from the README's settings table")
        }
    }
}
