import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

extension TestClientProtocol {
    /// POSTs `body` to `uri`, expects 201 and returns the new id.
    func create(_ uri: String, _ body: [String: Any], token: String) async throws -> String {
        try await call(.post, uri, token: token, json: jsonText(body)) { response in
            #expect(response.status == .created, "POST \(uri): \(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    /// The error answer of a call expected to fail with `status`.
    func failure(
        _ method: HTTPRequest.Method, _ uri: String, token: String, json: String? = nil, _ status: HTTPResponse.Status,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ErrorBody.Content {
        try await call(method, uri, token: token, json: json) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
            return try response.errorBody().error
        }
    }

    func project(named name: String, members: [UUID] = [], token: String) async throws -> String {
        try await create("/api/v1/projects", ["name": name, "member_ids": members.map(\.uuidString)], token: token)
    }
}

/// An app on a fresh database with the admin and a tester signed in.
struct APITestingFixture {
    let services: AppServices
    let client: any TestClientProtocol
    let settings: Settings
    let admin: String
    let tester: String
    let testerID: UUID

    static func with(
        _ kind: DatabaseKind, configure: (inout Settings) -> Void = { _ in }, _ body: @escaping @Sendable (APITestingFixture) async throws -> Void
    ) async throws {
        var configured = try await TestDatabases.settings(kind)
        configure(&configured)
        let settings = configured
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            let testerID = try await client.createUser("tess", roles: ["tester"], adminToken: admin)
            let tester = try await client.login("tess", "user-password-1").accessToken
            try await body(
                APITestingFixture(services: services, client: client, settings: settings, admin: admin, tester: tester, testerID: testerID))
        }
    }
}
