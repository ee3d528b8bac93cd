import Foundation
import Hummingbird

/// `/api/v1/runs`: start API-test runs, follow them live, read their summaries and results.
struct RunsController {
    /// How often a stream of a run executing on another replica reads the stored results.
    static let pollInterval: Duration = .seconds(1)
    static let maxCases = 10_000

    let projects: ProjectRepository
    let runs: RunRepository
    let environments: EnvironmentRepository
    let suites: SuiteRepository
    let cases: TestCaseRepository
    let jobs: JobQueue
    let events: RunEvents

    func register(on routes: SecuredRoutes) {
        let runs = routes.group("runs")
        runs.post(
            .permission(.testrunExecute),
            RouteContract(
                "Start a run", description: "Runs a suite, or the listed cases, against an environment of the project, in the background.",
                body: RunInput.self, as: "TestRunCreate", requiring: ["project_id", "environment_id"], returns: TestRunResponse.self,
                status: .accepted
            ).rateLimited(.runs),
            use: create)
        runs.get(
            .permission(.testrunRead),
            RouteContract(
                "List runs", description: "Newest first, of the projects you can see.",
                query: QueryParameter.paging + [
                    .uuid("project_id"), .uuid("suite_id"), .oneOf("status", RunStatus.self), .dateTime("from", "Created at or after"),
                    .dateTime("to", "Created before"),
                ], returns: ListPage<TestRunResponse>.self),
            use: list)
        runs.get(
            ":id", .permission(.testrunRead),
            RouteContract(
                "Get a run's summary", description: "Totals, pass rate and latency per endpoint, computed from the stored results.",
                returns: RunSummaryResponse.self), use: get)
        runs.post(
            ":id/cancel", .permission(.testrunExecute),
            RouteContract(
                "Cancel a run", description: "A queued run ends at once, a running one within a heartbeat. 409 for a finished run.",
                returns: TestRunResponse.self, errors: [.conflict]), use: cancel)
        runs.get(
            ":id/results", .permission(.reportRead),
            RouteContract(
                "List a run's results", description: "One per case iteration, in recording order, with each step's evidence.",
                query: QueryParameter.paging + [.oneOf("status", CaseResult.Status.self)], returns: ListPage<TestResultResponse>.self),
            use: results)
        runs.get(
            ":id/events", .permission(.testrunRead),
            RouteContract(
                "Follow a run",
                description:
                    "Server-sent events: a `snapshot` first, then live progress; ends after `run_finished`. `events` limits the live events to those named (a CI client that waits for the end asks for `run_finished` only).",
                query: [.string("events", maxLength: 200, "Comma-separated event names; `snapshot` and `run_finished` are always sent")],
                success: .media(
                    "text/event-stream", description: RunEvent.names.sorted { $0.key < $1.key }.map { "`\($0)`: \($1)" }.joined(separator: "; "))),
            use: stream)
    }

    struct RunInput: Decodable {
        var projectID: UUID?
        var environmentID: UUID?
        var suiteID: UUID?
        var caseIDs: [UUID]?
        var concurrency: Int?

