import FluentKit
import Foundation
import SQLKit

/// What reports, trends and comparisons read: runs' results, across runs of a project.
struct ReportRepository: Sendable {
    let database: DatabaseService
    let runs: RunRepository

    /// Results are read this many at a time, each chunk decoded into the report and dropped.
    static let chunkSize = 500

    /// The whole run as one document, its cases in recording order.
    func report(of run: TestRun, in project: Project) async throws -> RunReport {
        let runID = try run.requireID()
        let summary = try await RunSummaryResponse(run, runs: runs)
        let tags = try await tagsOfCases(in: project.requireID())
        var cases: [TestResultResponse] = []
        var caseTags: [String: [String]] = [:]
        cases.reserveCapacity(summary.totals.iterations)
        var rows = try await runs.results(of: runID, after: 0, limit: Self.chunkSize)
        while let last = rows.last {
            for row in rows {
                cases.append(try TestResultResponse(row))
                if let id = row.caseID, let tags = tags[id], !tags.isEmpty { caseTags[id.uuidString] = tags }
            }
            rows = try await runs.results(of: runID, after: last.seq, limit: Self.chunkSize)
        }
        let environment = try await run.environmentID.asyncMap { try await TestEnvironment.find($0, on: database.database) } ?? nil
        let suite = try await run.suiteID.asyncMap { try await TestSuite.find($0, on: database.database) } ?? nil
        return RunReport(
            summary: summary, project: NamedReference(id: try project.requireID(), name: project.name),
            environment: try environment.map { NamedReference(id: try $0.requireID(), name: $0.name) },
            suite: try suite.map { NamedReference(id: try $0.requireID(), name: $0.name) }, cases: cases, caseTags: caseTags)
    }

    /// The tags of the project's cases, by case id: only the two columns are read.
    private func tagsOfCases(in projectID: UUID) async throws -> [UUID: [String]] {
        let rows = try await database.sql.select().column("id").column("tags").from(TestCase.schema)
            .where("project_id", .equal, SQLBind(projectID)).all()
        var tags: [UUID: [String]] = [:]
        for row in rows {
            tags[try row.decode(column: "id", as: UUID.self)] = try JSONColumn.decode(try row.decode(column: "tags", as: String.self))
        }
        return tags
    }

    // MARK: - Comparison

    /// Each case's outcome in a run, by case id: failed when any iteration failed or erred,
    /// passed when every one that ran passed. Results of deleted cases (no id) are left out.
    func outcomes(of runID: UUID) async throws -> [UUID: CaseOutcome] {
        let rows = try await database.sql.raw(
            """
            SELECT case_id, MAX(case_name) AS case_name,
              SUM(CASE WHEN status = 'passed' THEN 1 ELSE 0 END) AS passed,
              SUM(CASE WHEN status IN ('failed', 'error') THEN 1 ELSE 0 END) AS failed
            FROM test_results WHERE run_id = \(bind: runID) AND case_id IS NOT NULL GROUP BY case_id
            """
        ).all()
        var outcomes: [UUID: CaseOutcome] = [:]
        for row in rows {
            let failed = try row.decode(column: "failed", as: Int.self)
            let passed = try row.decode(column: "passed", as: Int.self)
            let status: CaseOutcome.Status = failed > 0 ? .failed : passed > 0 ? .passed : .cancelled
            let id = try row.decode(column: "case_id", as: UUID.self)
            outcomes[id] = CaseOutcome(caseID: id, name: try row.decode(column: "case_name", as: String.self), status: status)
        }
        return outcomes
    }

    // MARK: - Trends

    /// Runs of trends: at most this many, the newest of the window.
    static let maxTrendRuns = 200

    /// The project's finished runs created since `since` (of one suite when given), oldest
    /// first, at most `maxTrendRuns` (the newest).
    func finishedRuns(in projectID: UUID, suiteID: UUID?, since: Date) async throws -> [TestRun] {
        let query = TestRun.query(on: database.database).filter(\.$projectID == projectID).filter(\.$createdAt >= since)
            .filter(\.$status ~~ [RunStatus.passed, .failed, .error])
        if let suiteID { query.filter(\.$suiteID == suiteID) }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id).limit(Self.maxTrendRuns).all().reversed()
    }

    /// Case iterations that both passed and failed (or erred) over `runIDs`, most failures first.
    func flakyCases(in runIDs: [UUID]) async throws -> [FlakyCase] {
        guard !runIDs.isEmpty else { return [] }
        let passed = SQLRaw("SUM(CASE WHEN status = 'passed' THEN 1 ELSE 0 END)")
        let failed = SQLRaw("SUM(CASE WHEN status IN ('failed', 'error') THEN 1 ELSE 0 END)")
        let rows = try await database.sql.select()
            .column("case_id").column(SQLFunction("MAX", args: SQLIdentifier("case_name")), as: "case_name").column("iteration")
            .column(passed, as: "passed").column(failed, as: "failed")
            .column(SQLFunction("COUNT", args: SQLDistinct(SQLIdentifier("run_id"))), as: "runs")
            .from(TestResult.schema).where("run_id", .in, SQLBind.group(runIDs)).where("case_id", .isNot, SQLLiteral.null)
            .groupBy("case_id").groupBy("iteration")
            .having(passed, .greaterThan, SQLLiteral.numeric("0")).having(failed, .greaterThan, SQLLiteral.numeric("0"))
            .all()
        return try rows.map { row in
            FlakyCase(
                caseID: try row.decode(column: "case_id", as: UUID.self), name: try row.decode(column: "case_name", as: String.self),
                iteration: try row.decode(column: "iteration", as: String.self), passed: try row.decode(column: "passed", as: Int.self),
                failed: try row.decode(column: "failed", as: Int.self), runs: try row.decode(column: "runs", as: Int.self))
        }.sorted { ($0.failed, $1.name, $1.iteration) > ($1.failed, $0.name, $0.iteration) }
    }

    /// The p95 of each endpoint in each of `runs`, by endpoint; each run's timings are read
    /// on their own.
    func endpointTrends(of runs: [TestRun]) async throws -> [EndpointTrend] {
        var points: [String: [EndpointTrend.Point]] = [:]
        for run in runs {
            for latency in try await self.runs.latencies(of: run.requireID()) {
                points[latency.endpoint, default: []].append(
                    EndpointTrend.Point(runID: try run.requireID(), createdAt: run.createdAt, count: latency.count, p95Ms: latency.p95Ms))
            }
        }
        return points.map { EndpointTrend(endpoint: $0.key, runs: $0.value) }.sorted { $0.endpoint < $1.endpoint }
    }
}
