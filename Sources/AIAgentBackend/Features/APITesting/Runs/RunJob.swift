import FluentKit
import Foundation

/// The `test_run` job: executes one run and records its results.
enum RunJob {
    static let kind = "test_run"

    struct Payload: Codable, Sendable {
        let runID: UUID

        enum CodingKeys: String, CodingKey { case runID = "run_id" }
    }
}

/// What a run executes, loaded when its job starts.
struct RunPlan: Sendable {
    static let defaultConcurrency = 8
    static let concurrencies = 1...64

    let project: Project
    let environment: ResolvedEnvironment
    let setupCaseID: UUID?
    let caseIDs: [UUID]
    let teardownCaseID: UUID?
    /// Cases running at once: 1 for a sequential suite.
    let concurrency: Int
    let stopOnFailure: Bool
    let retries: Int
}

/// Runs a `test_run` job: marks the run running, executes its plan with the engine, writes
/// results in batches as cases finish, and stores the final status and totals.
///
/// A run whose job is taken over (its replica died) starts again from scratch: its partial
/// results are deleted first, so every case is recorded once.
struct RunExecutor: Sendable {
    /// Cases loaded from the database at a time: a long run never holds them all.
    static let caseChunk = 100

    let runs: RunRepository
    let environments: EnvironmentRepository
    let suites: SuiteRepository
    let cases: TestCaseRepository
    let endpoints: EndpointRepository
    let jobs: JobQueue
    let events: RunEvents
    let egress: EgressClient
    /// One for the application's lifetime: tokens outlive a run.
    let tokens: OAuthTokenCache
    let maxBodyBytes: Int
    let notifier: RunNotifier

    func handle(_ context: JobContext) async throws {
        let payload = try context.payload(as: RunJob.Payload.self)
        guard let run = try await runs.find(payload.runID), !run.status.isFinished else { return }
        let runID = try run.requireID()
        events.beganHere(runID)
        defer { events.endedHere(runID) }
        try await runs.deleteResults(of: runID)
        run.status = .running
        run.startedAt = Date()
        run.finishedAt = nil
        run.error = nil
        try await runs.save(run)
        events.publish(
            runID, "run_started", ["run_id": .string(runID.uuidString), "status": "running", "started_at": JSONValue(encoding: run.startedAt)])

        let writer = ResultWriter(runID: runID, runs: runs, events: events)
        var failure: String?
        do {
            let plan = try await loadPlan(run)
            try await execute(plan, run: run, writer: writer)
        } catch is CancellationError {
        } catch {
            failure = JobWorker.describe(error)
        }
        // The end is written even while this task is cancelled: a cancelled task's queries may be refused.
        let cancelled = Task.isCancelled
        try await Task {
            try await writer.flush()
            if cancelled, try await jobs.get(id: context.id)?.cancelRequested != true {
                // Shutdown or a lost lease: the run stays running, and the worker that takes it next starts it again.
                return
            }
            try await finish(run, writer: writer, cancelled: cancelled, failure: failure)
        }.value
        if cancelled { throw CancellationError() }
        if let failure { throw APIError.badRequest(failure) }
    }

    private func finish(_ run: TestRun, writer: ResultWriter, cancelled: Bool, failure: String?) async throws {
        let runID = try run.requireID()
        let totals = try await runs.totals(of: runID)
        run.status =
            cancelled
            ? .cancelled : failure != nil || totals.errors > 0 ? .error : totals.failed > 0 || totals.cancelled > 0 ? .failed : .passed
        run.error = failure
        run.totalsJSON = JSONColumn.encode(totals)
        run.finishedAt = Date()
        run.durationMs = run.startedAt.map { run.finishedAt!.timeIntervalSince($0) * 1000 }
        try await runs.save(run)
        try await notifier.runEnded(run)
        let summary = RunSummaryResponse(
            run: try TestRunResponse(run), totals: totals, passRate: totals.passRate, endpoints: await writer.latencies())
        events.publish(runID, "run_finished", JSONValue(encoding: summary))
    }

    private func loadPlan(_ run: TestRun) async throws -> RunPlan {
        guard let project = try await Project.find(run.projectID, on: runs.database.database) else {
            throw APIError.notFound("the run's project was deleted")
        }
        guard let environmentID = run.environmentID else { throw APIError.notFound("the run has no environment") }
        let environment = try await environments.resolved(environmentID, in: project)
        if let suiteID = run.suiteID {
            let suite = try await suites.find(suiteID, in: project)
            let limit = suite.mode == .sequential ? 1 : run.concurrency ?? suite.concurrency
            return RunPlan(
                project: project, environment: environment, setupCaseID: suite.setupCaseID, caseIDs: try suite.caseIDs,
                teardownCaseID: suite.teardownCaseID, concurrency: limit, stopOnFailure: suite.stopOnFailure, retries: suite.retries)
        }
        return RunPlan(
            project: project, environment: environment, setupCaseID: nil, caseIDs: try run.caseIDs ?? [], teardownCaseID: nil,
            concurrency: run.concurrency ?? RunPlan.defaultConcurrency, stopOnFailure: false, retries: 0)
    }

