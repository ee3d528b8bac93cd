import Foundation
import Testing
import TestSupport
@testable import AIAgentBackend

@Suite struct CLITests {
    @Test(arguments: [
        (["PORT": "abc"], "PORT"),
        (["DATABASE_URL": "mysql://u:p@h/db"], "DATABASE_URL"),
        (["LOG_LEVEL": "LOUD"], "LOG_LEVEL"),
        (["ENVIRONMENT": "production"], "SECRET_KEY"),
        (["ENVIRONMENT": "production", "SECRET_KEY": "too-short"], "SECRET_KEY"),
    ])
    func badConfigurationStopsWithOneLineAndStatus2(environment: [String: String], variable: String) throws {
        let result = try BuiltBinary.run(["serve"], environment: environment)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line, no stack trace: \(result.stderr)")
        #expect(lines.first?.contains(variable) == true)
    }

    @Test func unusableUploadDirectoryStopsWithOneLineAndStatus2() throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let file = "\(directory)/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        // A file in the way, and a directory nobody can write in, root included.
        for (path, problem) in [("\(file)/uploads", "cannot be created"), ("/proc", "is not writable")] {
            let result = try BuiltBinary.run(
                ["serve"], environment: ["UPLOAD_DIR": path, "DATABASE_URL": "sqlite:///./app.db"], directory: directory)
            #expect(result.status == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line, no stack trace: \(result.stderr)")
            #expect(lines.first?.contains("UPLOAD_DIR: '\(path)' \(problem)") == true, "\(result.stderr)")
        }
    }

    @Test func missingUploadDirectoryIsCreatedAtStartUp() async throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let port = RawSocket.freePort()
        let process = try BuiltBinary.startServer(in: directory, port: port, environment: ["UPLOAD_DIR": "./data/uploads"])
        defer { if process.isRunning { process.terminate() } }
        try await RawSocket.waitUntilListening(port)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: "\(directory)/data/uploads", isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/data/uploads").isEmpty, "the write check leaves nothing behind")
    }

    @Test(arguments: DatabaseKind.allCases)
    func migrateCommands(kind: DatabaseKind) async throws {
        let url = try await TestDatabases.freshDatabase(kind)
        let environment = ["DATABASE_URL": url.urlString, "LOG_LEVEL": "error"]
        func migrate(_ arguments: String...) throws -> BuiltBinary.Result {
            try BuiltBinary.run(["migrate"] + arguments, environment: environment)
        }
        #expect(try migrate("current").stdout == "base\n")
        #expect(try migrate("upgrade").stdout == "applied: \(Revisions.all.map(\.revision).joined(separator: ", "))\n")
        let head = Revisions.all.last!.revision
        #expect(try migrate("current").stdout == "\(head)\n")
        let history = try migrate("history").stdout.split(separator: "\n")
        #expect(history.count == Revisions.all.count)
        #expect(history.allSatisfy { $0.hasPrefix("[x] ") })
        #expect(history.last?.hasSuffix("(current)  (head)") == true)
        #expect(try migrate("downgrade", "base").stdout.hasPrefix("reverted: "))
        #expect(try migrate("current").stdout == "base\n")
        #expect(try migrate("stamp", "head").stdout == "stamped head\n")
        #expect(try migrate("current").stdout == "\(head)\n")
        let unknown = try migrate("upgrade", "nope")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown revision 'nope'"))
    }

    @Test func inFlightRequestCompletesAcrossSIGTERM() async throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let port = RawSocket.freePort()
        let process = try BuiltBinary.startServer(in: directory, port: port)
        defer { if process.isRunning { process.terminate() } }
        try await RawSocket.waitUntilListening(port)
        let login = try RawSocket(port: port)
        let credentials = #"{"username":"admin","password":"\#(TestDatabases.adminPassword)"}"#
        login.send(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(credentials.utf8.count)\r\n\r\n\(credentials)"
        )
        let loginResponse = login.readToEnd()
        let loginBody = try #require(loginResponse.range(of: "\r\n\r\n").map { loginResponse[$0.upperBound...] })
        let token = try JSONDecoder().decode(TokenPair.self, from: Data(loginBody.utf8)).accessToken

        // Headers and half of the body: the handler is now waiting for the rest.
        let body = #"{"value":"kept across shutdown"}"#
        let connection = try RawSocket(port: port)
        connection.send(
            "PUT /api/v1/system/settings/shutdown.test HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        )
        connection.send(String(body.prefix(10)))
        try await Task.sleep(for: .milliseconds(300))

        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning, "the server waits for the in-flight request")
        #expect((try? RawSocket(port: port)) == nil, "no new connections are accepted while draining")

        connection.send(String(body.dropFirst(10)))
        let response = connection.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        #expect(response.contains("kept across shutdown"))

        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }

    @Test func aSQLiteFileInAMissingFolderStopsAtOnceWithStatus2() throws {
        // Without the check, each command waited the whole DATABASE_CONNECT_TIMEOUT before failing.
        for command in [["serve"], ["migrate", "current"]] {
            let result = try BuiltBinary.run(
                command, environment: ["DATABASE_URL": "sqlite:///missing-\(UUID().uuidString)/app.db", "DATABASE_CONNECT_TIMEOUT": "60"])
            #expect(result.status == 2, "\(command): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line, no stack trace: \(result.stderr)")
            #expect(lines.first?.contains("DATABASE_URL: the folder of the SQLite file") == true, "\(result.stderr)")
        }
    }

    @Test func sigtermWhileWaitingForTheDatabaseStopsTheWait() async throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let refused = "postgresql://postgres@127.0.0.1:\(RawSocket.freePort())/nothing"
        let process = try BuiltBinary.startServer(
            in: directory, port: RawSocket.freePort(), environment: ["DATABASE_URL": refused, "DATABASE_CONNECT_TIMEOUT": "60"])
        defer { if process.isRunning { process.terminate() } }
        try await Task.sleep(for: .seconds(1))
        #expect(process.isRunning, "still waiting for the database")
        kill(process.processIdentifier, SIGTERM)
        // A bound far inside the 60 s the wait would otherwise run to.
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
    }

    @Test func theFirstHealthCheckKnowsARedisThatRefusesThePassword() async throws {
        try await withRedisServer(password: "the-right-password") { redis in
            let directory = try BuiltBinary.temporaryDirectory()
            let port = RawSocket.freePort()
            let process = try BuiltBinary.startServer(
                in: directory, port: port,
                environment: [
                    "REDIS_ENABLED": "true", "REDIS_URL": "redis://127.0.0.1:\(redis.port)/0", "REDIS_PASSWORD": "a-wrong-password",
                ])
            defer { if process.isRunning { process.terminate() } }
            try await RawSocket.waitUntilListening(port)
            let connection = try RawSocket(port: port)
            connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let response = connection.readToEnd()
            let body = try #require(response.range(of: "\r\n\r\n").map { String(response[$0.upperBound...]) })
            let health = try JSONDecoder().decode([String: JSONAny].self, from: Data(body.utf8))
            #expect(health[path: "checks", "cache", "backend"] == .string("memory"), "\(body)")
            #expect(health[path: "checks", "cache", "status"] == .string("degraded"))
        }
    }
}
