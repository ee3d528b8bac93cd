import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// Anthropic Messages API.
public struct AnthropicProvider: LLMProvider {
    let transport: ProviderTransport<AnthropicWireFormat>

    public init(
        configuration: ProviderConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "llm")
    ) {
        transport = ProviderTransport(
            format: AnthropicWireFormat(configuration: configuration), httpClient: httpClient, logger: logger)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        try await transport.complete(request)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        transport.stream(request)
    }
}

struct AnthropicWireFormat: WireFormat {
    let configuration: ProviderConfiguration
    /// Anthropic requires `max_tokens`; used when the request leaves it open.
    static let defaultMaxTokens = 4096

    func headers() -> HTTPHeaders {
        ["x-api-key": configuration.apiKey, "anthropic-version": "2023-06-01"]
    }

    func body(for request: ChatRequest, model: String, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "max_tokens": .number(Double(request.maxTokens ?? Self.defaultMaxTokens)),
            "messages": .array(Self.messages(request.messages)),
        ]
        let system = request.messages.filter { $0.role == .system }.compactMap(\.content)
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        var tools = request.tools
        if let wanted = request.responseSchema {
            // Anthropic's structured output: one tool whose input is the answer, and the model made to call it.
            tools.append(ToolDefinition(name: wanted.name, description: "Give your answer as this tool's input.", parameters: wanted.schema))
            body["tool_choice"] = ["type": "tool", "name": .string(wanted.name)]
        }
        if !tools.isEmpty {
            body["tools"] = .array(
                tools.map { tool in
                    [
                        "name": .string(tool.name), "description": .string(tool.description),
                        "input_schema": tool.parameters,
                    ]
                })
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if stream { body["stream"] = true }
        return .object(body)
    }

    /// System messages go to the top-level `system` field; tool results become `tool_result`
    /// blocks of a user message, consecutive results sharing one message.
    private static func messages(_ messages: [ChatMessage]) -> [JSONValue] {
        var result: [JSONValue] = []
        for message in messages {
            switch message.role {
            case .system:
                continue
            case .user:
                result.append(["role": "user", "content": .string(message.content ?? "")])
            case .assistant:
                if message.toolCalls.isEmpty {
                    result.append(["role": "assistant", "content": .string(message.content ?? "")])
                    continue
                }
                var blocks: [JSONValue] = []
                if let text = message.content, !text.isEmpty { blocks.append(["type": "text", "text": .string(text)]) }
                for call in message.toolCalls {
                    blocks.append([
                        "type": "tool_use", "id": .string(call.id), "name": .string(call.name),
                        // Anthropic wants an object; a model's malformed arguments are sent as none.
                        "input": (try? call.decodedArguments()) ?? [:],
                    ])
                }
                result.append(["role": "assistant", "content": .array(blocks)])
            case .tool:
                let block: JSONValue = [
                    "type": "tool_result", "tool_use_id": .string(message.toolCallId ?? ""),
                    "content": .string(message.content ?? ""),
                ]
                if case .object(var last)? = result.last, last["role"] == "user",
                    case .array(let blocks)? = last["content"], blocks.first?["type"] == "tool_result"
                {
                    last["content"] = .array(blocks + [block])
                    result[result.count - 1] = .object(last)
                } else {
                    result.append(["role": "user", "content": [block]])
                }
            }
        }
        return result
    }

    func decodeResponse(_ body: Data) throws -> ChatResponse {
        let message: Message
        do {
            message = try Self.decoder.decode(Message.self, from: body)
        } catch {
            throw LLMProviderError.invalidResponse("undecodable message: \(error)")
        }
        var text = ""
        var toolCalls: [ToolCall] = []
        for block in message.content {
            switch block.type {
            case "text": text += block.text ?? ""
            case "tool_use":
                toolCalls.append(
                    ToolCall(id: block.id ?? "", name: block.name ?? "", arguments: (block.input ?? [:]).jsonString))
            default: break
            }
        }
        return ChatResponse(
            text: text, toolCalls: toolCalls, usage: message.usage?.neutral,
            finishReason: Self.finishReason(message.stopReason))
    }

    func makeStreamDecoder() -> AnthropicStreamDecoder { AnthropicStreamDecoder() }

