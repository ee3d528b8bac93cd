import FluentKit
import Foundation

/// One generation's work. Each stage's model answer is structured and checked by fixed
/// oracles (the case format, the operation's OpenAPI, the engine against a real environment);
/// the model never judges its own cases.
struct GenerationPipeline {
    let executor: GenerationExecutor
    let generation: TestGeneration
    let log: GenerationEventLog

    func run() async throws {
        let request = try generation.request
        let id = try generation.requireID()
        guard let project = try await Project.find(generation.projectID, on: executor.generations.database.database) else {
            throw GenerationFailure(description: "the generation's project was deleted")
        }
        let active = try await executor.gateway.activeModel(
            request.modelID, ifMissing: APIError.notFound("the model configuration \(request.modelID) was deleted"))
        let targets = try await executor.endpoints.endpoints(ids: request.endpointIDs, importID: request.importID, in: project.requireID())
            .map(OperationShape.init)
        var environment: ResolvedEnvironment?
        if let environmentID = request.environmentID { environment = try await executor.environments.resolved(environmentID, in: project) }
        let generations = executor.generations
        let model = GenerationModel(
            provider: executor.gateway.provider(for: active, context: UsageContext(userID: generation.createdBy, source: .generation)),
            model: active, prompts: executor.prompts, language: generation.language, maxTokens: executor.maxTokens,
            onUsage: { usage in try? await generations.recordUsage(usage, of: id) })
        let context = StageContext(
            request: request, targets: Dictionary(targets.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first }),
            operationsText: Self.describe(targets), environment: environment, model: model)
        defer {
            let usage = model.usage
            (generation.inputTokens, generation.outputTokens, generation.cost) = (usage.inputTokens, usage.outputTokens, usage.cost)
        }

        try await begin(.analyse)
        let points = try await analyse(context)
        generation.testPointsJSON = JSONColumn.encode(points)
        try await executor.generations.save(generation)
        try await log.emit("stage_finished", ["stage": "analyse", "test_points": .number(Double(points.count))])

        try await begin(.design)
        let drafts = try await design(context, points: points)
        let rejected = drafts.filter { $0.status == GeneratedCaseStatus.rejected }.count
        try await log.emit("stage_finished", ["stage": "design", "designed": .number(Double(drafts.count)), "rejected": .number(Double(rejected))])

        try await begin(.review)
        let kept = try await review(context, points: points, drafts: drafts)
        try await log.emit("stage_finished", ["stage": "review", "kept": .number(Double(kept.count))])

