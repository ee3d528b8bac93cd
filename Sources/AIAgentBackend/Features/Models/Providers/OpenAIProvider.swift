import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// OpenAI Chat Completions, also spoken by many other servers (`openai_compatible`).
public struct OpenAIProvider: LLMProvider {
    let transport: ProviderTransport<OpenAIWireFormat>

    public init(
        configuration: ProviderConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "llm")
    ) {
        transport = ProviderTransport(
            format: OpenAIWireFormat(configuration: configuration), httpClient: httpClient, logger: logger)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        try await transport.complete(request)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        transport.stream(request)
    }
}

struct OpenAIWireFormat: WireFormat {
    let configuration: ProviderConfiguration

    func headers() -> HTTPHeaders {
        var headers = HTTPHeaders()
        // Local OpenAI-compatible servers often need no key.
        if !configuration.apiKey.isEmpty {
            headers.add(name: "authorization", value: "Bearer \(configuration.apiKey)")
        }
        return headers
    }

    func body(for request: ChatRequest, model: String, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(request.messages.map(Self.message)),
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "type": "function",
                        "function": [
                            "name": .string(tool.name), "description": .string(tool.description),
                            "parameters": tool.parameters,
                        ],
                    ]
                })
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if let wanted = request.responseSchema {
            // Not `strict`: OpenAI's strict mode refuses schemas with free-form objects.
            body["response_format"] = [
                "type": "json_schema", "json_schema": ["name": .string(wanted.name), "schema": wanted.schema, "strict": false],
            ]
        }
        if let maxTokens = request.maxTokens {
            // OpenAI's reasoning models reject `max_tokens`; compatible servers mostly know only it.
            let key = configuration.kind == .openai ? "max_completion_tokens" : "max_tokens"
            body[key] = .number(Double(maxTokens))
        }
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return .object(body)
    }

    private static func message(_ message: ChatMessage) -> JSONValue {
        var json: [String: JSONValue] = [
            "role": .string(message.role.rawValue),
            "content": message.content.map(JSONValue.string) ?? .null,
        ]
        if !message.toolCalls.isEmpty {
            json["tool_calls"] = .array(
                message.toolCalls.map { call in
                    [
                        "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                })
        }
        if let toolCallId = message.toolCallId { json["tool_call_id"] = .string(toolCallId) }
        return .object(json)
    }

    func decodeResponse(_ body: Data) throws -> ChatResponse {
        let response: Completion
        do {
            response = try Self.decoder.decode(Completion.self, from: body)
        } catch {
            throw LLMProviderError.invalidResponse("undecodable chat completion: \(error)")
        }
        guard let choice = response.choices.first else { throw LLMProviderError.invalidResponse("no choices") }
        return ChatResponse(
            text: choice.message.content ?? "",
            toolCalls: (choice.message.toolCalls ?? []).map {
                ToolCall(id: $0.id ?? "", name: $0.function?.name ?? "", arguments: $0.function?.arguments ?? "")
            },
            usage: response.usage?.neutral,
            finishReason: Self.finishReason(choice.finishReason))
    }

    func makeStreamDecoder() -> OpenAIStreamDecoder { OpenAIStreamDecoder() }

    static func finishReason(_ reason: String?) -> FinishReason {
        switch reason {
        case nil, "stop": .stop
        case "function_call": .toolCalls
        case let reason?: FinishReason(rawValue: reason)
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    struct Completion: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var toolCalls: [WireToolCall]?
            }
            var message: Message
            var finishReason: String?
        }
        var choices: [Choice]
        var usage: WireUsage?
    }

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
                var toolCalls: [WireToolCall]?
            }
            var delta: Delta?
            var finishReason: String?
        }
        struct Failure: Decodable { var message: String? }
        var choices: [Choice]?
        var usage: WireUsage?
        var error: Failure?
    }

    struct WireToolCall: Decodable {
        struct Function: Decodable {
            var name: String?
            var arguments: String?
        }
        var index: Int?
        var id: String?
        var function: Function?
    }

    struct WireUsage: Decodable {
        var promptTokens: Int
        var completionTokens: Int
        var neutral: Usage { Usage(inputTokens: promptTokens, outputTokens: completionTokens) }
    }
}

/// `data: {chunk}` lines until `data: [DONE]`. Tool call arguments arrive in pieces keyed by the
/// call's index; the calls are emitted whole when the choice finishes.
struct OpenAIStreamDecoder: ChatStreamDecoder {
    private var toolCalls: [Int: ToolCall] = [:]
    private var lastToolIndex = 0
    private var finishReason: FinishReason?
    private var isDone = false

    mutating func decode(_ event: ServerSentEvent) throws -> [ChatStreamEvent] {
        guard !isDone else { return [] }
        if event.data == "[DONE]" { return complete() }
        let chunk: OpenAIWireFormat.Chunk
        do {
            chunk = try OpenAIWireFormat.decoder.decode(OpenAIWireFormat.Chunk.self, from: Data(event.data.utf8))
        } catch {
            throw LLMProviderError.invalidResponse("undecodable stream chunk: \(error)")
        }
        if let failure = chunk.error {
            throw LLMProviderError.serverError(status: 500, message: failure.message ?? "error in stream")
        }
        var events: [ChatStreamEvent] = []
        for choice in chunk.choices ?? [] {
            if let text = choice.delta?.content, !text.isEmpty { events.append(.delta(text)) }
            for piece in choice.delta?.toolCalls ?? [] { accumulate(piece) }
            if let reason = choice.finishReason {
                finishReason = OpenAIWireFormat.finishReason(reason)
                events += flushToolCalls()
            }
        }
        if let usage = chunk.usage { events.append(.usage(usage.neutral)) }
        return events
    }

    mutating func finish() throws -> [ChatStreamEvent] {
        if isDone { return [] }
        // Some compatible servers omit `[DONE]`; a finished choice is as good.
        guard finishReason != nil else { throw LLMProviderError.connectionDropped }
        return complete()
    }

    private mutating func complete() -> [ChatStreamEvent] {
        isDone = true
        return flushToolCalls() + [.done(finishReason ?? .stop)]
    }

    private mutating func accumulate(_ piece: OpenAIWireFormat.WireToolCall) {
        // Without an index (some compatible servers), a new id starts a new call.
        let index = piece.index ?? (piece.id == nil ? lastToolIndex : toolCalls.count)
        lastToolIndex = index
        var call = toolCalls[index] ?? ToolCall(id: "", name: "", arguments: "")
        if let id = piece.id, call.id.isEmpty { call.id = id }
        if let name = piece.function?.name, call.name.isEmpty { call.name = name }
        call.arguments += piece.function?.arguments ?? ""
        toolCalls[index] = call
    }

    private mutating func flushToolCalls() -> [ChatStreamEvent] {
        defer { toolCalls.removeAll() }
        return toolCalls.sorted { $0.key < $1.key }.map { .toolCall($0.value) }
    }
}