    static func finishReason(_ reason: String?) -> FinishReason {
        switch reason {
        case nil, "end_turn", "stop_sequence": .stop
        case "max_tokens": .length
        case "tool_use": .toolCalls
        case "refusal": .contentFilter
        case let reason?: FinishReason(rawValue: reason)
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    struct Message: Decodable {
        var content: [Block]
        var stopReason: String?
        var usage: WireUsage?
    }

    struct Block: Decodable {
        var type: String
        var text: String?
        var id: String?
        var name: String?
        var input: JSONValue?
    }

    struct WireUsage: Decodable {
        var inputTokens: Int?
        var outputTokens: Int?
        var cacheCreationInputTokens: Int?
        var cacheReadInputTokens: Int?
        /// Cached prompt tokens are input too, reported apart from `input_tokens`.
        var input: Int { (inputTokens ?? 0) + (cacheCreationInputTokens ?? 0) + (cacheReadInputTokens ?? 0) }
        var neutral: Usage { Usage(inputTokens: input, outputTokens: outputTokens ?? 0) }
    }

    /// Every streamed event's `data`, the fields its type uses.
    struct StreamPayload: Decodable {
        struct Delta: Decodable {
            var type: String?
            var text: String?
            var partialJson: String?
            var stopReason: String?
        }
        struct Failure: Decodable {
            var type: String?
            var message: String?
        }
        var type: String
        var index: Int?
        var message: Message?
        var contentBlock: Block?
        var delta: Delta?
        var usage: WireUsage?
        var error: Failure?
    }
}

/// `message_start`, content blocks (`content_block_start` / `_delta` / `_stop`), `message_delta`,
/// `message_stop`, with `ping` and `error` at any point.
struct AnthropicStreamDecoder: ChatStreamDecoder {
    private var toolCalls: [Int: ToolCall] = [:]
    private var usage = Usage(inputTokens: 0, outputTokens: 0)
    private var stopReason: FinishReason?
    private var isDone = false

    mutating func decode(_ event: ServerSentEvent) throws -> [ChatStreamEvent] {
        guard !isDone else { return [] }
        let payload: AnthropicWireFormat.StreamPayload
        do {
            payload = try AnthropicWireFormat.decoder.decode(
                AnthropicWireFormat.StreamPayload.self, from: Data(event.data.utf8))
        } catch {
            throw LLMProviderError.invalidResponse("undecodable stream event: \(error)")
        }
        switch payload.type {
        case "message_start":
            if let start = payload.message?.usage { usage = start.neutral }
        case "content_block_start":
            guard let block = payload.contentBlock, let index = payload.index else { break }
            if block.type == "tool_use" {
                toolCalls[index] = ToolCall(id: block.id ?? "", name: block.name ?? "", arguments: "")
            } else if let text = block.text, !text.isEmpty {
                return [.delta(text)]
            }
        case "content_block_delta":
            guard let delta = payload.delta, let index = payload.index else { break }
            if delta.type == "input_json_delta" {
                toolCalls[index]?.arguments += delta.partialJson ?? ""
            } else if let text = delta.text, !text.isEmpty {
                return [.delta(text)]
            }
        case "content_block_stop":
            guard let index = payload.index, var call = toolCalls.removeValue(forKey: index) else { break }
            if call.arguments.isEmpty { call.arguments = "{}" }
            return [.toolCall(call)]
        case "message_delta":
            if let reason = payload.delta?.stopReason { stopReason = AnthropicWireFormat.finishReason(reason) }
            // Counts here are cumulative; input ones appear only on newer API versions.
            if let counts = payload.usage {
                if let output = counts.outputTokens { usage.outputTokens = output }
                if counts.inputTokens != nil { usage.inputTokens = counts.input }
            }
        case "message_stop":
            isDone = true
            return [.usage(usage), .done(stopReason ?? .stop)]
        case "error":
            throw Self.error(payload.error)
        default:
            break  // `ping`, and event types added to the API later
        }
        return []
    }

    mutating func finish() throws -> [ChatStreamEvent] {
        guard isDone else { throw LLMProviderError.connectionDropped }
        return []
    }

    private static func error(_ failure: AnthropicWireFormat.StreamPayload.Failure?) -> LLMProviderError {
        let message = failure?.message ?? "error in stream"
        switch failure?.type {
        case "overloaded_error": return .serverError(status: 529, message: message)
        case "rate_limit_error": return .rateLimited(retryAfterSeconds: nil, message: message)
        case "authentication_error", "permission_error": return .authentication(status: 401, message: message)
        case "invalid_request_error": return .badRequest(status: 400, message: message)
        default: return .serverError(status: 500, message: message)
        }
    }
}
