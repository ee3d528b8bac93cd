import Foundation
import NIOHTTP1

/// A response as assertions and extractions read it; the body is parsed as JSON at most once.
struct ResponseView: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String
    /// Nil when the body is not JSON (or was not needed).
    let json: JSONValue?
    let totalMs: Double

    init(status: Int, headers: HTTPHeaders, body: String, parseJSON: Bool, totalMs: Double) {
        self.status = status
        self.headers = headers
        self.body = body
        self.json = parseJSON ? try? JSONValue(parsing: body) : nil
        self.totalMs = totalMs
    }

    /// The values of every `Set-Cookie` named `name`.
    func cookie(_ name: String) -> String? {
        for header in headers[canonicalForm: "set-cookie"] {
            let pair = header.split(separator: ";", maxSplits: 1)[0]
            guard let equals = pair.firstIndex(of: "=") else { continue }
            if pair[..<equals].trimmingCharacters(in: .whitespaces) == name {
                return pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

/// Where a schema assertion finds its schema, besides an inline one.
struct SchemaSource: Sendable {
    /// The linked endpoint's response schema for a status, if any.
    var endpointResponseSchema: @Sendable (Int) -> JSONValue?
    /// What `$ref: #/components/schemas/NAME` points into.
    var components: [String: JSONValue]

    static let none = SchemaSource(endpointResponseSchema: { _ in nil }, components: [:])

    /// The response schemas `endpoint` documents, by status, with `2XX` and `default` as fallbacks.
    static func responses(of endpoint: APIEndpoint) -> SchemaSource {
        guard let responses = (try? JSONColumn.decode(endpoint.responsesJSON, as: JSONValue.self)) ?? nil else { return .none }
        return SchemaSource(
            endpointResponseSchema: { status in
                let response = responses[String(status)] ?? responses["\(status / 100)XX"] ?? responses["default"]
                if let schema = response?["schema"] { return schema }
                guard case .object(let content) = response?["content"] ?? .null else { return nil }
                let media = content.keys.sorted().first { $0.contains("json") } ?? content.keys.sorted().first
                return media.flatMap { content[$0]?["schema"] }
            }, components: [:])
    }
}

enum ResponseChecks {
    /// Checks `assertion`; its `value` is a template, rendered in `scope`.
    static func evaluate(_ assertion: Assertion, on response: ResponseView, scope: VariableScope, schemas: SchemaSource) -> AssertionResult {
        var result = AssertionResult(
            type: assertion.type, description: describe(assertion), expected: nil, actual: nil, passed: false, soft: assertion.soft ?? false)
        do {
            let expected = try assertion.value.map { try Template.render($0, in: scope) }
            (result.expected, result.actual, result.passed) = try check(assertion, expected: expected, on: response, schemas: schemas)
        } catch let error as TemplateError {
            result.actual = error.description
        } catch {
            result.actual = "\(error)"
        }
        result.expected = result.expected.map(short)
        result.actual = result.actual.map(short)
        return result
    }

    private static func check(_ assertion: Assertion, expected: JSONValue?, on response: ResponseView, schemas: SchemaSource) throws -> (
        String?, String?, Bool
    ) {
        let status = String(response.status)
        switch assertion.type {
        case .status:
            if let equals = assertion.equals { return (String(equals), status, response.status == equals) }
            if let codes = assertion.in {
                return (JSONValue.array(codes).jsonString, status, codes.contains(.number(Double(response.status))))
            }
            let statusClass = assertion.class ?? ""
            return (statusClass, status, statusClass.first == status.first && status.count == 3)
        case .header:
            let values = response.headers[assertion.name ?? ""]
            let actual = values.isEmpty ? nil : values.joined(separator: ", ")
            let wanted = expected.map(Template.text(of:))
            switch assertion.op {
            case .eq: return (wanted, actual, values.contains { $0 == wanted })
            case .matches:
                let pattern = wanted ?? ""
                return (pattern, actual, try values.contains { try PatternCache.firstMatch(pattern, in: $0) != nil })
            default: return ("present", actual ?? "absent", actual != nil)
            }
        case .json:
            return try checkJSON(assertion, expected: expected, on: response)
        case .body:
            let wanted = expected.map(Template.text(of:)) ?? ""
            let found = assertion.op == .matches ? try PatternCache.firstMatch(wanted, in: response.body) != nil : response.body.contains(wanted)
            return (wanted, response.body, found)
        case .responseTime:
            let limit = assertion.ltMs ?? 0
            return ("< \(Template.text(of: .number(limit))) ms", "\(Int(response.totalMs.rounded())) ms", response.totalMs < limit)
        case .schema:
            return try checkSchema(assertion, on: response, schemas: schemas)
        }
    }

    private static func checkJSON(_ assertion: Assertion, expected: JSONValue?, on response: ResponseView) throws -> (String?, String?, Bool) {
        guard let json = response.json else { return (expected?.jsonString, "the body is not JSON", false) }
        let path = try JSONPath.cached(assertion.path ?? "$")
        let matches = path.matches(in: json)
        // A definite path names one value; any other gives the list of what it selected.
        let actual: JSONValue? = path.isDefinite ? matches.first : (matches.isEmpty ? nil : .array(matches))
        let actualText = actual?.jsonString ?? "no match"
        let wantedText = expected?.jsonString
        guard let op = assertion.op else { return (wantedText, actualText, false) }
        switch op {
        case .exists: return ("exists", actualText, actual != nil)
        case .notExists: return ("does not exist", actualText, actual == nil)
        default: break
        }
        guard let actual, let expected else { return (wantedText, actualText, false) }
        let passed: Bool
        switch op {
        case .eq: passed = actual == expected
        case .ne: passed = actual != expected
        case .gt: passed = JSONComparison.order(actual, expected) == .orderedDescending
        case .gte: passed = [.orderedDescending, .orderedSame].contains(JSONComparison.order(actual, expected))
        case .lt: passed = JSONComparison.order(actual, expected) == .orderedAscending
        case .lte: passed = [.orderedAscending, .orderedSame].contains(JSONComparison.order(actual, expected))
        case .contains: passed = contains(actual, expected)
        case .notContains: passed = !contains(actual, expected)
        case .in:
            if case .array(let allowed) = expected { passed = allowed.contains(actual) } else { passed = false }
        case .matches:
            guard case .string(let text) = actual else { return (wantedText, actualText, false) }
            passed = try PatternCache.firstMatch(Template.text(of: expected), in: text) != nil
        case .type:
            return (
                Template.text(of: expected), typeName(actual),
                typeName(actual) == Template.text(of: expected) || (Template.text(of: expected) == "number" && typeName(actual) == "integer")
            )
        case .length:
            guard let count = length(actual) else { return (wantedText, "\(typeName(actual)) has no length", false) }
            return (wantedText, String(count), expected.numberValue == Double(count))
        case .exists, .notExists:
            passed = false
        }
        return (wantedText, actualText, passed)
    }

    private static func checkSchema(_ assertion: Assertion, on response: ResponseView, schemas: SchemaSource) throws -> (String?, String?, Bool) {
        guard let schemaJSON = assertion.schema ?? schemas.endpointResponseSchema(response.status) else {
            return ("a schema", "no schema for status \(response.status) (link an endpoint or give one inline)", false)
        }
        guard let json = response.json else { return ("matches the schema", "the body is not JSON", false) }
        let schema = try JSONSchema(json: schemaJSON)
        let components = try schemas.components.mapValues { try JSONSchema(json: $0) }
        let violation = SchemaValidator(components: components).violation(of: json, against: schema)
        return ("matches the schema", violation ?? "matches", violation == nil)
    }

    private static func contains(_ container: JSONValue, _ element: JSONValue) -> Bool {
        switch container {
        case .string(let text): text.contains(Template.text(of: element))
        case .array(let items): items.contains(element)
        case .object(let object): element.stringValue.map { object[$0] != nil } ?? false
        default: false
        }
    }

    private static func length(_ value: JSONValue) -> Int? {
        switch value {
        case .string(let text): text.count
        case .array(let items): items.count
        case .object(let object): object.count
        default: nil
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .string: "string"
        case .number(let number): number.rounded() == number ? "integer" : "number"
        case .bool: "boolean"
        case .null: "null"
        case .array: "array"
        case .object: "object"
        }
    }

    static func describe(_ assertion: Assertion) -> String {
        let value = assertion.value.map { " " + $0.jsonString } ?? ""
        let op = assertion.op?.rawValue ?? ""
        switch assertion.type {
        case .status:
            if let equals = assertion.equals { return "status equals \(equals)" }
            if let codes = assertion.in { return "status in \(JSONValue.array(codes).jsonString)" }
            return "status class \(assertion.class ?? "")"
        case .header: return "header \(assertion.name ?? "") \(op)\(value)"
        case .json: return "json \(assertion.path ?? "") \(op)\(value)"
        case .body: return "body \(op)\(value)"
        case .responseTime: return "response time < \(Template.text(of: .number(assertion.ltMs ?? 0))) ms"
        case .schema: return assertion.schema == nil ? "schema of the endpoint's response" : "schema (inline)"
        }
    }

    /// Evidence stays readable: long actual values (a body) are cut.
    private static func short(_ text: String) -> String {
        text.count > 500 ? String(text.prefix(500)) + "…" : text
    }

    /// The value `extraction` reads from `response`; nil when nothing matched.
    static func extract(_ extraction: Extraction, from response: ResponseView) throws -> JSONValue? {
        let found: JSONValue?
        switch extraction.from {
        case .json:
            guard let json = response.json else { return nil }
            let path = try JSONPath.cached(extraction.path ?? "$")
            let matches = path.matches(in: json)
            found = path.isDefinite ? matches.first : (matches.isEmpty ? nil : .array(matches))
        case .header:
            let values = response.headers[extraction.name ?? ""]
            if let regex = extraction.regex {
                return try values.lazy.compactMap { try PatternCache.firstMatch(regex, in: $0) }.first.map(JSONValue.string)
            }
            found = values.first.map(JSONValue.string)
        case .cookie: found = response.cookie(extraction.name ?? "").map(JSONValue.string)
        case .status: found = .number(Double(response.status))
        case .body: found = .string(response.body)
        }
        guard let regex = extraction.regex, let found else { return found }
        return try PatternCache.firstMatch(regex, in: Template.text(of: found)).map(JSONValue.string)
    }
}
