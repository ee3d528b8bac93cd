import Foundation
import NIOHTTP1
import Testing
@testable import AIAgentBackend

@Suite struct ResponseChecksTests {
    static let body = #"{"id": 42, "name": "Widget", "price": 9.5, "tags": ["a", "b"], "owner": {"email": "x@y.z"}, "none": null, "ok": true}"#
    static let response = ResponseView(
        status: 201,
        headers: ["Content-Type": "application/json", "Set-Cookie": "sid=abc123; Path=/", "set-cookie": "theme=dark", "X-Rate": "10"],
        body: body, parseJSON: true, totalMs: 12)
    static let scope = VariableScope(values: ["expectedName": "Widget", "id": 42])

    static func assertion(_ json: String) throws -> Assertion {
        try JSONDecoder().decode(Assertion.self, from: Data(json.utf8))
    }

    static func passes(_ json: String, schemas: SchemaSource = .none) throws -> Bool {
        let assertion = try assertion(json)
        try assertion.validate(field: "a")
        return ResponseChecks.evaluate(assertion, on: response, scope: scope, schemas: schemas).passed
    }

    /// Each pair holds an assertion that passes on `response` and a close one that fails.
    @Test(arguments: [
        (#"{"type": "status", "equals": 201}"#, #"{"type": "status", "equals": 200}"#),
        (#"{"type": "status", "in": [200, 201]}"#, #"{"type": "status", "in": [200, 204]}"#),
        (#"{"type": "status", "class": "2xx"}"#, #"{"type": "status", "class": "4xx"}"#),
        (#"{"type": "header", "name": "x-rate", "op": "exists"}"#, #"{"type": "header", "name": "x-missing", "op": "exists"}"#),
        (
            #"{"type": "header", "name": "Content-Type", "op": "eq", "value": "application/json"}"#,
            #"{"type": "header", "name": "Content-Type", "op": "eq", "value": "text/plain"}"#
        ),
        (
            #"{"type": "header", "name": "content-type", "op": "matches", "value": "^application/"}"#,
            #"{"type": "header", "name": "content-type", "op": "matches", "value": "^text/"}"#
        ),
        (
            #"{"type": "json", "path": "$.name", "op": "eq", "value": "{{expectedName}}"}"#,
            #"{"type": "json", "path": "$.name", "op": "eq", "value": "Gadget"}"#
        ),
        (#"{"type": "json", "path": "$.id", "op": "eq", "value": "{{id}}"}"#, #"{"type": "json", "path": "$.id", "op": "eq", "value": "42"}"#),
        (#"{"type": "json", "path": "$.id", "op": "ne", "value": 41}"#, #"{"type": "json", "path": "$.id", "op": "ne", "value": 42}"#),
        (#"{"type": "json", "path": "$.price", "op": "gt", "value": 9}"#, #"{"type": "json", "path": "$.price", "op": "gt", "value": 9.5}"#),
        (#"{"type": "json", "path": "$.price", "op": "gte", "value": 9.5}"#, #"{"type": "json", "path": "$.price", "op": "gte", "value": 10}"#),
        (#"{"type": "json", "path": "$.price", "op": "lt", "value": 10}"#, #"{"type": "json", "path": "$.price", "op": "lt", "value": 9.5}"#),
        (#"{"type": "json", "path": "$.price", "op": "lte", "value": 9.5}"#, #"{"type": "json", "path": "$.price", "op": "lte", "value": 9}"#),
        (
            #"{"type": "json", "path": "$.tags", "op": "contains", "value": "b"}"#,
            #"{"type": "json", "path": "$.tags", "op": "contains", "value": "c"}"#
        ),
        (
            #"{"type": "json", "path": "$.name", "op": "contains", "value": "idg"}"#,
            #"{"type": "json", "path": "$.name", "op": "contains", "value": "xyz"}"#
        ),
        (
            #"{"type": "json", "path": "$.tags", "op": "not_contains", "value": "c"}"#,
            #"{"type": "json", "path": "$.tags", "op": "not_contains", "value": "a"}"#
        ),
        (#"{"type": "json", "path": "$.id", "op": "in", "value": [1, 42]}"#, #"{"type": "json", "path": "$.id", "op": "in", "value": [1, 2]}"#),
        (
            #"{"type": "json", "path": "$.owner.email", "op": "matches", "value": "^[^@]+@"}"#,
            #"{"type": "json", "path": "$.owner.email", "op": "matches", "value": "^\\d+$"}"#
        ),
        (#"{"type": "json", "path": "$.none", "op": "exists"}"#, #"{"type": "json", "path": "$.absent", "op": "exists"}"#),
        (#"{"type": "json", "path": "$.absent", "op": "not_exists"}"#, #"{"type": "json", "path": "$.id", "op": "not_exists"}"#),
        (
            #"{"type": "json", "path": "$.tags", "op": "type", "value": "array"}"#,
            #"{"type": "json", "path": "$.tags", "op": "type", "value": "object"}"#
        ),
        (
            #"{"type": "json", "path": "$.id", "op": "type", "value": "integer"}"#,
            #"{"type": "json", "path": "$.price", "op": "type", "value": "integer"}"#
        ),
        (#"{"type": "json", "path": "$.tags", "op": "length", "value": 2}"#, #"{"type": "json", "path": "$.name", "op": "length", "value": 2}"#),
        (
            #"{"type": "json", "path": "$.tags[*]", "op": "eq", "value": ["a", "b"]}"#,
            #"{"type": "json", "path": "$.tags[*]", "op": "eq", "value": "a"}"#
        ),
        (#"{"type": "body", "op": "contains", "value": "Widget"}"#, #"{"type": "body", "op": "contains", "value": "Gadget"}"#),
        (#"{"type": "body", "op": "matches", "value": "\"id\":\\s*\\d+"}"#, #"{"type": "body", "op": "matches", "value": "\"id\":\\s*\"x"}"#),
        (#"{"type": "response_time", "lt_ms": 100}"#, #"{"type": "response_time", "lt_ms": 5}"#),
        (
            #"{"type": "schema", "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 1}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1}, "none": {"type": "string", "nullable": true}, "ok": {"const": true}, "owner": {"allOf": [{"type": "object"}, {"properties": {"email": {"type": "string", "format": "email"}}}]}}}}"#,
            #"{"type": "schema", "schema": {"type": "object", "properties": {"id": {"enum": [1, 2, 3]}}}}"#
        ),
    ])
    func passingAndFailing(_ passing: String, _ failing: String) throws {
        #expect(try Self.passes(passing), "\(passing)")
        #expect(try !Self.passes(failing), "\(failing)")
    }

    @Test func schemaFromTheLinkedEndpointWithReferences() throws {
        let schemas = SchemaSource(
            endpointResponseSchema: { status in status == 201 ? ["$ref": "#/components/schemas/Item"] : nil },
            components: ["Item": ["type": "object", "required": ["id", "name"], "properties": ["name": ["type": "string", "maxLength": 3]]]])
        let result = ResponseChecks.evaluate(try Self.assertion(#"{"type": "schema"}"#), on: Self.response, scope: Self.scope, schemas: schemas)
        #expect(!result.passed)
        #expect(result.actual == "$.name: longer than 3")
        #expect(try !Self.passes(#"{"type": "schema"}"#), "no schema at all is a failure")
    }

    @Test func resultsDescribeTheAssertion() throws {
        let result = ResponseChecks.evaluate(
            try Self.assertion(#"{"type": "json", "path": "$.id", "op": "gt", "value": 50, "soft": true}"#), on: Self.response, scope: Self.scope,
            schemas: .none)
        #expect(result == AssertionResult(type: .json, description: "json $.id gt 50", expected: "50", actual: "42", passed: false, soft: true))
        let unknown = ResponseChecks.evaluate(
            try Self.assertion(#"{"type": "json", "path": "$.id", "op": "eq", "value": "{{nobody}}"}"#), on: Self.response, scope: Self.scope,
            schemas: .none)
        #expect(!unknown.passed && unknown.actual == "unknown variable 'nobody'")
    }

    @Test func extractionFromEverySource() throws {
        func extract(_ json: String) throws -> JSONValue? {
            try ResponseChecks.extract(JSONDecoder().decode(Extraction.self, from: Data(json.utf8)), from: Self.response)
        }
        #expect(try extract(#"{"var": "v", "from": "json", "path": "$.id"}"#) == 42)
        #expect(try extract(#"{"var": "v", "from": "json", "path": "$.tags[*]"}"#) == ["a", "b"])
        #expect(try extract(#"{"var": "v", "from": "json", "path": "$.owner.email", "regex": "@(.+)$"}"#) == "y.z")
        #expect(try extract(#"{"var": "v", "from": "json", "path": "$.absent"}"#) == nil)
        #expect(try extract(#"{"var": "v", "from": "header", "name": "x-rate"}"#) == "10")
        #expect(try extract(#"{"var": "v", "from": "header", "name": "Set-Cookie", "regex": "theme=(\\w+)"}"#) == "dark")
        #expect(try extract(#"{"var": "v", "from": "cookie", "name": "sid"}"#) == "abc123")
        #expect(try extract(#"{"var": "v", "from": "cookie", "name": "nope"}"#) == nil)
        #expect(try extract(#"{"var": "v", "from": "status"}"#) == 201)
        #expect(try extract(#"{"var": "v", "from": "body", "regex": "\"name\": \"(\\w+)\""}"#) == "Widget")
        #expect(try extract(#"{"var": "v", "from": "body"}"#) == .string(Self.body))
    }
}
