import Foundation
import FoundationXML
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct ReportsTests {
    /// Answered by the target to the `hostile` case: markup that must stay text in every report.
    static let hostile = "</script><script>alert(1)</script><!--"

    @Test(arguments: DatabaseKind.allCases)
    func aRunReportsAsJSONJUnitAndHTML(_ kind: DatabaseKind) async throws {
        try await RunProject.with(kind) { project in
            let ok = try await project.trackedCase("ok", tags: ["smoke"])
            let bad = try await project.trackedCase("bad", status: 201)
            let refused = try await project.client.create(
                "/api/v1/projects/\(project.projectID)/cases",
                [
                    "name": "refused", "tags": ["smoke", "network"],
                    "steps": [["name": "closed port", "request": ["method": "GET", "url": "http://127.0.0.1:1/"]]],
                ], token: project.token)
            let hostile = try await project.client.create(
                "/api/v1/projects/\(project.projectID)/cases",
                [
                    "name": #"hostile "quoted" <b>&"#,
                    "steps": [
                        [
                            "name": "echo",
                            "request": [
                                "method": "POST", "url": "{{base_url}}/echo",
                                "body": ["type": "raw", "raw": Self.hostile, "content_type": "text/plain"],
                            ],
                            "assert": [["type": "status", "in": [200]]], "extract": [["var": "sent", "from": "json", "path": "$.body"]],
                        ]
                    ],
                ], token: project.token)
            let rows = try await project.trackedCase("rows", marker: "{{id}}", data: ["columns": ["id"], "rows": [["row-a"], ["row-b"]]])
            let suite = try await project.suite([ok, bad, refused, hostile, rows])
            let runID = try await project.start(["suite_id": suite])
            _ = try await project.finished(runID)
            let shortID = runID.prefix(8).lowercased()

            // JSON: the whole run, checked against its schema by the response contract check.
            let (jsonHeaders, jsonText) = try await project.download(runID, format: nil)
            #expect(jsonHeaders[.contentType] == "application/json; charset=utf-8")
            let disposition = jsonHeaders[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix("attachment; filename=\"run-\(shortID)-"), "\(disposition)")
            #expect(disposition.contains(/-\d{4}-\d{2}-\d{2}\.json"$/), "\(disposition)")
            let report = try JSONDecoder().decode([String: JSONAny].self, from: Data(jsonText.utf8))
            #expect(report[path: "totals", "iterations"] == .number(6) && report[path: "totals", "cases"] == .number(5))
            #expect(report[path: "totals", "passed"] == .number(4) && report[path: "totals", "failed"] == .number(1))
            #expect(report[path: "totals", "errors"] == .number(1))
            #expect(report[path: "suite", "id"]?.string == suite && report[path: "project", "name"]?.string == "Runs")
            #expect(report[path: "environment", "name"]?.string == "local")
            let cases = try #require(report["cases"]?.array)
            #expect(cases.count == 6)
            let byName = Dictionary(cases.map { ($0["iteration"]?.string ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(report["case_tags"] == .object([ok: .array([.string("smoke")]), refused: .array([.string("smoke"), .string("network")])]))
            #expect(byName["bad"]?["case_name"]?.string == "bad" && byName["bad"]?["status"]?.string == "failed")
            let failedAssertion = byName["bad"]?["steps"]?.array?.first?["assertions"]?.array?.first
            #expect(failedAssertion?["passed"] == .bool(false) && failedAssertion?["actual"]?.string == "200")
            #expect(byName["refused"]?["steps"]?.array?.first?["error"]?["kind"]?.string == "connection_refused")
            #expect(byName["row-b"]?["status"]?.string == "passed")
            #expect(report["slowest_steps"]?.array?.isEmpty == false)
            #expect(!jsonText.contains(RunProject.secret))

            // JUnit XML.
            let (junitHeaders, junit) = try await project.download(runID, format: "junit")
            #expect(junitHeaders[.contentType] == "application/xml; charset=utf-8")
            #expect(junitHeaders[.contentDisposition]?.hasSuffix(".xml\"") == true)
            #expect(!junit.contains(RunProject.secret))
            let document = try XMLDocument(data: Data(junit.utf8))
            let root = try #require(document.rootElement())
            #expect(root.name == "testsuites")
            #expect(root.attribute(forName: "tests")?.stringValue == "6" && root.attribute(forName: "failures")?.stringValue == "1")
            #expect(root.attribute(forName: "errors")?.stringValue == "1")
            let suites = root.elements(forName: "testsuite")
            #expect(suites.count == 1)
            let testCases = try #require(suites.first).elements(forName: "testcase")
            let names = testCases.compactMap { $0.attribute(forName: "name")?.stringValue }
            #expect(Set(names) == ["ok", "bad", "refused", #"hostile "quoted" <b>&"#, "rows [row-a]", "rows [row-b]"])
            #expect(testCases.allSatisfy { Double($0.attribute(forName: "time")?.stringValue ?? "") != nil })
            let junitCase = { (name: String) in testCases.first { $0.attribute(forName: "name")?.stringValue == name } }
            let failure = try #require(junitCase("bad")?.elements(forName: "failure").first)
            #expect(failure.attribute(forName: "type")?.stringValue == "status")
            let message = failure.attribute(forName: "message")?.stringValue ?? ""
            #expect(message.contains("201") && message.contains("actual 200"), "\(message)")
            let error = try #require(junitCase("refused")?.elements(forName: "error").first)
            #expect(error.attribute(forName: "type")?.stringValue == "connection_refused")
            #expect(junitCase("ok")?.elements(forName: "failure").isEmpty == true && junitCase("ok")?.elements(forName: "error").isEmpty == true)
            let okOut = junitCase("ok")?.elements(forName: "system-out").first?.stringValue ?? ""
            #expect(okOut.contains("> GET \(project.target.baseURL)/tracked/ok") && okOut.contains("< 200"), "\(okOut)")
            let hostileOut = junitCase(#"hostile "quoted" <b>&"#)?.elements(forName: "system-out").first?.stringValue ?? ""
            #expect(hostileOut.contains(Self.hostile), "the parsed text is the answer as it came")

            // HTML: one self-contained page; the target's markup appears only escaped.
            let (htmlHeaders, html) = try await project.download(runID, format: "html")
            #expect(htmlHeaders[.contentType] == "text/html; charset=utf-8")
            #expect(htmlHeaders[.contentDisposition]?.hasSuffix(".html\"") == true)
            #expect(!html.contains("<script>alert(1)") && !html.contains("alert(1)</script>"))
            #expect(html.contains(#"\u003c/script>\u003cscript>alert(1)\u003c/script>\u003c!--"#))
            #expect(html.components(separatedBy: "<script").count == 3, "the data block and the renderer, nothing else")
            for external in ["src=", "href=", "@import", "url(", "<link"] { #expect(!html.contains(external), "\(external)") }
            #expect(!html.contains(RunProject.secret))
            #expect(html.contains("<title>Runs · \(try #require(report[path: "suite", "name"]?.string))</title>"))
        }
    }

    @Test func comparisonTrendsAndWhoMaySeeThem() async throws {
        try await RunProject.with(.sqlite) { project in
            let client = project.client
            let ok = try await project.trackedCase("ok")
            let flip = try await project.trackedCase("flip", query: "?fail_first=1")
            let bad = try await project.trackedCase("bad", status: 201)
            let breaking = try await project.trackedCase("breaking")
            let gone = try await project.trackedCase("gone")
            let new = try await project.trackedCase("new")
            let baseline = try await project.start(["case_ids": [ok, flip, bad, breaking, gone]])
            _ = try await project.finished(baseline)
            try await client.call(
                .put, "/api/v1/projects/\(project.projectID)/cases/\(breaking)", token: project.token,
                json: jsonText([
                    "name": "breaking",
                    "steps": [
                        [
                            "name": "get", "request": ["method": "GET", "url": "{{base_url}}/tracked/breaking"],
                            "assert": [["type": "status", "in": [201]]],
                        ]
                    ],
                ])
            ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            let latest = try await project.start(["case_ids": [ok, flip, bad, breaking, new]])
            _ = try await project.finished(latest)

            let comparison = try await client.call(.get, "/api/v1/runs/\(latest)/compare/\(baseline)", token: project.token) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            let ids = { (key: String) in comparison[key]?.array?.compactMap { $0["case_id"]?.string } ?? [] }
            #expect(ids("newly_failing") == [breaking] && ids("newly_passing") == [flip] && ids("still_failing") == [bad])
            #expect(ids("added") == [new] && ids("removed") == [gone] && comparison["still_passing"] == .number(1))
            #expect(comparison["baseline_id"]?.string == baseline && comparison["run_id"]?.string == latest)

            let trends = try await client.call(.get, "/api/v1/projects/\(project.projectID)/trends?days=7", token: project.token) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            let runs = trends["runs"]?.array ?? []
            #expect(runs.compactMap { $0["id"]?.string } == [baseline, latest], "oldest first")
            #expect(runs.compactMap { $0["pass_rate"]?.number } == [0.6, 0.6])
            #expect(runs.allSatisfy { $0["duration_ms"]?.number != nil })
            let flaky = trends["flaky"]?.array ?? []
            #expect(Set(flaky.compactMap { $0["case_id"]?.string }) == [flip, breaking])
            #expect(flaky.allSatisfy { $0["passed"] == .number(1) && $0["failed"] == .number(1) && $0["runs"] == .number(2) })
            let okTrend = trends["endpoints"]?.array?.first { $0["endpoint"]?.string == "GET /tracked/ok" }
            #expect(okTrend?["runs"]?.array?.compactMap { $0["run_id"]?.string } == [baseline, latest])
            #expect(okTrend?["runs"]?.array?.allSatisfy { $0["p95_ms"]?.number != nil } == true)
            let otherSuite = try await client.call(
                .get, "/api/v1/projects/\(project.projectID)/trends?suite_id=\(UUID().uuidString)", token: project.token
            ) { try $0.json() }
            #expect(otherSuite["runs"]?.array?.isEmpty == true && otherSuite["days"] == .number(30))
            for query in ["days=0", "days=366", "days=x", "suite_id=nope"] {
                _ = try await client.failure(
                    .get, "/api/v1/projects/\(project.projectID)/trends?\(query)", token: project.token, .unprocessableContent)
            }
            _ = try await client.failure(.get, "/api/v1/runs/\(latest)/report?format=pdf", token: project.token, .unprocessableContent)

            // The repository alone.
            let database = project.fixture.services.database
            let repository = ReportRepository(database: database, runs: RunRepository(database: database))
            let since = Date().addingTimeInterval(-3_600)
            let stored = try await repository.finishedRuns(in: try #require(UUID(uuidString: project.projectID)), suiteID: nil, since: since)
            #expect(stored.compactMap { $0.id?.uuidString.lowercased() } == [baseline, latest].map { $0.lowercased() })
            #expect(try await repository.flakyCases(in: []).isEmpty)
            #expect(try await repository.finishedRuns(in: try #require(UUID(uuidString: project.projectID)), suiteID: nil, since: Date()).isEmpty)

            // Runs of two projects cannot be compared.
            let otherProject = try await client.project(named: "Other", token: project.token)
            let otherEnvironment = try await client.create(
                "/api/v1/projects/\(otherProject)/environments", ["name": "e", "base_urls": ["default": project.target.baseURL]], token: project.token
            )
            let otherCase = try await client.create(
                "/api/v1/projects/\(otherProject)/cases",
                ["name": "x", "steps": [["name": "get", "request": ["method": "GET", "url": "{{base_url}}/tracked/x"]]]], token: project.token)
            let otherRun = try await client.call(
                .post, "/api/v1/runs", token: project.token,
                json: jsonText(["project_id": otherProject, "environment_id": otherEnvironment, "case_ids": [otherCase]])
            ) { try #require(try $0.json()["id"]?.string) }
            let error = try await client.failure(.get, "/api/v1/runs/\(latest)/compare/\(otherRun)", token: project.token, .unprocessableContent)
            #expect(error.details?["field"] == "other_id", "\(error)")

            // Who may see them: a stranger to the project gets 404s, a user without `report:read` 403s, nobody 401s.
            _ = try await client.createUser("outsider", roles: ["tester"], adminToken: project.fixture.admin)
            let outsider = try await client.login("outsider", "user-password-1").accessToken
            _ = try await client.createUser("nobody", roles: [], adminToken: project.fixture.admin)
            let roleless = try await client.login("nobody", "user-password-1").accessToken
            let routes = [
                "/api/v1/runs/\(latest)/report", "/api/v1/runs/\(latest)/report?format=junit", "/api/v1/runs/\(latest)/report?format=html",
                "/api/v1/runs/\(latest)/compare/\(baseline)", "/api/v1/projects/\(project.projectID)/trends",
            ]
            for uri in routes {
                _ = try await client.failure(.get, uri, token: outsider, .notFound)
                _ = try await client.failure(.get, uri, token: roleless, .forbidden)
                try await client.call(.get, uri, token: nil) { #expect($0.status == .unauthorized, "\(uri)") }
            }
            // A baseline the caller cannot see is a 404 as well, even from a run they can.
            let outsiderProject = try await client.project(named: "Outsider's", token: outsider)
            _ = try await client.failure(.get, "/api/v1/runs/\(latest)/compare/\(UUID().uuidString)", token: project.token, .notFound)
            _ = try await client.failure(.get, "/api/v1/projects/\(outsiderProject)/trends", token: project.token, .notFound)
            _ = try await client.failure(.get, "/api/v1/runs/\(UUID().uuidString)/report", token: project.token, .notFound)
        }
    }

    @Test func xmlTextDropsWhatXMLForbidsAndEscapesMarkup() {
        #expect(JUnitReport.text("a\u{1}b\u{0}<c>&\u{FFFE}\td\ne") == "ab&lt;c&gt;&amp;\td\ne")
        #expect(JUnitReport.attribute("say \"hi\"\n\tnow\r") == "say &quot;hi&quot;&#10;&#9;now&#13;")
        #expect(JUnitReport.text("😀 é \u{E000}") == "😀 é \u{E000}")
        #expect(HTMLReport.escaped(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}

extension RunProject {
    /// A run's report: its headers and body.
    func download(_ runID: String, format: String?) async throws -> (HTTPFields, String) {
        try await client.call(.get, "/api/v1/runs/\(runID)/report" + (format.map { "?format=\($0)" } ?? ""), token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return (response.headers, String(buffer: response.body))
        }
    }
}
