import Foundation
import Hummingbird

/// `/api/v1/chat/sessions`: each user's conversations. Another user's session is a 404.
struct ChatController {
    let sessions: ChatSessionRepository
    let agents: AgentRepository
    let gateway: LLMGateway
    let tools: ToolRegistry
    let grounding: KnowledgeGrounding
    /// `CHAT_CONTEXT_TOKENS`: the budget of models whose configuration sets none.
    let contextTokens: Int

    func register(on routes: SecuredRoutes) {
        let sessions = routes.group("chat/sessions")
        let answer = RouteContract.Success.jsonOrEventStream(SchemaType(ChatExchangeResponse.self), events: AgentEvent.streamEvents)
        sessions.get(
            .permission(.chatUse),
            RouteContract(
                "List the caller's chat sessions", query: QueryParameter.paging,
                returns: ListPage<ChatSessionResponse>.self), use: list)
        sessions.post(
            .permission(.chatUse),
            RouteContract(
                "Start a chat session",
                description:
                    "With an agent or a model configuration. With `knowledge_base_ids`, every message retrieves from those bases and the answer cites the passages as [1], [2] (a `citations` event comes first in a stream; the answer stores them).",
                body: SessionInput.self, as: "ChatSessionCreate",
                returns: ChatSessionResponse.self, status: .created
            )
            .bodyMatching(oneOf: SessionInput.agentOrModel), use: create)
        sessions.get(":id", .permission(.chatUse), RouteContract("Get a session with its messages", returns: ChatSessionResponse.self), use: get)
        sessions.put(
            ":id", .permission(.chatUse),
            RouteContract(
                "Rename a session", body: SessionInput.self, as: "ChatSessionRename",
                omitting: ["agent_id", "model_config_id", "knowledge_base_ids"], returns: ChatSessionResponse.self),
            use: rename)
        sessions.delete(":id", .permission(.chatUse), RouteContract("Delete a session"), use: delete)
        sessions.post(
            ":id/messages", .permission(.chatUse),
            RouteContract(
                "Send a message and get the answer", description: "As JSON, or with `stream: true` as server-sent events.",
                body: MessageInput.self, success: answer
            ).rateLimited(.chat), use: send)
        sessions.post(
            ":id/regenerate", .permission(.chatUse),
            RouteContract(
                "Replace the last answer", body: RegenerateInput.self, success: answer, errors: [.conflict]
            ).rateLimited(.chat), use: regenerate)
        sessions.get(
            ":id/export", .permission(.chatUse),
            RouteContract(
                "Download a session", query: [.oneOf("format", ExportFormat.self)],
                success: .media("text/markdown", description: "Markdown (format=markdown, the default) or JSON (format=json), as an attachment")),
            use: export)
    }

