import Foundation
import FoundationXML
import Testing

@testable import AIAgentBackend

/// `ai-agent-backend test run --server`: the built binary against a `serve` process of the
/// built binary, with a personal access token.
@Suite(.serialized) struct ServerTestRunTests {
    static let permissions = [
        "project:read", "testcase:read", "testcase:create", "testrun:read", "testrun:execute", "report:read", "endpoint:import",
    ]

    /// A `serve` process on the project's database, and a token for it.
    static func withServer(_ body: @escaping @Sendable (RunProject, String, AccessTokenTests.Created) async throws -> Void) async throws {
        try await RunQueueProcessTests.withQueueOnly { project, settings in
            let token = try await AccessTokenTests.createToken(project.client, session: project.token, permissions: permissions)
            let server = try RunQueueProcessTests.Server(database: settings.database, settings: settings)
            try await server.waitUntilListening()
            try await body(project, "http://127.0.0.1:\(server.port)", token)
            server.kill9()
        }
    }

    static func run(_ arguments: [String]) async throws -> (result: BuiltBinary.Result, directory: String) {
        let directory = try BuiltBinary.temporaryDirectory()
        let result = try await Task.detached { try BuiltBinary.run(["test", "run"] + arguments, directory: directory) }.value
        return (result, directory)
    }

    @Test func aStoredSuiteRunsOnTheServerAndItsReportsAreDownloaded() async throws {
        try await Self.withServer { project, server, token in
            let passing = try await project.trackedCase("srv-pass")
            let failing = try await project.trackedCase("srv-fail", status: 201)
            let suites = "/api/v1/projects/\(project.projectID)/suites"
            _ = try await project.client.create(suites, ["name": "green", "case_ids": [passing]], token: project.token)
            _ = try await project.client.create(suites, ["name": "red", "case_ids": [passing, failing]], token: project.token)
            let common = ["--server", server, "--token", token.token, "--project", "Runs", "--env", project.environmentID]

            let (green, directory) = try await Self.run(
                common + ["--suite", "green", "--junit", "out.xml", "--json", "out.json", "--html", "out.html"])
            #expect(green.status == 0, "\(green.stdout) \(green.stderr)")
            #expect(green.stdout.contains("PASSED srv-pass"), "\(green.stdout)")
            #expect(green.stdout.contains("1 passed, 0 failed, 0 errors"))
            let junit = try XMLDocument(data: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.xml")))
            #expect(try junit.nodes(forXPath: "//testcase").count == 1)
            let report = try JSONCoding.decoder.decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.json")))
            #expect(report.suite?.name == "green" && report.run.status == .passed)
            #expect(try String(contentsOfFile: "\(directory)/out.html", encoding: .utf8).contains("srv-pass"))

            let (red, _) = try await Self.run(common + ["--suite", "red"])
            #expect(red.status == 1, "\(red.stdout) \(red.stderr)")
            #expect(red.stdout.contains("FAILED srv-fail"), "\(red.stdout)")

            let (missing, _) = try await Self.run(common + ["--suite", "no-such-suite"])
            #expect(missing.status == 2)
            #expect(missing.stderr == "no suite named 'no-such-suite'\n", "\(missing.stderr)")
        }
    }

    @Test func aRevokedTokenExitsTwoWithTheServersMessage() async throws {
        try await Self.withServer { project, server, token in
            let passing = try await project.trackedCase("srv-revoked")
            let suiteID = try await project.client.create(
                "/api/v1/projects/\(project.projectID)/suites", ["name": "any", "case_ids": [passing]], token: project.token)
            #expect(try await AccessTokenTests.status(project.client, .delete, "/api/v1/auth/tokens/\(token.id)", token: project.token) == .noContent)
            let (result, _) = try await Self.run(
                ["--server", server, "--token", token.token, "--project", project.projectID, "--suite", suiteID, "--env", project.environmentID])
            #expect(result.status == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.hasSuffix("401 the token has been revoked") == true, "\(result.stderr)")
            #expect(project.target.state.withLock { $0.hits["srv-revoked"] } == nil)
        }
    }

    @Test func exportThenImportThenExportGivesTheSameFile() async throws {
        try await Self.withServer { project, server, token in
            let suites = "/api/v1/projects/\(project.projectID)/suites"
            let login = try await project.trackedCase("login", tags: ["auth"])
            let rows = try await project.trackedCase("rows", data: ["columns": ["marker", "n"], "rows": [["x", 1], ["y", 2.5]]])
            _ = try await project.client.create(
                suites, ["name": "full", "case_ids": [rows], "setup_case_id": login, "mode": "parallel", "concurrency": 3, "retries": 1],
                token: project.token)
            _ = try await project.client.project(named: "Copy", token: project.token)
            let auth = ["--server", server, "--token", token.token]
            let directory = try BuiltBinary.temporaryDirectory()
            func cli(_ arguments: [String]) async throws -> BuiltBinary.Result {
                try await Task.detached { try BuiltBinary.run(["test"] + arguments, directory: directory) }.value
            }

            let exported = try await cli(["export"] + auth + ["--project", "Runs", "--suite", "full", "first.yaml"])
            #expect(exported.status == 0, "\(exported.stderr)")
            let imported = try await cli(["import"] + auth + ["--project", "Copy", "first.yaml"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.hasPrefix("created suite 'full'"), "\(imported.stdout)")
            let again = try await cli(["export"] + auth + ["--project", "Copy", "--suite", "full", "second.yaml"])
            #expect(again.status == 0, "\(again.stderr)")

            let first = try String(contentsOfFile: "\(directory)/first.yaml", encoding: .utf8)
            #expect(first == (try String(contentsOfFile: "\(directory)/second.yaml", encoding: .utf8)))
            let file = try InputFile.decode(SuiteFile.self, at: "\(directory)/first.yaml")
            #expect(file.setup?.name == "login" && file.setup?.tags == ["auth"])
            #expect(file.cases.map(\.name) == ["rows"] && file.cases.first?.data?.rows.count == 2)
            #expect(file.mode == .parallel && file.concurrency == 3 && file.retries == 1)

            let openAPI = """
                {"openapi": "3.0.3", "info": {"title": "Pets", "version": "1"}, "servers": [{"url": "http://127.0.0.1:1"}],
                 "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}}}
                """
            try Data(openAPI.utf8).write(to: URL(fileURLWithPath: "\(directory)/pets.json"))
            let catalog = try await cli(["import"] + auth + ["--project", "Copy", "pets.json"])
            #expect(catalog.status == 0, "\(catalog.stderr)")
            #expect(catalog.stdout.hasPrefix("imported pets.json into the catalogue"), "\(catalog.stdout)")
        }
    }
}
