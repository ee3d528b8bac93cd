import Foundation
@testable import AIAgentBackend

extension FakeLLMProvider {
    /// A configuration pointing at this server, with short retry delays.
    func configuration(
        _ kind: ProviderConfiguration.Kind,
        apiKey: String = "sk-test",
        timeout: Duration = .seconds(10),
        maxRetries: Int = 3,
        inputPricePerMillion: Double? = nil,
        outputPricePerMillion: Double? = nil
    ) -> ProviderConfiguration {
        ProviderConfiguration(
            kind: kind, baseURL: baseURL, apiKey: apiKey, model: "test-model", timeout: timeout,
            maxRetries: maxRetries, retryBaseDelay: .milliseconds(20),
            inputPricePerMillion: inputPricePerMillion, outputPricePerMillion: outputPricePerMillion)
    }
}

/// The same scripted answers in either wire format.
enum Wire {
    static func textStream(_ kind: ProviderConfiguration.Kind, _ pieces: [String], input: Int = 12, output: Int = 5)
        -> [FakeLLMProvider.StreamStep]
    {
        kind == .anthropic
            ? AnthropicWire.stream(pieces, input: input, output: output)
            : OpenAIWire.stream(pieces, input: input, output: output)
    }

    /// How many steps of `textStream` go up to and including its first text delta.
    static func stepsThroughFirstDelta(_ kind: ProviderConfiguration.Kind) -> Int { kind == .anthropic ? 4 : 2 }

    static func completion(_ kind: ProviderConfiguration.Kind, text: String) -> FakeLLMProvider.Reply {
        .json(kind == .anthropic ? AnthropicWire.message(text: text) : OpenAIWire.completion(text: text))
    }

    /// The provider's own error body for `status`.
    static func failure(
        _ kind: ProviderConfiguration.Kind, status: Int, message: String, headers: [(String, String)] = []
    ) -> FakeLLMProvider.Reply {
        guard kind == .anthropic else {
            let type = status == 401 ? "invalid_request_error" : status == 429 ? "rate_limit_exceeded" : "server_error"
            let code = status == 401 ? "invalid_api_key" : nil
            return .json(OpenAIWire.error(message, type: type, code: code), status: status, headers: headers)
        }
        let type = status == 401 ? "authentication_error" : status == 429 ? "rate_limit_error" : "api_error"
        return .json(AnthropicWire.error(message, type: type), status: status, headers: headers)
    }
}

/// Everything a stream produced, and how it ended.
struct Collected {
    var events: [ChatStreamEvent] = []
    var error: (any Error)?

    init(_ stream: AsyncThrowingStream<ChatStreamEvent, Error>) async {
        do {
            for try await event in stream { events.append(event) }
        } catch {
            self.error = error
        }
    }

    var text: String {
        events.map { if case .delta(let text) = $0 { text } else { "" } }.joined()
    }
    var toolCalls: [ToolCall] { events.compactMap { if case .toolCall(let call) = $0 { call } else { nil } } }
    var usage: Usage? { events.lazy.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.first }
    var providerError: LLMProviderError? { error as? LLMProviderError }
}

let weatherTool = ToolDefinition(
    name: "get_weather",
    description: "Current weather for a city.",
    parameters: [
        "type": "object",
        "properties": ["city": ["type": "string"], "days": ["type": "integer", "minimum": 1]],
        "required": ["city"],
    ])

/// Polls `condition` until it holds or `timeout` passes.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
    return true
}
