import FluentKit
import Foundation
import Hummingbird

enum CasePriority: String, Codable, Sendable, CaseIterable {
    case p0, p1, p2, p3
}

/// A stored test case: its catalogue data in columns, its `TestCaseDefinition` as JSON.
final class TestCase: Model, @unchecked Sendable {
    static let schema = "test_cases"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "name") var name: String
    /// `[String]`
    @Field(key: "tags") var tagsJSON: String
    @Enum(key: "priority") var priority: CasePriority
    @OptionalField(key: "endpoint_id") var endpointID: UUID?
    /// Set when an import removed the linked operation; the API can only clear it.
    @Field(key: "flagged") var flagged: Bool
    @OptionalField(key: "flag_reason") var flagReason: String?
    /// `TestCaseDefinition`
    @Field(key: "definition") var definitionJSON: String
    /// The AI generation the case was accepted from, if any.
    @OptionalField(key: "generation_id") var generationID: UUID?
    /// `[String]`: that generation's test points the case covers.
    @OptionalField(key: "test_points") var testPointsJSON: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var definition: TestCaseDefinition {
        get throws { try JSONColumn.decode(definitionJSON) }
    }
}

struct TestCaseResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let name: String
    let tags: [String]
    let priority: CasePriority
    let endpointID: UUID?
    let flagged: Bool
    let flagReason: String?
    let variables: [String: JSONValue]?
    let data: DataTable?
    let steps: [TestStep]
    let generationID: UUID?
    let testPoints: [String]?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, tags, priority, flagged, variables, data, steps
        case projectID = "project_id"
        case endpointID = "endpoint_id"
        case flagReason = "flag_reason"
        case generationID = "generation_id"
        case testPoints = "test_points"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ testCase: TestCase) throws {
        id = try testCase.requireID()
        projectID = testCase.projectID
        name = testCase.name
        tags = try JSONColumn.decode(testCase.tagsJSON)
        priority = testCase.priority
        endpointID = testCase.endpointID
        flagged = testCase.flagged
        flagReason = testCase.flagReason
        let definition = try testCase.definition
        variables = definition.variables
        data = definition.data
        steps = definition.steps
        generationID = testCase.generationID
        testPoints = try JSONColumn.decode(testCase.testPointsJSON)
        createdAt = testCase.createdAt
        updatedAt = testCase.updatedAt
    }
}
