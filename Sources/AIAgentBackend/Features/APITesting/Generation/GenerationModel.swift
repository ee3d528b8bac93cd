import Foundation
import Synchronization

/// Why a generation stopped: its stage and a message a person can act on.
struct GenerationFailure: Error, CustomStringConvertible {
    enum Kind: Sendable {
        /// The model answered twice with JSON that could not be used.
        case unusableAnswer
        /// The provider failed after its retries, or the token budget is spent: the job stops.
        case stop
    }
    let description: String
    var kind = Kind.stop
}

/// The generation's model: each call asks for JSON matching a schema (by the provider's own
/// means), checks the answer against the schema and the stage's own rules, and gives a bad
/// answer one repair call with the errors. Every call's tokens count against the job's budget
/// and are recorded in `llm_usage` (`source=generation`).
final class GenerationModel: Sendable {
    private let provider: MeteredProvider
    private let prompts: Prompts
    private let language: String
    private let maxTokens: Int
    private let configuredMaxTokens: Int?
    private let temperature: Double?
    private let spent = Mutex(GenerationUsage(inputTokens: 0, outputTokens: 0, cost: nil))
    /// Called after each call with the job's running totals, to store them.
    private let onUsage: @Sendable (GenerationUsage) async -> Void

    /// Cut of a bad answer quoted in an error.
    static let quotedOutputLimit = 600

    init(
        provider: MeteredProvider, model: ActiveModel, prompts: Prompts, language: String, maxTokens: Int,
        onUsage: @escaping @Sendable (GenerationUsage) async -> Void
    ) {
        self.provider = provider
        self.prompts = prompts
        self.language = language
        self.maxTokens = maxTokens
        configuredMaxTokens = model.maxTokens
        temperature = model.temperature
        self.onUsage = onUsage
    }

    var usage: GenerationUsage { spent.withLock { $0 } }

    /// The answer to the prompt `template` filled with `values`, decoded as `T` once it matches
    /// `schema` and `check` finds nothing wrong with it (`check` returns the problems).
    func ask<T: Decodable>(
        _ stage: GenerationStage, template: String, _ values: [String: String], schema: ResponseSchema, as type: T.Type = T.self,
        check: (T) -> [String] = { _ in [] }
    ) async throws -> T {
        let prompt = prompts.render(template, values)
        let first = try await call(stage, prompt: prompt, schema: schema)
        let problems: [String]
        switch Self.decode(first, schema: schema, as: T.self) {
        case .success(let answer):
            let found = check(answer)
            if found.isEmpty { return answer }
            problems = found
        case .failure(let failure):
            problems = [failure.description]
        }
        let repair = prompt + "\n\n" + prompts.render("repair-output", ["errors": Self.bullets(problems), "output": Self.quoted(first)])
        let second = try await call(stage, prompt: repair, schema: schema)
        switch Self.decode(second, schema: schema, as: T.self) {
        case .success(let answer):
            let found = check(answer)
            if found.isEmpty { return answer }
            throw Self.unusable(stage, found, output: second)
        case .failure(let failure):
            throw Self.unusable(stage, [failure.description], output: second)
        }
    }

    private func call(_ stage: GenerationStage, prompt: String, schema: ResponseSchema) async throws -> String {
        let remaining = maxTokens - spent.withLock { $0.inputTokens + $0.outputTokens }
        guard remaining > 0 else { throw budgetExceeded(stage) }
        let request = ChatRequest(
            messages: [.system(prompts.render("system", ["language": Self.languageName(language)])), .user(prompt)],
            temperature: temperature, maxTokens: min(configuredMaxTokens ?? 8_192, remaining), responseSchema: schema)
        let response: ChatResponse
        do {
            response = try await provider.complete(request)
        } catch let error as LLMProviderError {
            throw GenerationFailure(description: "\(stage.rawValue): the model provider failed: \(error)")
        }
        if let used = response.usage {
            let cost = provider.recorder.cost(used)
            let totals = spent.withLock { totals in
                totals.inputTokens += used.inputTokens
                totals.outputTokens += used.outputTokens
                if let cost { totals.cost = (totals.cost ?? 0) + cost }
                return totals
            }
            await onUsage(totals)
            if totals.inputTokens + totals.outputTokens > maxTokens { throw budgetExceeded(stage) }
        }
        return response.structuredOutput(schema)
    }

    private func budgetExceeded(_ stage: GenerationStage) -> GenerationFailure {
        let used = usage
        return GenerationFailure(
            description:
                "\(stage.rawValue): the token budget of \(maxTokens) (GENERATION_MAX_TOKENS) is spent (\(used.inputTokens + used.outputTokens) tokens used)"
        )
    }

    /// The answer parsed (a Markdown fence around it tolerated), checked against the schema, then decoded.
    static func decode<T: Decodable>(_ output: String, schema: ResponseSchema, as type: T.Type) -> Result<T, GenerationFailure> {
        let text = unfenced(output)
        let json: JSONValue
        do {
            json = try JSONValue(parsing: text)
        } catch {
            return .failure(GenerationFailure(description: "the answer is not valid JSON: \(error)"))
        }
        do {
            if let violation = SchemaValidator(components: [:]).violation(of: json, against: try JSONSchema(json: schema.schema)) {
                return .failure(GenerationFailure(description: "the answer does not match the schema: \(violation)"))
            }
            return .success(try JSONDecoder().decode(T.self, from: Data(text.utf8)))
        } catch {
            return .failure(GenerationFailure(description: "the answer does not match the schema: \(error)"))
        }
    }

    private static func unfenced(_ output: String) -> String {
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```"), let newline = trimmed.firstIndex(of: "\n") else { return trimmed }
        return String(trimmed[trimmed.index(after: newline)..<trimmed.index(trimmed.endIndex, offsetBy: -3)])
    }

    private static func unusable(_ stage: GenerationStage, _ problems: [String], output: String) -> GenerationFailure {
        GenerationFailure(
            description:
                "\(stage.rawValue): the model's answer was unusable twice (\(problems.joined(separator: "; "))); its last answer: \(quoted(output))",
            kind: .unusableAnswer)
    }

    static func quoted(_ output: String) -> String {
        output.count > quotedOutputLimit ? String(output.prefix(quotedOutputLimit)) + "…" : output
    }

    static func bullets(_ lines: [String]) -> String { lines.map { "- \($0)" }.joined(separator: "\n") }

    static func languageName(_ code: String) -> String { code == "zh" ? "Simplified Chinese (简体中文)" : "English" }

    /// `zh` when the requirement is mostly written in Chinese, else `en`.
    static func language(of text: String?) -> String {
        guard let text else { return "en" }
        var han = 0
        var latin = 0
        for scalar in text.unicodeScalars {
            if (0x4E00...0x9FFF).contains(scalar.value) { han += 1 } else if scalar.properties.isAlphabetic { latin += 1 }
        }
        // A Chinese sentence carries a fraction of the letters an English one does.
        return han * 3 >= latin && han > 0 ? "zh" : "en"
    }
}
