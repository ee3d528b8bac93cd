import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct StepTryTests {
    static func step(url: String = "{{base_url}}/tracked/{{marker}}") -> [String: Any] {
        [
            "name": "try it",
            "request": ["method": "GET", "url": url, "headers": ["X-Api-Key": "{{api_key}}"]],
            "extract": [["var": "echoed", "from": "json", "path": "$.marker"]],
            "assert": [["type": "status", "equals": 200], ["type": "json", "path": "$.marker", "op": "eq", "value": "tried"]],
        ]
    }

    @Test(arguments: DatabaseKind.allCases)
    func sendsOneStepWithTheEnvironmentAndRecordsNothing(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind) { project in
            let uri = "/api/v1/projects/\(project.projectID)/steps/try"
            let body = jsonText(["environment_id": project.environmentID, "step": Self.step(), "variables": ["marker": "tried"]])
            let answer = try await project.client.call(.post, uri, token: project.token, json: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return String(buffer: response.body)
            }
            let tried = try JSONDecoder().decode([String: JSONAny].self, from: Data(answer.utf8))
            #expect(tried["status"]?.string == "passed")
            #expect(tried[path: "step", "extracted", "echoed"]?.string == "tried")
            #expect(tried[path: "step", "response", "status"] == .number(200))
            #expect(tried[path: "step", "assertions"]?.array?.allSatisfy { $0["passed"] == .bool(true) } == true)
            #expect(tried[path: "step", "curl"]?.string?.contains("/tracked/tried") == true)
            // The target received the secret; the evidence masks it.
            #expect(project.target.state.withLock { $0.hits["tried"] } == 1)
            #expect(!answer.contains(RunProject.secret))
            #expect(try await project.client.total("/api/v1/runs?project_id=\(project.projectID)", token: project.token) == 0)

            // A failing assertion is evidence, not an error.
            let failing = jsonText(["environment_id": project.environmentID, "step": Self.step(), "variables": ["marker": "other"]])
            let failed = try await project.client.call(.post, uri, token: project.token, json: failing) { try $0.json() }
            #expect(failed["status"]?.string == "failed")
            #expect(failed[path: "step", "assertions"]?.array?.last?["actual"]?.string?.contains("other") == true)
        }
    }

    @Test func refusesBadInputViewersAndHostsOutsideTheAllowlist() async throws {
        try await RunProject.with(.sqlite, adjust: { $0.testingAllowedHosts = ["api.example.com"] }) { project in
            let client = project.client
            let uri = "/api/v1/projects/\(project.projectID)/steps/try"
            let cases: [([String: Any], String)] = [
                (["step": Self.step()], "environment_id"),
                (["environment_id": project.environmentID], "step"),
                (["environment_id": project.environmentID, "step": ["name": "no kind"]], "step"),
                (["environment_id": project.environmentID, "step": ["name": "", "set": ["a": "b"]]], "step.name"),
            ]
            for (body, field) in cases {
                let error = try await client.failure(.post, uri, token: project.token, json: jsonText(body), .unprocessableContent)
                #expect((error.details?["field"] ?? error.message).hasPrefix(field) || error.message.contains(field), "\(body): \(error)")
            }
            _ = try await client.failure(
                .post, uri, token: project.token, json: jsonText(["environment_id": UUID().uuidString, "step": Self.step()]), .notFound)

            _ = try await client.createUser("vic", roles: ["viewer"], adminToken: project.fixture.admin)
            let viewer = try await client.login("vic", "user-password-1").accessToken
            let body = jsonText(["environment_id": project.environmentID, "step": Self.step(), "variables": ["marker": "tried"]])
            _ = try await client.failure(.post, uri, token: viewer, json: body, .forbidden)

            // The target is on 127.0.0.1, outside the allowlist: the step is refused before it is sent.
            let refused = try await client.call(.post, uri, token: project.token, json: body) { try $0.json() }
            #expect(refused["status"]?.string == "error")
            #expect(refused[path: "step", "error", "kind"]?.string == "egress_refused")
            #expect(project.target.state.withLock { $0.hits["tried"] } == nil)
        }
    }
}
