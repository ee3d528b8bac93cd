import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import AIAgentBackend

/// PostgreSQL stopped under a running service: 503 `database_unavailable`, never 500, and
/// the service recovers by itself when the database is back.
@Suite(.serialized) struct DatabaseOutageTests {
    @Test func anOutageAnswers503AndTheServiceRecoversAfterIt() async throws {
        try await withPostgresServer { server in
            var settings = try await TestDatabases.settings(.sqlite)
            settings.database = try DatabaseURL(parsing: server.url)
            try await withApp(settings) { client in
                let token = try await client.login().accessToken
                try await client.call(.get, "/api/v1/users", token: token) { #expect($0.status == .ok) }

                try await server.stop()
                // Requests that reach the database (the user list may come from the cache).
                let requests: [(HTTPRequest.Method, String, String?)] = [
                    (.get, "/api/v1/audit-logs", nil), (.put, "/api/v1/system/settings/outage.test", #"{"value":"written"}"#),
                ]
                for (method, path, json) in requests {
                    try await client.call(method, path, token: token, json: json) { response in
                        #expect(response.status == .serviceUnavailable, "\(path): \(String(buffer: response.body))")
                        let body = try response.errorBody()
                        #expect(body.error.code == "database_unavailable")
                        #expect(response.headers[.retryAfter] == "\(DatabaseOutage.retryAfterSeconds)")
                    }
                }
                try await client.call(.get, "/health", token: nil) { #expect($0.status == .serviceUnavailable) }
                try await client.call(.get, "/health/live", token: nil) { #expect($0.status == .ok) }

                try await server.start()
                // The pool opens new connections on its own; no restart of the service.
                var status = HTTPResponse.Status.serviceUnavailable
                let deadline = ContinuousClock.now + .seconds(30)
                while status != .ok, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    status = try await client.call(.get, "/api/v1/users", token: token) { $0.status }
                }
                #expect(status == .ok)
            }
        }
    }

    /// Once took 45.8 s (1.1 s without the outage): SHUTDOWN_TIMEOUT must bound it in every case.
    /// The clients read the audit log, which always reaches the database (unlike the cached user list).
    @Test func sigtermAfterAnOutageUnderLoadStopsWithinTheShutdownTimeout() async throws {
        try await withPostgresServer { server in
            let port = RawSocket.freePort()
            let shutdownTimeout = 5
            let process = try BuiltBinary.startServer(
                in: try BuiltBinary.temporaryDirectory(), port: port,
                environment: ["DATABASE_URL": server.url, "SHUTDOWN_TIMEOUT": "\(shutdownTimeout)"])
            defer { if process.isRunning { process.terminate() } }
            let base = "http://127.0.0.1:\(port)"
            var ready = false
            for _ in 0..<300 where !ready {
                ready = (try? await Self.get(base + "/health", token: nil)) == 200
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(ready, "the server did not become ready")
            let token = try await Self.login(base)

            let statuses = StatusCounts()
            let load = Task {
                await withTaskGroup(of: Void.self) { clients in
                    for _ in 0..<16 {
                        clients.addTask {
                            while !Task.isCancelled {
                                guard let status = try? await Self.get(base + "/api/v1/audit-logs", token: token) else {
                                    try? await Task.sleep(for: .milliseconds(20))
                                    continue
                                }
                                statuses.add(status)
                            }
                        }
                    }
                }
            }
            try await Task.sleep(for: .seconds(1))
            try await server.stop()
            try await Task.sleep(for: .seconds(3))
            try await server.start()
            var recovered = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !recovered, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                recovered = (try? await Self.get(base + "/api/v1/audit-logs", token: token)) == 200
            }
            #expect(recovered, "the service recovers without a restart")

            let start = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)
            while process.isRunning, ContinuousClock.now - start < .seconds(60) { try await Task.sleep(for: .milliseconds(50)) }
            let took = ContinuousClock.now - start
            load.cancel()
            await load.value
            #expect(!process.isRunning)
            #expect(took < .seconds(shutdownTimeout), "SIGTERM after the outage took \(took)")
            let seen = statuses.all
            #expect(seen[500] == nil, "no 500 during the outage: \(seen)")
            #expect(seen[503] != nil, "the outage was seen: \(seen)")
        }
    }

    /// The status of a GET, nil when no answer came.
    private static func get(_ url: String, token: String?) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    private static func login(_ base: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/api/v1/auth/login")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: jsonText(["username": "admin", "password": TestDatabases.adminPassword])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(TokenPair.self, from: Data(buffer: body)).accessToken
    }

    @Test(arguments: DatabaseKind.allCases)
    func aFailingQueryIsNotAnOutage(kind: DatabaseKind) async throws {
        try await withDatabase(try await TestDatabases.settings(kind)) { database in
            let error = await #expect(throws: (any Error).self) { try await database.sql.raw("SELECT * FROM no_such_table").run() }
            let failure = try #require(error)
            #expect(!DatabaseOutage.isOutage(failure), "\(String(reflecting: failure))")
        }
    }
}

/// Statuses seen by concurrent clients.
private final class StatusCounts: Sendable {
    private let counts = Mutex<[UInt: Int]>([:])
    func add(_ status: UInt) { counts.withLock { $0[status, default: 0] += 1 } }
    var all: [UInt: Int] { counts.withLock { $0 } }
}
