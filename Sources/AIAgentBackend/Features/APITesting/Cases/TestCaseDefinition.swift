import Foundation

/// What a test case does: its own variables, optional data rows, and ordered steps. This
/// is the wire shape of a case's content (the README's "Test cases" section shows one),
/// stored as JSON and read by the engine.
struct TestCaseDefinition: Codable, Sendable, Equatable {
    var variables: [String: JSONValue]?
    var data: DataTable?
    var steps: [TestStep]
}

/// Rows of values, one case iteration per row; each iteration is named after its first column.
struct DataTable: Codable, Sendable, Equatable {
    var columns: [String]
    var rows: [[JSONValue]]
}

/// One step: exactly one of `request`, `wait` or `set`.
struct TestStep: Codable, Sendable, Equatable {
    var name: String
    var request: StepRequest?
    var wait: StepWait?
    /// Variables to set; values are templates.
    var set: [String: JSONValue]?
    var extract: [Extraction]?
    var assertions: [Assertion]?

    enum CodingKeys: String, CodingKey {
        case name, request, wait, set, extract
        case assertions = "assert"
    }
}

struct StepWait: Codable, Sendable, Equatable {
    var ms: Int
}

/// A request whose strings are templates (`{{base_url}}`, `{{token}}`, `{{$uuid}}`...).
struct StepRequest: Codable, Sendable, Equatable {
    var method: String
    var url: String
    var headers: [String: String]?
    var query: [String: String]?
    var body: RequestBody?
    /// Overrides the environment's auth preset for this step.
    var auth: RequestAuth?
    /// Overrides the environment's timeout for this step.
    var timeoutMs: Int?

    enum CodingKeys: String, CodingKey {
        case method, url, headers, query, body, auth
        case timeoutMs = "timeout_ms"
    }
}

struct RequestBody: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable { case json, form, multipart, raw, none }
    var type: Kind
    var json: JSONValue?
    var form: [String: String]?
    var multipart: [MultipartField]?
    var raw: String?
    /// For `raw`; `json`, `form` and `multipart` set their own.
    var contentType: String?

    enum CodingKeys: String, CodingKey {
        case type, json, form, multipart, raw
        case contentType = "content_type"
    }
}

/// A multipart field: a text `value`, or a file with `filename` and base64 `content_base64`.
struct MultipartField: Codable, Sendable, Equatable {
    var name: String
    var value: String?
    var filename: String?
    var contentType: String?
    var contentBase64: String?

    enum CodingKeys: String, CodingKey {
        case name, value, filename
        case contentType = "content_type"
        case contentBase64 = "content_base64"
    }
}

/// Reads a value out of a response into a variable.
struct Extraction: Codable, Sendable, Equatable {
    enum Source: String, Codable, Sendable, CaseIterable { case json, header, cookie, status, body }
    var variable: String
    var from: Source
    /// JSONPath, for `json`.
    var path: String?
    /// Header or cookie name.
    var name: String?
    /// Applied to the extracted text (or, for `body`, to the body); the first group is kept, else the whole match.
    var regex: String?
    /// Redacted wherever it is stored, like a secret environment variable.
    var secret: Bool?

    enum CodingKeys: String, CodingKey {
        case from, path, name, regex, secret
        case variable = "var"
    }
}

/// A check on a response. Which fields apply depends on `type`:
/// - `status`: `equals`, `in`, or `class` (`2xx`);
/// - `header`: `name` with `op` `exists`, `eq` or `matches` and `value`;
/// - `json`: `path` with `op` (``Operator``) and `value`;
/// - `body`: `op` `contains` or `matches` with `value`;
/// - `response_time`: `lt_ms`;
/// - `schema`: the linked endpoint's response schema for the status, or the inline `schema`.
/// A `soft` assertion is recorded but does not stop the case.
struct Assertion: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case status, header, json, body, schema
        case responseTime = "response_time"
    }
    enum Operator: String, Codable, Sendable, CaseIterable {
        case eq, ne, gt, gte, lt, lte, contains, matches, exists, type, length, `in`
        case notContains = "not_contains"
        case notExists = "not_exists"
    }
    var type: Kind
    var equals: Int?
    var `in`: [JSONValue]?
    var `class`: String?
    var name: String?
    var path: String?
    var op: Operator?
    var value: JSONValue?
    var ltMs: Double?
    var schema: JSONValue?
    var soft: Bool?

    enum CodingKeys: String, CodingKey {
        case type, equals, `in`, `class`, name, path, op, value, schema, soft
        case ltMs = "lt_ms"
    }
}

// Longer than the default 255 characters; strings inside free-form JSON (a JSON body,
// variables, data rows, expected values) take `InputLimits.freeFormMaxLength`.
extension StepRequest: LongTextInput {
    static let maxLengths = ["url": 4_000, "headers": 8_000, "query": 4_000]
}

extension RequestBody: LongTextInput {
    static let maxLengths = ["raw": 1_000_000, "form": 100_000]
}

extension MultipartField: LongTextInput {
    static let maxLengths = ["value": 100_000, "content_base64": 5_000_000]
}

extension Extraction: LongTextInput {
    static let maxLengths = ["path": 1_000, "regex": 2_000]
}

extension Assertion: LongTextInput {
    static let maxLengths = ["path": 1_000]
}