        guard let environment else { return }
        try await begin(.verify)
        try await verify(context, kept, environment: environment)
        var outcome: [String: JSONValue] = ["stage": "verify"]
        for status in [GeneratedCaseStatus.passed, .flaky, .needsAttention] {
            outcome[status.rawValue] = .number(Double(kept.filter { $0.status == status }.count))
        }
        try await log.emit("stage_finished", .object(outcome))
    }

    private func begin(_ stage: GenerationStage) async throws {
        try Task.checkCancellation()
        generation.stage = stage
        try await executor.generations.save(generation)
        try await log.emit("stage_started", ["stage": .string(stage.rawValue)])
    }

    /// What the stages share.
    struct StageContext: Sendable {
        let request: GenerationRequest
        /// By `METHOD /path`.
        let targets: [String: OperationShape]
        let operationsText: String
        let environment: ResolvedEnvironment?
        let model: GenerationModel
    }

    // MARK: Analyse

    private func analyse(_ context: StageContext) async throws -> [TestPoint] {
        let requirement = context.request.requirement
        let answer = try await context.model.ask(
            .analyse, template: "analyse",
            [
                "points": String(max(3, (context.request.count + 1) / 2)), "operations": context.operationsText,
                "requirement": requirement ?? "(none)", "knowledge": try await knowledge(context),
            ],
            schema: GenerationSchemas.analysis, as: AnalysisAnswer.self,
            check: { Self.problems(of: $0.testPoints, targets: context.targets, requirement: requirement) })
        return answer.testPoints
    }

    /// Passages of the knowledge bases for the requirement (or the operations' summaries), numbered.
    private func knowledge(_ context: StageContext) async throws -> String {
        guard let ids = context.request.knowledgeBaseIDs, !ids.isEmpty else { return "(none)" }
        let bases = try await executor.grounding.bases(ids, field: "knowledge_base_ids")
        let query =
            context.request.requirement
            ?? context.targets.values.map { "\($0.key) \($0.endpoint.summary ?? "")" }.sorted().joined(separator: "\n")
        let citations = try await executor.grounding.retrieve(
            String(query.prefix(2_000)), from: bases, topK: Self.knowledgePassages, userID: generation.createdBy)
        try await log.emit("knowledge_retrieved", ["passages": .number(Double(citations.count))])
        return citations.isEmpty ? "(nothing relevant found)" : KnowledgeGrounding.context(citations)
    }

    static let knowledgePassages = 8

    /// Every point cites something real: an operation among the targets (and fields it has), or a sentence of the requirement.
    static func problems(of points: [TestPoint], targets: [String: OperationShape], requirement: String?) -> [String] {
        var problems: [String] = []
        if points.isEmpty { problems.append("no test points") }
        var seen: Set<String> = []
        let text = requirement.map(normalized) ?? ""
        for point in points {
            if !seen.insert(point.id).inserted { problems.append("\(point.id): the id is used twice") }
            switch point.source.kind {
            case .operation:
                guard let operation = point.source.operation, let shape = targets[operation] else {
                    problems.append(
                        "\(point.id): source.operation '\(point.source.operation ?? "")' is not one of \(targets.keys.sorted().joined(separator: ", "))"
                    )
                    continue
                }
                let known = shape.fieldNames
                for field in point.source.fields ?? [] where !known.contains(field) {
                    problems.append("\(point.id): '\(field)' is neither a parameter nor a body property of \(operation)")
                }
            case .requirement:
                guard let quote = point.source.quote.map(normalized), !quote.isEmpty, text.contains(quote) else {
                    problems.append("\(point.id): source.quote must be a sentence copied word for word from the requirement")
                    continue
                }
            }
        }
        return problems
    }

    private static func normalized(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    // MARK: Design

    /// Cases designed per operation (the points about the requirement alone together), a few
    /// more than asked for since checks and the review remove some; every case is checked and
    /// stored, the rejected ones with their reason.
    private func design(_ context: StageContext, points: [TestPoint]) async throws -> [GeneratedCase] {
        let groups = Dictionary(grouping: points) { $0.source.kind == .operation ? $0.source.operation ?? "" : "" }
            .sorted { $0.key < $1.key }
        let wanted = context.request.count + max(2, context.request.count / 5)
        let shares = Self.shares(of: wanted, over: groups.map(\.value.count))
        let environmentText = Self.describe(context.environment)
        let kinds = context.request.kinds.map(\.rawValue).joined(separator: ", ")
        let answers = try await withThrowingTaskGroup(of: (Int, DesignAnswer).self) { group in
            var next = 0
            var answers: [Int: DesignAnswer] = [:]
            func add(_ index: Int) {
                let (operation, groupPoints) = groups[index]
                let operations = operation.isEmpty ? context.operationsText : context.targets[operation].map { Self.describe([$0]) } ?? ""
                group.addTask {
                    let answer = try await context.model.ask(
                        .design, template: "design",
                        [
                            "count": String(shares[index]), "kinds": kinds, "test_points": JSONColumn.encode(groupPoints),
                            "operations": operations, "environment": environmentText,
                        ], schema: GenerationSchemas.design, as: DesignAnswer.self)
                    return (index, answer)
                }
            }
            while next < min(groups.count, Self.designConcurrency) {
                add(next)
                next += 1
            }
            while let (index, answer) = try await group.next() {
                answers[index] = answer
                if next < groups.count {
                    add(next)
                    next += 1
                }
            }
            return answers
        }
        let pointIDs = Set(points.map(\.id))
        var drafts: [GeneratedCase] = []
        for designed in groups.indices.flatMap({ answers[$0]?.cases ?? [] }) {
            let draft = try checked(designed, ref: "C\(drafts.count + 1)", context: context, pointIDs: pointIDs)
            try await executor.generations.save(draft)
            drafts.append(draft)
            if draft.status == .rejected {
                try await log.emit(
                    "case_rejected", ["ref": .string(draft.ref), "name": .string(draft.name), "reason": .string(draft.reason ?? "")])
            } else {
                try await log.emit(
                    "case_designed",
                    [
                        "ref": .string(draft.ref), "name": .string(draft.name), "kind": .string(draft.kind.rawValue),
                        "priority": .string(draft.priority.rawValue),
                    ])
            }
        }
        return drafts
    }

    static let designConcurrency = 4

    /// `total` shared in proportion to `weights`, each share at least 1.
    static func shares(of total: Int, over weights: [Int]) -> [Int] {
        let sum = max(weights.reduce(0, +), 1)
        return weights.map { max(1, Int((Double(total) * Double($0) / Double(sum)).rounded(.up))) }
    }

    /// The designed case as a draft: rejected, with the reason, when it fails the case format
    /// or its operation's OpenAPI, or is of a kind nobody asked for.
    private func checked(_ designed: DesignedCase, ref: String, context: StageContext, pointIDs: Set<String>) throws -> GeneratedCase {
        let draft = GeneratedCase()
        draft.generationID = try generation.requireID()
        draft.ref = ref
        draft.name = String(designed.name.prefix(200))
        draft.kind = designed.kind
        draft.priority = designed.priority
        draft.testPointsJSON = JSONColumn.encode(designed.testPoints.filter(pointIDs.contains))
        draft.definitionJSON = designed.definition.jsonString
        draft.repairRounds = 0
        draft.status = .unverified
        let shape = designed.operation.flatMap { context.targets[$0] }
        draft.endpointID = shape?.endpointID
        let problems = Self.problems(of: designed, shape: shape, context: context)
        if !problems.isEmpty {
            draft.status = .rejected
            draft.reason = problems.joined(separator: "; ")
        }
        return draft
    }

    private static func problems(of designed: DesignedCase, shape: OperationShape?, context: StageContext) -> [String] {
        if !context.request.kinds.contains(designed.kind) { return ["a \(designed.kind.rawValue) case was not asked for"] }
        if let operation = designed.operation, shape == nil { return ["'\(operation)' is not one of the operations to test"] }
        switch CaseDefinitionCheck.decode(designed.definition) {
        case .failure(let failure): return [failure.description]
        case .success(let definition): return shape?.problems(of: definition, kind: designed.kind) ?? []
        }
    }

    // MARK: Review

    /// Duplicates removed (mechanically, then by the review), priorities and test points from
    /// the review, the requested count and split kept; the traceability table and the holes stored.
    private func review(_ context: StageContext, points: [TestPoint], drafts: [GeneratedCase]) async throws -> [GeneratedCase] {
        var firstByKey: [String: String] = [:]
        var duplicates = 0
        for draft in drafts where draft.status != .rejected {
            let key = (try? draft.definition)?.duplicateKey ?? draft.definitionJSON
            if let original = firstByKey[key] {
                try await reject(draft, "duplicate of \(original): the same requests and assertions")
                duplicates += 1
            } else {
                firstByKey[key] = draft.ref
            }
        }
        var candidates = drafts.filter { $0.status != .rejected }
        guard !candidates.isEmpty else { throw GenerationFailure(description: "design: every designed case was rejected (see the cases' reasons)") }
        let byRef = Dictionary(uniqueKeysWithValues: candidates.map { ($0.ref, $0) })
        let answer = try await context.model.ask(
            .review, template: "review",
            [
                "split":
                    "high \(context.request.prioritySplit.high)%, medium \(context.request.prioritySplit.medium)%, low \(context.request.prioritySplit.low)%",
                "test_points": JSONColumn.encode(points), "cases": Self.describe(candidates),
            ],
            schema: GenerationSchemas.review, as: ReviewAnswer.self,
            check: { answer in
                answer.cases.compactMap { byRef[$0.ref] == nil ? "'\($0.ref)' is not one of the cases" : nil }
                    + answer.cases.compactMap { verdict in
                        verdict.duplicateOf.flatMap {
                            byRef[$0] == nil || $0 == verdict.ref ? "\(verdict.ref): duplicate_of '\($0)' is not another case" : nil
                        }
                    }
            })
        let pointIDs = Set(points.map(\.id))
        for verdict in answer.cases {
            guard let draft = byRef[verdict.ref], draft.status != .rejected else { continue }
            if let original = verdict.duplicateOf, byRef[original]?.status != .rejected {
                try await reject(draft, "duplicate of \(original), found by the review")
                duplicates += 1
                continue
            }
            draft.priority = verdict.priority
            let covered = verdict.testPoints.filter(pointIDs.contains)
            if !covered.isEmpty { draft.testPointsJSON = JSONColumn.encode(covered) }
        }
        candidates = candidates.filter { $0.status != .rejected }
        let selected = DraftSelection.select(
            candidates.map { DraftSelection.Candidate(ref: $0.ref, kind: $0.kind, priority: $0.priority) }, count: context.request.count,
            split: context.request.prioritySplit)
        let chosen = Dictionary(uniqueKeysWithValues: selected.map { ($0.ref, $0.priority) })
        var kept: [GeneratedCase] = []
        for draft in candidates {
            guard let priority = chosen[draft.ref] else {
                try await reject(draft, "left out to keep \(context.request.count) cases in the requested split of kinds and priorities")
                continue
            }
            draft.priority = priority
            try await executor.generations.save(draft)
            kept.append(draft)
        }
        let review = try Self.review(answer, points: points, kept: kept, kinds: context.request.kinds, duplicatesRemoved: duplicates)
        generation.reviewJSON = JSONColumn.encode(review)
        try await executor.generations.save(generation)
        return kept
    }

    private func reject(_ draft: GeneratedCase, _ reason: String) async throws {
        draft.status = .rejected
        draft.reason = reason
        try await executor.generations.save(draft)
        try await log.emit("case_rejected", ["ref": .string(draft.ref), "name": .string(draft.name), "reason": .string(reason)])
    }

    /// Requirement sentence or operation → test points → kept cases, and what nothing covers.
    static func review(
        _ answer: ReviewAnswer, points: [TestPoint], kept: [GeneratedCase], kinds: [GeneratedCaseKind], duplicatesRemoved: Int
    ) throws -> GenerationReview {
        var casesByPoint: [String: [String]] = [:]
        for draft in kept {
            for point in try JSONColumn.decode(draft.testPointsJSON, as: [String].self) { casesByPoint[point, default: []].append(draft.ref) }
        }
        var rows: [String: (points: [String], cases: [String])] = [:]
        var order: [String] = []
        for point in points {
            let source = point.source.kind == .operation ? point.source.operation ?? "" : "requirement: \(point.source.quote ?? "")"
            if rows[source] == nil { order.append(source) }
            rows[source, default: ([], [])].points.append(point.id)
            for ref in casesByPoint[point.id] ?? [] where !(rows[source]?.cases.contains(ref) ?? false) { rows[source]?.cases.append(ref) }
        }
        var holes = points.filter { casesByPoint[$0.id] == nil }.map { "\($0.id) (\($0.title)) has no case" }
        holes += kinds.filter { kind in !kept.contains { $0.kind == kind } }.map { "no \($0.rawValue) case" }
        holes += answer.holes
        return GenerationReview(
            scores: .init(coverage: answer.scores.coverage, clarity: answer.scores.clarity),
            traceability: order.map { GenerationReview.Trace(source: $0, testPoints: rows[$0]!.points, cases: rows[$0]!.cases) },
            holes: holes, duplicatesRemoved: duplicatesRemoved)
    }

    // MARK: Verify

    static let verifyConcurrency = 8

    private func verify(_ context: StageContext, _ drafts: [GeneratedCase], environment: ResolvedEnvironment) async throws {
        let verifier = CaseVerifier(
            executor: executor, generation: generation, context: context, environment: environment, log: log)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(drafts.count, Self.verifyConcurrency) {
                let draft = drafts[next]
                group.addTask { try await verifier.verify(draft) }
                next += 1
            }
            while try await group.next() != nil {
                guard next < drafts.count else { continue }
                let draft = drafts[next]
                group.addTask { try await verifier.verify(draft) }
                next += 1
            }
        }
    }

    // MARK: Prompt texts

    /// The operations as the model reads them: method, path, summary, parameters, request body and responses.
    static func describe(_ targets: [OperationShape]) -> String {
        guard !targets.isEmpty else { return "(none: the requirement alone describes the API)" }
        return targets.map { shape in
            let endpoint = shape.endpoint
            var lines = ["### \(shape.key)" + (endpoint.summary.map { " — \($0)" } ?? "")]
            if let parameters = endpoint.parametersJSON, parameters != "[]" { lines.append("parameters: \(parameters)") }
            if let body = endpoint.requestBodyJSON { lines.append("request body: \(body)") }
            if let responses = endpoint.responsesJSON { lines.append("responses: \(responses)") }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// The environment by names only: secrets and addresses never reach the model.
    static func describe(_ environment: ResolvedEnvironment?) -> String {
        guard let environment else { return "(none: the cases are not run before review)" }
        let services = environment.baseURLs.keys.sorted().map { $0 == "default" ? "{{base_url}}" : "{{base_url.\($0)}}" }
        var lines = ["Base URLs: \(services.joined(separator: ", "))"]
        let variables = environment.variables.keys.sorted()
        if !variables.isEmpty { lines.append("Variables you may use: \(variables.map { "{{\($0)}}" }.joined(separator: ", "))") }
        lines.append(
            environment.auth.type == .none
                ? "Requests carry no credentials unless a step sets `auth`."
                : "Every request is authenticated (\(environment.auth.type.rawValue)) unless a step sets its own `auth`.")
        return lines.joined(separator: "\n")
    }

    /// The kept cases for the review: what each does, in a line or two.
    static func describe(_ drafts: [GeneratedCase]) -> String {
        drafts.map { draft in
            let steps = (try? JSONValue(parsing: draft.definitionJSON))?["steps"] ?? []
            return "\(draft.ref) [\(draft.kind.rawValue), \(draft.priority.rawValue)] \(draft.name): \(steps.jsonString)"
        }.joined(separator: "\n")
    }
}

/// Decodes and validates a model-written case definition.
enum CaseDefinitionCheck {
    static func decode(_ json: JSONValue) -> Result<TestCaseDefinition, GenerationFailure> {
        let definition: TestCaseDefinition
        do {
            definition = try JSONDecoder().decode(TestCaseDefinition.self, from: Data(json.jsonString.utf8))
        } catch {
            return .failure(GenerationFailure(description: "not a case in the platform's format: \(error)"))
        }
        do {
            try definition.validate()
        } catch {
            return .failure(GenerationFailure(description: "not a valid case: \(error.message)"))
        }
        guard definition.steps.contains(where: { $0.request != nil }) else {
            return .failure(GenerationFailure(description: "the case sends no request"))
        }
        return .success(definition)
    }
}
