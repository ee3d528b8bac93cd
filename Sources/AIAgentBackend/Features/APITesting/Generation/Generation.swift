import FluentKit
import Foundation
import Hummingbird

enum GenerationStatus: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    var isFinished: Bool { ![.queued, .running].contains(self) }
}

enum GenerationStage: String, Codable, Sendable, CaseIterable {
    case analyse, design, review, verify
}

/// The kinds of test a generation may be asked for.
enum GeneratedCaseKind: String, Codable, Sendable, CaseIterable {
    case positive, negative, boundary, auth, security
}

enum GeneratedPriority: String, Codable, Sendable, CaseIterable {
    case high, medium, low

    /// An accepted case's priority: p0 stays for what a person marks critical.
    var casePriority: CasePriority {
        switch self {
        case .high: .p1
        case .medium: .p2
        case .low: .p3
        }
    }
}

/// Where a draft case stands after design and verification.
enum GeneratedCaseStatus: String, Codable, Sendable, CaseIterable {
    /// Designed and reviewed; no environment was given to run it against.
    case unverified
    /// Passed three times in a row against the verification environment.
    case passed
    /// Passed and failed across its three runs.
    case flaky
    /// Still failing after its repair rounds: a real bug in the API, or a wrong test.
    case needsAttention = "needs_attention"
    /// Failed the case or OpenAPI checks at design, or was a duplicate: never accepted.
    case rejected

    var isAcceptable: Bool { self != .rejected }
}

/// What a generation was asked to do, as `POST …/generations` took it.
struct GenerationRequest: Codable, Sendable, Equatable {
    var endpointIDs: [UUID]
    var importID: UUID?
    var requirement: String?
    var modelID: UUID
    var count: Int
    var kinds: [GeneratedCaseKind]
    var prioritySplit: PrioritySplit
    var environmentID: UUID?
    /// Their passages ground the analysis.
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
}

/// Percentages of high, medium and low priority cases; they total 100.
struct PrioritySplit: Codable, Sendable, Equatable {
    var high: Int
    var medium: Int
    var low: Int

    static let standard = PrioritySplit(high: 30, medium: 50, low: 20)

    func percent(_ priority: GeneratedPriority) -> Int {
        switch priority {
        case .high: high
        case .medium: medium
        case .low: low
        }
    }
}

/// One AI test generation (table `generations`), executed by the `test_generation` job.
final class TestGeneration: Model, @unchecked Sendable {
    static let schema = "generations"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Enum(key: "status") var status: GenerationStatus
    @OptionalEnum(key: "stage") var stage: GenerationStage?
    /// `GenerationRequest`
    @Field(key: "request") var requestJSON: String
    @OptionalField(key: "model_config_id") var modelConfigID: UUID?
    @OptionalField(key: "environment_id") var environmentID: UUID?
    @Field(key: "prompt_version") var promptVersion: String
    /// `zh` or `en`: the language of the requirement, which the model writes in.
    @Field(key: "language") var language: String
    @OptionalField(key: "job_id") var jobID: UUID?
    @OptionalField(key: "created_by") var createdBy: UUID?
    /// `[TestPoint]`, from the analysis.
    @OptionalField(key: "test_points") var testPointsJSON: String?
    /// `GenerationReview`: scores, traceability and coverage holes.
    @OptionalField(key: "review") var reviewJSON: String?
    @Field(key: "input_tokens") var inputTokens: Int
    @Field(key: "output_tokens") var outputTokens: Int
    @OptionalField(key: "cost") var cost: Double?
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var request: GenerationRequest { get throws { try JSONColumn.decode(requestJSON) } }
}

/// A draft case of a generation (table `generated_cases`), until a person accepts it.
final class GeneratedCase: Model, @unchecked Sendable {
    static let schema = "generated_cases"

    @ID(key: .id) var id: UUID?
    @Field(key: "generation_id") var generationID: UUID
    /// `C1`, `C2`…: how the model's later stages name the case.
    @Field(key: "ref") var ref: String
    @Field(key: "name") var name: String
    @Enum(key: "kind") var kind: GeneratedCaseKind
    @Enum(key: "priority") var priority: GeneratedPriority
    @OptionalField(key: "endpoint_id") var endpointID: UUID?
    /// `[String]`: the ids of the test points it covers.
    @Field(key: "test_points") var testPointsJSON: String
    /// `TestCaseDefinition`
    @Field(key: "definition") var definitionJSON: String
    @Enum(key: "status") var status: GeneratedCaseStatus
    /// Why it was rejected, or what went wrong in verification.
    @OptionalField(key: "reason") var reason: String?
    /// `[CaseResult]` of its last verification run, redacted like run results.
    @OptionalField(key: "evidence") var evidenceJSON: String?
    @Field(key: "repair_rounds") var repairRounds: Int
    @OptionalField(key: "accepted_case_id") var acceptedCaseID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    var definition: TestCaseDefinition { get throws { try JSONColumn.decode(definitionJSON) } }
}

