import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import FluentKit
import Synchronization
import Testing
@testable import AIAgentBackend

/// Streaming over a real listening server, read with a real HTTP client as it arrives.
@Suite struct ChatStreamingTests {
    /// Posts a message with `stream: true` and hands each event to `onEvent` as it is parsed;
    /// returning false from it stops reading and drops the connection.
    static func stream(
        port: Int, session: String, token: String, content: String = "hi",
        onEvent: @escaping @Sendable (SSEEvent) -> Bool
    ) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/chat/sessions/\(session)/messages")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: jsonText(["content": content, "stream": true])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-type") == "text/event-stream")
        var parser = SSEParser()
        for try await chunk in response.body {
            for event in parser.feed(String(buffer: chunk)) where !onEvent(event) { return }
        }
    }

    static func setUp(_ kind: ProviderConfiguration.Kind, fake: FakeLLMProvider, client: any TestClientProtocol) async throws -> (
        token: String, session: String
    ) {
        let token = try await client.login().accessToken
        let model = try await client.createModel(fake, kind: kind, token: token)
        return (token, try await client.createSession(["model_config_id": model], token: token))
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func eventsArriveAsTheProviderSendsThem(_ kind: ProviderConfiguration.Kind) async throws {
        let settings = try await aiSettings(live: true)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings, setup: .live) { _, client in
                let (token, session) = try await Self.setUp(kind, fake: fake, client: client)
                let steps = Wire.textStream(kind, ["Hel", "lo", "!"])
                let cut = Wire.stepsThroughFirstDelta(kind)
                fake.enqueue(.sse(Array(steps[..<cut]) + [.pause(.milliseconds(1500))] + Array(steps[cut...])))
                let received = Mutex<[(SSEEvent, ContinuousClock.Instant)]>([])
                try await Self.stream(port: try #require(client.port), session: session, token: token) { event in
                    received.withLock { $0.append((event, .now)) }
                    return true
                }
                let events = received.withLock { $0 }
                #expect(events.map(\.0).names == ["delta", "delta", "delta", "usage", "done"])
                #expect(events.map(\.0).text == "Hello!")
                // The first piece came before the provider's pause, not with the rest.
                #expect(events[1].1 - events[0].1 >= .milliseconds(1200))
                let done = events.last!.0.data
                #expect(done["status"]?.string == "complete" && done["output_tokens"] == .number(5))
                let stored = try await client.call(.get, "/api/v1/chat/sessions/\(session)", token: token) { try $0.json() }
                #expect(stored["messages"]?.array?.last?["content"]?.string == "Hello!")
                // The audit record is written once the stream has ended, and its duration covers it.
                var audited: JSONAny?
                for _ in 0..<50 where audited == nil {
                    audited = try await client.call(.get, "/api/v1/audit-logs?resource_type=chat/sessions&action=messages", token: token) {
                        try $0.json()["items"]?.array?.first
                    }
                    if audited == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(audited?["status"] == .number(200))
                #expect((audited?["duration_ms"]?.number ?? 0) >= 1200)
            }
        }
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func aDroppedProviderStoresThePartialAnswer(_ kind: ProviderConfiguration.Kind) async throws {
        let settings = try await aiSettings(live: true)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings, setup: .live) { _, client in
                let (token, session) = try await Self.setUp(kind, fake: fake, client: client)
                let steps = Wire.textStream(kind, ["Hello ", "wor", "ld"])
                // The pause lets the last piece leave before the fake closes (a close discards unsent writes).
                fake.enqueue(.sse(Array(steps[..<(Wire.stepsThroughFirstDelta(kind) + 1)]) + [.pause(.milliseconds(100)), .drop]))
                let received = Mutex<[SSEEvent]>([])
                try await Self.stream(port: try #require(client.port), session: session, token: token) { event in
                    received.withLock { $0.append(event) }
                    return true
                }
                let events = received.withLock { $0 }
                #expect(events.names == ["delta", "delta", "error"])
                #expect(events.last?.data["status"]?.string == "partial")
                #expect(events.last?.data["message"]?.string?.contains("dropped") == true)
                let stored = try await client.call(.get, "/api/v1/chat/sessions/\(session)", token: token) { try $0.json() }
                let answer = try #require(stored["messages"]?.array?.last)
                #expect(answer["content"]?.string == "Hello wor")
                #expect(answer["status"]?.string == "partial")
                #expect(answer["error"]?.string?.contains("dropped") == true)
            }
        }
    }

    @Test func aClientDisconnectCancelsTheUpstreamRequest() async throws {
        let settings = try await aiSettings(live: true)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings, setup: .live) { services, client in
                let (token, session) = try await Self.setUp(.openai, fake: fake, client: client)
                let pieces = (1...50).map { "piece \($0) " }
                fake.enqueue(
                    .sse(OpenAIWire.text(pieces).flatMap { [$0, .pause(.milliseconds(100))] } + [OpenAIWire.finish("stop"), OpenAIWire.done]))
                try await Self.stream(port: try #require(client.port), session: session, token: token) { event in
                    event.name != "delta"  // leave at the first piece
                }
                #expect(try await fake.waitForClientDisconnect(within: .seconds(10)))
                // What was streamed before the client left is stored, marked partial.
                var partial = 0
                for _ in 0..<200 where partial == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    partial = try await ChatMessageRecord.query(on: services.database.database).filter(\.$status == .partial).count()
                }
                #expect(partial == 1)
            }
        }
    }
}
