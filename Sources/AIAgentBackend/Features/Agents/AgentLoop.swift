import Foundation

/// What a conversation runs with: a metered provider and the agent's (or model's) parameters.
struct AgentProfile: Sendable {
    let provider: MeteredProvider
    var systemPrompt: String?
    var temperature: Double?
    var maxTokens: Int?
    /// The model's context budget, when its configuration sets one.
    var contextTokens: Int?
    var tools: [String] = []
    var maxSteps = 1

    init(agent: Agent, model: ActiveModel, gateway: LLMGateway, context: UsageContext) {
        provider = gateway.provider(for: model, context: context)
        systemPrompt = agent.systemPrompt
        temperature = agent.temperature ?? model.temperature
        maxTokens = agent.maxTokens ?? model.maxTokens
        contextTokens = model.contextTokens
        tools = agent.tools
        maxSteps = agent.maxSteps
    }

    /// A plain chat with a model: no tools, one step.
    init(model: ActiveModel, gateway: LLMGateway, context: UsageContext) {
        provider = gateway.provider(for: model, context: context)
        temperature = model.temperature
        maxTokens = model.maxTokens
        contextTokens = model.contextTokens
    }
}

/// One step of a run: a model call, or a tool call the model asked for.
struct RunStep: Codable, Sendable, Equatable {
    enum Kind: String, Codable, CaseIterable, Sendable { case model, tool }
    var kind: Kind
    var text: String?
    var toolCalls: [ToolCall]?
    var toolName: String?
    var toolCallID: String?
    var arguments: String?
    var result: String?
    var isError: Bool?
    var inputTokens: Int?
    var outputTokens: Int?
    var durationMs: Double
    var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, text, arguments, result, error
        case toolCalls = "tool_calls"
        case toolName = "tool_name"
        case toolCallID = "tool_call_id"
        case isError = "is_error"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case durationMs = "duration_ms"
    }

    static func decodeList(_ text: String?) -> [RunStep] {
        text.flatMap { try? JSONCoding.decoder.decode([RunStep].self, from: Data($0.utf8)) } ?? []
    }

    static func encodeList(_ steps: [RunStep]) -> String {
        String(decoding: (try? JSONCoding.encoder.encode(steps)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// What the loop reports while it runs; the SSE event names of chat and agent runs.
enum AgentEvent: Sendable {
    case delta(String)
    case toolCall(ToolCall)
    case toolResult(id: String, name: String, result: String, isError: Bool)
    case usage(Usage, cost: Double?)

    var name: String {
        switch self {
        case .delta: "delta"
        case .toolCall: "tool_call"
        case .toolResult: "tool_result"
        case .usage: "usage"
        }
    }

    var payload: JSONValue {
        switch self {
        case .delta(let text): ["text": .string(text)]
        case .toolCall(let call): ["id": .string(call.id), "name": .string(call.name), "arguments": .string(call.arguments)]
        case .toolResult(let id, let name, let result, let isError):
            ["id": .string(id), "name": .string(name), "result": .string(result), "is_error": .bool(isError)]
        case .usage(let usage, let cost):
            [
                "input_tokens": .number(Double(usage.inputTokens)), "output_tokens": .number(Double(usage.outputTokens)),
                "cost": cost.map(JSONValue.number) ?? .null,
            ]
        }
    }
}

extension AgentEvent {
    /// The events of a streamed answer, for the API contract: the loop's own, then the end.
    static let streamEvents: [String: String] = [
        "citations":
            "chat sessions grounded on knowledge bases, first: the passages the answer may cite, {citations: [{index, document_name, chunk_id, heading_path, start_offset, end_offset, text, …}]}",
        "delta": "a piece of the answer: {text}",
        "tool_call": "the model calls a tool: {id, name, arguments}",
        "tool_result": "the tool's answer: {id, name, result, is_error}",
        "usage": "tokens and cost of one model call: {input_tokens, output_tokens, cost}",
        "done": "the end: the stored result's ids and status",
        "error": "the end, failed: ids, status and message",
    ]
}

struct RunOutcome: Sendable {
    enum Status: String, Sendable {
        case completed
        /// Stopped by `max_steps` before a final answer.
        case maxSteps = "max_steps"
        case failed
    }
    /// Everything streamed to the client, kept even when the run failed part-way.
    var text = ""
    var steps: [RunStep] = []
    var usage = Usage(inputTokens: 0, outputTokens: 0)
    var cost: Double?
    var status = Status.completed
    var error: String?
}

/// model → tool calls → tool results → model, until an answer or `maxSteps` model calls.
struct AgentLoop {
    let profile: AgentProfile
    let tools: ToolRegistry

    /// The client went away: `emit` failed.
    private struct ClientGone: Error {}

    /// Never throws: a provider failure, or a failing `emit` (the client disconnected), ends the
    /// run as failed with what was produced so far. Leaving the provider's stream unconsumed
    /// cancels its upstream request.
    func run(_ messages: [ChatMessage], emit: (AgentEvent) async throws -> Void) async -> RunOutcome {
        var outcome = RunOutcome()
        var conversation = (profile.systemPrompt?.isEmpty == false ? [.system(profile.systemPrompt!)] : []) + messages
        let definitions = tools.definitions(profile.tools)
        func send(_ event: AgentEvent) async throws {
            do { try await emit(event) } catch { throw ClientGone() }
        }
        for _ in 0..<max(profile.maxSteps, 1) {
            let stepStart = ContinuousClock.now
            var step = RunStep(kind: .model, durationMs: 0)
            var text = ""
            var calls: [ToolCall] = []
            var modelDone = false
            do {
                let request = ChatRequest(messages: conversation, tools: definitions, temperature: profile.temperature, maxTokens: profile.maxTokens)
                for try await event in profile.provider.stream(request) {
                    switch event {
                    case .delta(let piece):
                        text += piece
                        outcome.text += piece
                        try await send(.delta(piece))
                    case .toolCall(let call):
                        calls.append(call)
                    case .usage(let usage):
                        step.inputTokens = usage.inputTokens
                        step.outputTokens = usage.outputTokens
                        outcome.usage.inputTokens += usage.inputTokens
                        outcome.usage.outputTokens += usage.outputTokens
                        let cost = profile.provider.recorder.cost(usage)
                        if let cost { outcome.cost = (outcome.cost ?? 0) + cost }
                        try await send(.usage(usage, cost: cost))
                    case .done:
                        break
                    }
                }
                step.text = text.isEmpty ? nil : text
                step.toolCalls = calls.isEmpty ? nil : calls
                step.durationMs = Self.milliseconds(since: stepStart)
                outcome.steps.append(step)
                modelDone = true
                if calls.isEmpty { return outcome }
                conversation.append(.assistant(text.isEmpty ? nil : text, toolCalls: calls))
                for call in calls {
                    try await send(.toolCall(call))
                    let toolStart = ContinuousClock.now
                    let (result, isError) = await tools.execute(call, enabled: profile.tools)
                    outcome.steps.append(
                        RunStep(
                            kind: .tool, toolName: call.name, toolCallID: call.id, arguments: call.arguments,
                            result: result, isError: isError, durationMs: Self.milliseconds(since: toolStart)))
                    conversation.append(.tool(callId: call.id, content: result))
                    try await send(.toolResult(id: call.id, name: call.name, result: result, isError: isError))
                }
            } catch {
                let message = error is ClientGone ? "the client disconnected" : Self.describe(error)
                if !modelDone {
                    step.text = text.isEmpty ? nil : text
                    step.error = message
                    step.durationMs = Self.milliseconds(since: stepStart)
                    outcome.steps.append(step)
                }
                outcome.status = .failed
                outcome.error = message
                return outcome
            }
        }
        outcome.status = .maxSteps
        outcome.error = "stopped after \(profile.maxSteps) model call(s) without a final answer"
        return outcome
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as LLMProviderError: error.description
        case is CancellationError: "cancelled"
        default: "\(error)"
        }
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        ((ContinuousClock.now - start) / .microseconds(10)).rounded() / 100
    }
}
