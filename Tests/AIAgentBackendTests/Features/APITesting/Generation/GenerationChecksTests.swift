import Foundation
import Testing
@testable import AIAgentBackend

/// The fixed oracles and the bookkeeping around the model: OpenAPI checks, duplicates, the split, the language.
@Suite struct GenerationChecksTests {
    private func shape() throws -> OperationShape {
        let endpoint = APIEndpoint()
        endpoint.id = UUID()
        endpoint.method = .POST
        endpoint.path = "/pets/{owner}/pets"
        endpoint.operationKey = "POST /pets/{owner}/pets"
        endpoint.parametersJSON = #"[{"name":"owner","in":"path","required":true},{"name":"dry_run","in":"query","required":true}]"#
        endpoint.requestBodyJSON =
            #"{"content_type":"application/json","schema":{"type":"object","required":["name"],"properties":{"name":{"type":"string","minLength":1},"tags":{"type":"array","items":{"type":"object","properties":{"label":{"type":"string"}}}}}}}"#
        return try OperationShape(endpoint)
    }

    private func definition(url: String = "{{base_url}}/pets/7/pets?x=1", query: [String: String]? = ["dry_run": "1"], body: JSONValue?)
        -> TestCaseDefinition
    {
        TestCaseDefinition(
            variables: nil, data: nil,
            steps: [
                TestStep(
                    name: "create",
                    request: StepRequest(method: "post", url: url, query: query, body: body.map { RequestBody(type: .json, json: $0) }),
                    assertions: [Assertion(type: .status, equals: 201)])
            ])
    }

    @Test func casesAreCheckedAgainstTheOperation() throws {
        let shape = try shape()
        #expect(shape.fieldNames == ["owner", "dry_run", "name", "tags", "label"])
        #expect(shape.problems(of: definition(body: ["name": "Rex"]), kind: .positive).isEmpty)
        #expect(shape.problems(of: definition(url: "https://api.example.com/pets/7/pets", body: ["name": "Rex"]), kind: .positive).isEmpty)
        #expect(
            shape.problems(of: definition(url: "{{base_url}}/pets/7", body: ["name": "Rex"]), kind: .positive) == [
                "no step calls POST /pets/{owner}/pets"
            ])
        #expect(shape.problems(of: definition(body: ["name": ""]), kind: .positive).first?.contains("does not match the request schema") == true)
        let noBody: JSONValue? = nil
        let withoutBody = shape.problems(of: definition(body: noBody), kind: .positive)
        #expect(withoutBody.first?.contains("sends none") == true, "\(withoutBody)")
        #expect(shape.problems(of: definition(query: [:], body: ["name": "Rex"]), kind: .positive).first?.contains("'dry_run' is missing") == true)
        #expect(
            shape.problems(of: definition(query: ["dry_run": "1", "debug": "1"], body: ["name": "Rex"]), kind: .positive).first?.contains("'debug'")
                == true)
        // A negative case's body must break the schema; one that matches it tests nothing.
        #expect(shape.problems(of: definition(body: ["tags": []]), kind: .negative).isEmpty)
        #expect(shape.problems(of: definition(body: noBody), kind: .negative).isEmpty)
        #expect(shape.problems(of: definition(body: ["name": "Rex"]), kind: .negative).first?.contains("must break") == true)
        #expect(shape.problems(of: definition(query: ["sql": "' OR 1=1"], body: ["name": "Rex", "is_admin": true]), kind: .security).isEmpty)
    }

    @Test func duplicatesAreTheSameRequestsAndAssertions() {
        let first = definition(body: ["name": "Rex", "age": 1])
        var renamed = first
        renamed.steps[0].name = "another name"
        #expect(first.duplicateKey == renamed.duplicateKey)
        var reordered = first
        reordered.steps[0].request?.body?.json = ["age": 1, "name": "Rex"]
        #expect(first.duplicateKey == reordered.duplicateKey)
        var different = first
        different.steps[0].assertions = [Assertion(type: .status, equals: 200)]
        #expect(first.duplicateKey != different.duplicateKey)
    }

    @Test func theSelectionKeepsTheCountAndTheSplit() {
        #expect(DraftSelection.apportion(10, PrioritySplit(high: 30, medium: 50, low: 20)) == [.high: 3, .medium: 5, .low: 2])
        #expect(DraftSelection.apportion(3, PrioritySplit(high: 33, medium: 33, low: 34)) == [.high: 1, .medium: 1, .low: 1])
        #expect(DraftSelection.apportion(7, .standard).values.reduce(0, +) == 7)
        let candidates = (1...6).map { DraftSelection.Candidate(ref: "C\($0)", kind: $0 <= 4 ? .positive : .negative, priority: .high) }
        let kept = DraftSelection.select(candidates, count: 4, split: PrioritySplit(high: 50, medium: 50, low: 0))
        #expect(kept.count == 4)
        #expect(kept.filter { $0.priority == .high }.count == 2 && kept.filter { $0.priority == .medium }.count == 2)
        // Kinds are taken in turn: both negative cases are kept although the positives came first.
        #expect(kept.filter { $0.kind == .negative }.count == 2)
        #expect(kept.map(\.ref) == kept.map(\.ref).sorted())
        #expect(DraftSelection.select(candidates, count: 10, split: .standard).count == 6)
    }

    @Test func theOutputLanguageFollowsTheRequirement() {
        #expect(GenerationModel.language(of: "用户可以使用用户名和密码登录，密码错误时返回 401。") == "zh")
        #expect(GenerationModel.language(of: "Users sign in with a username and a password.") == "en")
        #expect(GenerationModel.language(of: nil) == "en")
    }

    @Test func everyPromptTemplateIsShippedAndFilled() {
        let prompts = Prompts.bundled
        #expect(prompts.version == "v1")
        let rendered = prompts.render("design", ["count": "3", "kinds": "positive", "test_points": "[]", "operations": "ops", "environment": "env"])
        #expect(!rendered.contains("<<") && rendered.contains("{{base_url}}/pets"))
        #expect(prompts.render("system", ["language": "English"]).contains("English"))
    }
}
