import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct HTTPTests {
    @Test(arguments: DatabaseKind.allCases)
    func healthIsHealthyOnAMigratedDatabase(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["status"] == .string("healthy"))
                #expect(body["service"] == .string("ai-agent-backend"))
                #expect(body["environment"] == .string("testing"))
                #expect(body["version"]?.string == Settings.version)
                #expect(body[path: "checks", "database", "status"] == .string("up"))
                #expect((body[path: "checks", "database", "latency_ms"]?.number ?? -1) >= 0)
                let timestamp = try #require(body["timestamp"]?.string)
                #expect(ISO8601DateFormatter().date(from: timestamp) != nil)
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func healthIs503WhenTheDatabaseIsUnreachable() async throws {
        var settings = try await TestDatabases.settings(.sqlite, autoMigrate: false)
        settings.database = .postgres(url: "postgres://nobody:secret@127.0.0.1:1/nothing")
        try await withApp(settings) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try response.json()
                #expect(body["status"] == .string("unhealthy"))
                #expect(body[path: "checks", "database", "status"] == .string("down"))
                let text = String(buffer: response.body)
                #expect(!text.contains("secret") && !text.contains("127.0.0.1"), "no connection details reach the client")
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok, "liveness does not depend on the database")
            }
        }
    }

    @Test func errorBodies() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.maxBodySize = 100
        try await withApp(settings) { client in
            let token = try await client.login().accessToken
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                let error = try response.errorBody().error
                #expect(error.code == "not_found")
            }
            try await client.execute(uri: "/health", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                let error = try response.errorBody().error
                #expect(error.code == "method_not_allowed")
            }
            try await client.call(.put, "/api/v1/system/settings/site.name", token: token, json: "{not json") { response in
                #expect(response.status == .badRequest)
                let error = try response.errorBody().error
                #expect(error.code == "invalid_json")
            }
            try await client.call(.put, "/api/v1/system/settings/site.name", token: token, json: #"{"description":"x"}"#) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.code == "validation_failed")
                #expect(error.details?["field"] == "value")
            }
            let large = #"{"value":""# + String(repeating: "x", count: 200) + #""}"#
            try await client.call(.put, "/api/v1/system/settings/site.name", token: token, json: large) { response in
                #expect(response.status == .contentTooLarge)
                let error = try response.errorBody().error
                #expect(error.code == "payload_too_large")
            }
        }
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "trace-abc-123"]) { response in
                #expect(response.headers[.requestID] == "trace-abc-123")
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                let generated = try #require(response.headers[.requestID])
                #expect(generated.count >= 16 && generated.allSatisfy(\.isHexDigit))
            }
        }
    }

    /// HTTP/1.1's parser already answers 400 to a DEL in a header, and `HTTPField(name:value:)`
    /// turns it into a space; a lenient field brings it to the middleware as it is.
    @Test func requestIDWithADeleteCharacterIsReplaced() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let headers = HTTPFields([HTTPField(name: .requestID, lenientValue: Array("trace\u{7f}abc".utf8))])
            #expect(headers[.requestID] == "trace\u{7f}abc")
            try await client.execute(uri: "/health/live", method: .get, headers: headers) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id.count >= 16 && id.allSatisfy(\.isHexDigit), "a generated id, not the client's: \(id)")
            }
        }
    }

    @Test func metricsCountRequestsUnderTheirRouteTemplate() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let token = try await client.login().accessToken
            // A method/route/status no other test produces: the registry is shared by the whole process.
            let series = #"http_requests_total{method="DELETE",route="/api/v1/departments/:id",status="404"}"#
            let before = try await Self.scrape(client)[series] ?? 0
            let ids = (0..<3).map { _ in UUID().uuidString }
            for id in ids {
                try await client.call(.delete, "/api/v1/departments/\(id)", token: token) { #expect($0.status == .notFound) }
            }
            let samples = try await Self.scrape(client)
            #expect(samples[series] == before + 3)
            #expect(!samples.keys.contains { $0.contains(ids[0]) }, "raw paths never become labels")
            #expect(samples.keys.contains { $0.hasPrefix(#"http_request_duration_seconds_bucket{method="DELETE",route="/api/v1/departments/:id""#) })
            for name in [
                "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds", "database_pool_size",
            ] {
                #expect((samples[name] ?? 0) > 0, "\(name) is exported")
            }
            #expect(samples.keys.contains { $0.hasPrefix("build_info{") && $0.contains(#"swift_version="\#(AppMetrics.swiftVersion)""#) })
        }
    }

    /// Every enum-valued query parameter: an unknown value is a 422 naming the parameter
    /// and its values, a known one filters.
    @Test func unknownEnumQueryValuesAre422() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let token = try await client.login().accessToken
            let parameters: [(path: String, name: String, allowed: String, known: String)] = [
                ("/api/v1/agents", "type", "chat, task, testing, analysis, custom", "testing"),
                ("/api/v1/users", "status", "active, disabled", "disabled"),
                ("/api/v1/models", "provider", "openai, anthropic, openai_compatible", "openai_compatible"),
                ("/api/v1/llm-usage", "source", "chat, agent, test, generation, embedding", "agent"),
            ]
            for parameter in parameters {
                try await client.call(.get, "\(parameter.path)?\(parameter.name)=bogus", token: token) { response in
                    #expect(response.status == .unprocessableContent, "\(parameter.path)")
                    let error = try response.errorBody().error
                    #expect(error.code == "validation_failed")
                    #expect(error.details?["field"] == parameter.name)
                    #expect(error.message == "\(parameter.name): must be one of \(parameter.allowed)")
                }
                try await client.call(.get, "\(parameter.path)?\(parameter.name)=\(parameter.known)", token: token) {
                    #expect($0.status == .ok, "\(parameter.path)?\(parameter.name)=\(parameter.known)")
                }
            }
        }
    }

    @Test func metricsAreAnUnknownRouteWhenDisabled() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.enableMetrics = false
        try await withApp(settings) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let error = try response.errorBody().error
                #expect(error.code == "not_found")
                #expect(error.message == "no route for GET /metrics")
            }
        }
    }

    /// Parses the Prometheus text format into series → value.
    static func scrape(_ client: any TestClientProtocol) async throws -> [String: Double] {
        try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            var samples: [String: Double] = [:]
            for line in String(buffer: response.body).split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    Issue.record("unparseable metrics line: \(line)")
                    continue
                }
                samples[String(line[..<space])] = value
            }
            return samples
        }
    }
}
