import Foundation
import FoundationXML
import Testing

@testable import AIAgentBackend

/// `ai-agent-backend test run suite.yaml`: the built binary against the local `TestTarget`.
@Suite struct LocalTestRunTests {
    static let passingSuite = """
        name: smoke
        mode: parallel
        concurrency: 4
        cases:
          - name: echo answers
            tags: [smoke]
            priority: p1
            steps:
              - name: get echo
                request: {method: GET, url: "{{base_url}}/echo", query: {who: "{{who}}"}}
                assert:
                  - {type: status, equals: 200}
                  - {type: json, path: "$.query", op: contains, value: "who=ci"}
          - name: tracked answers
            steps:
              - name: get tracked
                request: {method: GET, url: "{{base_url}}/tracked/smoke", headers: {X-Api-Key: "{{api_key}}"}}
                assert:
                  - {type: status, class: 2xx}
                  - {type: status, in: [200, 204]}
                  - {type: json, path: "$.marker", op: length, value: 5}
                  - {type: json, path: "$.key", op: eq, value: "{{api_key}}"}
        """

    static func environment(_ target: TestTarget) -> String {
        """
        name: ci
        base_urls: {default: "\(target.baseURL)"}
        variables:
          - {name: who, value: nobody}
          - {name: api_key, value: key-123-secret, secret: true}
        """
    }

