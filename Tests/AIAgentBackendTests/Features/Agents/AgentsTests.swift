import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct AgentsTests {
    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func agentCallsHTTPToolAndRunIsStored(_ kind: ProviderConfiguration.Kind) async throws {
        var settings = try await aiSettings()
        settings.agentHTTPAllowlist = ["127.0.0.1"]  // loopback is refused unless listed
        try await FakeLLMProvider.with { fake in
            try await FakeLLMProvider.with { target in
                try await withServices(settings) { _, client in
                    let token = try await client.login().accessToken
                    let model = try await client.createModel(fake, kind: kind, token: token)
                    let agent = try await client.createAgent(
                        modelID: model, tools: ["http_request", "current_time"], systemPrompt: "You check the weather.", token: token)
                    target.enqueue(.json(["city": "Paris", "temperature": 21]))
                    let url = "http://127.0.0.1:\(target.port)/weather?city=Paris"
                    fake.enqueue(
                        ToolWire.callTool(kind, id: "call_1", name: "http_request", arguments: ["method": "GET", "url": .string(url)]),
                        ToolWire.answer(kind, ["It is ", "21°C in Paris."]))

                    let run = try await client.call(
                        .post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "Weather in Paris?"])
                    ) {
                        #expect($0.status == .ok, "\(String(buffer: $0.body))")
                        return try $0.json()
                    }
                    #expect(run["status"]?.string == "succeeded")
                    #expect(run["output"]?.string == "It is 21°C in Paris.")
                    #expect(run["input_tokens"] == .number(32))
                    let steps = try #require(run["steps"]?.array)
                    #expect(steps.map { $0["kind"]?.string } == ["model", "tool", "model"])
                    #expect(steps[1]["tool_name"]?.string == "http_request")
                    #expect(steps[1]["is_error"] == .bool(false))
                    #expect(steps[1]["result"]?.string?.contains("\"status\":200") == true)
                    #expect(target.requests.map(\.path) == ["/weather?city=Paris"])

                    // The second model call carried the tool's result and the tool definitions.
                    let second = try #require(fake.requests.last).json
                    #expect(second.jsonString.contains("temperature"))
                    #expect(second["tools"]?.jsonString.contains("http_request") == true)
                    #expect(fake.requests.first?.json.jsonString.contains("You check the weather.") == true)

                    let runID = try #require(run["id"]?.string)
                    let stored = try await client.call(.get, "/api/v1/agents/\(agent)/runs/\(runID)", token: token) { try $0.json() }
                    #expect(stored["steps"]?.array?.count == 3)
                    let list = try await client.call(.get, "/api/v1/agents/\(agent)/runs", token: token) { try $0.json() }
                    #expect(list["total"] == .number(1))
                    let counters = try await client.call(.get, "/api/v1/agents/\(agent)", token: token) { try $0.json() }
                    #expect(counters["run_count"] == .number(1) && counters["success_count"] == .number(1) && counters["error_count"] == .number(0))
                    #expect(counters["last_run_at"]?.string != nil)
                }
            }
        }
    }

    @Test func allowlistRefusesOtherHosts() async throws {
        var settings = try await aiSettings()
        settings.agentHTTPAllowlist = ["api.example.com"]
        let (run, targetRequests) = try await runAgentCallingHTTP(settings) { "http://127.0.0.1:\($0)/secret" }
        let tool = try #require(run["steps"]?.array?[1])
        #expect(tool["is_error"] == .bool(true))
        #expect(tool["result"]?.string?.contains("not allowed") == true)
        #expect(targetRequests == 0)
        #expect(run["status"]?.string == "succeeded")
    }

    @Test func maxStepsStopsTheLoop() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let agent = try await client.createAgent(
                    modelID: try await client.createModel(fake, token: token), tools: ["current_time"], maxSteps: 2, token: token)
                for index in 1...3 {
                    fake.enqueue(ToolWire.callTool(.openai, id: "c\(index)", name: "current_time", arguments: ["timezone": "Europe/Paris"]))
                }
                let run = try await client.call(.post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "loop"])) {
                    try $0.json()
                }
                #expect(run["status"]?.string == "max_steps")
                #expect(run["steps"]?.array?.map { $0["kind"]?.string } == ["model", "tool", "model", "tool"])
                #expect(run["steps"]?.array?[1]["result"]?.string?.contains("Europe/Paris") == true)
                #expect(fake.requests.count == 2)
                let counters = try await client.call(.get, "/api/v1/agents/\(agent)", token: token) { try $0.json() }
                #expect(counters["error_count"] == .number(1))
            }
        }
    }

    @Test func streamedRunSendsEvents() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let agent = try await client.createAgent(
                    modelID: try await client.createModel(fake, token: token), tools: ["current_time"], token: token)
                fake.enqueue(ToolWire.callTool(.openai, id: "c1", name: "current_time", arguments: [:]), ToolWire.answer(.openai, ["Now", "."]))
                let events = try await client.call(
                    .post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "time?", "stream": true])
                ) { response in
                    #expect(response.headers[.contentType] == "text/event-stream")
                    return SSEParser.parse(String(buffer: response.body))
                }
                #expect(events.names == ["usage", "tool_call", "tool_result", "delta", "delta", "usage", "done"])
                #expect(events.text == "Now.")
                #expect(events[1].data["name"]?.string == "current_time")
                let runID = try #require(events.last?.data["run_id"]?.string)
                let stored = try await client.call(.get, "/api/v1/agents/\(agent)/runs/\(runID)", token: token) { try $0.json() }
                #expect(stored["status"]?.string == "succeeded" && stored["output"]?.string == "Now.")
            }
        }
    }

    @Test func validation() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, token: token)
                for (body, field) in [
                    (["name": "a", "model_config_id": model, "tools": ["rm_rf"]], "tools"),
                    (["name": "a", "model_config_id": model, "max_steps": 0], "max_steps"),
                    (["name": "a", "model_config_id": model, "type": "robot"], "type"),
                    (["name": "a", "model_config_id": UUID().uuidString], "model_config_id"),
                ] as [([String: Any], String)] {
                    try await client.call(.post, "/api/v1/agents", token: token, json: jsonText(body)) { response in
                        // Well-formed but naming nothing: 404; malformed: 422.
                        let expected: HTTPResponse.Status = field == "model_config_id" ? .notFound : .unprocessableContent
                        #expect(response.status == expected, "\(body)")
                        let details = try response.errorBody().error.details
                        #expect(details?["field"] == field)
                    }
                }
                let agent = try await client.createAgent(modelID: model, token: token)
                try await client.call(.post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": " "])) {
                    #expect($0.status == .unprocessableContent)
                }
                try await client.call(.get, "/api/v1/agents/\(agent)/runs/\(UUID())", token: token) { #expect($0.status == .notFound) }
            }
        }
    }
}
