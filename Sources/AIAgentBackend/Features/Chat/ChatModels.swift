import FluentKit
import Foundation
import Hummingbird

/// A conversation of one user, with an agent or directly with a model configuration.
final class ChatSession: Model, @unchecked Sendable {
    static let schema = "chat_sessions"
    static let defaultTitle = "New chat"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "title") var title: String
    @OptionalParent(key: "agent_id") var agent: Agent?
    @OptionalParent(key: "model_config_id") var modelConfig: ModelConfig?
    /// `[UUID]`: every message retrieves from these, and the answer cites them.
    @OptionalField(key: "knowledge_base_ids") var knowledgeBaseIDsJSON: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var knowledgeBaseIDs: [UUID] {
        guard let json = knowledgeBaseIDsJSON, let ids: [UUID] = try? JSONColumn.decode(json) else { return [] }
        return ids
    }
}

/// What never changes about a session: its owner, what answers in it, and what grounds it.
struct SessionRoute: Sendable {
    let userID: UUID
    let agentID: UUID?
    let modelConfigID: UUID?
    let knowledgeBaseIDs: [UUID]

    init(_ session: ChatSession) {
        userID = session.userID
        agentID = session.$agent.id
        modelConfigID = session.$modelConfig.id
        knowledgeBaseIDs = session.knowledgeBaseIDs
    }
}

/// A stored message; `position` orders a session's messages.
final class ChatMessageRecord: Model, @unchecked Sendable {
    static let schema = "chat_messages"

    enum Role: String, Codable, CaseIterable, Sendable { case user, assistant }

    /// `partial`: the answer broke off (provider failure or client gone) after some text;
    /// `error`: it failed before any text.
    enum Status: String, Codable, CaseIterable, Sendable { case complete, partial, error }

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: ChatSession
    @Field(key: "position") var position: Int
    @Enum(key: "role") var role: Role
    @Field(key: "content") var content: String
    @Enum(key: "status") var status: Status
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "steps") var stepsJSON: String?
    @Field(key: "input_tokens") var inputTokens: Int
    @Field(key: "output_tokens") var outputTokens: Int
    @OptionalField(key: "cost") var cost: Double?
    /// `[Citation]`: the passages an answer of a grounded session was given.
    @OptionalField(key: "citations") var citationsJSON: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

struct ChatSessionResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let title: String
    let agentID: UUID?
    let modelConfigID: UUID?
    let knowledgeBaseIDs: [UUID]
    let createdAt: Date?
    let updatedAt: Date?
    /// Only on the single-session read.
    let messages: [ChatMessageResponse]?

    enum CodingKeys: String, CodingKey {
        case id, title, messages
        case agentID = "agent_id"
        case modelConfigID = "model_config_id"
        case knowledgeBaseIDs = "knowledge_base_ids"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ session: ChatSession, messages: [ChatMessageRecord]? = nil) throws {
        id = try session.requireID()
        title = session.title
        agentID = session.$agent.id
        modelConfigID = session.$modelConfig.id
        knowledgeBaseIDs = session.knowledgeBaseIDs
        createdAt = session.createdAt
        updatedAt = session.updatedAt
        self.messages = try messages?.map(ChatMessageResponse.init)
    }
}

struct ChatMessageResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let role: ChatMessageRecord.Role
    let content: String
    let status: ChatMessageRecord.Status
    let error: String?
    let steps: [RunStep]?
    let inputTokens: Int
    let outputTokens: Int
    let cost: Double?
    let citations: [Citation]?
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, role, content, status, error, steps, cost, citations
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case createdAt = "created_at"
    }

    init(_ message: ChatMessageRecord) throws {
        id = try message.requireID()
        role = message.role
        content = message.content
        status = message.status
        error = message.error
        steps = message.stepsJSON.map { RunStep.decodeList($0) }
        inputTokens = message.inputTokens
        outputTokens = message.outputTokens
        cost = message.cost
        citations = try JSONColumn.decode(message.citationsJSON)
        createdAt = message.createdAt
    }
}

/// The answer to a message sent without streaming.
struct ChatExchangeResponse: Codable, ResponseEncodable, Sendable {
    let userMessage: ChatMessageResponse?
    let message: ChatMessageResponse

    enum CodingKeys: String, CodingKey {
        case message
        case userMessage = "user_message"
    }
}

/// `GET /chat/sessions/:id/export?format=`: `md` is another name for `markdown`.
enum ExportFormat: String, Sendable, CaseIterable {
    case markdown, md, json
}
