import Foundation
import Hummingbird

/// How a project's runs went over a window of days.
struct RunTrends: Codable, ResponseEncodable, Sendable {
    let projectID: UUID
    let suiteID: UUID?
    let days: Int
    /// Runs created at or after this.
    let from: Date
    /// Finished runs, oldest first (at most `ReportRepository.maxTrendRuns`, the newest).
    let runs: [RunPoint]
    /// Case iterations that both passed and failed within the window.
    let flaky: [FlakyCase]
    /// Each endpoint's p95 in each run that called it, oldest run first.
    let endpoints: [EndpointTrend]

    enum CodingKeys: String, CodingKey {
        case days, from, runs, flaky, endpoints
        case projectID = "project_id"
        case suiteID = "suite_id"
    }

    struct RunPoint: Codable, Sendable {
        let id: UUID
        let suiteID: UUID?
        let status: RunStatus
        let createdAt: Date?
        let durationMs: Double?
        let passRate: Double?
        let totals: RunTotals?

        enum CodingKeys: String, CodingKey {
            case id, status, totals
            case suiteID = "suite_id"
            case createdAt = "created_at"
            case durationMs = "duration_ms"
            case passRate = "pass_rate"
        }

        init(_ run: TestRun) throws {
            id = try run.requireID()
            suiteID = run.suiteID
            status = run.status
            createdAt = run.createdAt
            durationMs = run.durationMs
            totals = try JSONColumn.decode(run.totalsJSON)
            passRate = totals?.passRate
        }
    }
}

struct FlakyCase: Codable, Sendable, Equatable {
    let caseID: UUID
    let name: String
    let iteration: String
    let passed: Int
    /// Failed or erred.
    let failed: Int
    /// Runs it was part of.
    let runs: Int

    enum CodingKeys: String, CodingKey {
        case name, iteration, passed, failed, runs
        case caseID = "case_id"
    }
}

struct EndpointTrend: Codable, Sendable {
    let endpoint: String
    let runs: [Point]

    struct Point: Codable, Sendable {
        let runID: UUID
        let createdAt: Date?
        let count: Int
        let p95Ms: Double

        enum CodingKeys: String, CodingKey {
            case count
            case runID = "run_id"
            case createdAt = "created_at"
            case p95Ms = "p95_ms"
        }
    }
}
