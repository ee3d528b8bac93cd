import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct CaseValidationTests {
    static func definition(_ json: String) throws -> TestCaseDefinition {
        try JSONDecoder().decode(TestCaseDefinition.self, from: Data(json.utf8))
    }

    /// The field the 422 names, or nil when the case is valid.
    static func invalidField(_ json: String) throws -> String? {
        do {
            try definition(json).validate()
            return nil
        } catch let error as APIError {
            #expect(error.status == .unprocessableContent)
            return error.details?["field"]
        }
    }

    static func step(_ body: String) -> String { #"{"steps": [{"name": "s", "request": {"method": "GET", "url": "http://x"}}, "# + body + "]}" }

    @Test func theReadmeExampleIsValid() throws {
        try Self.definition(EngineFixtures.readmeExample).validate()
    }

    @Test(arguments: [
        (step(#"{"name": "s"}"#), "steps[1]"),
        (step(#"{"name": "s", "wait": {"ms": 1}, "set": {"a": 1}}"#), "steps[1]"),
        (step(#"{"name": "s", "wait": {"ms": -1}}"#), "steps[1].wait.ms"),
        (step(#"{"name": "s", "request": {"method": "FETCH", "url": "x"}}"#), "steps[1].request.method"),
        (step(#"{"name": "s", "request": {"method": "GET", "url": " "}}"#), "steps[1].request.url"),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "{{a"}}"#), "steps[1].request.url"),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "{{$nope}}"}}"#), "steps[1].request.url"),
        (step(#"{"name": "s", "request": {"method": "POST", "url": "x", "body": {"type": "json"}}}"#), "steps[1].request.body.json"),
        (
            step(
                #"{"name": "s", "request": {"method": "POST", "url": "x", "body": {"type": "multipart", "multipart": [{"name": "f", "content_base64": "!!"}]}}}"#
            ), "steps[1].request.body.multipart[0].content_base64"
        ),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x", "auth": {"type": "bearer"}}}"#), "steps[1].request.auth.token"),
        (
            step(
                #"{"name": "s", "request": {"method": "GET", "url": "x", "auth": {"type": "oauth2_client_credentials", "client_id": "c", "client_secret": "s"}}}"#
            ), "steps[1].request.auth.token_url"
        ),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "status"}]}"#), "steps[1].assert[0]"),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "status", "class": "6xx"}]}"#),
            "steps[1].assert[0].class"
        ),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "status", "in": [200, 700]}]}"#),
            "steps[1].assert[0].in"
        ),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "header", "name": "a", "op": "gt", "value": "1"}]}"#),
            "steps[1].assert[0].op"
        ),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "body", "op": "eq", "value": "1"}]}"#),
            "steps[1].assert[0].op"
        ),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "$.a", "op": "eq"}]}"#),
            "steps[1].assert[0].value"
        ),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "a.b", "op": "exists"}]}"#),
            "steps[1].assert[0].path"
        ),
        (
            step(
                #"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "$.a", "op": "matches", "value": "(["}]}"#
            ), "steps[1].assert[0].value"
        ),
        (
            step(
                #"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "$.a", "op": "type", "value": "float"}]}"#
            ), "steps[1].assert[0].value"
        ),
        (
            step(
                #"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "$.a", "op": "length", "value": -1}]}"#),
            "steps[1].assert[0].value"
        ),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "response_time"}]}"#), "steps[1].assert[0].lt_ms"),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "schema", "schema": "no"}]}"#),
            "steps[1].assert[0].schema"
        ),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "extract": [{"var": "t", "from": "json"}]}"#), "steps[1].extract[0].path"),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "extract": [{"var": "t", "from": "header"}]}"#), "steps[1].extract[0].name"),
        (
            step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "extract": [{"var": "t", "from": "body", "regex": "(["}]}"#),
            "steps[1].extract[0].regex"
        ),
        (step(#"{"name": "s", "request": {"method": "GET", "url": "x"}, "extract": [{"var": "$t", "from": "status"}]}"#), "steps[1].extract[0].var"),
        (step(#"{"name": "s", "wait": {"ms": 1}, "assert": [{"type": "status", "equals": 200}]}"#), "steps[1]"),
        (#"{"data": {"columns": ["a", "b"], "rows": [["x", "y"], ["z"]]}, "steps": [{"name": "s", "wait": {"ms": 1}}]}"#, "data.rows[1]"),
        (#"{"data": {"columns": [], "rows": []}, "steps": [{"name": "s", "wait": {"ms": 1}}]}"#, "data.columns"),
    ])
    func invalidCasesNameTheField(_ json: String, _ field: String) throws {
        #expect(try Self.invalidField(json) == field)
    }

    @Test func limits() throws {
        let wait = #"{"name": "s", "wait": {"ms": 0}}"#
        let steps = Array(repeating: wait, count: 101).joined(separator: ",")
        #expect(try Self.invalidField(#"{"steps": [\#(steps)]}"#) == "steps")
        let rows = Array(repeating: #"["x"]"#, count: 1001).joined(separator: ",")
        #expect(try Self.invalidField(#"{"data": {"columns": ["a"], "rows": [\#(rows)]}, "steps": [\#(wait)]}"#) == "data.rows")
    }

    @Test func everyOperatorItsTypeTakesIsAccepted() throws {
        for op in Assertion.Operator.allCases {
            let value = op == .type ? #""string""# : op == .length ? "1" : op == .in ? "[1]" : #""a""#
            let json = Self.step(
                #"{"name": "s", "request": {"method": "GET", "url": "x"}, "assert": [{"type": "json", "path": "$.a", "op": "\#(op.rawValue)", "value": \#(value)}]}"#
            )
            #expect(try Self.invalidField(json) == nil, "\(op)")
        }
    }
}
