import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct SuitesTests {
    @Test(arguments: DatabaseKind.allCases)
    func crudAndErrors(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Suites", token: fixture.tester)
            let casesURI = "/api/v1/projects/\(projectID)/cases"
            let login = try await client.create(casesURI, ["name": "login", "steps": []], token: fixture.tester)
            let browse = try await client.create(casesURI, ["name": "browse", "steps": []], token: fixture.tester)
            let cleanup = try await client.create(casesURI, ["name": "cleanup", "steps": []], token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/suites"
            let id = try await client.create(
                uri,
                [
                    "name": "Nightly", "case_ids": [browse, login], "mode": "parallel", "concurrency": 8, "setup_case_id": login,
                    "teardown_case_id": cleanup, "stop_on_failure": true, "retries": 2,
                ], token: fixture.tester)
            let suite = try await client.call(.get, "\(uri)/\(id)", token: fixture.tester) { try $0.json() }
            #expect(suite["case_ids"] == .array([.string(browse), .string(login)]), "the order is kept")
            #expect(suite["mode"]?.string == "parallel" && suite["concurrency"] == .number(8) && suite["retries"] == .number(2))
            #expect(suite["teardown_case_id"]?.string == cleanup && suite["stop_on_failure"] == .bool(true))

            let defaults = try await client.call(.post, uri, token: fixture.tester, json: jsonText(["name": "Smoke"])) { try $0.json() }
            #expect(defaults["mode"]?.string == "sequential" && defaults["concurrency"] == .number(1) && defaults["case_ids"] == .array([]))

            _ = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(["name": "Nightly"]), .conflict)
            let errors: [([String: Any], HTTPResponse.Status, String)] = [
                (["concurrency": 65], .unprocessableContent, "concurrency"),
                (["retries": 6], .unprocessableContent, "retries"),
                (["mode": "random"], .unprocessableContent, "mode"),
                (["case_ids": [UUID().uuidString]], .notFound, "case_ids"),
                (["setup_case_id": UUID().uuidString], .notFound, "setup_case_id"),
            ]
            for (body, status, field) in errors {
                let error = try await client.failure(.put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(body), status)
                #expect(error.details?["field"] == field, "\(body): \(error.message)")
            }
            // A case of another project is not one of this project's.
            let other = try await client.project(named: "Other", token: fixture.tester)
            let foreign = try await client.create("/api/v1/projects/\(other)/cases", ["name": "x", "steps": []], token: fixture.tester)
            _ = try await client.failure(.put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(["case_ids": [foreign]]), .notFound)

            // A case a suite runs cannot be deleted; once the suite lets go of it, it can.
            _ = try await client.failure(.delete, "\(casesURI)/\(cleanup)", token: fixture.tester, .conflict)
            let updated = try await client.call(.put, "\(uri)/\(id)", token: fixture.tester, json: #"{"teardown_case_id": null}"#) { try $0.json() }
            #expect(updated["teardown_case_id"] == nil && updated["setup_case_id"]?.string == login)
            try await client.call(.delete, "\(casesURI)/\(cleanup)", token: fixture.tester) { #expect($0.status == .noContent) }

            try await client.call(.delete, "\(uri)/\(id)", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(uri)/\(id)", token: fixture.tester, .notFound)
        }
    }
}
