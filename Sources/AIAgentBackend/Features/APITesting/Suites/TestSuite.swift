import FluentKit
import Foundation
import Hummingbird

enum SuiteMode: String, Codable, Sendable, CaseIterable {
    case sequential, parallel
}

/// An ordered selection of a project's cases and how to run them.
final class TestSuite: Model, @unchecked Sendable {
    static let schema = "test_suites"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    /// `[UUID]`, in run order.
    @Field(key: "case_ids") var caseIDsJSON: String
    @Enum(key: "mode") var mode: SuiteMode
    @Field(key: "concurrency") var concurrency: Int
    @OptionalField(key: "setup_case_id") var setupCaseID: UUID?
    @OptionalField(key: "teardown_case_id") var teardownCaseID: UUID?
    @Field(key: "stop_on_failure") var stopOnFailure: Bool
    @Field(key: "retries") var retries: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var caseIDs: [UUID] { get throws { try JSONColumn.decode(caseIDsJSON) } }

    /// Cases a run of the suite runs, setup and teardown included.
    var plannedCases: Int { get throws { try caseIDs.count + [setupCaseID, teardownCaseID].compactMap { $0 }.count } }

    /// Every case the suite runs, setup and teardown included.
    var usedCaseIDs: Set<UUID> {
        get throws { Set(try caseIDs + [setupCaseID, teardownCaseID].compactMap { $0 }) }
    }
}

struct TestSuiteResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let name: String
    let description: String?
    let caseIDs: [UUID]
    let mode: SuiteMode
    let concurrency: Int
    let setupCaseID: UUID?
    let teardownCaseID: UUID?
    let stopOnFailure: Bool
    let retries: Int
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, mode, concurrency, retries
        case projectID = "project_id"
        case caseIDs = "case_ids"
        case setupCaseID = "setup_case_id"
        case teardownCaseID = "teardown_case_id"
        case stopOnFailure = "stop_on_failure"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ suite: TestSuite) throws {
        id = try suite.requireID()
        projectID = suite.projectID
        name = suite.name
        description = suite.description
        caseIDs = try suite.caseIDs
        mode = suite.mode
        concurrency = suite.concurrency
        setupCaseID = suite.setupCaseID
        teardownCaseID = suite.teardownCaseID
        stopOnFailure = suite.stopOnFailure
        retries = suite.retries
        createdAt = suite.createdAt
        updatedAt = suite.updatedAt
    }
}
