import FluentKit
import Foundation
import Hummingbird
import SQLKit

/// `/api/v1/agents`: agents, running them, and their recorded runs.
struct AgentsController {
    let database: DatabaseService
    let gateway: LLMGateway
    let tools: ToolRegistry

    func register(on routes: SecuredRoutes) {
        let agents = routes.group("agents")
        agents.get(.permission("agent:read"), use: list)
        agents.post(.permission("agent:create"), use: create)
        agents.get(":id", .permission("agent:read"), use: get)
        agents.put(":id", .permission("agent:update"), use: update)
        agents.delete(":id", .permission("agent:delete"), use: delete)
        agents.post(":id/run", .permission("agent:run"), use: run)
        agents.get(":id/runs", .permission("agent:read"), use: runs)
        agents.get(":id/runs/:run_id", .permission("agent:read"), use: getRun)
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
        let query = Agent.query(on: database.database)
        if let type = try request.enumParameter("type", as: AgentType.self) { query.filter(\.$type == type) }
        let total = try await query.count()
        let items = try await query.copy().sort(\.$name).range(page.range).all()
        return ListPage(items: try items.map(AgentResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> AgentResponse {
        try AgentResponse(try await find(context))
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
        try await agent.create(on: database.database)
        context.audit?.resourceID = agent.id?.uuidString
        return EditedResponse(status: .created, response: try AgentResponse(agent))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> AgentResponse {
        let agent = try await find(context)
        try await apply(try await request.decodeJSON(as: AgentInput.self, context: context), to: agent)
        try await agent.save(on: database.database)
        return try AgentResponse(agent)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await find(context).delete(on: database.database)
        return Response(status: .noContent)
    }

    /// Runs the agent on `input`: the recorded run as JSON, or with `stream: true` the run's
    /// events as SSE, ending with `done` (or `error`) carrying the run id.
    @Sendable func run(_ request: Request, context: AppRequestContext) async throws -> Response {
        let agent = try await find(context)
        let input = try await request.decodeJSON(as: RunInput.self, context: context)
        guard !input.input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError.validation(field: "input", "must not be empty") }
        guard agent.isActive else { throw APIError.conflict("the agent '\(agent.name)' is disabled") }
        let model = try await gateway.activeModel(agent.$modelConfig.id, field: "model_config_id")
        let userID = try context.requirePrincipal().userID
        let loop = AgentLoop(profile: AgentProfile(agent: agent, model: model, gateway: gateway, context: UsageContext(userID: userID, source: .agent)),
                             tools: tools)
        let record = AgentRun()
        record.$agent.id = try agent.requireID()
        record.userID = userID
        record.input = input.input
        record.status = .running
        record.stepsJSON = "[]"
        record.inputTokens = 0
        record.outputTokens = 0
        try await record.create(on: database.database)
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
        let agent = try await find(context)
        let page = try ListQuery(request)
        let query = AgentRun.query(on: database.database).filter(\.$agent.$id == (try agent.requireID()))
        let total = try await query.count()
        let items = try await query.copy().sort(\.$createdAt, .descending).range(page.range).all()
        return ListPage(items: try items.map { try AgentRunResponse($0, withSteps: false) }, total: total, request: page)
    }

    @Sendable func getRun(_ request: Request, context: AppRequestContext) async throws -> AgentRunResponse {
        let agent = try await find(context)
        let runID = try context.parameters.require("run_id", as: UUID.self)
        guard let run = try await AgentRun.query(on: database.database).filter(\.$id == runID).filter(\.$agent.$id == agent.requireID()).first() else {
            throw APIError.notFound("no run \(runID) of this agent")
        }
        return try AgentRunResponse(run)
    }

    /// Stores the outcome and bumps the agent's counters in one statement, so concurrent runs all count.
    private func finish(_ run: AgentRun, _ outcome: RunOutcome, started: ContinuousClock.Instant) async throws {
        run.output = outcome.text
        run.status = switch outcome.status {
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
        try await run.save(on: database.database)
        func incremented(_ column: String) -> any SQLExpression { SQLBinaryExpression(SQLColumn(column), .add, SQLLiteral.numeric("1")) }
        let counter = outcome.status == .completed ? "success_count" : "error_count"
        try await database.sql.update(Agent.schema)
            .set(SQLColumn("run_count"), to: incremented("run_count"))
            .set(SQLColumn(counter), to: incremented(counter))
            .set("last_run_at", to: SQLBind(run.finishedAt))
            .where("id", .equal, SQLBind(run.$agent.id))
            .run()
    }

    private func find(_ context: AppRequestContext) async throws -> Agent {
        let id = try context.parameters.require("id", as: UUID.self)
        guard let agent = try await Agent.find(id, on: database.database) else { throw APIError.notFound("no agent \(id)") }
        return agent
    }

    private func apply(_ input: AgentInput, to agent: Agent) async throws {
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(trimmed.count) else { throw APIError.validation(field: "name", "must be 1 to 100 characters") }
            let taken = try await Agent.query(on: database.database).filter(\.$name == trimmed).all().contains { $0.id != agent.id }
            if taken { throw APIError.conflict("an agent named '\(trimmed)' exists") }
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
            guard try await ModelConfig.find(configID, on: database.database) != nil else {
                throw APIError.validation(field: "model_config_id", "no model configuration with this id")
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
