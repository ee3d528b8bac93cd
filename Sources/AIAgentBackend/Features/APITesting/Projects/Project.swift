import FluentKit
import Foundation
import Hummingbird

/// A group of API-testing resources, seen by its owner, its members and superusers.
final class Project: Model, @unchecked Sendable {
    static let schema = "projects"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "owner_id") var ownerID: UUID
    /// `[StoredVariable]`, secret values sealed.
    @Field(key: "variables") var variablesJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var variables: [StoredVariable] {
        get throws { try JSONColumn.decode(variablesJSON) }
    }
}

final class ProjectMember: Model, @unchecked Sendable {
    static let schema = "project_members"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "user_id") var userID: UUID

    init() {}

    init(projectID: UUID, userID: UUID) {
        self.projectID = projectID
        self.userID = userID
    }
}

struct ProjectResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let name: String
    let description: String?
    let ownerID: UUID
    let memberIDs: [UUID]
    /// Secret values shown as `***`.
    let variables: [VariableResponse]
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, variables
        case ownerID = "owner_id"
        case memberIDs = "member_ids"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ project: Project, memberIDs: [UUID]) throws {
        id = try project.requireID()
        name = project.name
        description = project.description
        ownerID = project.ownerID
        self.memberIDs = memberIDs
        variables = try project.variables.map(VariableResponse.init)
        createdAt = project.createdAt
        updatedAt = project.updatedAt
    }
}
