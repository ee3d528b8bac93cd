import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct ProviderConfigurationTests {
    @Test(
        arguments: [
            (ProviderConfiguration.Kind.openai, nil, "https://api.openai.com/v1/chat/completions"),
            (.openai, "https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
            (.openai, "https://api.openai.com/v1/", "https://api.openai.com/v1/chat/completions"),
            (.openai, "https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/chat/completions"),
            (.openai, " https://api.openai.com/v1/chat/completions/ ", "https://api.openai.com/v1/chat/completions"),
            (.openai, "https://api.openai.com", "https://api.openai.com/v1/chat/completions"),
            (.openaiCompatible, "http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
            (.openaiCompatible, "https://openrouter.ai/api/v1/chat/completions", "https://openrouter.ai/api/v1/chat/completions"),
            (.openaiCompatible, "", "https://api.openai.com/v1/chat/completions"),
            (.anthropic, nil, "https://api.anthropic.com/v1/messages"),
            (.anthropic, "https://api.anthropic.com/v1", "https://api.anthropic.com/v1/messages"),
            (.anthropic, "https://api.anthropic.com/v1/messages", "https://api.anthropic.com/v1/messages"),
            (.anthropic, "https://api.anthropic.com/", "https://api.anthropic.com/v1/messages"),
        ] as [(ProviderConfiguration.Kind, String?, String)])
    func baseURLNeverDoublesThePath(kind: ProviderConfiguration.Kind, baseURL: String?, endpoint: String) {
        let configuration = ProviderConfiguration(kind: kind, baseURL: baseURL, apiKey: "k", model: "m")
        #expect(configuration.endpoint == endpoint)
    }

    @Test func timeoutComesFromLLMTimeoutSeconds() throws {
        #expect(try Settings(values: [:]).llmTimeout == .seconds(60))
        #expect(try Settings(values: ["LLM_TIMEOUT_SECONDS": "2.5"]).llmTimeout == .milliseconds(2500))
        for bad in ["soon", "0", "1e30"] {
            #expect(throws: SettingsError.self, "\(bad)") { try Settings(values: ["LLM_TIMEOUT_SECONDS": bad]) }
        }
    }

    @Test func costIsPricePerMillionTokens() {
        let usage = Usage(inputTokens: 1_000, outputTokens: 500)
        let cost = LLMCost.cost(usage: usage, inputPricePerMillion: 3, outputPricePerMillion: 15)
        #expect(abs(cost - 0.0105) < 1e-12)
        let none = Usage(inputTokens: 0, outputTokens: 0)
        #expect(LLMCost.cost(usage: none, inputPricePerMillion: 3, outputPricePerMillion: 15) == 0)
    }

    @Test func jsonValueRoundTripsAndWritesWholeNumbersAsIntegers() throws {
        let value: JSONValue = ["a": [1, 2.5, "x", true, nil], "b": ["c": -3]]
        #expect(value.jsonString == #"{"a":[1,2.5,"x",true,null],"b":{"c":-3}}"#)
        #expect(try JSONValue(parsing: value.jsonString) == value)
        #expect(value["a"]?[1]?.numberValue == 2.5)
    }

    @Test func toolCallArgumentsDecodeWithEmptyMeaningNone() throws {
        #expect(try ToolCall(id: "1", name: "f", arguments: "").decodedArguments() == [:])
        #expect(try ToolCall(id: "1", name: "f", arguments: #"{"q":"x"}"#).decodedArguments() == ["q": "x"])
        #expect(throws: (any Error).self) { try ToolCall(id: "1", name: "f", arguments: "{").decodedArguments() }
    }
}
