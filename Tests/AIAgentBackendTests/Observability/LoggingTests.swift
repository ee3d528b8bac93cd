import Foundation
import Logging
import Testing
@testable import AIAgentBackend

@Suite struct LoggingTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("logs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func rotatesAtTheUTCDayAndPrunesOldFiles() throws {
        let directory = try temporaryDirectory()
        try "ancient\n".write(toFile: "\(directory)/app-2026-01-01.log", atomically: true, encoding: .utf8)
        try "recent\n".write(toFile: "\(directory)/app-2026-03-09.log", atomically: true, encoding: .utf8)
        var file = try #require(RotatingLogFile(directory: directory, retentionDays: 5, now: date("2026-03-10T23:59:00Z")))
        file.write("day one\n", now: date("2026-03-10T23:59:30Z"))
        file.write("day two\n", now: date("2026-03-11T00:00:05Z"))

        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["app-2026-03-09.log", "app-2026-03-10.log", "app.log"], "the January file is past the retention")
        #expect(try String(contentsOfFile: "\(directory)/app-2026-03-10.log", encoding: .utf8) == "day one\n")
        #expect(try String(contentsOfFile: "\(directory)/app.log", encoding: .utf8) == "day two\n")
    }

    @Test func productionLinesAreJSONObjects() throws {
        let directory = try temporaryDirectory()
        let output = LogOutput(format: .json, directory: directory, retentionDays: 30)
        var logger = Logger(label: "test-json") { AppLogHandler(label: $0, output: output) }
        logger[metadataKey: "hb.request.id"] = "abc123"
        logger.info("request", metadata: ["route": "/api/v1/users/:id", "status": "200"])
        let line = try String(contentsOfFile: "\(directory)/app.log", encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "request")
        #expect(object["level"] == "info")
        #expect(object["route"] == "/api/v1/users/:id")
        #expect(object["hb.request.id"] == "abc123")
        #expect(object["timestamp"]?.hasSuffix("Z") == true)
    }

    @Test func developmentLinesAreReadable() throws {
        let directory = try temporaryDirectory()
        let output = LogOutput(format: .text, directory: directory, retentionDays: 30)
        let logger = Logger(label: "test-text") { AppLogHandler(label: $0, output: output) }
        logger.warning("database not reachable yet", metadata: ["attempt": "2"])
        let line = try String(contentsOfFile: "\(directory)/app.log", encoding: .utf8)
        #expect(line.contains("WARNING  test-text: database not reachable yet attempt=2"))
    }
}

@Suite struct DatabaseStartupTests {
    @Test func givesUpOnAnUnreachableDatabaseAfterTheTimeout() async throws {
        var settings = Settings()
        settings.database = .postgres(url: "postgres://nobody@127.0.0.1:1/nothing")
        try await withDatabase(settings) { database in
            let start = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) { try await database.waitUntilReachable(timeout: .milliseconds(700)) }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(700) && elapsed < .seconds(5), "retried until the timeout, then stopped: \(elapsed)")
        }
    }

    @Test func waitsForADatabaseThatStartsLate() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("late-\(UUID().uuidString)").path
        var settings = Settings()
        // The folder of the SQLite file appears only after a while, as a database that starts late.
        settings.database = .sqlite(path: "\(path)/app.db")
        try await withDatabase(settings) { database in
            Task {
                try await Task.sleep(for: .milliseconds(400))
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
            let start = ContinuousClock.now
            try await database.waitUntilReachable(timeout: .seconds(10))
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }
}