        enum CodingKeys: String, CodingKey {
            case concurrency
            case projectID = "project_id"
            case environmentID = "environment_id"
            case suiteID = "suite_id"
            case caseIDs = "case_ids"
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TestRunResponse> {
        let input = try await request.decodeJSON(as: RunInput.self, context: context)
        guard let projectID = input.projectID else { throw APIError.validation(field: "project_id", "is required") }
        guard let environmentID = input.environmentID else { throw APIError.validation(field: "environment_id", "is required") }
        let principal = try context.requirePrincipal()
        let project = try await projects.visible(projectID, to: principal)
        guard (try? await environments.find(environmentID, in: project)) != nil else {
            throw APIError.validation(field: "environment_id", "no environment \(environmentID) in this project")
        }
        let run = TestRun()
        run.projectID = projectID
        run.environmentID = environmentID
        run.status = .queued
        run.createdBy = principal.userID
        if let concurrency = input.concurrency {
            run.concurrency = try APIError.checked(concurrency, field: "concurrency", in: RunPlan.concurrencies)
        }
        switch (input.suiteID, input.caseIDs) {
        case (let suiteID?, nil):
            guard let suite = try? await suites.find(suiteID, in: project) else {
                throw APIError.validation(field: "suite_id", "no suite \(suiteID) in this project")
            }
            run.suiteID = suiteID
            run.plannedCases = try suite.plannedCases
        case (nil, let caseIDs?):
            guard !caseIDs.isEmpty else { throw APIError.validation(field: "case_ids", "must name at least one case") }
            guard caseIDs.count <= Self.maxCases else { throw APIError.validation(field: "case_ids", "must name at most \(Self.maxCases) cases") }
            if let foreign = try await cases.foreign(caseIDs, in: project).first {
                throw APIError.validation(field: "case_ids", "no test case \(foreign) in this project")
            }
            run.caseIDsJSON = JSONColumn.encode(caseIDs)
            run.plannedCases = caseIDs.count
        default:
            throw APIError.validation(field: "suite_id", "give either suite_id or case_ids, not both")
        }
        try await runs.create(run, queue: jobs)
        context.audit?.resourceID = run.id?.uuidString
        return EditedResponse(status: .accepted, response: try TestRunResponse(run))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<TestRunResponse> {
        let page = try ListQuery(request)
        let query = request.uri.queryParameters
        let filter = RunRepository.Filter(
            projectID: query["project_id"].flatMap { UUID(uuidString: String($0)) },
            suiteID: query["suite_id"].flatMap { UUID(uuidString: String($0)) },
            status: try request.enumParameter("status"), from: try request.timestampParameter("from"), to: try request.timestampParameter("to"))
        let (items, total) = try await runs.list(visibleTo: try context.requirePrincipal(), filter, page)
        return ListPage(items: try items.map(TestRunResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RunSummaryResponse {
        try await RunSummaryResponse(try await visibleRun(context), runs: runs)
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> TestRunResponse {
        let run = try await visibleRun(context)
        if run.status == .cancelled { return try TestRunResponse(run) }
        guard !run.status.isFinished else { throw APIError.conflict("the run has finished (\(run.status.rawValue))") }
        // A queued job is cancelled at once; a running one is told to stop, and its handler records the end.
        var jobStatus: JobStatus?
        if let jobID = run.jobID { jobStatus = try await jobs.requestCancel(id: jobID)?.status }
        // Nothing runs it any more (queued until now, or its worker gave it up): the run ends here.
        if jobStatus != .running {
            if try await runs.transition(run, to: .cancelled, from: [.queued, .running]) {
                run.finishedAt = Date()
                try await runs.save(run)
            }
        }
        return try TestRunResponse(try await runs.find(run.requireID()) ?? run)
    }

    @Sendable func results(_ request: Request, context: AppRequestContext) async throws -> ListPage<TestResultResponse> {
        let run = try await visibleRun(context)
        let page = try ListQuery(request)
        let (items, total) = try await runs.results(of: run.requireID(), status: try request.enumParameter("status"), page)
        return ListPage(items: try items.map(TestResultResponse.init), total: total, request: page)
    }

    /// Live events when the run executes on this replica; otherwise the stored state, read
    /// every `pollInterval` (the results as they are written, then the end).
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let run = try await visibleRun(context)
        let runID = try run.requireID()
        let names = try Self.eventNames(request)
        let (runs, events) = (runs, events)
        return EventStreamResponse.make(batched: { send in
            // Subscribed before the snapshot is read: nothing falls between the two.
            let subscription = events.subscribe(runID, names: names, tick: Self.pollInterval)
            let snapshot = try await RunSummaryResponse(run, runs: runs)
            if run.status.isFinished {
                try await send([("snapshot", JSONValue(encoding: snapshot)), ("run_finished", JSONValue(encoding: snapshot))])
                return
            }
            try await send([("snapshot", JSONValue(encoding: snapshot))])
            // Stored results are numbered 1...n.
            var sent = snapshot.totals.iterations
            var status = run.status
            for await signal in subscription.signals {
                switch signal {
                case .events:
                    var batch: [(event: String, data: JSONValue)] = []
                    var finished = false
                    for event in subscription.take() where !finished {
                        if let seq = event.seq {
                            guard seq > sent else { continue }
                            sent = seq
                        }
                        batch.append((event.name, event.data))
                        finished = event.name == "run_finished"
                    }
                    try await send(batch)
                    if finished { return }
                case .tick:
                    guard !events.isRunningHere(runID), let current = try await runs.find(runID) else { continue }
                    if status == .queued, current.status != .queued, names?.contains("run_started") ?? true {
                        try await send([
                            (
                                "run_started",
                                ["run_id": .string(runID.uuidString), "status": "running", "started_at": JSONValue(encoding: current.startedAt)]
                            )
                        ])
                    }
                    status = current.status
                    var rows = try await runs.results(of: runID, after: sent, limit: 500)
                    while let last = rows.last {
                        if names?.contains("case_finished") ?? true { try await send(rows.map { ("case_finished", ResultWriter.announcement($0)) }) }
                        sent = last.seq
                        rows = try await runs.results(of: runID, after: sent, limit: 500)
                    }
                    if current.status.isFinished {
                        try await send([("run_finished", JSONValue(encoding: try await RunSummaryResponse(current, runs: runs)))])
                        return
                    }
                }
            }
        })
    }

    /// The `events` parameter: nil for every event.
    private static func eventNames(_ request: Request) throws(APIError) -> Set<String>? {
        guard let list = request.uri.queryParameters["events"] else { return nil }
        var names: Set<String> = ["run_finished"]
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard RunEvent.names[name] != nil else {
                throw APIError.validation(field: "events", "unknown event '\(name)'; known: \(RunEvent.names.keys.sorted().joined(separator: ", "))")
            }
            names.insert(name)
        }
        return names
    }

    /// The run named by `:id`, if the caller sees its project; a 404 otherwise.
    private func visibleRun(_ context: AppRequestContext) async throws -> TestRun {
        try await runs.visible(context.parameters.require("id", as: UUID.self), to: context.requirePrincipal(), projects: projects).run
    }
}

extension RunSummaryResponse {
    init(_ run: TestRun, runs: RunRepository) async throws {
        let totals = try await runs.totals(of: run.requireID())
        self.init(run: try TestRunResponse(run), totals: totals, passRate: totals.passRate, endpoints: try await runs.latencies(of: run.requireID()))
    }
}

extension RunsController.RunInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "case_ids": .array(of: .uuid, maxItems: RunsController.maxCases),
        "concurrency": .integer(minimum: RunPlan.concurrencies.lowerBound, maximum: RunPlan.concurrencies.upperBound),
    ]
}
