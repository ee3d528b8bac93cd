import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct TemplateTests {
    let scope = VariableScope(
        values: ["user": "alice", "count": 3, "ratio": 0.5, "flag": true, "list": [1, 2]],
        baseURLs: ["default": "http://api.test", "payments": "http://pay.test"])

    @Test func variablesAndBaseURLs() throws {
        #expect(try Template.render("{{base_url}}/u/{{user}}?n={{ count }}", in: scope) == "http://api.test/u/alice?n=3")
        #expect(try Template.render("{{base_url.payments}}/x", in: scope) == "http://pay.test/x")
        #expect(try Template.render("{{ratio}} {{flag}} {{list}}", in: scope) == "0.5 true [1,2]")
        #expect(try Template.render("no placeholders", in: scope) == "no placeholders")
    }

    @Test func wholeValuePlaceholdersKeepTheirJSONType() throws {
        let body: JSONValue = ["n": "{{count}}", "s": "n={{count}}", "f": "{{flag}}", "nested": ["{{list}}"], "r": "{{$randomInt(5,5)}}"]
        #expect(try Template.render(body, in: scope) == ["n": 3, "s": "n=3", "f": true, "nested": [[1, 2]], "r": 5])
    }

    @Test func builtIns() throws {
        let uuid = try Template.render("{{$uuid}}", in: scope)
        #expect(UUID(uuidString: uuid) != nil)
        #expect(try Template.render("{{$uuid}}", in: scope) != uuid)
        let timestamp = try #require(Double(try Template.render("{{$timestamp}}", in: scope)))
        #expect(abs(timestamp - Date().timeIntervalSince1970) < 60)
        #expect(ISO8601Timestamp.parse(try Template.render("{{$isoDate}}", in: scope)) != nil)
        for _ in 0..<20 {
            let number = try #require(Int(try Template.render("{{$randomInt(1,3)}}", in: scope)))
            #expect((1...3).contains(number))
        }
        let text = try Template.render("{{$randomString(8)}}", in: scope)
        #expect(text.count == 8 && text.allSatisfy { $0.isLetter || $0.isNumber })
    }

    @Test func unknownVariablesFailWithTheirName() {
        #expect(throws: TemplateError.self) { try Template.render("{{nobody}}", in: scope) }
        do {
            _ = try Template.render("x {{nobody}}", in: scope)
        } catch {
            #expect(error.description == "unknown variable 'nobody'")
        }
    }

    @Test func problemsFoundBeforeARun() {
        #expect(Template.problem(in: "{{a}} and {{$uuid}}") == nil)
        #expect(Template.problem(in: "{{a") == "has an unclosed '{{'")
        #expect(Template.problem(in: "{{ }}") == "has an empty '{{}}'")
        #expect(Template.problem(in: "{{$nope}}")?.contains("unknown built-in '$nope'") == true)
        #expect(Template.problem(in: "{{$randomInt(5,1)}}") != nil)
        #expect(Template.problem(in: "{{$randomString(0)}}") != nil)
    }
}
