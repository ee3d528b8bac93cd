import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import MetricsTestKit
import Testing
@testable import AIAgentBackend

/// A provider that accepts the connection and never answers: the chat ends with a timeout
/// error after `LLM_TIMEOUT_SECONDS`, and neither the request nor its connection stays open.
@Suite struct SilentProviderTests {
    @Test(arguments: [false, true])
    func aProviderThatNeverAnswersTimesOutAndLeavesNothingOpen(stream: Bool) async throws {
        var settings = try await aiSettings()
        settings.llmTimeout = .seconds(1)
        let listener = try await SilentListener.start()
        let metrics = TestMetrics()
        do {
            try await withMetricsFactory(metrics) {
                try await withApp(settings) { client in
                    let token = try await client.login().accessToken
                    let body: [String: Any] = [
                        "name": "silent", "provider": "openai", "model": "test-model", "base_url": "http://127.0.0.1:\(listener.port)/v1",
                        "api_key": "sk-test-0123456789abcd",
                    ]
                    let model = try await client.call(.post, "/api/v1/models", token: token, json: jsonText(body)) { response in
                        try #require(try response.json()["id"]?.string)
                    }
                    let session = try await client.createSession(["model_config_id": model], token: token)
                    let message = jsonText(["content": "hello?", "stream": stream])
                    try await client.call(.post, "/api/v1/chat/sessions/\(session)/messages", token: token, json: message) { response in
                        if stream {
                            let events = SSEParser.parse(String(buffer: response.body))
                            #expect(events.last?.name == "error", "\(events)")
                            #expect(events.last?.data["message"]?.string == LLMProviderError.timeout.description)
                        } else {
                            #expect(response.status == .badGateway)
                            let body = try response.errorBody()
                            #expect(body.error.message == LLMProviderError.timeout.description)
                        }
                    }
                }
            }
            #expect(listener.accepted == 1, "one attempt: a timeout is not retried")
            // The client closes its side once the request is abandoned; wait for the listener to see it.
            for _ in 0..<100 where listener.open > 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(listener.open == 0, "the connection to the provider is closed")
            let inFlight = try metrics.expectMeter("llm_requests_in_flight", [("provider", "openai"), ("model", "test-model")])
            #expect(inFlight.values.contains(1), "the request was counted while it ran")
            #expect(inFlight.lastValue == 0, "and no longer once it ended")
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }
}
