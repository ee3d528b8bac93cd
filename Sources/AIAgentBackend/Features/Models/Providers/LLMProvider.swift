import AsyncHTTPClient
import Foundation
import Logging

/// A chat model behind some provider's HTTP API.
public protocol LLMProvider: Sendable {
    func complete(_ request: ChatRequest) async throws -> ChatResponse
    /// Ends with `.done` or throws an `LLMProviderError`. Cancelling the consuming task, or
    /// dropping the stream, cancels the upstream HTTP request.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, Error>
}

extension LLMProvider {
    /// A real, minimal completion (one output token) to check the URL, key and model.
    public func testConnection() async -> (ok: Bool, latencyMs: Double, error: String?) {
        let start = ContinuousClock.now
        let result: String?
        do {
            _ = try await complete(ChatRequest(messages: [.user("ping")], maxTokens: 1))
            result = nil
        } catch {
            result = String(describing: error)
        }
        let elapsed = (ContinuousClock.now - start) / .milliseconds(1)
        return (result == nil, elapsed, result)
    }
}

extension ProviderConfiguration {
    /// The provider speaking this configuration's wire format.
    public func makeProvider(
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "llm")
    ) -> any LLMProvider {
        switch kind {
        case .openai, .openaiCompatible: OpenAIProvider(configuration: self, httpClient: httpClient, logger: logger)
        case .anthropic: AnthropicProvider(configuration: self, httpClient: httpClient, logger: logger)
        }
    }
}
