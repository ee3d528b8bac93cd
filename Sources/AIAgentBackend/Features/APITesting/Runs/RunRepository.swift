import FluentKit
import Foundation
import SQLKit

/// Runs and their results.
struct RunRepository: Sendable {
    let database: DatabaseService

    struct Filter {
        var projectID: UUID?
        var suiteID: UUID?
        var status: RunStatus?
        /// Created at or after.
        var from: Date?
        /// Created before.
        var to: Date?
    }

    /// Runs of the projects `principal` sees, newest first.
    func list(visibleTo principal: Principal, _ filter: Filter, _ page: ListQuery) async throws -> (items: [TestRun], total: Int) {
        let query = TestRun.query(on: database.database)
        if !principal.isSuperuser {
            let memberOf = try await ProjectMember.query(on: database.database).filter(\.$userID == principal.userID).all().map(\.projectID)
            let owned = try await Project.query(on: database.database).filter(\.$ownerID == principal.userID).all().compactMap(\.id)
            query.filter(\.$projectID ~~ (memberOf + owned))
        }
        if let projectID = filter.projectID { query.filter(\.$projectID == projectID) }
        if let suiteID = filter.suiteID { query.filter(\.$suiteID == suiteID) }
        if let status = filter.status { query.filter(\.$status == status) }
        if let from = filter.from { query.filter(\.$createdAt >= from) }
        if let to = filter.to { query.filter(\.$createdAt < to) }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id).paginate(page)
    }

    func find(_ id: UUID) async throws -> TestRun? {
        try await TestRun.find(id, on: database.database)
    }

    /// The run and its project, if `principal` sees that project; a 404 otherwise, as if it did not exist.
    func visible(_ id: UUID, to principal: Principal, projects: ProjectRepository) async throws -> (run: TestRun, project: Project) {
        guard let run = try await find(id) else { throw APIError.notFound("no run \(id)") }
        do { return (run, try await projects.visible(run.projectID, to: principal)) } catch { throw APIError.notFound("no run \(id)") }
    }

    /// The run and its job, written together: a run is never queued without its job.
    func create(_ run: TestRun, queue: JobQueue) async throws {
        try await queue.transaction { database in try await create(run, queue: queue, on: database) }
    }

    /// The run and its job, written on `database`: a caller's transaction run through
    /// `JobQueue.transaction`, which wakes the workers once it commits.
    func create(_ run: TestRun, queue: JobQueue, on database: any Database) async throws {
        let runID = UUID()
        run.id = runID
        run.jobID = try await queue.enqueue(kind: RunJob.kind, payload: RunJob.Payload(runID: runID), on: database)
        try await run.create(on: database)
    }

    func save(_ run: TestRun) async throws {
        try await run.save(on: database.database)
    }

    /// Sets `status` when the run is still in one of `from`; false when it was not.
    func transition(_ run: TestRun, to status: RunStatus, from: [RunStatus]) async throws -> Bool {
        let id = try run.requireID()
        let updated = try await database.sql.update(TestRun.schema).set("status", to: SQLBind(status.rawValue))
            .set("updated_at", to: SQLBind(Date()))
            .where("id", .equal, SQLBind(id)).where("status", .in, SQLBind.group(from.map(\.rawValue)))
            .returning("id").all()
        if !updated.isEmpty { run.status = status }
        return !updated.isEmpty
    }

    func results(of runID: UUID, status: CaseResult.Status?, _ page: ListQuery) async throws -> (items: [TestResult], total: Int) {
        let query = TestResult.query(on: database.database).filter(\.$runID == runID)
        if let status { query.filter(\.$status == status) }
        return try await query.sort(\.$seq).paginate(page)
    }

    /// Results recorded after `seq`, in order, at most `limit`.
    func results(of runID: UUID, after seq: Int, limit: Int) async throws -> [TestResult] {
        try await TestResult.query(on: database.database).filter(\.$runID == runID).filter(\.$seq > seq).sort(\.$seq).limit(limit).all()
    }

    /// One multi-row INSERT through SQLKit: Fluent's `create` reflects over every row's
    /// property wrappers, which costs more than the query itself at a run's pace.
    func insert(_ results: [TestResult]) async throws {
        guard !results.isEmpty else { return }
        let createdAt = Date()
        var insert = database.sql.insert(into: TestResult.schema).columns(
            "id", "run_id", "seq", "case_id", "case_name", "role", "iteration", "status", "attempts", "duration_ms", "step_count",
            "assertion_count", "steps", "timings", "created_at")
        for row in results {
            insert = insert.values(
                row.id ?? UUID(), row.runID, row.seq, row.caseID, row.caseName, row.role.rawValue, row.iteration, row.status.rawValue,
                row.attempts, row.durationMs, row.stepCount, row.assertionCount, row.stepsJSON, row.timingsJSON, createdAt)
        }
        try await insert.run()
    }

    /// Forgets a run's results: a run taken over from a dead replica starts again.
    func deleteResults(of runID: UUID) async throws {
        try await database.sql.delete(from: TestResult.schema).where("run_id", .equal, SQLBind(runID)).run()
    }

    /// Totals computed from the stored results.
    func totals(of runID: UUID) async throws -> RunTotals {
        let rows = try await database.sql.raw(
            """
            SELECT status, COUNT(*) AS iterations, CAST(COALESCE(SUM(step_count), 0) AS BIGINT) AS steps,
              CAST(COALESCE(SUM(assertion_count), 0) AS BIGINT) AS assertions
            FROM test_results WHERE run_id = \(bind: runID) GROUP BY status
            """
        ).all()
        var totals = RunTotals()
        for row in rows {
            let count = try row.decode(column: "iterations", as: Int.self)
            totals.iterations += count
            totals.steps += try row.decode(column: "steps", as: Int.self)
            totals.assertions += try row.decode(column: "assertions", as: Int.self)
            switch CaseResult.Status(rawValue: try row.decode(column: "status", as: String.self)) {
            case .passed: totals.passed += count
            case .failed: totals.failed += count
            case .error: totals.errors += count
            case .cancelled: totals.cancelled += count
            case nil: break
            }
        }
        let cases = try await database.sql.raw(
            "SELECT COUNT(*) AS cases FROM (SELECT DISTINCT role, case_id, case_name FROM test_results WHERE run_id = \(bind: runID)) AS distinct_cases"
        ).first()
        totals.cases = try cases?.decode(column: "cases", as: Int.self) ?? 0
        return totals
    }

    /// p50 and p95 of the request steps' durations per endpoint, from the stored results.
    func latencies(of runID: UUID) async throws -> [EndpointLatency] {
        var durations: [String: [Double]] = [:]
        let rows = try await database.sql.select().column("timings").from(TestResult.schema).where("run_id", .equal, SQLBind(runID)).all()
        for row in rows {
            for timing in try JSONColumn.decode(try row.decode(column: "timings", as: String.self), as: [StepTiming].self) {
                durations[timing.endpoint, default: []].append(timing.ms)
            }
        }
        return EndpointLatency.of(durations)
    }

    /// Nearest-rank percentile of sorted, non-empty values.
    static func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}
