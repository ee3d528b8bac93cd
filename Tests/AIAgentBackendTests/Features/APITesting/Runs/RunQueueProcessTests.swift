import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

/// The `test_run` jobs shared by real `serve` processes on one PostgreSQL database. The runs
/// are created through an in-process app that executes none (`WORKER_CONCURRENCY=0`).
@Suite(.serialized) struct RunQueueProcessTests {
    /// A `serve` process of the built binary on `database`.
    final class Server {
        let process = Process()
        let port = RawSocket.freePort()

        init(database: DatabaseURL, settings: Settings) throws {
            let directory = try BuiltBinary.temporaryDirectory()
            process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
            process.arguments = ["serve"]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = [
                "PATH": "/usr/bin:/bin", "ENVIRONMENT": "development", "PORT": "\(port)", "DATABASE_URL": database.urlString,
                "REDIS_ENABLED": "false", "LOG_DIR": "\(directory)/logs", "LOG_LEVEL": "error", "UPLOAD_DIR": "\(directory)/uploads",
                "ADMIN_PASSWORD": TestDatabases.adminPassword, "BCRYPT_COST": "4", "SECRET_KEY": settings.secretKey,
                "WORKER_CONCURRENCY": "4", "JOB_LEASE_SECONDS": "3", "JOB_POLL_INTERVAL_MS": "100",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func waitUntilListening() async throws {
            for _ in 0..<400 {
                if (try? RawSocket(port: port)) != nil { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the server did not start listening on \(port)")
            throw TestSetupError()
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// An in-process app on a fresh PostgreSQL database that only enqueues (two hundred runs
    /// in seconds from one token: the rate limits are not what these tests measure).
    static func withQueueOnly(_ body: @escaping @Sendable (RunProject, Settings) async throws -> Void) async throws {
        try await RunProject.with(.postgres, workerConcurrency: 0, adjust: { ($0.rateLimitPerUser, $0.rateLimitPerToken) = (100_000, 100_000) }) {
            project in try await body(project, project.fixture.settings)
        }
    }

    static func count(_ sql: String, _ project: RunProject) async throws -> Int {
        try await project.fixture.services.database.sql.raw(SQLQueryString(stringLiteral: sql)).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    static func waitForRuns(_ project: RunProject, passed expected: Int) async throws {
        for _ in 0..<1200 {
            if try await count("SELECT COUNT(*) AS n FROM test_runs WHERE status = 'passed'", project) == expected { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("not every run passed")
        throw TestSetupError()
    }

    @Test func twoProcessesShareTwoHundredRunsAndEachCaseRunsOnce() async throws {
        try await Self.withQueueOnly { project, settings in
            for index in 0..<200 {
                let caseID = try await project.trackedCase("m\(index)", query: "?ms=50")
                _ = try await project.start(["case_ids": [caseID]])
            }
            let servers = try [Server(database: settings.database, settings: settings), Server(database: settings.database, settings: settings)]
            for server in servers { try await server.waitUntilListening() }
            try await Self.waitForRuns(project, passed: 200)
            let hits = project.target.state.withLock { $0.hits }
            #expect(hits.count == 200 && hits.values.allSatisfy { $0 == 1 }, "\(hits.filter { $0.value != 1 })")
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM test_results", project) == 200)
            #expect(try await Self.count("SELECT COUNT(DISTINCT lease_owner) AS n FROM jobs", project) == 2, "both processes took jobs")
        }
    }

    @Test func aKilledProcessesRunIsCompletedByAnotherAndQueuedRunsSurviveARestart() async throws {
        try await Self.withQueueOnly { project, settings in
            var caseIDs: [String] = []
            for index in 0..<12 { caseIDs.append(try await project.trackedCase("k\(index)", query: "?ms=250")) }
            let runID = try await project.start(["case_ids": caseIDs, "concurrency": 1])
            let first = try Server(database: settings.database, settings: settings)
            try await project.until { ($0.hits["k2"] ?? 0) >= 1 }
            first.kill9()
            // Queued while no process runs.
            var queued: [String] = []
            for index in 0..<3 { queued.append(try await project.start(["case_ids": [try await project.trackedCase("q\(index)")]])) }

            let second = try Server(database: settings.database, settings: settings)
            try await second.waitUntilListening()
            try await Self.waitForRuns(project, passed: 4)
            let results = try await project.results(runID)
            #expect(results.count == 12 && Set(results.compactMap { $0["case_name"]?.string }).count == 12, "each case recorded once")
            #expect(try await Self.count("SELECT MAX(attempts) AS n FROM jobs", project) == 2, "the job was taken over")
            #expect(project.target.state.withLock { state in (0..<3).allSatisfy { state.hits["q\($0)"] == 1 } })
            for id in queued { #expect(try await project.summary(id)[path: "run", "status"]?.string == "passed") }
        }
    }
}
