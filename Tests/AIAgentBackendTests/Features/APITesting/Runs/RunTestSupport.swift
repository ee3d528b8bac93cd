import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// A project whose environment points at a `TestTarget`, with a secret `api_key` sent as a header.
struct RunProject {
    static let secret = "run-secret-7c41e9b2"

    let fixture: APITestingFixture
    let target: TestTarget
    let projectID: String
    let environmentID: String

    var client: any TestClientProtocol { fixture.client }
    var token: String { fixture.tester }

    static func with(
        _ kind: DatabaseKind, workerConcurrency: Int? = nil, adjust: @escaping (inout Settings) -> Void = { _ in },
        _ body: @escaping @Sendable (RunProject) async throws -> Void
    ) async throws {
        try await TestTarget.with { target in
            // A short lease: a cancel reaches the handler at the next heartbeat, a third of it.
            let configure: (inout Settings) -> Void = { settings in
                settings.jobLease = .seconds(3)
                if let workerConcurrency { settings.workerConcurrency = workerConcurrency }
                adjust(&settings)
            }
            try await APITestingFixture.with(kind, adjust: configure) { fixture in
                let projectID = try await fixture.client.project(named: "Runs", token: fixture.tester)
                let environmentID = try await fixture.client.create(
                    "/api/v1/projects/\(projectID)/environments",
                    [
                        "name": "local", "base_urls": ["default": target.baseURL],
                        "variables": [["name": "api_key", "value": secret, "secret": true]],
                    ], token: fixture.tester)
                try await body(RunProject(fixture: fixture, target: target, projectID: projectID, environmentID: environmentID))
            }
        }
    }

    /// A case of one GET step to `/tracked/{marker}` sending the secret, asserting the status
    /// (200 unless told) and the echoed marker.
    func trackedCase(
        _ name: String, marker: String? = nil, query: String = "", status: Int = 200, data: [String: Any]? = nil, tags: [String] = []
    ) async throws -> String {
        let marker = marker ?? name
        var body: [String: Any] = [
            "name": name, "tags": tags,
            "steps": [
                [
                    "name": "get \(marker)",
                    "request": ["method": "GET", "url": "{{base_url}}/tracked/\(marker)\(query)", "headers": ["X-Api-Key": "{{api_key}}"]],
                    "assert": [["type": "status", "in": [status]], ["type": "json", "path": "$.marker", "op": "eq", "value": marker]],
                ]
            ],
        ]
        if let data { body["data"] = data }
        return try await client.create("/api/v1/projects/\(projectID)/cases", body, token: token)
    }

    func suite(_ caseIDs: [String], options: [String: Any] = [:]) async throws -> String {
        var body: [String: Any] = ["name": "suite-\(UUID().uuidString.prefix(8))", "case_ids": caseIDs]
        body.merge(options) { $1 }
        return try await client.create("/api/v1/projects/\(projectID)/suites", body, token: token)
    }

    /// Starts a run (202) and returns its id.
    func start(_ body: [String: Any]) async throws -> String {
        var body = body
        body["project_id"] = projectID
        body["environment_id"] = environmentID
        return try await client.call(.post, "/api/v1/runs", token: token, json: jsonText(body)) { response in
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    func summary(_ runID: String) async throws -> [String: JSONAny] {
        try await client.call(.get, "/api/v1/runs/\(runID)", token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try response.json()
        }
    }

    /// The summary once the run has finished (a bounded wait, not a timing assertion).
    func finished(_ runID: String) async throws -> [String: JSONAny] {
        for _ in 0..<600 {
            let summary = try await summary(runID)
            if let status = summary[path: "run", "status"]?.string, RunStatus(rawValue: status)?.isFinished == true { return summary }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("run \(runID) did not finish")
        throw TestSetupError()
    }

    func results(_ runID: String, query: String = "") async throws -> [JSONAny] {
        try await client.call(.get, "/api/v1/runs/\(runID)/results?page_size=100\(query)", token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try response.json()["items"]?.array ?? []
        }
    }

    /// Waits until `condition` holds on the target's state.
    func until(_ condition: @escaping @Sendable (TestTarget.State) -> Bool) async throws {
        for _ in 0..<600 {
            if target.state.withLock({ condition($0) }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the target never reached the expected state")
        throw TestSetupError()
    }
}

/// Server-sent events as (name, data) pairs.
func serverSentEvents(_ text: String) throws -> [(name: String, data: JSONValue)] {
    try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
        var name = ""
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        return (name, try JSONValue(parsing: data))
    }
}
