import FluentKit
import Foundation
import Hummingbird

enum AgentType: String, Codable, Sendable, CaseIterable {
    case chat, task, testing, analysis, custom
}

final class Agent: Model, @unchecked Sendable {
    static let schema = "agents"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Enum(key: "type") var type: AgentType
    @Parent(key: "model_config_id") var modelConfig: ModelConfig
    @OptionalField(key: "system_prompt") var systemPrompt: String?
    @OptionalField(key: "temperature") var temperature: Double?
    @OptionalField(key: "max_tokens") var maxTokens: Int?
    @Field(key: "tools") var tools: [String]
    @Field(key: "max_steps") var maxSteps: Int
    @Field(key: "is_active") var isActive: Bool
    @Field(key: "run_count") var runCount: Int
    @Field(key: "success_count") var successCount: Int
    @Field(key: "error_count") var errorCount: Int
    @OptionalField(key: "last_run_at") var lastRunAt: Date?
    @OptionalField(key: "owner_id") var ownerID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

/// One execution of an agent, with its steps as JSON text.
final class AgentRun: Model, @unchecked Sendable {
    static let schema = "agent_runs"

    enum Status: String, Codable, CaseIterable, Sendable {
        case running, succeeded, failed
        case maxSteps = "max_steps"
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "agent_id") var agent: Agent
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "input") var input: String
    @OptionalField(key: "output") var output: String?
    @Enum(key: "status") var status: Status
    @OptionalField(key: "error") var error: String?
    @Field(key: "steps") var stepsJSON: String
    @Field(key: "input_tokens") var inputTokens: Int
    @Field(key: "output_tokens") var outputTokens: Int
    @OptionalField(key: "cost") var cost: Double?
    @OptionalField(key: "duration_ms") var durationMs: Double?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?

    init() {}
}

struct AgentResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let name: String
    let description: String?
    let type: AgentType
    let modelConfigID: UUID
    let systemPrompt: String?
    let temperature: Double?
    let maxTokens: Int?
    let tools: [String]
    let maxSteps: Int
    let isActive: Bool
    let runCount: Int
    let successCount: Int
    let errorCount: Int
    let lastRunAt: Date?
    let ownerID: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, type, temperature, tools
        case modelConfigID = "model_config_id"
        case systemPrompt = "system_prompt"
        case maxTokens = "max_tokens"
        case maxSteps = "max_steps"
        case isActive = "is_active"
        case runCount = "run_count"
        case successCount = "success_count"
        case errorCount = "error_count"
        case lastRunAt = "last_run_at"
        case ownerID = "owner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ agent: Agent) throws {
        id = try agent.requireID()
        name = agent.name
        description = agent.description
        type = agent.type
        modelConfigID = agent.$modelConfig.id
        systemPrompt = agent.systemPrompt
        temperature = agent.temperature
        maxTokens = agent.maxTokens
        tools = agent.tools
        maxSteps = agent.maxSteps
        isActive = agent.isActive
        runCount = agent.runCount
        successCount = agent.successCount
        errorCount = agent.errorCount
        lastRunAt = agent.lastRunAt
        ownerID = agent.ownerID
        createdAt = agent.createdAt
        updatedAt = agent.updatedAt
    }
}

struct AgentRunResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let agentID: UUID
    let userID: UUID?
    let input: String
    let output: String?
    let status: AgentRun.Status
    let error: String?
    /// Left out of lists.
    let steps: [RunStep]?
    let inputTokens: Int
    let outputTokens: Int
    let cost: Double?
    let durationMs: Double?
    let createdAt: Date?
    let finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, input, output, status, error, steps, cost
        case agentID = "agent_id"
        case userID = "user_id"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case durationMs = "duration_ms"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
    }

    init(_ run: AgentRun, withSteps: Bool = true) throws {
        id = try run.requireID()
        agentID = run.$agent.id
        userID = run.userID
        input = run.input
        output = run.output
        status = run.status
        error = run.error
        steps = withSteps ? RunStep.decodeList(run.stepsJSON) : nil
        inputTokens = run.inputTokens
        outputTokens = run.outputTokens
        cost = run.cost
        durationMs = run.durationMs
        createdAt = run.createdAt
        finishedAt = run.finishedAt
    }
}
