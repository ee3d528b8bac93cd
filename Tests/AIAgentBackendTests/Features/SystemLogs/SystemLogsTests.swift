import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct SystemLogsTests {
    /// Reads the listing until it holds `count` records matching `query` (the writer is asynchronous).
    static func waitForRecords(
        _ client: any TestClientProtocol, token: String, query: String, count: Int = 1
    ) async throws -> [String: JSONAny] {
        for _ in 0..<200 {
            let page = try await client.call(.get, "/api/v1/system/logs?\(query)", token: token) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            if (page["total"]?.number ?? 0) >= Double(count) { return page }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no system log record matching \(query)")
        throw TestSetupError()
    }

    @Test(arguments: DatabaseKind.allCases)
    func warningsAreKeptWithSecretsMaskedAndFiltered(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            services.logger.info("an ordinary event, not kept")
            services.logger.warning("disk nearly full on volume-7", metadata: ["password": "hunter2-secret", "volume": "7"])
            services.logger.error("upstream refused the call", metadata: ["authorization": "Bearer abcdefghijklmnop"])

            let page = try await Self.waitForRecords(client, token: admin, query: "text=VOLUME-7")
            let record = try #require(page["items"]?.array?.first)
            #expect(record["level"] == .string("warning"))
            #expect(record["module"] == .string("AIAgentBackendTests"))
            #expect(record["message"] == .string("disk nearly full on volume-7"))
            #expect(record["metadata"]?["password"] == .string("***"), "secrets never reach the table")
            #expect(record["metadata"]?["volume"] == .string("7"))

            _ = try await Self.waitForRecords(client, token: admin, query: "level=error&text=upstream")
            let errors = try await client.call(.get, "/api/v1/system/logs?level=error", token: admin) { try $0.json() }
            #expect(errors["items"]?.array?.allSatisfy { $0["level"] == .string("error") } == true)
            #expect(errors["items"]?.array?.contains { $0["message"] == .string("disk nearly full on volume-7") } == false)
            let ordinary = try await client.call(.get, "/api/v1/system/logs?text=ordinary", token: admin) { try $0.json() }
            #expect(ordinary["total"] == .number(0), "INFO records are not kept")
            let other = try await client.call(.get, "/api/v1/system/logs?module=Hummingbird&text=volume", token: admin) { try $0.json() }
            #expect(other["total"] == .number(0))
            let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
            let later = try await client.call(.get, "/api/v1/system/logs?from=\(future)", token: admin) { try $0.json() }
            #expect(later["total"] == .number(0))
            try await client.call(.get, "/api/v1/system/logs?level=info", token: admin) { #expect($0.status == .unprocessableContent) }

            // Retention: a record older than SYSTEM_LOG_RETENTION_DAYS goes at the next prune.
            try await services.database.sql.update("system_logs").set("created_at", to: Date().addingTimeInterval(-40 * 86_400))
                .where("message", .equal, "upstream refused the call").run()
            await services.systemLogs.prune()
            let pruned = try await client.call(.get, "/api/v1/system/logs?text=upstream", token: admin) { try $0.json() }
            #expect(pruned["total"] == .number(0))
            let kept = try await client.call(.get, "/api/v1/system/logs?text=volume", token: admin) { try $0.json() }
            #expect(kept["total"] == .number(1))

            _ = try await client.createUser("viewer2", roles: ["viewer"], adminToken: admin)
            let viewer = try await client.login("viewer2", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/system/logs", token: viewer) { #expect($0.status == .forbidden) }
        }
    }

    /// Logged while the application is built, before the schema exists: kept, not lost.
    @Test func aWarningBeforeTheSchemaIsReadyIsWrittenOnceItIs() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.consoleDirectory = "/nonexistent-console-folder"
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let page = try await Self.waitForRecords(client, token: admin, query: "text=no%20web%20console")
            #expect(page["items"]?.array?.first?["metadata"]?["path"] == .string("/nonexistent-console-folder"))
        }
    }

    @Test func theTailStreamsRecordsAsTheyAreWritten() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.port = 0
        try await withServices(settings, setup: .live) { services, client in
            let token = try await client.login().accessToken
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(try #require(client.port))/api/v1/system/logs/stream?level=warning")
            request.headers.add(name: "authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            // Logged once the stream is open; the error is filtered out by `level`.
            services.logger.error("not for this tail")
            services.logger.warning("tail me please")
            var parser = SSEParser()
            var received: [SSEEvent] = []
            reading: for try await chunk in response.body {
                for event in parser.feed(String(buffer: chunk)) {
                    received.append(event)
                    if event.name == "log" { break reading }
                }
            }
            let log = try #require(received.first { $0.name == "log" })
            #expect(log.data["message"] == .string("tail me please") && log.data["level"] == .string("warning"))
            #expect(!received.contains { $0.data["message"] == .string("not for this tail") })
        }
    }
}
