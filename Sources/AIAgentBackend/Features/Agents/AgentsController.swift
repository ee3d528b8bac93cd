import Foundation
import Hummingbird

/// `/api/v1/agents`: agents, running them, and their recorded runs.
struct AgentsController {
    let agents: AgentRepository
    let configs: ModelConfigRepository
    let gateway: LLMGateway
    let tools: ToolRegistry

    func register(on routes: SecuredRoutes) {
        let agents = routes.group("agents")
        agents.get(
            .permission(.agentRead),
            RouteContract(
                "List agents", query: QueryParameter.paging + [.oneOf("type", AgentType.self)],
                returns: ListPage<AgentResponse>.self), use: list)
        agents.post(
            .permission(.agentCreate),
            RouteContract(
                "Create an agent", body: AgentInput.self, as: "AgentCreate", requiring: ["name", "model_config_id"], returns: AgentResponse.self,
                status: .created),
            use: create)
        agents.get(":id", .permission(.agentRead), RouteContract("Get an agent", returns: AgentResponse.self), use: get)
        agents.put(
            ":id", .permission(.agentUpdate), RouteContract("Update an agent", body: AgentInput.self, returns: AgentResponse.self), use: update)
        agents.delete(":id", .permission(.agentDelete), RouteContract("Delete an agent"), use: delete)
        agents.post(
            ":id/run", .permission(.agentRun),
            RouteContract(
                "Run an agent", description: "As JSON, or with `stream: true` as server-sent events.", body: RunInput.self,
                success: .jsonOrEventStream(SchemaType(AgentRunResponse.self), events: AgentEvent.streamEvents), errors: [.conflict]
            ).rateLimited(.agentRuns), use: run)
        agents.get(
            ":id/runs", .permission(.agentRead),
            RouteContract(
                "List an agent's runs", query: QueryParameter.paging,
                returns: ListPage<AgentRunResponse>.self), use: runs)
        agents.get(
            ":id/runs/:run_id", .permission(.agentRead), RouteContract("Get a run with its steps", returns: AgentRunResponse.self),
            use: getRun)
    }

    /// Create takes every field; update only those present.
    struct AgentInput: Decodable {
        var name: String?
        var description: String?
        var type: String?
        var modelConfigID: UUID?
        var systemPrompt: String?
        var temperature: Double?
        var maxTokens: Int?
        var tools: [String]?
        var maxSteps: Int?
        var isActive: Bool?

        enum CodingKeys: String, CodingKey {
            case name, description, type, temperature, tools
            case modelConfigID = "model_config_id"
            case systemPrompt = "system_prompt"
            case maxTokens = "max_tokens"
            case maxSteps = "max_steps"
            case isActive = "is_active"
        }
    }

    struct RunInput: Decodable {
        let input: String
        var stream: Bool?
    }

