import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct EnvironmentsTests {
    static let secretVariable = "var-secret-4f1c9d"
    static let secretToken = "tok-secret-8a2e77"
    static let projectSecret = "proj-secret-31b0aa"

    @Test(arguments: DatabaseKind.allCases)
    func secretsAreMaskedKeptReplacedAndNeverStoredPlain(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.create(
                "/api/v1/projects",
                [
                    "name": "Secrets",
                    "variables": [["name": "api_key", "value": Self.projectSecret, "secret": true], ["name": "region", "value": "eu"]],
                ],
                token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/environments"
            var bodies: [String] = []
            let created = try await client.call(
                .post, uri, token: fixture.tester,
                json: jsonText([
                    "name": "staging", "base_urls": ["default": "https://staging.example.com", "payments": "http://127.0.0.1:9/pay"],
                    "variables": [["name": "password", "value": Self.secretVariable, "secret": true], ["name": "region", "value": "us"]],
                    "headers": ["X-Team": "qa"], "auth": ["type": "bearer", "token": Self.secretToken], "timeout_ms": 5_000,
                ])
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                bodies.append(String(buffer: response.body))
                return try response.json()
            }
            let id = try #require(created["id"]?.string)
            #expect(created["variables"]?.array?.first?["value"]?.string == "***")
            #expect(created[path: "auth", "token"]?.string == "***")
            #expect(created["timeout_ms"] == .number(5_000) && created["max_redirects"] == .number(5) && created["verify_tls"] == .bool(true))

            // The mask (or no value) keeps the stored secret; the plain one comes back only in the resolved environment.
            bodies.append(
                try await client.call(
                    .put, "\(uri)/\(id)", token: fixture.tester,
                    json: jsonText([
                        "variables": [["name": "password", "value": "***", "secret": true], ["name": "region", "value": "us"]],
                        "auth": ["type": "bearer", "token": "***"],
                    ])
                ) { String(buffer: $0.body) })
            bodies.append(try await client.call(.get, "\(uri)/\(id)", token: fixture.tester) { String(buffer: $0.body) })
            bodies.append(try await client.call(.get, uri, token: fixture.tester) { String(buffer: $0.body) })
            bodies.append(try await client.call(.get, "/api/v1/projects/\(projectID)", token: fixture.tester) { String(buffer: $0.body) })
            let environments = EnvironmentRepository(
                database: fixture.services.database, secrets: SecretValues(box: SecretBox(settings: fixture.settings)))
            let project = try await ProjectRepository(database: fixture.services.database).visible(
                UUID(uuidString: projectID)!, to: try await fixture.services.access.principal(for: fixture.testerID))
            var resolved = try await environments.resolved(UUID(uuidString: id)!, in: project)
            #expect(resolved.variables["password"] == .string(Self.secretVariable))
            #expect(resolved.variables["api_key"] == .string(Self.projectSecret))
            #expect(resolved.variables["region"] == .string("us"), "the environment's variable wins over the project's")
            #expect(resolved.auth.token == Self.secretToken)
            #expect(resolved.secretValues == [Self.secretVariable, Self.secretToken, Self.projectSecret])
            #expect(resolved.baseURLs["payments"] == "http://127.0.0.1:9/pay" && resolved.timeout == .milliseconds(5_000))

            // A new value replaces the secret.
            _ = try await client.call(
                .put, "\(uri)/\(id)", token: fixture.tester,
                json: jsonText(["variables": [["name": "password", "value": "rotated-value", "secret": true], ["name": "region", "value": "us"]]])
            ) { #expect($0.status == .ok) }
            resolved = try await environments.resolved(UUID(uuidString: id)!, in: project)
            #expect(resolved.variables["password"] == .string("rotated-value") && resolved.auth.token == Self.secretToken)

            for body in bodies {
                for secret in [Self.secretVariable, Self.secretToken, Self.projectSecret] { #expect(!body.contains(secret)) }
            }
            try await expectNotStored([Self.secretVariable, Self.secretToken, Self.projectSecret, "rotated-value"], fixture, kind)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func validationAndConflicts(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Envs", token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/environments"
            let id = try await client.create(uri, ["name": "dev"], token: fixture.tester)
            _ = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(["name": "dev"]), .conflict)
            let cases: [([String: Any], String)] = [
                (["base_urls": ["default": "ftp://example.com"]], "base_urls.default"),
                (["base_urls": ["default": "/relative"]], "base_urls.default"),
                (["timeout_ms": 0], "timeout_ms"),
                (["max_redirects": 21], "max_redirects"),
                (["variables": [["name": "new_secret", "secret": true]]], "variables[0].value"),
                (["variables": [["name": "a", "value": "1"], ["name": "a", "value": "2"]]], "variables[1].name"),
                (["auth": ["type": "magic"]], "auth.type"),
            ]
            for (body, field) in cases {
                let error = try await client.failure(.put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(body), .unprocessableContent)
                #expect(error.details?["field"] == field, "\(body): \(error.message)")
            }
            let other = try await client.project(named: "Other", token: fixture.tester)
            _ = try await client.failure(.get, "/api/v1/projects/\(other)/environments/\(id)", token: fixture.tester, .notFound)
            try await client.call(.delete, "\(uri)/\(id)", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(uri)/\(id)", token: fixture.tester, .notFound)
        }
    }

    /// Neither the SQLite file nor any PostgreSQL row of the API-testing tables holds a plain secret.
    private func expectNotStored(_ secrets: [String], _ fixture: APITestingFixture, _ kind: DatabaseKind) async throws {
        switch kind {
        case .sqlite:
            guard case .sqlite(let path) = fixture.settings.database else { throw TestSetupError() }
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            if let wal = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal")) { bytes += wal }
            for secret in secrets { #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is in the database file") }
        case .postgres:
            for table in ["projects", "environments", "audit_logs"] {
                let rows = try await fixture.services.database.sql.raw("SELECT CAST(t.* AS TEXT) AS row FROM \(ident: table) t").all()
                let text = try rows.map { try $0.decode(column: "row", as: String.self) }.joined()
                #expect(!text.isEmpty)
                for secret in secrets { #expect(!text.contains(secret), "\(secret) is in \(table)") }
            }
        }
    }
}
