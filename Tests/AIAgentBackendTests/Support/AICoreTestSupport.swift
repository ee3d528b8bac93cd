import AsyncHTTPClient
import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import AIAgentBackend

/// JSON text for a request body.
func jsonText(_ object: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
}

extension TestClientProtocol {
    /// A model configuration pointing at `fake`; returns its id.
    func createModel(
        _ fake: FakeLLMProvider, kind: ProviderConfiguration.Kind = .openai, name: String = "fake-model",
        apiKey: String = "sk-test-0123456789abcd", extra: [String: Any] = [:], token: String
    ) async throws -> String {
        var body: [String: Any] = ["name": name, "provider": kind.rawValue, "model": "test-model", "base_url": fake.baseURL, "api_key": apiKey]
        body.merge(extra) { $1 }
        return try await call(.post, "/api/v1/models", token: token, json: jsonText(body)) { response in
            #expect(response.status == .created, "create model: \(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    func createAgent(
        modelID: String, name: String = "agent", tools: [String] = [], maxSteps: Int = 5, systemPrompt: String? = nil,
        token: String
    ) async throws -> String {
        var body: [String: Any] = ["name": name, "type": "task", "model_config_id": modelID, "tools": tools, "max_steps": maxSteps]
        if let systemPrompt { body["system_prompt"] = systemPrompt }
        return try await call(.post, "/api/v1/agents", token: token, json: jsonText(body)) { response in
            #expect(response.status == .created, "create agent: \(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    func createSession(_ target: [String: Any], token: String) async throws -> String {
        try await call(.post, "/api/v1/chat/sessions", token: token, json: jsonText(target)) { response in
            #expect(response.status == .created, "create session: \(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }
}

/// One server-sent event as received.
struct SSEEvent: Equatable, Sendable {
    var name: String
    var data: [String: JSONAny]
}

/// Splits a `text/event-stream` body into events; `rest` keeps an incomplete tail.
struct SSEParser {
    private var buffer = ""

    mutating func feed(_ text: String) -> [SSEEvent] {
        buffer += text
        var events: [SSEEvent] = []
        while let range = buffer.range(of: "\n\n") {
            let block = buffer[..<range.lowerBound]
            buffer = String(buffer[range.upperBound...])
            var name = "message"
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            let payload = (try? JSONDecoder().decode([String: JSONAny].self, from: Data(data.utf8))) ?? [:]
            events.append(SSEEvent(name: name, data: payload))
        }
        return events
    }

    static func parse(_ text: String) -> [SSEEvent] {
        var parser = SSEParser()
        return parser.feed(text)
    }
}

extension Array where Element == SSEEvent {
    var text: String { filter { $0.name == "delta" }.compactMap { $0.data["text"]?.string }.joined() }
    var names: [String] { map(\.name) }
}

/// Scripted replies for a model call that asks for one tool, in either wire format.
enum ToolWire {
    static func callTool(_ kind: ProviderConfiguration.Kind, id: String, name: String, arguments: JSONValue) -> FakeLLMProvider.Reply {
        let json = arguments.jsonString
        let pieces = [String(json.prefix(json.count / 2)), String(json.dropFirst(json.count / 2))]
        if kind == .anthropic {
            return .sse(
                [AnthropicWire.messageStart(input: 20)] + AnthropicWire.toolUseBlock(index: 0, id: id, name: name, pieces: pieces)
                    + AnthropicWire.messageEnd(stopReason: "tool_use", output: 7))
        }
        return .sse(
            OpenAIWire.toolCall(index: 0, id: id, name: name, pieces: pieces)
                + [OpenAIWire.finish("tool_calls"), OpenAIWire.usage(input: 20, output: 7), OpenAIWire.done])
    }

    static func answer(_ kind: ProviderConfiguration.Kind, _ pieces: [String]) -> FakeLLMProvider.Reply {
        .sse(Wire.textStream(kind, pieces))
    }
}

/// Settings for an app on a fresh SQLite database, with a real listening port when `live`.
/// An agent with the `http_request` tool, whose model calls it once with `url(port)` (the
/// port of a local target server) and then answers: the stored run, and what the target received.
func runAgentCallingHTTP(_ settings: Settings, url: @escaping @Sendable (Int) -> String) async throws
    -> (run: [String: JSONAny], targetRequests: Int)
{
    let result = Mutex<([String: JSONAny], Int)?>(nil)
    try await FakeLLMProvider.with { fake in
        try await FakeLLMProvider.with { target in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let agent = try await client.createAgent(
                    modelID: try await client.createModel(fake, token: token), tools: ["http_request"], token: token)
                fake.enqueue(
                    ToolWire.callTool(.openai, id: "c1", name: "http_request", arguments: ["url": .string(url(target.port))]),
                    ToolWire.answer(.openai, ["Done."]))
                let run: [String: JSONAny] = try await client.call(
                    .post, "/api/v1/agents/\(agent)/run", token: token, json: jsonText(["input": "go"])
                ) { try $0.json() }
                result.withLock { $0 = (run, target.requests.count) }
            }
        }
    }
    let (run, requests) = try #require(result.withLock { $0 })
    return (run, requests)
}

func aiSettings(_ kind: DatabaseKind = .sqlite, live: Bool = false) async throws -> Settings {
    var settings = try await TestDatabases.settings(kind)
    if live { settings.port = 0 }
    return settings
}

extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
}