    private func execute(_ plan: RunPlan, run: TestRun, writer: ResultWriter) async throws {
        let runner = CaseRunner(egress: egress, tokens: tokens, maxBodyBytes: maxBodyBytes, environmentKey: run.environmentID?.uuidString ?? "")
        let context = CaseContext(
            plan: plan, runner: runner, writer: writer, events: events, cases: cases, endpoints: endpoints, runID: try run.requireID())
        var setupPassed = true
        if let setup = plan.setupCaseID {
            setupPassed = await context.run(setup, role: .setup, retries: 0)
        }
        if setupPassed { await runCases(plan, context: context) }
        // Teardown runs whatever happened, cancellation included: in a task of its own, which does not inherit it.
        if let teardown = plan.teardownCaseID {
            _ = await Task { await context.run(teardown, role: .teardown, retries: 0) }.value
        }
        try Task.checkCancellation()
    }

    /// The plan's cases, at most `concurrency` at once, loaded a chunk at a time; none
    /// starts after a failure when the suite stops on failure.
    private func runCases(_ plan: RunPlan, context: CaseContext) async {
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            var stopped = false
            let chunks = stride(from: 0, to: plan.caseIDs.count, by: Self.caseChunk).map {
                Array(plan.caseIDs[$0..<min($0 + Self.caseChunk, plan.caseIDs.count)])
            }
            // The next chunk loads while this one runs, so the slots never wait for the database.
            var next: Task<[UUID: RunnableCase], Never>? = chunks.first.map { ids in Task { (try? await context.load(ids)) ?? [:] } }
            chunks: for (index, ids) in chunks.enumerated() {
                let loaded = await next?.value ?? [:]
                next = index + 1 < chunks.count ? Task { [ids = chunks[index + 1]] in (try? await context.load(ids)) ?? [:] } : nil
                for id in ids {
                    if running >= plan.concurrency, let passed = await group.next() {
                        running -= 1
                        stopped = stopped || (!passed && plan.stopOnFailure)
                    }
                    if stopped || Task.isCancelled { break chunks }
                    group.addTask { await context.run(id, loaded: loaded[id], role: .case, retries: plan.retries) }
                    running += 1
                }
            }
        }
    }
}

/// What running one case needs.
private struct CaseContext: Sendable {
    let plan: RunPlan
    let runner: CaseRunner
    let writer: ResultWriter
    let events: RunEvents
    let cases: TestCaseRepository
    let endpoints: EndpointRepository
    let runID: UUID

    func load(_ ids: [UUID]) async throws -> [UUID: RunnableCase] {
        try await cases.runnable(ids, in: plan.project.requireID())
    }

    /// Runs the case, retried up to `retries` times while it fails; records the last
    /// attempt. Returns whether it passed.
    @discardableResult
    func run(_ id: UUID, loaded: RunnableCase? = nil, role: CaseRole, retries: Int) async -> Bool {
        var testCase = loaded
        if testCase == nil { testCase = try? await load([id])[id] }
        guard let testCase, let definition = testCase.definition else {
            let missing = CaseResult(
                name: "case \(id)", status: .error,
                steps: [
                    StepResult(
                        name: "load", kind: .set, assertions: [], extracted: [:],
                        error: StepError(kind: .invalidRequest, message: "the case \(id) was deleted or cannot be read"), passed: false)
                ], durationMs: 0)
            await writer.record([missing], caseID: id, caseName: "case \(id)", role: role, attempts: 1, definition: nil)
            return false
        }
        var runner = runner
        runner.schemas = await schemas(for: testCase)
        var results: [CaseResult] = []
        var attempt = 0
        repeat {
            attempt += 1
            events.publish(
                runID, "case_started",
                [
                    "case_id": .string(id.uuidString), "case_name": .string(testCase.name), "role": .string(role.rawValue),
                    "attempt": .number(Double(attempt)),
                ])
            let events = events
            let runID = runID
            results = await runner.run(definition, named: testCase.name, environment: plan.environment) { event in
                guard case .stepFinished(let iteration, let step) = event else { return }
                events.publish(
                    runID, "step_finished",
                    [
                        "case_id": .string(id.uuidString), "case_name": .string(testCase.name), "iteration": .string(iteration),
                        "step": .string(step.name), "kind": .string(step.kind.rawValue), "passed": .bool(step.passed),
                        "total_ms": step.timings.map { .number($0.totalMs) } ?? .null,
                        "error": step.error.map { .string($0.message) } ?? .null,
                    ])
            }
        } while attempt <= retries && !Task.isCancelled && results.contains { $0.status == .failed || $0.status == .error }
        await writer.record(results, caseID: id, caseName: testCase.name, role: role, attempts: attempt, definition: definition)
        return results.allSatisfy { $0.status == .passed }
    }

