import Foundation
import Testing

@testable import AIAgentBackend

/// The evidence is written by hand (`StepResult.jsonValue`, `JSONValue.jsonString`) for speed:
/// it must stay the document `JSONEncoder` writes and `JSONDecoder` reads back.
@Suite struct StepResultEncodingTests {
    static let full = StepResult(
        name: "GET /items/1", kind: .request,
        request: SentRequest(
            method: "POST", url: "http://127.0.0.1/items?q=a%20b", headers: [HeaderField(name: "Authorization", value: "***")],
            body: "{\"a\":\"\\u0001\"}"),
        response: ReceivedResponse(
            status: 201, headers: [HeaderField(name: "Set-Cookie", value: "a=1"), HeaderField(name: "Set-Cookie", value: "b=2")],
            body: "line 1\nline 2\t\"quoted\" \\ / \u{1F600} 中文 \u{7}", truncated: true, size: 123_456),
        timings: Timings(ttfbMs: 0.125, totalMs: 7.5),
        assertions: [
            AssertionResult(type: .status, description: "status in [200, 201]", expected: "200", actual: "201", passed: true, soft: false),
            AssertionResult(type: .json, description: "json $.id exists", expected: nil, actual: nil, passed: false, soft: true),
        ],
        extracted: ["id": 42, "ratio": 0.5, "name": "x", "nested": ["a": [true, nil]]], error: StepError(kind: .timeout, message: "late"),
        curl: "curl -X POST 'http://127.0.0.1/items'", passed: false, durationMs: 8.25)

    static let minimal = StepResult(name: "wait", kind: .wait, assertions: [], extracted: [:], passed: true)

    @Test(arguments: [full, minimal])
    func stepsAreWrittenAsJSONEncoderWritesThem(step: StepResult) throws {
        let byHand = JSONValue.array([step.jsonValue]).jsonString
        #expect(try JSONValue(parsing: byHand) == JSONValue(parsing: JSONColumn.encode([step])))
        #expect(try JSONColumn.decode(byHand, as: [StepResult].self) == [step])
    }

    @Test func timingsAreWrittenAsJSONEncoderWritesThem() throws {
        let timings = [StepTiming(endpoint: "GET /items/{{id}}", ms: 1.5), StepTiming(endpoint: "POST /", ms: 3)]
        let byHand = JSONValue.array(timings.map(\.jsonValue)).jsonString
        #expect(try JSONValue(parsing: byHand) == JSONValue(parsing: JSONColumn.encode(timings)))
        #expect(try JSONColumn.decode(byHand, as: [StepTiming].self) == timings)
    }
}