    /// Writes the files into a new directory and runs the binary there, off the cooperative pool.
    static func run(_ arguments: [String], files: [String: String]) async throws -> (result: BuiltBinary.Result, directory: String) {
        let directory = try BuiltBinary.temporaryDirectory()
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)")) }
        let result = try await Task.detached { try BuiltBinary.run(["test", "run"] + arguments, directory: directory) }.value
        return (result, directory)
    }

    @Test func aPassingSuiteExitsZeroAndWritesItsReports() async throws {
        try await TestTarget.with { target in
            let (result, directory) = try await Self.run(
                [
                    "suite.yaml", "--env", "env.yaml", "--env-var", "who=ci", "--env-var", "api_key=from-ci-secret-42", "--junit", "out.xml",
                    "--json", "out.json", "--html", "out.html",
                ],
                files: ["suite.yaml": Self.passingSuite, "env.yaml": Self.environment(target)])
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("PASSED echo answers"), "plain lines when not a terminal: \(result.stdout)")
            #expect(result.stdout.contains("2 passed, 0 failed, 0 errors"))

            let json = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.json"))
            #expect(target.state.withLock { $0.hits["smoke"] } == 1)
            let text = String(decoding: json, as: UTF8.self)
            #expect(!text.contains("from-ci-secret-42"), "a secret variable set by --env-var is masked in the evidence")
            let report = try JSONCoding.decoder.decode(RunReport.self, from: json)
            #expect(report.run.status == .passed)
            #expect(report.totals.passed == 2 && report.totals.cases == 2)
            #expect(report.suite?.name == "smoke" && report.environment?.name == "ci")
            let echo = try #require(report.cases.first { $0.caseName == "echo answers" })
            #expect(report.caseTags[echo.caseID?.uuidString ?? ""] == ["smoke"])

            let junit = try XMLDocument(data: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.xml")))
            #expect(try junit.nodes(forXPath: "//testcase").count == 2)
            #expect(try junit.nodes(forXPath: "//failure").isEmpty)
            let html = try String(contentsOfFile: "\(directory)/out.html", encoding: .utf8)
            #expect(html.contains("echo answers"))
        }
    }

    @Test func aFailingAssertionExitsOneAndSaysWhy() async throws {
        try await TestTarget.with { target in
            let suite = Self.passingSuite.replacingOccurrences(of: "equals: 200", with: "equals: 201")
            let (result, directory) = try await Self.run(
                ["suite.yaml", "--env", "env.yaml", "--junit", "out.xml"], files: ["suite.yaml": suite, "env.yaml": Self.environment(target)])
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("FAILED echo answers"), "\(result.stdout)")
            #expect(result.stdout.contains("201"))
            #expect(result.stdout.contains("1 passed, 1 failed"))
            let junit = try XMLDocument(data: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.xml")))
            #expect(try junit.nodes(forXPath: "//failure").count == 1)
        }
    }

    @Test func aBadSuiteFileExitsTwoWithOneLineNamingTheField() async throws {
        let missingURL = """
            name: broken
            cases:
              - name: ok
                steps: [{name: s, request: {method: GET, url: "http://127.0.0.1:1/"}}]
              - name: no url
                steps:
                  - name: s
                    request: {method: GET}
            """
        let badOperator = """
            name: broken
            cases:
              - name: bad op
                steps:
                  - name: s
                    request: {method: GET, url: "http://127.0.0.1:1/"}
                    assert: [{type: body, op: gt, value: 1}]
            """
        for (suite, expected) in [
            (missingURL, "suite.yaml: cases[1].steps[0].request.url: is required"),
            (badOperator, "suite.yaml: cases[0].steps[0].assert[0].op:"),
            ("name: [unclosed", "suite.yaml: is not valid YAML"),
        ] {
            let (result, _) = try await Self.run(["suite.yaml"], files: ["suite.yaml": suite])
            #expect(result.status == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.stderr)")
            #expect(lines.first?.hasPrefix(expected) == true, "\(result.stderr)")
        }
    }

    @Test func aMissingFileOrBadArgumentExitsTwo() async throws {
        let (missing, _) = try await Self.run(["nowhere.yaml"], files: [:])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere.yaml: no such readable file"), "\(missing.stderr)")

        let (badVariable, _) = try await Self.run(["suite.yaml", "--env-var", "novalue"], files: ["suite.yaml": Self.passingSuite])
        #expect(badVariable.status == 2)
        #expect(badVariable.stderr.contains("--env-var novalue: must be NAME=VALUE"), "\(badVariable.stderr)")

        let (unknownOption, _) = try await Self.run(["suite.yaml", "--no-such-option"], files: ["suite.yaml": Self.passingSuite])
        #expect(unknownOption.status == 2)
    }

    @Test func dataRowsFromCSVRunEveryCaseOncePerRow() async throws {
        try await TestTarget.with { target in
            let suite = """
                name: rows
                cases:
                  - name: tracked
                    steps:
                      - name: get
                        request: {method: GET, url: "{{base_url}}/tracked/row-{{marker}}"}
                        assert: [{type: json, path: "$.marker", op: eq, value: "row-{{marker}}"}]
                """
            let (result, directory) = try await Self.run(
                ["suite.yaml", "--env", "env.yaml", "--data", "rows.csv", "--json", "out.json"],
                files: ["suite.yaml": suite, "env.yaml": Self.environment(target), "rows.csv": "marker\na\nb\nc\n"])
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            let hits = target.state.withLock { $0.hits }
            #expect(hits["row-a"] == 1 && hits["row-b"] == 1 && hits["row-c"] == 1)
            let report = try JSONCoding.decoder.decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.json")))
            #expect(report.cases.map(\.iteration).sorted() == ["a", "b", "c"])
        }
    }

    @Test func bailStartsNoCaseAfterTheFirstFailure() async throws {
        try await TestTarget.with { target in
            let suite = """
                name: sequential
                cases:
                  - name: fails
                    steps:
                      - name: get
                        request: {method: GET, url: "{{base_url}}/tracked/bail-first?status=500"}
                        assert: [{type: status, equals: 200}]
                  - name: never starts
                    steps:
                      - name: get
                        request: {method: GET, url: "{{base_url}}/tracked/bail-second"}
                """
            let files = ["suite.yaml": suite, "env.yaml": Self.environment(target)]
            let (bailed, _) = try await Self.run(["suite.yaml", "--env", "env.yaml", "--bail"], files: files)
            #expect(bailed.status == 1)
            #expect(target.state.withLock { $0.hits["bail-second"] } == nil)

            let (unbailed, _) = try await Self.run(["suite.yaml", "--env", "env.yaml"], files: files)
            #expect(unbailed.status == 1)
            #expect(target.state.withLock { $0.hits["bail-second"] } == 1)
        }
    }
}
