import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Personal access tokens: shown once, stored as a hash, limited to their permissions and
/// their owner's, refused (and audited) once revoked or expired.
@Suite struct AccessTokenTests {
    struct Created {
        let token: String
        let id: String
    }

    /// Creates a token as the holder of `session` and returns it with its id.
    static func createToken(
        _ client: some TestClientProtocol, session: String, name: String = "ci", permissions: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Created {
        let list = permissions.map { #""\#($0)""# }.joined(separator: ",")
        return try await client.call(.post, "/api/v1/auth/tokens", token: session, json: #"{"name":"\#(name)","permissions":[\#(list)]}"#) {
            response in
            #expect(response.status == .created, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
            #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
            let body = try response.json()
            return Created(token: body["token"]?.string ?? "", id: body[path: "metadata", "id"]?.string ?? "")
        }
    }

    static func status(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, json: String? = nil
    ) async throws -> HTTPResponse.Status {
        try await client.call(method, uri, token: token, json: json) { $0.status }
    }

    static func createProject(_ client: some TestClientProtocol, token: String, name: String) async throws -> HTTPResponse.Status {
        try await status(client, .post, "/api/v1/projects", token: token, json: #"{"name":"\#(name)"}"#)
    }

    @Test(arguments: DatabaseKind.allCases)
    func aTokenIsShownOnceWorksAsABearerTokenAndCanBeRevoked(kind: DatabaseKind) async throws {
        try await withApp(try await TestDatabases.settings(kind)) { client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("ci-bot", roles: ["tester"], adminToken: admin)
            let session = try await client.login("ci-bot", "user-password-1").accessToken
            let created = try await Self.createToken(client, session: session, permissions: ["project:read", "project:create"])
            #expect(created.token.hasPrefix("aab_pat_") && created.token.count == 51)

            let listed = try await client.call(.get, "/api/v1/auth/tokens", token: session) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains(created.token), "the token is shown once only")
                return try #require(try response.json()["items"]?.array?.first)
            }
            #expect(listed["id"]?.string == created.id)
            #expect(listed["prefix"]?.string == String(created.token.prefix(12)))
            #expect(listed["permissions"] == .array([.string("project:create"), .string("project:read")]))
            #expect(listed["last_used_at"] == nil && listed["revoked_at"] == nil)

            #expect(try await Self.status(client, .get, "/api/v1/projects", token: created.token) == .ok)
            // Pasted where it does not belong, it is still masked in the audit record.
            let project = #"{"name":"from ci","description":"deploy with \#(created.token)"}"#
            #expect(try await Self.status(client, .post, "/api/v1/projects", token: created.token, json: project) == .created)
            try await client.call(.get, "/api/v1/auth/tokens", token: session) { response in
                let item = try #require(try response.json()["items"]?.array?.first)
                #expect(item["last_used_at"]?.string != nil, "use is recorded")
            }

            #expect(try await Self.status(client, .delete, "/api/v1/auth/tokens/\(created.id)", token: session) == .noContent)
            try await client.call(.get, "/api/v1/projects", token: created.token) { response in
                #expect(response.status == .unauthorized)
                let error = try response.errorBody().error
                #expect(error.message == "the token has been revoked")
            }
            try await client.call(.get, "/api/v1/auth/tokens", token: session) { response in
                let body = try response.json()
                #expect(body["items"]?.array?.first?["revoked_at"]?.string != nil, "a revoked token stays listed")
            }
            try await client.call(.get, "/api/v1/audit-logs?action=revoked-token", token: admin) { response in
                let items = try #require(try response.json()["items"]?.array)
                #expect(items.count == 1)
                #expect(items.first?["resource_id"]?.string == created.id)
                #expect(items.first?["username"]?.string == "ci-bot")
                #expect(items.first?["status"] == .number(401))
                #expect(items.first?["route"]?.string == "/api/v1/projects")
            }
            try await client.call(.get, "/api/v1/audit-logs?page_size=100", token: admin) { response in
                #expect(!String(buffer: response.body).contains(created.token), "the audit trail never holds the token")
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aTokenCarriesTheSmallerOfItsPermissionsAndItsOwners(kind: DatabaseKind) async throws {
        try await withApp(try await TestDatabases.settings(kind)) { client in
            let admin = try await client.login().accessToken
            let roles = try await EscalationTests.roleIDs(client, admin)
            let id = try await client.createUser("ci-bot", roles: ["tester"], adminToken: admin)
            let session = try await client.login("ci-bot", "user-password-1").accessToken
            let reader = try await Self.createToken(client, session: session, name: "reader", permissions: ["project:read"])
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: reader.token) == .ok)
            #expect(try await Self.createProject(client, token: reader.token, name: "refused") == .forbidden, "the owner could, the token cannot")
            try await client.call(.get, "/api/v1/auth/me", token: reader.token) { response in
                let body = try response.json()
                #expect(body["permissions"] == .array([.string("project:read")]))
            }

            let writer = try await Self.createToken(client, session: session, name: "writer", permissions: ["project:read", "project:create"])
            #expect(try await Self.createProject(client, token: writer.token, name: "allowed") == .created)
            try await client.call(.put, "/api/v1/users/\(id)/roles", token: admin, json: #"{"role_ids":["\#(roles["viewer"]!)"]}"#) {
                #expect($0.status == .ok)
            }
            #expect(try await Self.createProject(client, token: writer.token, name: "shrunk") == .forbidden, "the owner lost project:create")
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: writer.token) == .ok)

            try await client.call(.post, "/api/v1/users/\(id)/disable", token: admin) { #expect($0.status == .ok) }
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: writer.token) == .unauthorized, "a disabled owner's tokens stop")

            // A superuser's token is not a superuser: it holds what it lists.
            let adminReader = try await Self.createToken(client, session: admin, name: "admin reader", permissions: ["project:read"])
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: adminReader.token) == .ok)
            #expect(try await Self.status(client, .get, "/api/v1/users", token: adminReader.token) == .forbidden)
        }
    }

    /// The other replica drops the token's row when told over Redis, well before its TTL.
    @Test func aRevocationHoldsOnEveryReplica() async throws {
        try await withTwoReplicas { first, second in
            let admin = try await first.login().accessToken
            let created = try await Self.createToken(first, session: admin, permissions: ["project:read"])
            #expect(try await Self.status(second, .get, "/api/v1/projects", token: created.token) == .ok)
            #expect(try await Self.status(first, .delete, "/api/v1/auth/tokens/\(created.id)", token: admin) == .noContent)
            let deadline = ContinuousClock.now + PersonalAccessTokens.grantTTL / 2
            var status = HTTPResponse.Status.ok
            while status == .ok, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                status = try await Self.status(second, .get, "/api/v1/projects", token: created.token)
            }
            #expect(status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func creationRefusesWiderPermissionsBadExpiriesAndTokens(kind: DatabaseKind) async throws {
        try await withApp(try await TestDatabases.settings(kind)) { client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("viewer", roles: ["viewer"], adminToken: admin)
            let session = try await client.login("viewer", "user-password-1").accessToken
            try await client.call(
                .post, "/api/v1/auth/tokens", token: session, json: #"{"name":"ci","permissions":["project:read","project:create","user:delete"]}"#
            ) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.details?["field"] == "permissions")
                #expect(error.details?["refused"] == "project:create,user:delete")
            }
            func expect(_ body: String, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                try await client.call(.post, "/api/v1/auth/tokens", token: session, json: body) { response in
                    #expect(response.status == .unprocessableContent, sourceLocation: sourceLocation)
                    let error = try response.errorBody().error
                    #expect(error.details?["field"] == field, sourceLocation: sourceLocation)
                }
            }
            try await expect(#"{"name":"ci","permissions":["project:read"],"expires_at":"2020-01-01T00:00:00Z"}"#, "expires_at")
            let tooFar = ISO8601DateFormatter().string(from: Date().addingTimeInterval(400 * 86_400))
            try await expect(#"{"name":"ci","permissions":["project:read"],"expires_at":"\#(tooFar)"}"#, "expires_at")
            try await expect(#"{"name":"ci","permissions":["project:read"],"expires_at":"tomorrow"}"#, "expires_at")
            try await expect(#"{"name":"ci","permissions":["project:fly"]}"#, "permissions[0]")
            try await expect(#"{"name":"ci","permissions":[]}"#, "permissions")
            try await expect(#"{"name":"  ","permissions":["project:read"]}"#, "name")

            let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
            let created = try await client.call(
                .post, "/api/v1/auth/tokens", token: session, json: #"{"name":"ci","permissions":["project:read"],"expires_at":"\#(soon)"}"#
            ) { response in
                #expect(response.status == .created)
                return try response.json()["token"]?.string ?? ""
            }
            try await client.call(.post, "/api/v1/auth/tokens", token: created, json: #"{"name":"more","permissions":["project:read"]}"#) {
                response in
                #expect(response.status == .forbidden, "a token cannot mint tokens")
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func anExpiredTokenIsRefusedAndAudited(kind: DatabaseKind) async throws {
        try await withServices(try await TestDatabases.settings(kind)) { services, client in
            let admin = try await client.login().accessToken
            let created = try await Self.createToken(client, session: admin, permissions: ["project:read"])
            try await AccessToken.query(on: services.database.database).filter(\.$id == UUID(uuidString: created.id)!)
                .set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            try await client.call(.get, "/api/v1/projects", token: created.token) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.call(.get, "/api/v1/audit-logs?action=expired-token", token: admin) { response in
                let items = try #require(try response.json()["items"]?.array)
                #expect(items.count == 1)
                #expect(items.first?["resource_id"]?.string == created.id)
                #expect(items.first?["summary"]?.string == "personal access token \(created.token.prefix(12))…")
            }
            try await client.call(.get, "/api/v1/projects", token: "aab_pat_" + String(repeating: "A", count: 43)) { response in
                #expect(response.status == .unauthorized, "an unknown token")
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func onlyTheOwnerOrAUserAdministratorSeesAndRevokesATokenOfAnother(kind: DatabaseKind) async throws {
        try await withApp(try await TestDatabases.settings(kind)) { client in
            let admin = try await client.login().accessToken
            let ownerID = try await client.createUser("owner", roles: ["tester"], adminToken: admin)
            _ = try await client.createUser("other", roles: ["tester"], adminToken: admin)
            let owner = try await client.login("owner", "user-password-1").accessToken
            let other = try await client.login("other", "user-password-1").accessToken
            let created = try await Self.createToken(client, session: owner, permissions: ["project:read"])

            #expect(try await Self.status(client, .get, "/api/v1/auth/tokens?user_id=\(ownerID)", token: other) == .forbidden)
            try await client.call(.get, "/api/v1/auth/tokens", token: other) { response in
                let body = try response.json()
                #expect(body["total"] == .number(0), "another's tokens are not in one's own list")
            }
            #expect(try await Self.status(client, .delete, "/api/v1/auth/tokens/\(created.id)", token: other) == .notFound)
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: created.token) == .ok)

            try await client.call(.get, "/api/v1/auth/tokens?user_id=\(ownerID)", token: admin) { response in
                let body = try response.json()
                #expect(body["items"]?.array?.first?["id"]?.string == created.id)
            }
            #expect(try await Self.status(client, .delete, "/api/v1/auth/tokens/\(created.id)", token: admin) == .noContent)
            #expect(try await Self.status(client, .get, "/api/v1/projects", token: created.token) == .unauthorized)
            #expect(try await Self.status(client, .delete, "/api/v1/auth/tokens/\(created.id)", token: owner) == .noContent, "revoking twice")
        }
    }
}
