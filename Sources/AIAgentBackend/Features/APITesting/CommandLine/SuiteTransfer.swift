import Foundation
import Yams

/// `ai-agent-backend test export`: a stored suite and its cases, written as a suite file.
public struct SuiteExport: Sendable {
    public var target: ServerTarget
    /// An id, or a name.
    public var suite: String
    /// YAML, or JSON for a `.json` name.
    public var output: String

    public init(target: ServerTarget, suite: String, output: String) {
        self.target = target
        self.suite = suite
        self.output = output
    }

    /// 0 when written, 2 when the server refused or the file cannot be written (one line on stderr).
    public func run() async -> Int32 {
        let client = target.client
        do {
            let projectID = try await target.projectID()
            let suiteID = try await client.id(of: suite, kind: "suite", listPath: "/projects/\(projectID)/suites")
            let stored = try await client.get("/projects/\(projectID)/suites/\(suiteID)", as: TestSuiteResponse.self)
            func load(_ id: UUID) async throws(ServerClient.Failure) -> SuiteFileCase {
                SuiteFileCase(try await client.get("/projects/\(projectID)/cases/\(id)", as: TestCaseResponse.self))
            }
            var cases: [SuiteFileCase] = []
            for id in stored.caseIDs { cases.append(try await load(id)) }
            let file = SuiteFile(
                name: stored.name, description: stored.description, mode: stored.mode, concurrency: stored.concurrency,
                stopOnFailure: stored.stopOnFailure, retries: stored.retries, setup: try await stored.setupCaseID.asyncMap(load),
                teardown: try await stored.teardownCaseID.asyncMap(load), cases: cases)
            try file.encoded(asJSON: output.lowercased().hasSuffix(".json")).write(to: URL(fileURLWithPath: output))
            print("wrote \(output): suite '\(stored.name)' with \(cases.count) cases")
            return 0
        } catch let failure as ServerClient.Failure {
            CommandOutput.error(failure.description)
        } catch {
            CommandOutput.error("cannot write \(output): \(error.localizedDescription)")
        }
        return CommandOutput.inputError
    }
}

/// `ai-agent-backend test import`: a suite file becomes a suite with its cases; a Postman
/// collection or an OpenAPI document goes to the imports route (the endpoint catalogue).
public struct SuiteImport: Sendable {
    public var target: ServerTarget
    public var file: String

    public init(target: ServerTarget, file: String) {
        self.target = target
        self.file = file
    }

    struct SuiteRequest: Encodable {
        let name: String
        let description: String?
        let mode: SuiteMode?
        let concurrency: Int?
        let stopOnFailure: Bool?
        let retries: Int?
        let caseIDs: [UUID]
        let setupCaseID: UUID?
        let teardownCaseID: UUID?

        enum CodingKeys: String, CodingKey {
            case name, description, mode, concurrency, retries
            case stopOnFailure = "stop_on_failure"
            case caseIDs = "case_ids"
            case setupCaseID = "setup_case_id"
            case teardownCaseID = "teardown_case_id"
        }
    }

    struct CatalogRequest: Encodable {
        let content: String
        let filename: String
        let createCases: Bool

        enum CodingKeys: String, CodingKey {
            case content, filename
            case createCases = "create_cases"
        }
    }

    struct Created: Decodable {
        let id: UUID
    }

    /// 0 when imported, 2 for a bad file or a refusal (one line on stderr).
    public func run() async -> Int32 {
        let client = target.client
        do {
            let text = try InputFile.text(at: file)
            let projectID = try await target.projectID()
            // A suite file has `cases`; anything else is an API description for the catalogue.
            guard ((try? Yams.load(yaml: text)) as? [String: Any])?["cases"] != nil else {
                let name = (file as NSString).lastPathComponent
                let created = try await client.post(
                    "/projects/\(projectID)/imports", CatalogRequest(content: text, filename: name, createCases: true), as: Created.self)
                print("imported \(name) into the catalogue (import \(created.id))")
                return 0
            }
            let suite = try InputFile.decode(SuiteFile.self, at: file)
            do { try suite.validate() } catch { throw InputFile.Failure(description: "\((file as NSString).lastPathComponent): \(error.message)") }
            func create(_ testCase: SuiteFileCase) async throws(ServerClient.Failure) -> UUID {
                try await client.post("/projects/\(projectID)/cases", testCase, as: Created.self).id
            }
            let setup = try await suite.setup.asyncMap(create)
            let teardown = try await suite.teardown.asyncMap(create)
            var caseIDs: [UUID] = []
            for testCase in suite.cases { caseIDs.append(try await create(testCase)) }
            let created = try await client.post(
                "/projects/\(projectID)/suites",
                SuiteRequest(
                    name: suite.name, description: suite.description, mode: suite.mode, concurrency: suite.concurrency,
                    stopOnFailure: suite.stopOnFailure, retries: suite.retries, caseIDs: caseIDs, setupCaseID: setup, teardownCaseID: teardown),
                as: Created.self)
            print("created suite '\(suite.name)' (\(created.id)) with \(caseIDs.count) cases")
            return 0
        } catch let failure as ServerClient.Failure {
            CommandOutput.error(failure.description)
        } catch {
            CommandOutput.error("\(error)")
        }
        return CommandOutput.inputError
    }
}

extension SuiteFileCase {
    init(_ stored: TestCaseResponse) {
        self.init(
            name: stored.name, tags: stored.tags, priority: stored.priority, variables: stored.variables, data: stored.data, steps: stored.steps)
    }
}

extension SuiteFile {
    /// Keys sorted, so the same suite is always the same file.
    func encoded(asJSON: Bool) throws -> Data {
        if asJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(self)
        }
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        return Data(try encoder.encode(self).utf8)
    }
}
