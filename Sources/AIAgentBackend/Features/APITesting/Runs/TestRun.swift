import FluentKit
import Foundation
import Hummingbird

enum RunStatus: String, Codable, Sendable, CaseIterable {
    case queued, running, passed, failed, error, cancelled

    var isFinished: Bool { ![.queued, .running].contains(self) }
}

/// One run of a suite or of a list of cases against an environment, executed by the
/// `test_run` job. Its results are `test_results` rows.
final class TestRun: Model, @unchecked Sendable {
    static let schema = "test_runs"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Enum(key: "status") var status: RunStatus
    @OptionalField(key: "environment_id") var environmentID: UUID?
    @OptionalField(key: "suite_id") var suiteID: UUID?
    /// `[UUID]`, when the run names its cases instead of a suite.
    @OptionalField(key: "case_ids") var caseIDsJSON: String?
    /// Overrides the suite's; for loose cases, `RunPlan.defaultConcurrency` when absent.
    @OptionalField(key: "concurrency") var concurrency: Int?
    @OptionalField(key: "job_id") var jobID: UUID?
    @OptionalField(key: "created_by") var createdBy: UUID?
    /// Cases the run is to run, setup and teardown included.
    @OptionalField(key: "planned_cases") var plannedCases: Int?
    /// `RunTotals`, written when the run ends.
    @OptionalField(key: "totals") var totalsJSON: String?
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "duration_ms") var durationMs: Double?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var caseIDs: [UUID]? { get throws { try JSONColumn.decode(caseIDsJSON) } }
}

/// Counts over a run's results.
struct RunTotals: Codable, Sendable, Equatable {
    var cases = 0
    var iterations = 0
    var passed = 0
    var failed = 0
    var errors = 0
    var cancelled = 0
    var steps = 0
    var assertions = 0

    /// Passed iterations over all iterations; nil before any finished.
    var passRate: Double? { iterations == 0 ? nil : Double(passed) / Double(iterations) }
}

/// Step duration percentiles of one endpoint: `GET /users/{{id}}`.
struct EndpointLatency: Codable, Sendable, Equatable {
    let endpoint: String
    let count: Int
    let p50Ms: Double
    let p95Ms: Double

    enum CodingKeys: String, CodingKey {
        case endpoint, count
        case p50Ms = "p50_ms"
        case p95Ms = "p95_ms"
    }

    /// p50 and p95 of each endpoint's durations, by endpoint.
    static func of(_ durations: [String: [Double]]) -> [EndpointLatency] {
        durations.map { endpoint, values in
            let sorted = values.sorted()
            return EndpointLatency(
                endpoint: endpoint, count: sorted.count, p50Ms: RunRepository.percentile(0.50, of: sorted),
                p95Ms: RunRepository.percentile(0.95, of: sorted))
        }.sorted { $0.endpoint < $1.endpoint }
    }
}

struct TestRunResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let environmentID: UUID?
    let suiteID: UUID?
    let caseIDs: [UUID]?
    let concurrency: Int?
    let status: RunStatus
    let plannedCases: Int?
    let error: String?
    let createdBy: UUID?
    let createdAt: Date?
    let startedAt: Date?
    let finishedAt: Date?
    let durationMs: Double?

    enum CodingKeys: String, CodingKey {
        case id, concurrency, status, error
        case projectID = "project_id"
        case environmentID = "environment_id"
        case suiteID = "suite_id"
        case caseIDs = "case_ids"
        case plannedCases = "planned_cases"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationMs = "duration_ms"
    }

    init(_ run: TestRun) throws {
        id = try run.requireID()
        projectID = run.projectID
        environmentID = run.environmentID
        suiteID = run.suiteID
        caseIDs = try run.caseIDs
        concurrency = run.concurrency
        status = run.status
        plannedCases = run.plannedCases
        error = run.error
        createdBy = run.createdBy
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        durationMs = run.durationMs
    }
}

/// The run with what its results say so far: totals, pass rate and latency per endpoint.
struct RunSummaryResponse: Codable, ResponseEncodable, Sendable {
    let run: TestRunResponse
    let totals: RunTotals
    let passRate: Double?
    let endpoints: [EndpointLatency]

    enum CodingKeys: String, CodingKey {
        case run, totals, endpoints
        case passRate = "pass_rate"
    }
}
