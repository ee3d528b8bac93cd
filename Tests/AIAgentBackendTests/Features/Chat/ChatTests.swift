import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct ChatTests {
    @Test func sessionsBelongToTheirUser() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let admin = try await client.login().accessToken
                let model = try await client.createModel(fake, token: admin)
                _ = try await client.createUser("alice", roles: ["tester"], adminToken: admin)
                _ = try await client.createUser("bob", roles: ["tester"], adminToken: admin)
                let alice = try await client.login("alice", "user-password-1").accessToken
                let bob = try await client.login("bob", "user-password-1").accessToken
                let session = try await client.createSession(["model_config_id": model], token: alice)
                let base = "/api/v1/chat/sessions/\(session)"
                for (method, uri, body) in [
                    (HTTPRequest.Method.get, base, nil), (.put, base, jsonText(["title": "mine"])),
                    (.post, base + "/messages", jsonText(["content": "hi"])), (.post, base + "/regenerate", "{}"),
                    (.get, base + "/export", nil), (.delete, base, nil),
                ] as [(HTTPRequest.Method, String, String?)] {
                    try await client.call(method, uri, token: bob, json: body) { #expect($0.status == .notFound, "\(method) \(uri)") }
                }
                let bobs = try await client.call(.get, "/api/v1/chat/sessions", token: bob) { try $0.json()["total"] }
                #expect(bobs == .number(0))
                let alices = try await client.call(.get, "/api/v1/chat/sessions", token: alice) { try $0.json()["total"] }
                #expect(alices == .number(1))
                #expect(fake.requests.isEmpty)
            }
        }
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func conversationRegenerateAndExport(_ kind: ProviderConfiguration.Kind) async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { services, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(
                    fake, kind: kind, extra: ["input_price_per_million": 1.0, "output_price_per_million": 2.0], token: token)
                let session = try await client.createSession(["model_config_id": model], token: token)
                let base = "/api/v1/chat/sessions/\(session)"

                fake.enqueue(ToolWire.answer(kind, ["Hi ", "there!"]))
                let first = try await client.call(.post, base + "/messages", token: token, json: jsonText(["content": "Hello model\nsecond line"])) {
                    #expect($0.status == .ok, "\(String(buffer: $0.body))")
                    return try $0.json()
                }
                #expect(first[path: "message", "content"]?.string == "Hi there!")
                #expect(first[path: "message", "status"]?.string == "complete")
                #expect(first[path: "message", "input_tokens"] == .number(12))
                #expect(first[path: "user_message", "content"]?.string == "Hello model\nsecond line")
                let cost = try #require(first[path: "message", "cost"]?.number)
                #expect(abs(cost - (12 * 1.0 + 5 * 2.0) / 1_000_000) < 1e-12)

                fake.enqueue(ToolWire.answer(kind, ["Fine."]))
                try await client.call(.post, base + "/messages", token: token, json: jsonText(["content": "How are you?"])) {
                    #expect($0.status == .ok)
                }
                let history = try #require(fake.requests.last?.json["messages"]?.jsonString)
                #expect(history.contains("Hello model") && history.contains("Hi there!") && history.contains("How are you?"))

                fake.enqueue(ToolWire.answer(kind, ["Great, thanks."]))
                try await client.call(.post, base + "/regenerate", token: token, json: "{}") { #expect($0.status == .ok) }
                let regenerated = try #require(fake.requests.last?.json["messages"]?.jsonString)
                #expect(!regenerated.contains("Fine."))

                let detail = try await client.call(.get, base, token: token) { try $0.json() }
                #expect(detail["title"]?.string == "Hello model")
                #expect(
                    detail["messages"]?.array?.map { $0["content"]?.string ?? "" } == [
                        "Hello model\nsecond line", "Hi there!", "How are you?", "Great, thanks.",
                    ])

                try await client.call(.get, base + "/export?format=markdown", token: token) { response in
                    #expect(response.headers[.contentType] == "text/markdown; charset=utf-8")
                    #expect(response.headers[.contentDisposition]?.contains("attachment") == true)
                    let text = String(buffer: response.body)
                    #expect(text.hasPrefix("# Hello model\n"))
                    #expect(text.contains("## User\n\nHow are you?") && text.contains("## Assistant\n\nGreat, thanks."))
                }
                let exported = try await client.call(.get, base + "/export?format=json", token: token) { try $0.json() }
                #expect(exported["messages"]?.array?.count == 4)
                try await client.call(.get, base + "/export?format=pdf", token: token) { #expect($0.status == .unprocessableContent) }

                let usage = try await LLMUsageRecord.query(on: services.database.database).filter(\.$source == "chat").count()
                #expect(usage == 3)
                try await client.call(.put, base, token: token, json: jsonText(["title": "Renamed"])) { #expect($0.status == .ok) }
                try await client.call(.delete, base, token: token) { #expect($0.status == .noContent) }
                try await client.call(.get, base, token: token) { #expect($0.status == .notFound) }
                try await client.call(.post, base + "/messages", token: token, json: jsonText(["content": "still there?"])) {
                    #expect($0.status == .notFound)
                }
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func usageIsReportedPerModel(kind: DatabaseKind) async throws {
        let settings = try await aiSettings(kind)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let priced = try await client.createModel(
                    fake, name: "priced", extra: ["input_price_per_million": 1.0, "output_price_per_million": 2.0],
                    token: token)
                let free = try await client.createModel(fake, name: "free", token: token)
                for model in [priced, priced, free] {
                    let session = try await client.createSession(["model_config_id": model], token: token)
                    fake.enqueue(ToolWire.answer(.openai, ["ok"]))
                    try await client.call(.post, "/api/v1/chat/sessions/\(session)/messages", token: token, json: jsonText(["content": "hi"])) {
                        #expect($0.status == .ok)
                    }
                }
                func report(_ query: String) async throws -> [String: JSONAny] {
                    try await client.call(.get, "/api/v1/llm-usage" + query, token: token) { response in
                        #expect(response.status == .ok, "\(String(buffer: response.body))")
                        return try response.json()
                    }
                }
                let all = try await report("")
                #expect(all[path: "total", "calls"] == .number(3))
                #expect(all[path: "total", "input_tokens"] == .number(36) && all[path: "total", "output_tokens"] == .number(15))
                #expect(abs((all[path: "total", "cost"]?.number ?? 0) - 2 * (12 * 1.0 + 5 * 2.0) / 1_000_000) < 1e-12)
                let lines = all["by_model"]?.array ?? []
                #expect(lines.count == 2)
                let freeLine = lines.first { $0["model_config_id"]?.string == free }
                #expect(freeLine?["usage"]?["calls"] == .number(1) && freeLine?["usage"]?["cost"] == nil, "no prices, no cost")

                let hour: TimeInterval = 3600
                let format = ISO8601DateFormatter()
                let past = format.string(from: Date().addingTimeInterval(-hour)), future = format.string(from: Date().addingTimeInterval(hour))
                let window = try await report("?from=\(past)&to=\(future)")
                #expect(window[path: "total", "calls"] == .number(3))
                let later = try await report("?from=\(future)")
                #expect(later[path: "total", "calls"] == .number(0) && later["by_model"]?.array?.isEmpty == true)
                let agents = try await report("?source=agent")
                #expect(agents[path: "total", "calls"] == .number(0))
                try await client.call(.get, "/api/v1/llm-usage?from=yesterday", token: token) { response in
                    let error = try response.errorBody().error
                    #expect(response.status == .unprocessableContent && error.details?["field"] == "from")
                }
            }
        }
    }

    /// Sessions' routes and models' decrypted configurations are kept in memory; a change made
    /// here still counts from the next message on.
    @Test func modelChangesCountAtOnce() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, token: token)
                let base = "/api/v1/chat/sessions/\(try await client.createSession(["model_config_id": model], token: token))"
                func send(_ expected: HTTPResponse.Status) async throws {
                    try await client.call(.post, base + "/messages", token: token, json: jsonText(["content": "hi"])) { response in
                        #expect(response.status == expected, "\(String(buffer: response.body))")
                    }
                }
                fake.enqueue(ToolWire.answer(.openai, ["one"]))
                try await send(.ok)
                try await client.call(.put, "/api/v1/models/\(model)", token: token, json: jsonText(["is_active": false])) {
                    #expect($0.status == .ok)
                }
                try await send(.conflict)
                try await client.call(.put, "/api/v1/models/\(model)", token: token, json: jsonText(["is_active": true, "model": "renamed-model"])) {
                    #expect($0.status == .ok)
                }
                fake.enqueue(ToolWire.answer(.openai, ["two"]))
                try await send(.ok)
                #expect(fake.requests.last?.json["model"]?.stringValue == "renamed-model")
                try await client.call(.delete, "/api/v1/models/\(model)", token: token) { #expect($0.status == .noContent) }
                try await send(.conflict)
                #expect(fake.requests.count == 2)
            }
        }
    }

    /// The budget is the model configuration's `context_tokens`, else `CHAT_CONTEXT_TOKENS`.
    @Test(arguments: [(400, nil), (100_000, 400)] as [(Int, Int?)])
    func historyIsTrimmedToTheBudget(serviceBudget: Int, modelBudget: Int?) async throws {
        var settings = try await aiSettings()
        settings.chatContextTokens = serviceBudget
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                try await client.call(
                    .post, "/api/v1/models", token: token,
                    json: jsonText([
                        "name": "tiny", "provider": "openai_compatible",
                        "model": "m", "context_tokens": 10,
                    ])
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    let error = try response.errorBody().error
                    #expect(error.details?["field"] == "context_tokens")
                }
                let model = try await client.createModel(fake, extra: modelBudget.map { ["context_tokens": $0] } ?? [:], token: token)
                let agent = try await client.createAgent(modelID: model, systemPrompt: "SYSTEM PROMPT", token: token)
                let session = try await client.createSession(["agent_id": agent], token: token)
                for turn in 1...4 {
                    fake.enqueue(ToolWire.answer(.openai, ["answer \(turn) " + String(repeating: "a", count: 300)]))
                    let content = "question \(turn) " + String(repeating: "q", count: 300)
                    try await client.call(.post, "/api/v1/chat/sessions/\(session)/messages", token: token, json: jsonText(["content": content])) {
                        #expect($0.status == .ok)
                    }
                }
                let messages = try #require(fake.requests.last?.json["messages"]?.arrayValue)
                let contents = messages.compactMap { $0["content"]?.stringValue }
                #expect(contents.first == "SYSTEM PROMPT")
                #expect(contents.last?.hasPrefix("question 4") == true)
                #expect(!contents.contains { $0.hasPrefix("question 1") })
                #expect(messages[1]["role"]?.stringValue == "user")
                #expect(contents.map { $0.count / 4 + ContextWindow.messageOverhead }.reduce(0, +) <= 400)
            }
        }
    }

    @Test func trimKeepsTheNewestMessageAndStartsWithAUserTurn() {
        let long = String(repeating: "x", count: 400)
        let history: [ChatMessage] = [.user(long), .assistant(long), .user(long), .assistant("short"), .user("last")]
        let kept = ContextWindow.trim(history, systemPrompt: "system", budget: 120)
        #expect(kept == [.user(long), .assistant("short"), .user("last")])
        #expect(ContextWindow.trim(history, systemPrompt: nil, budget: 1) == [.user("last")])
    }

    @Test func providerFailureIsStoredAndReported() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let session = try await client.createSession(["model_config_id": try await client.createModel(fake, token: token)], token: token)
                fake.enqueue(Wire.failure(.openai, status: 401, message: "Incorrect API key provided"))
                try await client.call(.post, "/api/v1/chat/sessions/\(session)/messages", token: token, json: jsonText(["content": "hi"])) {
                    response in
                    #expect(response.status == .badGateway)
                    let error = try response.errorBody().error
                    #expect(error.code == "llm_error" && error.message.contains("Incorrect API key provided"))
                }
                let detail = try await client.call(.get, "/api/v1/chat/sessions/\(session)", token: token) { try $0.json() }
                #expect(detail["messages"]?.array?.map { $0["status"]?.string ?? "" } == ["complete", "error"])
            }
        }
    }
}
