import FluentKit
import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/generations`: AI test generation as a durable job, its live events,
/// its draft cases with their verification, and accepting them as real cases.
struct GenerationsController {
    static let counts = 1...100
    static let defaultCount = 10
    static let defaultKinds: [GeneratedCaseKind] = [.positive, .negative, .boundary]
    static let maxEndpoints = 200
    /// How often a stream reads the stored events of a generation another replica runs.
    static let pollInterval: Duration = .seconds(1)

    let projects: ProjectRepository
    let generations: GenerationRepository
    let endpoints: EndpointRepository
    let environments: EnvironmentRepository
    let suites: SuiteRepository
    let gateway: LLMGateway
    let grounding: KnowledgeGrounding
    let jobs: JobQueue
    let events: RunEvents
    /// Stored with each generation: `Prompts/VERSION`.
    let promptVersion: String

    func register(on routes: SecuredRoutes) {
        let generations = routes.group("projects/:id/generations")
        generations.post(
            .permission(.testcaseGenerate),
            RouteContract(
                "Start an AI test generation",
                description:
                    "Analyse → design → review with the given model, from catalogue endpoints, a whole import and/or requirement text (Markdown, Chinese or English), the analysis grounded on `knowledge_base_ids` when given; with `environment_id`, every case is also run and repaired or flagged. Runs in the background: follow `…/events`.",
                body: GenerationInput.self, as: "GenerationCreate", requiring: ["model_id"], returns: GenerationResponse.self,
                status: .accepted, errors: [.conflict]
            ).rateLimited(.generations), use: create)
        generations.get(
            .permission(.testcaseRead),
            RouteContract(
                "List a project's generations", description: "Newest first.",
                query: QueryParameter.paging + [.oneOf("status", GenerationStatus.self)], returns: ListPage<GenerationResponse>.self),
            use: list)
        generations.get(
            ":generation_id", .permission(.testcaseRead),
            RouteContract(
                "Get a generation", description: "Its request, stage, test points, review (scores, traceability, coverage holes) and token usage.",
                returns: GenerationResponse.self), use: get)
        generations.get(
            ":generation_id/cases", .permission(.testcaseRead),
            RouteContract(
                "List a generation's draft cases",
                description:
                    "In design order, with each one's verification: `passed`, `flaky`, `needs_attention` (still failing: a real bug, or a wrong test; read the evidence), `unverified` or `rejected` (with the reason).",
                query: QueryParameter.paging + [.oneOf("status", GeneratedCaseStatus.self)], returns: ListPage<GeneratedCaseResponse>.self),
            use: cases)
        generations.get(
            ":generation_id/events", .permission(.testcaseRead),
            RouteContract(
                "Follow a generation",
                description:
                    "Server-sent events: a `snapshot` (as `GET …/generations/{gid}`), then the stored events after `after` (all by default) and the live ones, until `generation_finished`. Each event's data carries its `seq`.",
                query: [.integer("after", in: 0...1_000_000, "Only events numbered above this")],
                success: .media(
                    "text/event-stream",
                    description:
                        "`generation_started`, `stage_started` {stage}, `stage_finished` {stage, counts}, `case_designed` {ref, name, kind, priority}, `case_rejected` {ref, name, reason}, `case_verified` {ref, name, status, repair_rounds}, `generation_finished` (as `GET …/generations/{gid}`)"
                )), use: stream)
        generations.post(
            ":generation_id/cancel", .permission(.testcaseGenerate),
            RouteContract(
                "Cancel a generation", description: "A queued one ends at once, a running one within a heartbeat. 409 once it has finished.",
                returns: GenerationResponse.self, errors: [.conflict]), use: cancel)
        generations.post(
            ":generation_id/accept", .permission(.testcaseCreate),
            RouteContract(
                "Accept draft cases",
                description:
                    "Makes the listed drafts (all acceptable ones when `case_ids` is left out) real cases of the project, each linked to the generation and its test points, optionally appended to a suite. Rejected drafts cannot be accepted; 409 for one accepted already.",
                body: AcceptInput.self, as: "GenerationAccept", returns: AcceptedCasesResponse.self, errors: [.conflict]), use: accept)
    }

    struct GenerationInput: Decodable, LongTextInput, SchemaRefining {
        var endpointIDs: [UUID]?
        var importID: UUID?
        var requirement: String?
        var modelID: UUID?
        var count: Int?
        var kinds: [GeneratedCaseKind]?
        var prioritySplit: PrioritySplit?
        var environmentID: UUID?
        var knowledgeBaseIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case requirement, count, kinds
            case endpointIDs = "endpoint_ids"
            case importID = "import_id"
            case modelID = "model_id"
            case prioritySplit = "priority_split"
            case environmentID = "environment_id"
            case knowledgeBaseIDs = "knowledge_base_ids"
        }

        static let maxLengths = ["requirement": 100_000]
        static let fieldSchemas: [String: JSONSchema] = [
            "endpoint_ids": .array(of: .uuid, maxItems: GenerationsController.maxEndpoints),
            "knowledge_base_ids": .array(of: .uuid, maxItems: KnowledgeGrounding.maxBases),
            "count": .integer(minimum: GenerationsController.counts.lowerBound, maximum: GenerationsController.counts.upperBound),
        ]
    }

    struct AcceptInput: Decodable, SchemaRefining {
        var caseIDs: [UUID]?
        var suiteID: UUID?

        enum CodingKeys: String, CodingKey {
            case caseIDs = "case_ids"
            case suiteID = "suite_id"
        }

        static let fieldSchemas: [String: JSONSchema] = ["case_ids": .array(of: .uuid, maxItems: 500)]
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<GenerationResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: GenerationInput.self, context: context)
        let generationRequest = try await validated(input, in: project)
        let generation = TestGeneration()
        generation.projectID = try project.requireID()
        generation.status = .queued
        generation.requestJSON = JSONColumn.encode(generationRequest)
        generation.modelConfigID = generationRequest.modelID
        generation.environmentID = generationRequest.environmentID
        generation.promptVersion = promptVersion
        generation.language = GenerationModel.language(of: generationRequest.requirement)
        generation.createdBy = try context.requirePrincipal().userID
        generation.inputTokens = 0
        generation.outputTokens = 0
        try await generations.create(generation, queue: jobs)
        context.audit?.resourceID = generation.id?.uuidString
        return EditedResponse(status: .accepted, response: try GenerationResponse(generation))
    }

    private func validated(_ input: GenerationInput, in project: Project) async throws -> GenerationRequest {
        guard let modelID = input.modelID else { throw APIError.validation(field: "model_id", "is required") }
        _ = try await gateway.activeModel(modelID, field: "model_id")
        let knowledgeBases = try await grounding.bases(input.knowledgeBaseIDs ?? [], field: "knowledge_base_ids")
        let requirement = input.requirement?.trimmingCharacters(in: .whitespacesAndNewlines)
        let endpointIDs = Array(Set(input.endpointIDs ?? []))
        let projectID = try project.requireID()
        if let importID = input.importID {
            let record = try await CatalogImportRecord.query(on: generations.database.database).filter(\.$id == importID)
                .filter(\.$projectID == projectID).first()
            guard record != nil else { throw APIError.validation(field: "import_id", "no import \(importID) in this project") }
        }
        let found = try await endpoints.endpoints(ids: endpointIDs, importID: nil, in: projectID)
        if let missing = endpointIDs.first(where: { id in !found.contains { $0.id == id } }) {
            throw APIError.validation(field: "endpoint_ids", "no endpoint \(missing) in this project")
        }
        if let importID = input.importID, try await endpoints.endpoints(ids: [], importID: importID, in: projectID).isEmpty {
            throw APIError.validation(field: "import_id", "the import \(importID) has no endpoints left in the catalogue")
        }
        guard !endpointIDs.isEmpty || input.importID != nil || !(requirement ?? "").isEmpty else {
            throw APIError.validation(field: "endpoint_ids", "give something to test: endpoint_ids, import_id or requirement")
        }
        let count = try APIError.checked(input.count ?? Self.defaultCount, field: "count", in: Self.counts)
        let kinds = input.kinds ?? Self.defaultKinds
        guard !kinds.isEmpty else { throw APIError.validation(field: "kinds", "must name at least one kind") }
        guard Set(kinds).count == kinds.count else { throw APIError.validation(field: "kinds", "names a kind twice") }
        let split = input.prioritySplit ?? .standard
        for priority in GeneratedPriority.allCases {
            _ = try APIError.checked(split.percent(priority), field: "priority_split.\(priority.rawValue)", in: 0...100)
        }
        let total = split.high + split.medium + split.low
        guard total == 100 else { throw APIError.validation(field: "priority_split", "must total 100% (it totals \(total)%)") }
        if let environmentID = input.environmentID, (try? await environments.find(environmentID, in: project)) == nil {
            throw APIError.validation(field: "environment_id", "no environment \(environmentID) in this project")
        }
        return GenerationRequest(
            endpointIDs: endpointIDs.sorted { $0.uuidString < $1.uuidString }, importID: input.importID,
            requirement: requirement?.isEmpty == true ? nil : requirement, modelID: modelID, count: count, kinds: kinds, prioritySplit: split,
            environmentID: input.environmentID, knowledgeBaseIDs: knowledgeBases.isEmpty ? nil : try knowledgeBases.map { try $0.requireID() })
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<GenerationResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await generations.list(in: project, status: try request.enumParameter("status"), page)
        return ListPage(items: try items.map(GenerationResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> GenerationResponse {
        try GenerationResponse(try await generation(context).generation)
    }

    @Sendable func cases(_ request: Request, context: AppRequestContext) async throws -> ListPage<GeneratedCaseResponse> {
        let generation = try await generation(context).generation
        let page = try ListQuery(request)
        let status: GeneratedCaseStatus? = try request.enumParameter("status")
        let drafts = try await generations.drafts(of: generation.requireID()).filter { status == nil || $0.status == status }
        let items = drafts.dropFirst(page.range.lowerBound).prefix(page.range.count)
        return ListPage(items: try items.map(GeneratedCaseResponse.init), total: drafts.count, request: page)
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> GenerationResponse {
        let generation = try await generation(context).generation
        if generation.status == .cancelled { return try GenerationResponse(generation) }
        guard !generation.status.isFinished else { throw APIError.conflict("the generation has finished (\(generation.status.rawValue))") }
        var jobStatus: JobStatus?
        if let jobID = generation.jobID { jobStatus = try await jobs.requestCancel(id: jobID)?.status }
        // Nothing runs it any more (queued until now, or its worker gave it up): it ends here.
        if jobStatus != .running, try await generations.transition(generation, to: .cancelled, from: [.queued, .running]) {
            generation.finishedAt = Date()
            try await generations.save(generation)
        }
        return try GenerationResponse(try await generations.find(generation.requireID()) ?? generation)
    }

    @Sendable func accept(_ request: Request, context: AppRequestContext) async throws -> AcceptedCasesResponse {
        let (project, generation) = try await generation(context)
        let input = try await request.decodeJSON(as: AcceptInput.self, context: context)
        guard generation.status == .succeeded else {
            throw APIError.conflict("only a generation that succeeded can be accepted (this one is \(generation.status.rawValue))")
        }
        let drafts = try await generations.drafts(of: generation.requireID())
        let chosen: [GeneratedCase]
        if let ids = input.caseIDs {
            guard !ids.isEmpty else { throw APIError.validation(field: "case_ids", "must name at least one case") }
            chosen = try ids.map { id in
                guard let draft = drafts.first(where: { $0.id == id }) else {
                    throw APIError.validation(field: "case_ids", "no draft case \(id) in this generation")
                }
                guard draft.status.isAcceptable else {
                    throw APIError.validation(field: "case_ids", "the draft \(draft.ref) was rejected: \(draft.reason ?? "")")
                }
                if let accepted = draft.acceptedCaseID { throw APIError.conflict("the draft \(draft.ref) was accepted already, as case \(accepted)") }
                return draft
            }
        } else {
            chosen = drafts.filter { $0.status.isAcceptable && $0.acceptedCaseID == nil }
            guard !chosen.isEmpty else { throw APIError.conflict("no draft case is left to accept") }
        }
        var suite: TestSuite?
        if let id = input.suiteID {
            guard let found = try? await suites.find(id, in: project) else {
                throw APIError.validation(field: "suite_id", "no suite \(id) in this project")
            }
            suite = found
        }
        let accepted = try await generations.accept(chosen, generation: generation, suite: suite)
        return AcceptedCasesResponse(cases: try accepted.map(TestCaseResponse.init), suiteID: input.suiteID)
    }

    /// The snapshot, then the stored events from `after` on, woken by this replica's own
    /// events and, for a generation another replica runs, by a tick.
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let generation = try await generation(context).generation
        let id = try generation.requireID()
        var sent = 0
        if let after = request.uri.queryParameters["after"] {
            guard let value = Int(after), value >= 0 else { throw APIError.validation(field: "after", "must be a whole number from 0") }
            sent = value
        }
        let (generations, events, start) = (generations, events, sent)
        return EventStreamResponse.make(batched: { send in
            // Subscribed before the snapshot is read: nothing falls between the two.
            let subscription = events.subscribe(id, tick: Self.pollInterval)
            try await send([("snapshot", JSONValue(encoding: try GenerationResponse(generation)))])
            var sent = start
            func sendStored() async throws -> Bool {
                while true {
                    let rows = try await generations.events(of: id, after: sent, limit: 500)
                    guard let last = rows.last else { return false }
                    try await send(
                        rows.map { row in
                            var data = (try? JSONValue(parsing: row.dataJSON)) ?? .null
                            if case .object(var object) = data {
                                object["seq"] = .number(Double(row.seq))
                                data = .object(object)
                            }
                            return (row.name, data)
                        })
                    sent = last.seq
                    if rows.contains(where: { $0.name == "generation_finished" }) { return true }
                }
            }
            if try await sendStored() { return }
            for await _ in subscription.signals {
                _ = subscription.take()
                if try await sendStored() { return }
            }
        })
    }

    private func generation(_ context: AppRequestContext) async throws -> (project: Project, generation: TestGeneration) {
        let project = try await projects.visible(from: context)
        return (project, try await generations.find(context.parameters.require("generation_id", as: UUID.self), in: project))
    }
}

struct AcceptedCasesResponse: Codable, ResponseEncodable, Sendable {
    let cases: [TestCaseResponse]
    let suiteID: UUID?

    enum CodingKeys: String, CodingKey {
        case cases
        case suiteID = "suite_id"
    }
}
