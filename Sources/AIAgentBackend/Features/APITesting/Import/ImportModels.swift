import Foundation

/// The API description formats a project's endpoint catalogue can be imported from.
enum ImportFormat: String, Codable, Sendable, CaseIterable { case openapi, swagger, postman, har, curl }

/// What an import found: endpoints with a starter case each, the variables and base URLs the
/// cases refer to, and every defect that was skipped over.
struct ImportedCatalog: Codable, Sendable, Equatable {
    var format: ImportFormat
    var title: String?
    var endpoints: [ImportedEndpoint]
    var warnings: [ImportWarning]
    /// Postman collection and environment variables, OpenAPI server variables, credentials
    /// lifted out of cURL commands.
    var variables: [String: JSONValue]
    /// Names in `variables` whose values are secrets: store them encrypted, never echo them.
    var secretVariables: [String]
    /// `default` is the first server; the others are named by their description or host.
    var baseURLs: [String: String]

    enum CodingKeys: String, CodingKey {
        case format, title, endpoints, warnings, variables
        case secretVariables = "secret_variables"
        case baseURLs = "base_urls"
    }
}

struct ImportedEndpoint: Codable, Sendable, Equatable {
    /// Stable identity across re-imports: the upper-case method and the path with every
    /// template segment written `{param}`, so renaming a parameter keeps the endpoint.
    var key: String
    var method: String
    var path: String
    var summary: String?
    var tags: [String]
    /// An array of `{name, in, required, schema}`.
    var parameters: JSONValue
    /// `{content_type, schema, example}`.
    var requestBody: JSONValue?
    /// Status (or `default`) → `{description, content_type, schema}`, local `$ref`s resolved.
    var responses: JSONValue
    var deprecated: Bool
    var operationID: String?
    var starterCase: TestCaseDefinition

    enum CodingKeys: String, CodingKey {
        case key, method, path, summary, tags, parameters, responses, deprecated
        case requestBody = "request_body"
        case operationID = "operation_id"
        case starterCase = "starter_case"
    }
}

/// A defect that did not stop the import. `location` is a JSON pointer, or `line N` for text formats.
struct ImportWarning: Codable, Sendable, Equatable {
    var location: String
    var message: String
}

/// Bounds that keep a hostile document from exhausting memory or the stack.
enum ImportLimits {
    static let maxOperations = 5_000
    static let maxDepth = 64
    /// Scalars and containers in a parsed document, counted after YAML aliases are expanded.
    static let maxNodes = 500_000
}

extension APIError {
    /// The content is not a document of its format; `pointer` names where, as a JSON pointer.
    static func importRefused(pointer: String, _ message: String) -> APIError {
        .init(
            .unprocessableContent, code: "validation_failed", message: "content\(pointer): \(message)",
            details: ["field": "content", "pointer": pointer])
    }

    /// The content is not valid JSON or YAML; `line` counts from 1.
    static func importSyntax(line: Int, _ message: String) -> APIError {
        .init(
            .unprocessableContent, code: "validation_failed", message: "content: line \(line): \(message)",
            details: ["field": "content", "line": String(line)])
    }
}
