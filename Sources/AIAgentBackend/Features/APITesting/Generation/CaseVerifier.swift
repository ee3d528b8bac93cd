import Foundation

/// Runs kept cases against the verification environment with the normal engine. A failing
/// positive case goes back to the model with the request sent and the response received, up
/// to `GENERATION_REPAIR_ROUNDS` times; a case that passes runs twice more to catch flakiness.
struct CaseVerifier: Sendable {
    let executor: GenerationExecutor
    let generation: TestGeneration
    let context: GenerationPipeline.StageContext
    let environment: ResolvedEnvironment
    let log: GenerationEventLog

    /// Cut of each body shown to the model.
    static let evidenceBodyLimit = 2_000

    func verify(_ draft: GeneratedCase) async throws {
        var definition = try draft.definition
        let shape = context.targets.values.first { $0.endpointID != nil && $0.endpointID == draft.endpointID }
        var runner = CaseRunner(
            egress: executor.egress, tokens: executor.tokens, maxBodyBytes: executor.maxBodyBytes,
            environmentKey: context.request.environmentID?.uuidString ?? "")
        runner.schemas = shape.map { SchemaSource.responses(of: $0.endpoint) } ?? .none
        var results = await runner.run(definition, named: draft.name, environment: environment)
        var repairNote: String?
        while !Self.passed(results), draft.kind == .positive, draft.repairRounds < executor.repairRounds {
            try Task.checkCancellation()
            draft.repairRounds += 1
            do {
                definition = try await repaired(draft, definition, results: results, shape: shape)
            } catch let failure as GenerationFailure where failure.kind == .unusableAnswer {
                repairNote = "repair round \(draft.repairRounds) gave no usable case: \(failure.description)"
                break
            }
            results = await runner.run(definition, named: draft.name, environment: environment)
        }
        try Task.checkCancellation()
        if Self.passed(results) {
            var passes = 1
            for _ in 0..<2 where Self.passed(await runner.run(definition, named: draft.name, environment: environment)) { passes += 1 }
            try Task.checkCancellation()
            draft.status = passes == 3 ? .passed : .flaky
            draft.reason = passes == 3 ? nil : "passed \(passes) of 3 runs"
        } else {
            draft.status = .needsAttention
            draft.reason =
                [Self.failureSummary(results), repairNote, "The API may have a bug here: read the evidence before changing the case."]
                .compactMap { $0 }.joined(separator: " ")
        }
        draft.definitionJSON = JSONColumn.encode(definition)
        draft.evidenceJSON = JSONValue.array(results.map(\.jsonValue)).jsonString
        try await executor.generations.save(draft)
        try await log.emit(
            "case_verified",
            [
                "ref": .string(draft.ref), "name": .string(draft.name), "status": .string(draft.status.rawValue),
                "repair_rounds": .number(Double(draft.repairRounds)),
            ])
    }

    /// The model's corrected case, checked like a designed one.
    private func repaired(
        _ draft: GeneratedCase, _ definition: TestCaseDefinition, results: [CaseResult], shape: OperationShape?
    ) async throws -> TestCaseDefinition {
        let answer = try await context.model.ask(
            .verify, template: "repair-case",
            [
                "case": JSONColumn.encode(definition), "operation": shape.map { GenerationPipeline.describe([$0]) } ?? "(none)",
                "evidence": Self.evidence(results),
            ],
            schema: GenerationSchemas.repair, as: RepairAnswer.self,
            check: { answer in
                switch CaseDefinitionCheck.decode(answer.definition) {
                case .failure(let failure): [failure.description]
                case .success(let definition): shape?.problems(of: definition, kind: draft.kind) ?? []
                }
            })
        guard case .success(let definition) = CaseDefinitionCheck.decode(answer.definition) else { return definition }
        return definition
    }

    static func passed(_ results: [CaseResult]) -> Bool { !results.isEmpty && results.allSatisfy { $0.status == .passed } }

    /// The failing steps as the model reads them: request, response, failed checks, error. The
    /// engine redacted the environment's secrets already.
    static func evidence(_ results: [CaseResult]) -> String {
        var lines: [String] = []
        for result in results where result.status != .passed {
            lines.append("Iteration '\(result.name)': \(result.status.rawValue)")
            for step in result.steps where !step.passed || step.error != nil {
                lines.append("Step '\(step.name)':")
                if let request = step.request {
                    lines.append("  sent: \(request.method) \(request.url)")
                    lines.append("  request headers: \(request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; "))")
                    if let body = request.body { lines.append("  request body: \(cut(body))") }
                }
                if let response = step.response {
                    lines.append("  received: \(response.status)")
                    lines.append("  response headers: \(response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; "))")
                    lines.append("  response body: \(cut(response.body))")
                }
                for assertion in step.assertions where !assertion.passed {
                    lines.append("  failed: \(assertion.description) (expected \(assertion.expected ?? "-"), actual \(assertion.actual ?? "-"))")
                }
                if let error = step.error { lines.append("  error (\(error.kind.rawValue)): \(error.message)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line: the first failed check or error.
    static func failureSummary(_ results: [CaseResult]) -> String {
        for result in results where result.status != .passed {
            for step in result.steps {
                if let error = step.error { return "Step '\(step.name)' failed: \(error.message)." }
                if let assertion = step.assertions.first(where: { !$0.passed }) {
                    return "Step '\(step.name)': \(assertion.description) expected \(assertion.expected ?? "-"), got \(assertion.actual ?? "-")."
                }
            }
        }
        return "The case did not pass."
    }

    private static func cut(_ text: String) -> String {
        text.count > evidenceBodyLimit ? String(text.prefix(evidenceBodyLimit)) + "…" : text
    }
}

extension CaseResult {
    var jsonValue: JSONValue {
        ["name": .string(name), "status": .string(status.rawValue), "steps": .array(steps.map(\.jsonValue)), "duration_ms": .number(durationMs)]
    }
}