    /// The linked endpoint's response schemas, for `schema` assertions.
    private func schemas(for testCase: RunnableCase) async -> SchemaSource {
        guard let endpointID = testCase.endpointID, let projectID = plan.project.id,
            let endpoint = try? await endpoints.endpoint(withID: endpointID, in: projectID)
        else { return .none }
        return SchemaSource.responses(of: endpoint)
    }
}

/// Buffers a run's results and writes them in batches, numbering them in recording order;
/// each is announced (`case_finished`) as it is numbered.
actor ResultWriter {
    static let batchSize = 50

    let runID: UUID
    let runs: RunRepository
    let events: RunEvents
    private var pending: [TestResult] = []
    private var seq = 0
    /// Request steps' durations by endpoint, for the final summary without reading every result back.
    private var durations: [String: [Double]] = [:]

    init(runID: UUID, runs: RunRepository, events: RunEvents) {
        self.runID = runID
        self.runs = runs
        self.events = events
    }

    /// Encodes the results in the caller's task (cases finish in parallel; the actor only
    /// numbers, announces and batches them).
    nonisolated func record(
        _ results: [CaseResult], caseID: UUID, caseName: String, role: CaseRole, attempts: Int, definition: TestCaseDefinition?
    ) async {
        var timings: [StepTiming] = []
        let rows = results.map { result in
            let stepTimings = Self.timings(result.steps, definition: definition)
            timings += stepTimings
            let row = TestResult()
            row.id = UUID()
            row.runID = runID
            row.caseID = caseID
            row.caseName = caseName
            row.role = role
            row.iteration = result.name
            row.status = result.status
            row.attempts = attempts
            row.durationMs = result.durationMs
            row.stepCount = result.steps.count
            row.assertionCount = result.steps.reduce(0) { $0 + $1.assertions.count }
            row.stepsJSON = JSONValue.array(result.steps.map(\.jsonValue)).jsonString
            row.timingsJSON = JSONValue.array(stepTimings.map(\.jsonValue)).jsonString
            return row
        }
        await append(rows, timings: timings)
    }

    func latencies() -> [EndpointLatency] { EndpointLatency.of(durations) }

    private func append(_ rows: [TestResult], timings: [StepTiming]) async {
        for timing in timings { durations[timing.endpoint, default: []].append(timing.ms) }
        for row in rows {
            seq += 1
            row.seq = seq
            pending.append(row)
            events.publish(runID, "case_finished", seq: seq, Self.announcement(row))
        }
        if pending.count >= Self.batchSize {
            do { try await flush() } catch {
                // Kept for the next flush; the run's end writes what is left or fails the job.
            }
        }
    }

    func flush() async throws {
        let batch = pending
        pending = []
        do { try await runs.insert(batch) } catch {
            pending = batch + pending
            throw error
        }
    }

    static func announcement(_ row: TestResult) -> JSONValue {
        [
            "seq": .number(Double(row.seq)), "result_id": .string(row.id?.uuidString ?? ""), "case_id": .string(row.caseID?.uuidString ?? ""),
            "case_name": .string(row.caseName), "role": .string(row.role.rawValue), "iteration": .string(row.iteration),
            "status": .string(row.status.rawValue), "attempts": .number(Double(row.attempts)), "duration_ms": .number(row.durationMs),
        ]
    }

    /// Request steps' durations by endpoint: the step's method and URL template, without the
    /// base URL, the origin or the query (`GET /users/{{id}}`).
    static func timings(_ steps: [StepResult], definition: TestCaseDefinition?) -> [StepTiming] {
        zip(steps, definition?.steps ?? []).compactMap { result, step in
            guard let request = step.request, let total = result.timings?.totalMs else { return nil }
            return StepTiming(endpoint: "\(request.method.uppercased()) \(endpointPath(request.url))", ms: total)
        }
    }

    static func endpointPath(_ template: String) -> String {
        var path = Substring(template)
        if path.hasPrefix("{{base_url"), let end = path.range(of: "}}") {
            path = path[end.upperBound...]
        } else if let scheme = path.range(of: "://") {
            path = path[scheme.upperBound...].drop { $0 != "/" }
        }
        path = path.prefix { $0 != "?" && $0 != "#" }
        return path.isEmpty ? "/" : String(path)
    }
}
