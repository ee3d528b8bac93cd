import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct RunsTests {
    @Test(arguments: DatabaseKind.allCases)
    func aSuiteRunRecordsEvidenceAndSummaryWithoutStoringSecrets(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind) { project in
            let ok = try await project.trackedCase("ok")
            let bad = try await project.trackedCase("bad", status: 201)
            let rows = try await project.trackedCase(
                "rows", marker: "{{id}}", data: ["columns": ["id"], "rows": [["row-a"], ["row-b"]]])
            let suite = try await project.suite([ok, bad, rows])
            let runID = try await project.start(["suite_id": suite])

            let summary = try await project.finished(runID)
            #expect(summary[path: "run", "status"]?.string == "failed")
            #expect(summary[path: "run", "created_by"]?.string == project.fixture.testerID.uuidString)
            #expect(summary[path: "run", "started_at"] != nil && summary[path: "run", "finished_at"] != nil)
            #expect(summary[path: "totals", "cases"] == .number(3) && summary[path: "totals", "iterations"] == .number(4))
            #expect(summary[path: "totals", "passed"] == .number(3) && summary[path: "totals", "failed"] == .number(1))
            #expect(summary[path: "totals", "steps"] == .number(4) && summary[path: "totals", "assertions"] == .number(8))
            #expect(summary["pass_rate"] == .number(0.75))
            let endpoints = summary["endpoints"]?.array ?? []
            #expect(endpoints.compactMap { $0["endpoint"]?.string } == ["GET /tracked/bad", "GET /tracked/ok", "GET /tracked/{{id}}"])
            #expect(endpoints.allSatisfy { $0["p50_ms"]?.number != nil && $0["p95_ms"]?.number != nil })
            #expect(endpoints.last?["count"] == .number(2))

            let results = try await project.results(runID)
            #expect(results.count == 4)
            #expect(results.compactMap { $0["iteration"]?.string }.sorted() == ["bad", "ok", "row-a", "row-b"])
            let failed = try await project.results(runID, query: "&status=failed")
            #expect(failed.count == 1)
            let step = try #require(failed.first?["steps"]?.array?.first)
            let status = try #require(step["assertions"]?.array?.first)
            #expect(status["expected"]?.string == "[201]" || status["expected"]?.string?.contains("201") == true)
            #expect(status["actual"]?.string == "200" && status["passed"] == .bool(false))
            #expect(step["request"]?["method"]?.string == "GET" && step["response"]?["status"] == .number(200))
            #expect(step["curl"]?.string?.contains("/tracked/bad") == true)

            // The secret was sent (the target echoes it) but is stored nowhere.
            #expect(project.target.state.withLock { $0.hits["ok"] } == 1)
            let resultsText = try await project.client.call(.get, "/api/v1/runs/\(runID)/results?page_size=100", token: project.token) {
                String(buffer: $0.body)
            }
            #expect(resultsText.contains("/tracked/ok") && !resultsText.contains(RunProject.secret))
            let database = project.fixture.services.database
            switch project.fixture.settings.database {
            case .sqlite(let path):
                try await database.sql.raw("PRAGMA wal_checkpoint(FULL)").run()
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(bytes.range(of: Data(RunProject.secret.utf8)) == nil)
                #expect(bytes.range(of: Data("/tracked/ok".utf8)) != nil, "the file holds the results")
            default:
                for table in ["test_results", "test_runs"] {
                    let rows = try await database.sql.raw("SELECT t::text AS row FROM \(unsafeRaw: table) t").all()
                    let text = try rows.map { try $0.decode(column: "row", as: String.self) }.joined()
                    #expect(!rows.isEmpty && !text.contains(RunProject.secret), "\(table)")
                }
            }

            let listed = try await project.client.call(.get, "/api/v1/runs?project_id=\(project.projectID)&status=failed", token: project.token) {
                try $0.json()
            }
            #expect(listed["total"] == .number(1) && listed["items"]?.array?.first?["id"]?.string == runID)
            let filteredOut = try await project.client.call(.get, "/api/v1/runs?suite_id=\(UUID().uuidString)", token: project.token) {
                try $0.json()
            }
            #expect(filteredOut["total"] == .number(0))
        }
    }

    @Test func badRequestsAndOtherUsersRuns() async throws {
        try await RunProject.with(.sqlite) { project in
            let client = project.client
            let ok = try await project.trackedCase("ok")
            let other = try await client.project(named: "Other", token: project.token)
            let foreignCase = try await client.create("/api/v1/projects/\(other)/cases", ["name": "x", "steps": []], token: project.token)
            let base: [String: Any] = ["project_id": project.projectID, "environment_id": project.environmentID]
            let errors: [([String: Any], String)] = [
                ([:], "suite_id"),
                (["case_ids": [ok], "suite_id": UUID().uuidString], "suite_id"),
                (["case_ids": []], "case_ids"),
                (["case_ids": [foreignCase]], "case_ids"),
                (["suite_id": UUID().uuidString], "suite_id"),
                (["case_ids": [ok], "concurrency": 65], "concurrency"),
                (["case_ids": [ok], "environment_id": UUID().uuidString], "environment_id"),
            ]
            for (extra, field) in errors {
                let error = try await client.failure(
                    .post, "/api/v1/runs", token: project.token, json: jsonText(base.merging(extra) { $1 }), .unprocessableContent)
                #expect(error.details?["field"] == field || error.message.contains(field), "\(extra): \(error)")
            }

            let runID = try await project.start(["case_ids": [ok]])
            _ = try await project.finished(runID)
            // Someone who cannot see the project cannot see its runs.
            _ = try await client.createUser("outsider", roles: ["tester"], adminToken: project.fixture.admin)
            let outsider = try await client.login("outsider", "user-password-1").accessToken
            for uri in ["/api/v1/runs/\(runID)", "/api/v1/runs/\(runID)/results", "/api/v1/runs/\(runID)/events"] {
                _ = try await client.failure(.get, uri, token: outsider, .notFound)
            }
            _ = try await client.failure(.post, "/api/v1/runs/\(runID)/cancel", token: outsider, .notFound)
            let listed = try await client.call(.get, "/api/v1/runs", token: outsider) { try $0.json() }
            #expect(listed["total"] == .number(0))
            _ = try await client.failure(
                .post, "/api/v1/runs", token: outsider, json: jsonText(base.merging(["case_ids": [ok]]) { $1 }), .notFound)
            // A finished run cannot be cancelled; deleting its project needs force.
            _ = try await client.failure(.post, "/api/v1/runs/\(runID)/cancel", token: project.token, .conflict)
            _ = try await client.failure(.delete, "/api/v1/projects/\(project.projectID)", token: project.token, .conflict)
            try await client.call(.delete, "/api/v1/projects/\(project.projectID)?force=true", token: project.token) {
                #expect($0.status == .noContent)
            }
            let left = try await project.fixture.services.database.sql.raw("SELECT COUNT(*) AS n FROM test_results").first()
            #expect(try left?.decode(column: "n", as: Int.self) == 0)
        }
    }
}
