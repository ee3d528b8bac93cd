import Foundation
import Hummingbird

/// A run as one document: its summary, and every case iteration with its steps' evidence
/// (redacted by the engine before it was stored). The JSON report, and what the JUnit and
/// HTML renderers read.
struct RunReport: Codable, ResponseEncodable, Sendable {
    let run: TestRunResponse
    let project: NamedReference
    let environment: NamedReference?
    let suite: NamedReference?
    let totals: RunTotals
    let passRate: Double?
    let endpoints: [EndpointLatency]
    /// The slowest request steps of the run, slowest first.
    let slowestSteps: [SlowStep]
    let generatedAt: Date
    /// Every case iteration, in recording order, as `GET /runs/{id}/results` lists them.
    let cases: [TestResultResponse]
    /// The tags of the run's cases, by case id.
    let caseTags: [String: [String]]

    static let slowestStepCount = 10

    enum CodingKeys: String, CodingKey {
        case run, project, environment, suite, totals, endpoints, cases
        case passRate = "pass_rate"
        case slowestSteps = "slowest_steps"
        case caseTags = "case_tags"
        case generatedAt = "generated_at"
    }

    init(
        summary: RunSummaryResponse, project: NamedReference, environment: NamedReference?, suite: NamedReference?, cases: [TestResultResponse],
        caseTags: [String: [String]], generatedAt: Date = Date()
    ) {
        run = summary.run
        totals = summary.totals
        passRate = summary.passRate
        endpoints = summary.endpoints
        self.project = project
        self.environment = environment
        self.suite = suite
        self.cases = cases
        self.caseTags = caseTags
        self.generatedAt = generatedAt
        var slowest: [SlowStep] = []
        for testCase in cases {
            for step in testCase.steps where step.kind == .request {
                slowest.append(SlowStep(caseName: testCase.caseName, iteration: testCase.iteration, step: step))
            }
        }
        slowestSteps = Array(slowest.sorted { $0.durationMs > $1.durationMs }.prefix(Self.slowestStepCount))
    }

    /// `run-1a2b3c4d-2026-01-31.ext`: the run's short id and the day it was created (UTC).
    func fileName(_ ext: String) -> String {
        let day = (run.createdAt ?? generatedAt).formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
        return "run-\(run.id.uuidString.prefix(8).lowercased())-\(day).\(ext)"
    }

    /// What a `<testsuite>` or the page's title calls the run: its suite, or its loose cases.
    var title: String {
        suite?.name ?? "cases of run \(run.id.uuidString.prefix(8).lowercased())"
    }
}

struct NamedReference: Codable, Sendable, Equatable {
    let id: UUID
    let name: String
}

extension TestResultResponse {
    /// The name a report lists it under: `setup: login [row-a]`.
    var displayName: String { Self.displayName(role: role, caseName: caseName, iteration: iteration) }

    static func displayName(role: CaseRole, caseName: String, iteration: String) -> String {
        (role == .case ? "" : "\(role.rawValue): ") + caseName + (iteration == caseName ? "" : " [\(iteration)]")
    }
}

struct SlowStep: Codable, Sendable {
    let caseName: String
    let iteration: String
    let step: String
    /// `GET https://…/users/1`, as sent.
    let request: String?
    let durationMs: Double

    enum CodingKeys: String, CodingKey {
        case iteration, step, request
        case caseName = "case_name"
        case durationMs = "duration_ms"
    }

    init(caseName: String, iteration: String, step: StepResult) {
        self.caseName = caseName
        self.iteration = iteration
        self.step = step.name
        request = step.request.map { "\($0.method) \($0.url)" }
        durationMs = step.durationMs
    }
}
