import Foundation
import Yams

/// A suite with its cases in one file, as `ai-agent-backend test run` reads it and `test export`
/// writes it: the suite's settings as the suites API takes them, each case as the cases API
/// takes it (`TestCaseDefinition` plus its name, tags and priority).
struct SuiteFile: Codable, Sendable, Equatable {
    var name: String
    var description: String?
    var mode: SuiteMode?
    var concurrency: Int?
    var stopOnFailure: Bool?
    var retries: Int?
    var setup: SuiteFileCase?
    var teardown: SuiteFileCase?
    var cases: [SuiteFileCase]

    enum CodingKeys: String, CodingKey {
        case name, description, mode, concurrency, retries, setup, teardown, cases
        case stopOnFailure = "stop_on_failure"
    }
}

struct SuiteFileCase: Codable, Sendable, Equatable {
    var name: String
    var tags: [String]?
    var priority: CasePriority?
    var variables: [String: JSONValue]?
    var data: DataTable?
    var steps: [TestStep]

    var definition: TestCaseDefinition { TestCaseDefinition(variables: variables, data: data, steps: steps) }
}

/// A file the command line reads: YAML, or JSON for a `.json` name. Errors name the file and
/// the field (`suite.yaml: cases[2].steps[0].request.url: is required`).
enum InputFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func decode<T: Decodable>(_ type: T.Type, at path: String) throws(Failure) -> T {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): no such readable file") }
        do {
            if path.lowercased().hasSuffix(".json") { return try JSONCoding.decoder.decode(T.self, from: data) }
            // Through JSON: a plain YAML scalar keeps its type in free-form values (`value: 1` is a number, not "1").
            let json = try compose(yaml: String(decoding: data, as: UTF8.self)).map(jsonValue) ?? .null
            return try JSONCoding.decoder.decode(T.self, from: JSONCoding.encoder.encode(json))
        } catch let error as DecodingError {
            let apiError = APIError(decoding: error)
            throw Failure(description: "\(name): \(apiError.status == .unprocessableContent ? apiError.message : "is not valid \(format(path))")")
        } catch {
            throw Failure(description: "\(name): is not valid \(format(path)): \(error)".replacingOccurrences(of: "\n", with: " "))
        }
    }

    static func text(at path: String) throws(Failure) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): no such readable file") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A YAML node as the JSON value it stands for, by its resolved tag (timestamps stay text).
    private static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return Bool.construct(from: scalar).map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return Int.construct(from: scalar).map { .number(Double($0)) } ?? .string(scalar.string)
            case .float: return Double.construct(from: scalar).map(JSONValue.number) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            return .object(Dictionary(mapping.map { ($0.key.string ?? "", jsonValue($0.value)) }) { first, _ in first })
        case .sequence(let sequence):
            return .array(sequence.map(jsonValue))
        case .alias:
            // `compose` replaces aliases with the nodes they name.
            return .null
        }
    }

    private static func format(_ path: String) -> String { path.lowercased().hasSuffix(".json") ? "JSON" : "YAML" }
}

extension SuiteFile {
    /// The checks the suites and cases APIs make, each error prefixed with where the case sits.
    func validate() throws(APIError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .validation(field: "name", "must not be blank") }
        if let concurrency { _ = try APIError.checked(concurrency, field: "concurrency", in: RunPlan.concurrencies) }
        if let retries { _ = try APIError.checked(retries, field: "retries", in: SuitesController.retryCounts) }
        let named = [("setup", setup), ("teardown", teardown)].compactMap { field, testCase in testCase.map { (field, $0) } }
        for (field, testCase) in named + cases.enumerated().map({ ("cases[\($0.offset)]", $0.element) }) {
            do { try testCase.definition.validate() } catch {
                // The engine names the field inside the case; the file names the case too.
                let inner = error.details?["field"] ?? ""
                throw .validation(field: "\(field).\(inner)", String(error.message.dropFirst(inner.count + 2)))
            }
        }
    }
}
