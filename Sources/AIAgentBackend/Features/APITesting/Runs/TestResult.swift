import FluentKit
import Foundation
import Hummingbird

/// Which part of a run a case played.
enum CaseRole: String, Codable, Sendable, CaseIterable {
    case setup, `case`, teardown
}

/// One iteration of one case in a run, with its steps' evidence (already masked by the engine).
final class TestResult: Model, @unchecked Sendable {
    static let schema = "test_results"

    @ID(key: .id) var id: UUID?
    @Field(key: "run_id") var runID: UUID
    /// Finishing order within the run, from 1.
    @Field(key: "seq") var seq: Int
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "case_name") var caseName: String
    @Enum(key: "role") var role: CaseRole
    @Field(key: "iteration") var iteration: String
    @Enum(key: "status") var status: CaseResult.Status
    /// Runs of the case it took (retries + 1 at most); the last one is recorded.
    @Field(key: "attempts") var attempts: Int
    @Field(key: "duration_ms") var durationMs: Double
    @Field(key: "step_count") var stepCount: Int
    @Field(key: "assertion_count") var assertionCount: Int
    /// `[StepResult]`
    @Field(key: "steps") var stepsJSON: String
    /// `[StepTiming]`: what the summary's latency figures are made of, without reading the evidence.
    @Field(key: "timings") var timingsJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// One request step's duration, keyed by its endpoint (`GET /users/{{id}}`).
struct StepTiming: Codable, Sendable, Equatable {
    let endpoint: String
    let ms: Double

    /// As `JSONEncoder` writes it (see `StepResult.jsonValue`).
    var jsonValue: JSONValue { ["endpoint": .string(endpoint), "ms": .number(ms)] }
}

struct TestResultResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let seq: Int
    let caseID: UUID?
    let caseName: String
    let role: CaseRole
    let iteration: String
    let status: CaseResult.Status
    let attempts: Int
    let durationMs: Double
    let steps: [StepResult]

    enum CodingKeys: String, CodingKey {
        case id, seq, role, iteration, status, attempts, steps
        case caseID = "case_id"
        case caseName = "case_name"
        case durationMs = "duration_ms"
    }

    init(_ result: TestResult) throws {
        id = try result.requireID()
        seq = result.seq
        caseID = result.caseID
        caseName = result.caseName
        role = result.role
        iteration = result.iteration
        status = result.status
        attempts = result.attempts
        durationMs = result.durationMs
        steps = try JSONColumn.decode(result.stepsJSON)
    }
}