    static let maxStepsLimit = 50

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<AgentResponse> {
        let page = try ListQuery(request)
        let type = try request.enumParameter("type", as: AgentType.self)
        let (items, total) = try await agents.list(type: type, page)
        return ListPage(items: try items.map(AgentResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> AgentResponse {
        try AgentResponse(try await agents.find(context.parameters.require("id", as: UUID.self)))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<AgentResponse> {
        let input = try await request.decodeJSON(as: AgentInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        guard input.modelConfigID != nil else { throw APIError.validation(field: "model_config_id", "is required") }
        let agent = Agent()
        agent.type = .chat
        agent.tools = []
        agent.maxSteps = 10
        agent.isActive = true
        agent.runCount = 0
        agent.successCount = 0
        agent.errorCount = 0
        agent.ownerID = try context.requirePrincipal().userID
        try await apply(input, to: agent)
        try await agents.create(agent)
        context.audit?.resourceID = agent.id?.uuidString
        return EditedResponse(status: .created, response: try AgentResponse(agent))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> AgentResponse {
        let agent = try await agents.find(context.parameters.require("id", as: UUID.self))
        try await apply(try await request.decodeJSON(as: AgentInput.self, context: context), to: agent)
        try await agents.save(agent)
        return try AgentResponse(agent)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await agents.delete(try await agents.find(context.parameters.require("id", as: UUID.self)))
        return Response(status: .noContent)
    }

    /// Runs the agent on `input`: the recorded run as JSON, or with `stream: true` the run's
    /// events as SSE, ending with `done` (or `error`) carrying the run id.
    @Sendable func run(_ request: Request, context: AppRequestContext) async throws -> Response {
        let agent = try await agents.find(context.parameters.require("id", as: UUID.self))
        let input = try await request.decodeJSON(as: RunInput.self, context: context)
        guard !input.input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation(field: "input", "must not be empty")
        }
        guard agent.isActive else { throw APIError.conflict("the agent '\(agent.name)' is disabled") }
        let model = try await gateway.activeModel(agent.$modelConfig.id, field: "model_config_id")
        let userID = try context.requirePrincipal().userID
        let loop = AgentLoop(
            profile: AgentProfile(agent: agent, model: model, gateway: gateway, context: UsageContext(userID: userID, source: .agent)),
            tools: tools)
        let record = AgentRun()
        record.$agent.id = try agent.requireID()
        record.userID = userID
        record.input = input.input
        record.status = .running
        record.stepsJSON = "[]"
        record.inputTokens = 0
        record.outputTokens = 0
        try await agents.create(record)
        context.audit?.resourceID = record.id?.uuidString
        guard input.stream == true else {
            let started = ContinuousClock.now
            let outcome = await loop.run([.user(input.input)]) { _ in }
            try await finish(record, outcome, started: started)
            return try AgentRunResponse(record).response(from: request, context: context)
        }
        return EventStreamResponse.make { send in
            let started = ContinuousClock.now
            let outcome = await loop.run([.user(input.input)]) { event in try await send(event.name, event.payload) }
            try await finish(record, outcome, started: started)
            let runID = JSONValue.string(record.id?.uuidString ?? "")
            if outcome.status == .completed {
                try await send("done", ["run_id": runID, "status": .string(record.status.rawValue)])
            } else {
                try await send("error", ["run_id": runID, "status": .string(record.status.rawValue), "message": .string(outcome.error ?? "")])
            }
        }
    }

    @Sendable func runs(_ request: Request, context: AppRequestContext) async throws -> ListPage<AgentRunResponse> {
        let agent = try await agents.find(context.parameters.require("id", as: UUID.self))
        let page = try ListQuery(request)
        let (items, total) = try await agents.runs(of: agent, page)
        return ListPage(items: try items.map { try AgentRunResponse($0, withSteps: false) }, total: total, request: page)
    }

    @Sendable func getRun(_ request: Request, context: AppRequestContext) async throws -> AgentRunResponse {
        let agent = try await agents.find(context.parameters.require("id", as: UUID.self))
        let runID = try context.parameters.require("run_id", as: UUID.self)
        return try AgentRunResponse(try await agents.run(runID, of: agent))
    }

    /// Stores the outcome; the agent's counters count it.
    private func finish(_ run: AgentRun, _ outcome: RunOutcome, started: ContinuousClock.Instant) async throws {
        run.output = outcome.text
        run.status =
            switch outcome.status {
            case .completed: .succeeded
            case .maxSteps: .maxSteps
            case .failed: .failed
            }
        run.error = outcome.error
        run.stepsJSON = RunStep.encodeList(outcome.steps)
        run.inputTokens = outcome.usage.inputTokens
        run.outputTokens = outcome.usage.outputTokens
        run.cost = outcome.cost
        run.durationMs = ((ContinuousClock.now - started) / .microseconds(10)).rounded() / 100
        run.finishedAt = Date()
        try await agents.finish(run, succeeded: outcome.status == .completed)
    }

    private func apply(_ input: AgentInput, to agent: Agent) async throws {
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(trimmed.unicodeScalars.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            if try await agents.isTaken(name: trimmed, byOtherThan: agent) { throw APIError.conflict("an agent named '\(trimmed)' exists") }
            agent.name = trimmed
        }
        if let description = input.description { agent.description = description }
        if let type = input.type {
            guard let value = AgentType(rawValue: type) else {
                throw APIError.validation(field: "type", "must be one of \(AgentType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            agent.type = value
        }
        if let configID = input.modelConfigID {
            guard try await configs.config(withID: configID) != nil else {
                throw APIError.missingReference(field: "model_config_id", "no model configuration with this id")
            }
            agent.$modelConfig.id = configID
        }
        if let systemPrompt = input.systemPrompt { agent.systemPrompt = systemPrompt.isEmpty ? nil : systemPrompt }
        if let temperature = input.temperature { agent.temperature = try APIError.checked(temperature, field: "temperature", in: 0...2) }
        if let maxTokens = input.maxTokens { agent.maxTokens = try APIError.checked(maxTokens, field: "max_tokens", in: 1...1_000_000) }
        if let names = input.tools {
            if let unknown = names.first(where: { !tools.names.contains($0) }) {
                throw APIError.validation(field: "tools", "unknown tool '\(unknown)' (available: \(tools.names.joined(separator: ", ")))")
            }
            agent.tools = Array(Set(names)).sorted()
        }
        if let maxSteps = input.maxSteps { agent.maxSteps = try APIError.checked(maxSteps, field: "max_steps", in: 1...Self.maxStepsLimit) }
        if let isActive = input.isActive { agent.isActive = isActive }
    }
}

extension AgentsController.AgentInput: LongTextInput {
    static let maxLengths = ["description": 2_000, "system_prompt": 32_000]
}

extension AgentsController.RunInput: LongTextInput {
    static let maxLengths = ["input": 32_000]
}

extension AgentsController.AgentInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "type": .enumeration(AgentType.allCases.map(\.rawValue)),
        "temperature": .number(minimum: 0, maximum: 2),
        "max_tokens": .integer(minimum: 1, maximum: 1_000_000),
        "max_steps": .integer(minimum: 1, maximum: AgentsController.maxStepsLimit),
        "tools": .array(of: .enumeration(ToolRegistry.builtInNames)),
    ]
}

extension AgentsController.RunInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = ["input": .text(1...32_000, nonBlank: true)]
}