/// A stored progress event (table `generation_events`), numbered from 1 per generation:
/// a stream on any replica replays them and follows the new ones.
final class GenerationEventRow: Model, @unchecked Sendable {
    static let schema = "generation_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "generation_id") var generationID: UUID
    @Field(key: "seq") var seq: Int
    @Field(key: "name") var name: String
    /// JSON
    @Field(key: "data") var dataJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

// MARK: - What the model produces, once validated

/// A behaviour worth testing, with the sentence or operation it comes from.
struct TestPoint: Codable, Sendable, Equatable {
    struct Source: Codable, Sendable, Equatable {
        enum Kind: String, Codable, Sendable, CaseIterable { case operation, requirement }
        var kind: Kind
        /// `METHOD /path`, for an operation.
        var operation: String?
        /// Parameter or body property names the point is about.
        var fields: [String]?
        /// The requirement's sentence, word for word.
        var quote: String?
    }
    var id: String
    var title: String
    var behaviour: String
    var inputs: [String]?
    var rules: [String]?
    var risks: [String]?
    var source: Source
}

/// The review's outcome: scores, which case covers which point, and what nothing covers.
struct GenerationReview: Codable, Sendable, Equatable {
    struct Scores: Codable, Sendable, Equatable {
        var coverage: Double
        var clarity: Double
    }
    /// One row per requirement sentence or operation: its test points and their cases.
    struct Trace: Codable, Sendable, Equatable {
        var source: String
        var testPoints: [String]
        var cases: [String]

        enum CodingKeys: String, CodingKey {
            case source, cases
            case testPoints = "test_points"
        }
    }
    var scores: Scores
    var traceability: [Trace]
    /// Test points without a case, kinds asked for but not produced, and the model's own findings.
    var holes: [String]
    var duplicatesRemoved: Int

    enum CodingKeys: String, CodingKey {
        case scores, traceability, holes
        case duplicatesRemoved = "duplicates_removed"
    }
}

// MARK: - Responses

struct GenerationResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let status: GenerationStatus
    let stage: GenerationStage?
    let request: GenerationRequest
    let promptVersion: String
    let language: String
    let testPoints: [TestPoint]?
    let review: GenerationReview?
    let usage: GenerationUsage
    let error: String?
    let createdBy: UUID?
    let startedAt: Date?
    let finishedAt: Date?
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, status, stage, request, language, review, usage, error
        case projectID = "project_id"
        case promptVersion = "prompt_version"
        case testPoints = "test_points"
        case createdBy = "created_by"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case createdAt = "created_at"
    }

    init(_ generation: TestGeneration) throws {
        id = try generation.requireID()
        projectID = generation.projectID
        status = generation.status
        stage = generation.stage
        request = try generation.request
        promptVersion = generation.promptVersion
        language = generation.language
        testPoints = try JSONColumn.decode(generation.testPointsJSON)
        review = try JSONColumn.decode(generation.reviewJSON)
        usage = GenerationUsage(inputTokens: generation.inputTokens, outputTokens: generation.outputTokens, cost: generation.cost)
        error = generation.error
        createdBy = generation.createdBy
        startedAt = generation.startedAt
        finishedAt = generation.finishedAt
        createdAt = generation.createdAt
    }
}

struct GenerationUsage: Codable, Sendable, Equatable {
    var inputTokens: Int
    var outputTokens: Int
    /// Nil when the model configuration has no prices.
    var cost: Double?

    enum CodingKeys: String, CodingKey {
        case cost
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
    }
}

struct GeneratedCaseResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let ref: String
    let name: String
    let kind: GeneratedCaseKind
    let priority: GeneratedPriority
    let endpointID: UUID?
    let testPoints: [String]
    let definition: TestCaseDefinition
    let status: GeneratedCaseStatus
    let reason: String?
    let evidence: [CaseResult]?
    let repairRounds: Int
    let acceptedCaseID: UUID?

    enum CodingKeys: String, CodingKey {
        case id, ref, name, kind, priority, definition, status, reason, evidence
        case endpointID = "endpoint_id"
        case testPoints = "test_points"
        case repairRounds = "repair_rounds"
        case acceptedCaseID = "accepted_case_id"
    }

    init(_ draft: GeneratedCase) throws {
        id = try draft.requireID()
        ref = draft.ref
        name = draft.name
        kind = draft.kind
        priority = draft.priority
        endpointID = draft.endpointID
        testPoints = try JSONColumn.decode(draft.testPointsJSON)
        definition = try JSONColumn.decode(draft.definitionJSON)
        status = draft.status
        reason = draft.reason
        evidence = try JSONColumn.decode(draft.evidenceJSON)
        repairRounds = draft.repairRounds
        acceptedCaseID = draft.acceptedCaseID
    }
}
