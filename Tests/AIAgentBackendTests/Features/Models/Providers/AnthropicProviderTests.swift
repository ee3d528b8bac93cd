import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct AnthropicProviderTests {
    @Test func completeSendsMessagesJSON() async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                .json(
                    AnthropicWire.message(
                        text: "Checking both.",
                        toolUses: [(id: "toolu_1", name: "get_weather", input: ["city": "Paris", "days": 2])],
                        stopReason: "tool_use", input: 40, output: 9)))
            let provider = AnthropicProvider(configuration: fake.configuration(.anthropic))
            let earlier = [
                ToolCall(id: "toolu_a", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                ToolCall(id: "toolu_b", name: "get_time", arguments: ""),
            ]
            let response = try await provider.complete(
                ChatRequest(
                    messages: [
                        .system("You are terse."), .user("Weather in Oslo, and the time?"),
                        .assistant("Let me check.", toolCalls: earlier),
                        .tool(callId: "toolu_a", content: "-2°C"), .tool(callId: "toolu_b", content: "noon"),
                        .system("Answer in French."), .user("And Paris?"),
                    ],
                    tools: [weatherTool], temperature: 0.5))

            #expect(response.text == "Checking both.")
            let expectedCall = ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city":"Paris","days":2}"#)
            #expect(response.toolCalls == [expectedCall])
            #expect(response.usage == Usage(inputTokens: 40, outputTokens: 9))
            #expect(response.finishReason == .toolCalls)

            let request = try #require(fake.requests.first)
            #expect(request.path == "/v1/messages")
            #expect(request.headers.first(name: "x-api-key") == "sk-test")
            #expect(request.headers.first(name: "anthropic-version") == "2023-06-01")
            #expect(request.headers.first(name: "authorization") == nil)
            let json = request.json
            #expect(json["model"] == "test-model")
            #expect(json["system"] == "You are terse.\n\nAnswer in French.")
            #expect(json["max_tokens"] == 4096)
            #expect(json["temperature"] == 0.5)
            #expect(json["stream"] == nil)
            #expect(
                json["tools"] == [
                    [
                        "name": "get_weather", "description": "Current weather for a city.",
                        "input_schema": weatherTool.parameters,
                    ]
                ])
            #expect(
                json["messages"] == [
                    ["role": "user", "content": "Weather in Oslo, and the time?"],
                    [
                        "role": "assistant",
                        "content": [
                            ["type": "text", "text": "Let me check."],
                            ["type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": ["city": "Oslo"]],
                            ["type": "tool_use", "id": "toolu_b", "name": "get_time", "input": [:]],
                        ],
                    ],
                    [
                        "role": "user",
                        "content": [
                            ["type": "tool_result", "tool_use_id": "toolu_a", "content": "-2°C"],
                            ["type": "tool_result", "tool_use_id": "toolu_b", "content": "noon"],
                        ],
                    ],
                    ["role": "user", "content": "And Paris?"],
                ])
        }
    }

    @Test func streamsTextSplitAtAwkwardBytes() async throws {
        try await FakeLLMProvider.with { fake in
            let steps = AnthropicWire.stream(["Bonjour, ", "ça va ", "très bien 😀"], input: 21, output: 7)
            fake.enqueue(.sse(steps, chunkSize: 4))
            let provider = AnthropicProvider(configuration: fake.configuration(.anthropic))
            let request = ChatRequest(messages: [.system("Be kind."), .user("Salut")], maxTokens: 64)
            let result = await Collected(provider.stream(request))

            #expect(result.error == nil)
            #expect(result.text == "Bonjour, ça va très bien 😀")
            // Input tokens come from message_start, output tokens from message_delta.
            #expect(result.usage == Usage(inputTokens: 21, outputTokens: 7))
            #expect(result.events.last == .done(.stop))
            let json = try #require(fake.requests.first).json
            #expect(json["stream"] == true)
            #expect(json["stream_options"] == nil)
            #expect(json["max_tokens"] == 64)
            #expect(json["system"] == "Be kind.")
        }
    }

    @Test func streamsToolUseWhoseInputArrivesInPieces() async throws {
        try await FakeLLMProvider.with { fake in
            let steps =
                [AnthropicWire.messageStart(input: 50)] + AnthropicWire.textBlock(index: 0, ["Checking."])
                + AnthropicWire.toolUseBlock(
                    index: 1, id: "toolu_9", name: "get_weather", pieces: ["", #"{"city": "#, #""Rome"}"#])
                + AnthropicWire.toolUseBlock(index: 2, id: "toolu_10", name: "get_time", pieces: [])
                + AnthropicWire.messageEnd(stopReason: "tool_use", output: 33)
            fake.enqueue(.sse(steps, chunkSize: 5, lineEnding: "\r\n"))
            let provider = AnthropicProvider(configuration: fake.configuration(.anthropic))
            let result = await Collected(provider.stream(ChatRequest(messages: [.user("Rome?")], tools: [weatherTool])))

            #expect(result.error == nil)
            #expect(
                result.events == [
                    .delta("Checking."),
                    .toolCall(ToolCall(id: "toolu_9", name: "get_weather", arguments: #"{"city": "Rome"}"#)),
                    .toolCall(ToolCall(id: "toolu_10", name: "get_time", arguments: "{}")),
                    .usage(Usage(inputTokens: 50, outputTokens: 33)),
                    .done(.toolCalls),
                ])
        }
    }

    @Test func anErrorEventMidStreamEndsTheStream() async throws {
        try await FakeLLMProvider.with { fake in
            let steps =
                [AnthropicWire.messageStart(input: 5)] + AnthropicWire.textBlock(index: 0, ["Partial"]).dropLast()
                + [AnthropicWire.event(AnthropicWire.error("Overloaded", type: "overloaded_error"))]
            fake.enqueue(.sse(steps), Wire.completion(.anthropic, text: "not requested"))
            let provider = AnthropicProvider(configuration: fake.configuration(.anthropic))
            let result = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))

            #expect(result.text == "Partial")
            #expect(result.providerError == .serverError(status: 529, message: "Overloaded"))
            #expect(fake.requests.count == 1)
        }
    }
}
