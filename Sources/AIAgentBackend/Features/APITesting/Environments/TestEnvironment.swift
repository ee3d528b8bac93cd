import FluentKit
import Foundation
import Hummingbird

/// Where and how a project's cases run: base URLs, variables, headers, an auth preset and
/// HTTP options. Secret variables and auth credentials are stored sealed.
final class TestEnvironment: Model, @unchecked Sendable {
    static let schema = "environments"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "name") var name: String
    /// `[String: String]`
    @Field(key: "base_urls") var baseURLsJSON: String
    /// `[StoredVariable]`
    @Field(key: "variables") var variablesJSON: String
    /// `[String: String]`
    @Field(key: "headers") var headersJSON: String
    /// `RequestAuth`, credentials sealed.
    @Field(key: "auth") var authJSON: String
    @Field(key: "verify_tls") var verifyTLS: Bool
    @Field(key: "timeout_ms") var timeoutMs: Int
    @Field(key: "follow_redirects") var followRedirects: Bool
    @Field(key: "max_redirects") var maxRedirects: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// A new environment of the project with the default HTTP options and nothing else set.
    init(projectID: UUID, name: String) {
        self.projectID = projectID
        self.name = name
        baseURLsJSON = "{}"
        variablesJSON = "[]"
        headersJSON = "{}"
        authJSON = JSONColumn.encode(RequestAuth(type: .none))
        verifyTLS = true
        timeoutMs = 30_000
        followRedirects = true
        maxRedirects = 5
    }

    var baseURLs: [String: String] { get throws { try JSONColumn.decode(baseURLsJSON) } }
    var variables: [StoredVariable] { get throws { try JSONColumn.decode(variablesJSON) } }
    var headers: [String: String] { get throws { try JSONColumn.decode(headersJSON) } }
    var auth: RequestAuth { get throws { try JSONColumn.decode(authJSON) } }
}

struct EnvironmentResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let name: String
    let baseURLs: [String: String]
    /// Secret values shown as `***`.
    let variables: [VariableResponse]
    let headers: [String: String]
    /// Credentials shown as `***`.
    let auth: RequestAuth
    let verifyTLS: Bool
    let timeoutMs: Int
    let followRedirects: Bool
    let maxRedirects: Int
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, variables, headers, auth
        case projectID = "project_id"
        case baseURLs = "base_urls"
        case verifyTLS = "verify_tls"
        case timeoutMs = "timeout_ms"
        case followRedirects = "follow_redirects"
        case maxRedirects = "max_redirects"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ environment: TestEnvironment) throws {
        id = try environment.requireID()
        projectID = environment.projectID
        name = environment.name
        baseURLs = try environment.baseURLs
        variables = try environment.variables.map(VariableResponse.init)
        headers = try environment.headers
        auth = SecretValues.masked(try environment.auth)
        verifyTLS = environment.verifyTLS
        timeoutMs = environment.timeoutMs
        followRedirects = environment.followRedirects
        maxRedirects = environment.maxRedirects
        createdAt = environment.createdAt
        updatedAt = environment.updatedAt
    }
}
