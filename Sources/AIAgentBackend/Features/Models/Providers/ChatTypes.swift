import Foundation

/// A tool call requested by the model.
public struct ToolCall: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var name: String
    /// The arguments as the model wrote them: JSON text, kept verbatim because models can emit invalid JSON.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The arguments parsed; empty text counts as `{}`.
    public func decodedArguments() throws -> JSONValue {
        arguments.isEmpty ? .object([:]) : try JSONValue(parsing: arguments)
    }
}

/// One message of a conversation, in no provider's format.
public struct ChatMessage: Codable, Sendable, Equatable, Hashable {
    public enum Role: String, Codable, CaseIterable, Sendable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String?
    /// Set on assistant messages that asked for tools.
    public var toolCalls: [ToolCall]
    /// Set on tool messages: the call this result answers.
    public var toolCallId: String?

    public init(role: Role, content: String?, toolCalls: [ToolCall] = [], toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String?, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    public static func tool(callId: String, content: String) -> ChatMessage {
        ChatMessage(role: .tool, content: content, toolCallId: callId)
    }
}

/// A function the model may call.
public struct ToolDefinition: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var description: String
    /// JSON Schema of the arguments object.
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue = ["type": "object", "properties": [:]]) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// An answer wanted as JSON matching `schema`: asked for by each provider's own means (a
/// JSON-schema response format, or a forced tool call), and read back by `ChatResponse.structuredOutput`.
public struct ResponseSchema: Sendable, Equatable {
    /// Letters, digits, `_` and `-`: it doubles as a tool name.
    public var name: String
    public var schema: JSONValue

    public init(name: String, schema: JSONValue) {
        self.name = name
        self.schema = schema
    }
}

public struct ChatRequest: Sendable, Equatable {
    /// Overrides the configuration's model when set.
    public var model: String?
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    public var temperature: Double?
    public var maxTokens: Int?
    public var responseSchema: ResponseSchema?

    public init(
        model: String? = nil,
        messages: [ChatMessage],
        tools: [ToolDefinition] = [],
        temperature: Double? = nil,
        maxTokens: Int? = nil,
        responseSchema: ResponseSchema? = nil
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseSchema = responseSchema
    }
}

public struct Usage: Codable, Sendable, Equatable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// Why the model stopped. Unknown provider reasons are kept as they came.
public struct FinishReason: RawRepresentable, Codable, Sendable, Equatable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let stop = FinishReason(rawValue: "stop")
    public static let length = FinishReason(rawValue: "length")
    public static let toolCalls = FinishReason(rawValue: "tool_calls")
    public static let contentFilter = FinishReason(rawValue: "content_filter")
}

public struct ChatResponse: Sendable, Equatable {
    public var text: String
    public var toolCalls: [ToolCall]
    public var usage: Usage?
    public var finishReason: FinishReason

    public init(text: String, toolCalls: [ToolCall] = [], usage: Usage?, finishReason: FinishReason) {
        self.text = text
        self.toolCalls = toolCalls
        self.usage = usage
        self.finishReason = finishReason
    }
}

extension ChatResponse {
    /// The JSON text answering `schema`: the forced tool call's arguments (Anthropic), else the text.
    public func structuredOutput(_ schema: ResponseSchema) -> String {
        toolCalls.first { $0.name == schema.name }?.arguments ?? text
    }
}

public enum ChatStreamEvent: Sendable, Equatable {
    /// A piece of the answer's text.
    case delta(String)
    /// A tool call, emitted once its arguments are complete.
    case toolCall(ToolCall)
    case usage(Usage)
    /// Always the last event of a successful stream.
    case done(FinishReason)
}
