import Foundation
import Metrics
import MetricsTestKit
import Testing
@testable import AIAgentBackend

@Suite struct OpenAIProviderTests {
    @Test func completeSendsChatCompletionsJSON() async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(.json(OpenAIWire.completion(text: "Hello there", input: 20, output: 3)))
            let provider = OpenAIProvider(configuration: fake.configuration(.openai))
            let response = try await provider.complete(
                ChatRequest(
                    messages: [.system("Be brief."), .user("Hi")], tools: [weatherTool], temperature: 0.2, maxTokens: 100))

            let usage = Usage(inputTokens: 20, outputTokens: 3)
            #expect(response == ChatResponse(text: "Hello there", usage: usage, finishReason: .stop))
            let request = try #require(fake.requests.first)
            #expect(request.method == .POST)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.headers.first(name: "authorization") == "Bearer sk-test")
            #expect(request.headers.first(name: "content-type") == "application/json")
            let json = request.json
            #expect(json["model"] == "test-model")
            #expect(json["messages"] == [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi"]])
            #expect(
                json["tools"] == [
                    [
                        "type": "function",
                        "function": [
                            "name": "get_weather", "description": "Current weather for a city.",
                            "parameters": weatherTool.parameters,
                        ],
                    ]
                ])
            #expect(json["temperature"] == 0.2)
            #expect(json["max_completion_tokens"] == 100)
            #expect(json["max_tokens"] == nil)
            #expect(json["stream"] == nil)
        }
    }

    @Test func compatibleServersGetMaxTokensAndNoEmptyKey() async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(.json(OpenAIWire.completion(text: "ok")))
            let provider = fake.configuration(.openaiCompatible, apiKey: "").makeProvider()
            _ = try await provider.complete(ChatRequest(model: "llama3", messages: [.user("Hi")], maxTokens: 50))

            let request = try #require(fake.requests.first)
            #expect(request.headers.first(name: "authorization") == nil)
            #expect(request.json["model"] == "llama3")
            #expect(request.json["max_tokens"] == 50)
            #expect(request.json["max_completion_tokens"] == nil)
        }
    }

    @Test func toolCallsRoundTrip() async throws {
        try await FakeLLMProvider.with { fake in
            let call = ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
            fake.enqueue(
                .json(OpenAIWire.completion(text: nil, toolCalls: [call], finishReason: "tool_calls")),
                .json(OpenAIWire.completion(text: "18°C in Paris.")))
            let provider = OpenAIProvider(configuration: fake.configuration(.openai))
            var messages: [ChatMessage] = [.user("Weather in Paris?")]

            let first = try await provider.complete(ChatRequest(messages: messages, tools: [weatherTool]))
            #expect(first.toolCalls == [call])
            #expect(first.text == "")
            #expect(first.finishReason == .toolCalls)
            #expect(try call.decodedArguments()["city"] == "Paris")

            messages += [.assistant(nil, toolCalls: first.toolCalls), .tool(callId: "call_1", content: "18°C")]
            let second = try await provider.complete(ChatRequest(messages: messages, tools: [weatherTool]))
            #expect(second.text == "18°C in Paris.")

            let sent = try #require(fake.requests.last).json["messages"]
            #expect(
                sent == [
                    ["role": "user", "content": "Weather in Paris?"],
                    [
                        "role": "assistant", "content": nil,
                        "tool_calls": [
                            [
                                "id": "call_1", "type": "function",
                                "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#],
                            ]
                        ],
                    ],
                    ["role": "tool", "tool_call_id": "call_1", "content": "18°C"],
                ])
        }
    }

    @Test func streamsTextSplitAtAwkwardBytes() async throws {
        try await FakeLLMProvider.with { fake in
            // Three-byte writes with CRLF line ends: lines, CRLFs and UTF-8 sequences all get cut.
            let steps = OpenAIWire.stream(["Hé", "llo ", "wörld 🌍", "!"], input: 9, output: 4)
            fake.enqueue(.sse(steps, chunkSize: 3, lineEnding: "\r\n"))
            let provider = OpenAIProvider(configuration: fake.configuration(.openai))
            let result = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))

            #expect(result.error == nil)
            #expect(result.text == "Héllo wörld 🌍!")
            #expect(result.usage == Usage(inputTokens: 9, outputTokens: 4))
            #expect(result.events.last == .done(.stop))
            let json = try #require(fake.requests.first).json
            #expect(json["stream"] == true)
            #expect(json["stream_options"] == ["include_usage": true])
        }
    }

    @Test func streamsToolCallsWhoseArgumentsArriveInPieces() async throws {
        try await FakeLLMProvider.with { fake in
            let weather = OpenAIWire.toolCall(
                index: 0, id: "call_a", name: "get_weather", pieces: [#"{"ci"#, #"ty": "Pa"#, #"ris"}"#])
            let time = OpenAIWire.toolCall(index: 1, id: "call_b", name: "get_time", pieces: [#"{"tz""#, #": "CET"}"#])
            // Interleaved, so the pieces must be put together per index.
            let steps =
                zip(weather, time).flatMap { [$0, $1] } + weather.dropFirst(time.count)
                + [OpenAIWire.finish("tool_calls"), OpenAIWire.usage(input: 30, output: 12), OpenAIWire.done]
            fake.enqueue(.sse(steps, chunkSize: 7))
            let provider = OpenAIProvider(configuration: fake.configuration(.openai))
            let request = ChatRequest(messages: [.user("Weather and time?")], tools: [weatherTool])
            let result = await Collected(provider.stream(request))

            #expect(result.error == nil)
            #expect(
                result.events == [
                    .toolCall(ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city": "Paris"}"#)),
                    .toolCall(ToolCall(id: "call_b", name: "get_time", arguments: #"{"tz": "CET"}"#)),
                    .usage(Usage(inputTokens: 30, outputTokens: 12)),
                    .done(.toolCalls),
                ])
        }
    }

    @Test func recordsRequestTokenCostAndLatencyMetrics() async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                .sse(OpenAIWire.stream(["Hi"], input: 9, output: 4)),
                .json(OpenAIWire.completion(text: "Hi", input: 1, output: 1)))
            // A dollar per input token and two per output token: TestMetrics keeps whole units only.
            let provider = OpenAIProvider(
                configuration: fake.configuration(.openai, inputPricePerMillion: 1_000_000, outputPricePerMillion: 2_000_000))
            let metrics = TestMetrics()
            try await withMetricsFactory(metrics) {
                _ = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))
                _ = try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            }

            let model = [("provider", "openai"), ("model", "test-model")]
            #expect(try metrics.expectCounter("llm_requests_total", model + [("status", "success")]).totalValue == 2)
            #expect(try metrics.expectCounter("llm_tokens_total", model + [("kind", "input")]).totalValue == 10)
            #expect(try metrics.expectCounter("llm_tokens_total", model + [("kind", "output")]).totalValue == 5)
            #expect(try metrics.expectCounter("llm_cost_usd_total", model).totalValue == 9 + 8 + 1 + 2)
            #expect(try metrics.expectTimer("llm_request_duration_seconds", model).values.count == 2)
            // Only streams have a first token.
            #expect(try metrics.expectTimer("llm_time_to_first_token_seconds", model).values.count == 1)
        }
    }
}