    struct SessionInput: Decodable {
        var title: String?
        var agentID: UUID?
        var modelConfigID: UUID?
        var knowledgeBaseIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case title
            case agentID = "agent_id"
            case modelConfigID = "model_config_id"
            case knowledgeBaseIDs = "knowledge_base_ids"
        }
    }

    struct MessageInput: Decodable {
        let content: String
        var stream: Bool?
    }

    struct RegenerateInput: Decodable {
        var stream: Bool?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ChatSessionResponse> {
        let page = try ListQuery(request)
        let (items, total) = try await sessions.list(ownedBy: context.requirePrincipal().userID, page)
        return ListPage(items: try items.map { try ChatSessionResponse($0) }, total: total, request: page)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ChatSessionResponse> {
        let input = try await request.decodeJSON(as: SessionInput.self, context: context)
        let session = ChatSession()
        session.userID = try context.requirePrincipal().userID
        session.title = try Self.validTitle(input.title ?? ChatSession.defaultTitle)
        switch (input.agentID, input.modelConfigID) {
        case (let agentID?, nil):
            guard try await agents.agent(withID: agentID) != nil else { throw APIError.missingReference(field: "agent_id", "no agent with this id") }
            session.$agent.id = agentID
        case (nil, let configID?):
            session.$modelConfig.id = try await gateway.activeModel(configID, field: "model_config_id").id
        default:
            throw APIError.validation(field: "agent_id", "give exactly one of agent_id and model_config_id")
        }
        let bases = try await grounding.bases(input.knowledgeBaseIDs ?? [], field: "knowledge_base_ids")
        if !bases.isEmpty { session.knowledgeBaseIDsJSON = JSONColumn.encode(try bases.map { try $0.requireID() }) }
        try await sessions.create(session)
        context.audit?.resourceID = session.id?.uuidString
        return EditedResponse(status: .created, response: try ChatSessionResponse(session))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> ChatSessionResponse {
        let session = try await sessions.find(context.parameters.require("id", as: UUID.self), ownedBy: context.requirePrincipal().userID)
        return try ChatSessionResponse(session, messages: try await sessions.messages(ofSession: session.requireID()))
    }

    @Sendable func rename(_ request: Request, context: AppRequestContext) async throws -> ChatSessionResponse {
        let session = try await sessions.find(context.parameters.require("id", as: UUID.self), ownedBy: context.requirePrincipal().userID)
        let input = try await request.decodeJSON(as: SessionInput.self, context: context)
        guard let title = input.title else { throw APIError.validation(field: "title", "is required") }
        session.title = try Self.validTitle(title)
        try await sessions.save(session)
        return try ChatSessionResponse(session)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await sessions.find(context.parameters.require("id", as: UUID.self), ownedBy: context.requirePrincipal().userID)
        try await sessions.delete(session)
        return Response(status: .noContent)
    }

    /// Stores the user's message, then answers it: as JSON, or with `stream: true` as SSE
    /// (`delta`, `tool_call`, `tool_result`, `usage`, then `done` or `error`).
    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try context.parameters.require("id", as: UUID.self)
        // Read while the session is checked; used only if the session is the caller's.
        async let pendingHistory = sessions.messages(ofSession: sessionID)
        let route = try await sessions.route(sessionID, ownedBy: context.requirePrincipal().userID)
        let input = try await request.decodeJSON(as: MessageInput.self, context: context)
        let content = input.content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !content.isEmpty else { throw APIError.validation(field: "content", "must not be empty") }
        let userID = try context.requirePrincipal().userID
        let loop = try await makeLoop(for: route, userID: userID)
        let citations = try await retrieve(for: content, route: route, userID: userID)
        let history = try await pendingHistory
        return try await answer(
            sessionID, history: history, newMessage: content, title: history.isEmpty ? Self.title(from: content) : nil,
            loop: loop, citations: citations, stream: input.stream == true, request: request, context: context)
    }

    /// Replaces the last answer with a new one.
    @Sendable func regenerate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try context.parameters.require("id", as: UUID.self)
        let route = try await sessions.route(sessionID, ownedBy: context.requirePrincipal().userID)
        let input = try await request.decodeJSON(as: RegenerateInput.self, context: context)
        var history = try await sessions.messages(ofSession: sessionID)
        while history.last?.role == .assistant { history.removeLast() }
        guard !history.isEmpty else { throw APIError.conflict("the session has no message to answer") }
        let userID = try context.requirePrincipal().userID
        let loop = try await makeLoop(for: route, userID: userID)
        let citations = try await retrieve(for: history.last!.content, route: route, userID: userID)
        try await sessions.deleteMessages(ofSession: sessionID, after: history.last!.position)
        return try await answer(
            sessionID, history: history, newMessage: nil, title: nil, loop: loop, citations: citations,
            stream: input.stream == true, request: request, context: context)
    }

    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try await sessions.find(context.parameters.require("id", as: UUID.self), ownedBy: context.requirePrincipal().userID)
        let messages = try await sessions.messages(ofSession: session.requireID())
        let format = try request.enumParameter("format", as: ExportFormat.self) ?? .markdown
        let filename = "chat-\(try session.requireID().uuidString.prefix(8).lowercased())"
        let (body, contentType, ext): (String, String, String)
        switch format {
        case .json:
            let data = try JSONCoding.encoder.encode(try ChatSessionResponse(session, messages: messages))
            (body, contentType, ext) = (String(decoding: data, as: UTF8.self), "application/json; charset=utf-8", "json")
        case .markdown, .md:
            (body, contentType, ext) = (Self.markdown(session, messages), "text/markdown; charset=utf-8", "md")
        }
        return Response(
            status: .ok, headers: [.contentType: contentType, .contentDisposition: "attachment; filename=\"\(filename).\(ext)\""],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: - Answering

    /// Answers `history` plus `newMessage` (none when regenerating), storing both messages;
    /// `title` replaces the session's default title.
    private func answer(
        _ sessionID: UUID, history: [ChatMessageRecord], newMessage: String?, title: String?, loop: AgentLoop, citations: [Citation]?,
        stream: Bool, request: Request, context: AppRequestContext
    ) async throws -> Response {
        let messages = history.compactMap(Self.providerMessage) + (newMessage.map { [.user($0)] } ?? [])
        var trimmed = ContextWindow.trim(messages, systemPrompt: loop.profile.systemPrompt, budget: loop.profile.contextTokens ?? contextTokens)
        // After the trim, which keeps the conversation starting with a user turn.
        if let citations { trimmed.insert(.system(Self.groundingInstructions(citations)), at: trimmed.count - 1) }
        let prompt = trimmed
        let position = (history.last?.position ?? 0) + 1
        // The user's message is written while the model starts answering, keeping that write
        // off the path to the first token; the answer is stored after it, whatever happened.
        let converse = { @Sendable (emit: (AgentEvent) async throws -> Void) async throws -> (ChatMessageRecord?, ChatMessageRecord, RunOutcome) in
            async let userMessage = newMessage.asyncMap {
                try await store(sessionID, position: position, role: .user, content: $0, title: title)
            }
            let outcome = await loop.run(prompt, emit: emit)
            let user = try await userMessage
            let status: ChatMessageRecord.Status = outcome.status == .completed ? .complete : outcome.text.isEmpty ? .error : .partial
            let answer = try await store(
                sessionID, position: position + (user == nil ? 0 : 1), role: .assistant, content: outcome.text,
                status: status, outcome: outcome, citations: citations)
            return (user, answer, outcome)
        }
        guard stream else {
            let (user, message, outcome) = try await converse { _ in }
            guard outcome.status == .completed else {
                throw APIError(
                    .badGateway, code: "llm_error", message: outcome.error ?? "the model call failed",
                    details: ["message_id": message.id?.uuidString ?? ""])
            }
            return try ChatExchangeResponse(userMessage: try user.map(ChatMessageResponse.init), message: ChatMessageResponse(message))
                .response(from: request, context: context)
        }
        return EventStreamResponse.make { send in
            if let citations { try await send("citations", ["citations": JSONValue(encoding: citations)]) }
            let (user, message, outcome) = try await converse { event in try await send(event.name, event.payload) }
            var summary: [String: JSONValue] = [
                "message_id": .string(message.id?.uuidString ?? ""), "status": .string(message.status.rawValue),
                "input_tokens": .number(Double(message.inputTokens)), "output_tokens": .number(Double(message.outputTokens)),
                "cost": message.cost.map(JSONValue.number) ?? .null,
            ]
            if let user { summary["user_message_id"] = .string(user.id?.uuidString ?? "") }
            if outcome.status == .completed {
                try await send("done", .object(summary))
            } else {
                summary["message"] = .string(outcome.error ?? "")
                try await send("error", .object(summary))
            }
        }
    }

    private func store(
        _ sessionID: UUID, position: Int, role: ChatMessageRecord.Role, content: String, title: String? = nil,
        status: ChatMessageRecord.Status = .complete, outcome: RunOutcome? = nil, citations: [Citation]? = nil
    ) async throws -> ChatMessageRecord {
        let message = ChatMessageRecord()
        message.$session.id = sessionID
        message.position = position
        message.role = role
        message.content = content
        message.status = status
        message.error = outcome?.error
        // Tool activity is kept; a plain answer's single model step says nothing more than the message.
        message.stepsJSON = outcome.flatMap { $0.steps.count > 1 ? RunStep.encodeList($0.steps) : nil }
        message.inputTokens = outcome?.usage.inputTokens ?? 0
        message.outputTokens = outcome?.usage.outputTokens ?? 0
        message.cost = outcome?.cost
        message.citationsJSON = citations.map(JSONColumn.encode)
        try await sessions.add(message, title: title)
        return message
    }

    private func makeLoop(for route: SessionRoute, userID: UUID) async throws -> AgentLoop {
        let usage = UsageContext(userID: userID, source: .chat)
        if let agentID = route.agentID {
            guard let agent = try await agents.agent(withID: agentID) else { throw APIError.conflict("the session's agent no longer exists") }
            guard agent.isActive else { throw APIError.conflict("the agent '\(agent.name)' is disabled") }
            let model = try await gateway.activeModel(agent.$modelConfig.id, field: "agent_id")
            return AgentLoop(profile: AgentProfile(agent: agent, model: model, gateway: gateway, context: usage), tools: tools)
        }
        let gone = APIError.conflict("the session's model configuration no longer exists")
        guard let configID = route.modelConfigID else { throw gone }
        let model = try await gateway.activeModel(configID, ifMissing: gone)
        return AgentLoop(profile: AgentProfile(model: model, gateway: gateway, context: usage), tools: tools)
    }

    // MARK: - Grounding

    /// The passages for `question` when the session is grounded; nil when it is not.
    private func retrieve(for question: String, route: SessionRoute, userID: UUID) async throws -> [Citation]? {
        guard !route.knowledgeBaseIDs.isEmpty else { return nil }
        let bases = try await grounding.bases(route.knowledgeBaseIDs, field: "knowledge_base_ids")
        return try await grounding.retrieve(question, from: bases, userID: userID)
    }

    /// Put just before the question: answer from the passages, cite them, say when they do not answer it.
    static func groundingInstructions(_ citations: [Citation]) -> String {
        guard !citations.isEmpty else {
            return "The knowledge bases hold nothing relevant to the next question: say so before answering from general knowledge."
        }
        return """
            Answer the next question from these numbered passages of the knowledge bases, citing each passage you use as [1], [2] \
            right after the statement it supports. If they do not answer it, say so.

            \(KnowledgeGrounding.context(citations))
            """
    }

    // MARK: - Helpers

    /// What the model sees of a stored message: failed answers without text are left out.
    static func providerMessage(_ message: ChatMessageRecord) -> ChatMessage? {
        switch message.role {
        case .user: .user(message.content)
        case .assistant: message.content.isEmpty ? nil : .assistant(message.content)
        }
    }

    static func validTitle(_ title: String) throws -> String {
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.unicodeScalars.count) else { throw APIError.validation(field: "title", "must be 1 to 200 characters") }
        return trimmed
    }

    /// The first line of the first message, shortened.
    static func title(from content: String) -> String {
        let line = content.split(whereSeparator: \.isNewline).first.map(String.init) ?? content
        return line.count > 60 ? String(line.prefix(60)).trimmingCharacters(in: .whitespaces) + "…" : line
    }

    static func markdown(_ session: ChatSession, _ messages: [ChatMessageRecord]) -> String {
        var text = "# \(session.title)\n\n"
        if let created = session.createdAt { text += "_Started \(created.formatted(.iso8601))_\n\n" }
        for message in messages {
            let who = message.role == .user ? "User" : "Assistant"
            let note = message.status == .complete ? "" : " _(\(message.status.rawValue)\(message.error.map { ": \($0)" } ?? ""))_"
            text += "## \(who)\(note)\n\n\(message.content)\n\n"
        }
        return text
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

extension ChatController.MessageInput: LongTextInput {
    static let maxLengths = ["content": 32_000]
}

extension ChatController.MessageInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = ["content": .text(1...32_000, nonBlank: true)]
}

extension ChatController.SessionInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "title": .text(1...200, nonBlank: true), "knowledge_base_ids": .array(of: .uuid, maxItems: KnowledgeGrounding.maxBases),
    ]

    /// A session answers with an agent or a model configuration: exactly one of them.
    static let agentOrModel: [JSONSchema] = [
        .object(["agent_id": .uuid], required: ["agent_id"]),
        .object(["model_config_id": .uuid], required: ["model_config_id"]),
    ]
}
