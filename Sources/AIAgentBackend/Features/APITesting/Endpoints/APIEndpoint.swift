import FluentKit
import Foundation
import Hummingbird

enum HTTPMethodName: String, Codable, Sendable, CaseIterable {
    case GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
}

/// One operation of the API under test, typed in or imported: its OpenAPI parts are kept as JSON.
final class APIEndpoint: Model, @unchecked Sendable {
    static let schema = "endpoints"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Enum(key: "method") var method: HTTPMethodName
    @Field(key: "path") var path: String
    /// `"METHOD /path"`, unique in the project: what an import matches operations by.
    @Field(key: "operation_key") var operationKey: String
    @OptionalField(key: "summary") var summary: String?
    /// `[String]`
    @Field(key: "tags") var tagsJSON: String
    @OptionalField(key: "parameters") var parametersJSON: String?
    @OptionalField(key: "request_body") var requestBodyJSON: String?
    @OptionalField(key: "responses") var responsesJSON: String?
    @Field(key: "deprecated") var deprecated: Bool
    @OptionalField(key: "import_id") var importID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    static func operationKey(_ method: HTTPMethodName, _ path: String) -> String { "\(method.rawValue) \(path)" }
}

struct EndpointResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let method: HTTPMethodName
    let path: String
    let operationKey: String
    let summary: String?
    let tags: [String]
    let parameters: JSONValue?
    let requestBody: JSONValue?
    let responses: JSONValue?
    let deprecated: Bool
    let importID: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, method, path, summary, tags, parameters, responses, deprecated
        case projectID = "project_id"
        case operationKey = "operation_key"
        case requestBody = "request_body"
        case importID = "import_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ endpoint: APIEndpoint) throws {
        id = try endpoint.requireID()
        projectID = endpoint.projectID
        method = endpoint.method
        path = endpoint.path
        operationKey = endpoint.operationKey
        summary = endpoint.summary
        tags = try JSONColumn.decode(endpoint.tagsJSON)
        parameters = try JSONColumn.decode(endpoint.parametersJSON)
        requestBody = try JSONColumn.decode(endpoint.requestBodyJSON)
        responses = try JSONColumn.decode(endpoint.responsesJSON)
        deprecated = endpoint.deprecated
        importID = endpoint.importID
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
    }
}
