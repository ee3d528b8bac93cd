import Foundation

/// The evidence of one step, redacted before it leaves the engine: what was sent, what came
/// back, how long it took, what was checked and extracted, and how to reproduce it.
struct StepResult: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable { case request, wait, set }

    var name: String
    var kind: Kind
    var request: SentRequest?
    var response: ReceivedResponse?
    var timings: Timings?
    var assertions: [AssertionResult]
    var extracted: [String: JSONValue]
    var error: StepError?
    var curl: String?
    var passed: Bool
    /// The whole step, from its start (templating, building the request) to the end of its
    /// checks, extractions and redaction; `timings.total_ms` is the HTTP exchange alone.
    var durationMs: Double = 0

    enum CodingKeys: String, CodingKey {
        case name, kind, request, response, timings, assertions, extracted, error, curl, passed
        case durationMs = "duration_ms"
    }
}

struct SentRequest: Codable, Sendable, Equatable {
    var method: String
    var url: String
    var headers: [HeaderField]
    var body: String?
}

struct ReceivedResponse: Codable, Sendable, Equatable {
    var status: Int
    var headers: [HeaderField]
    /// Cut at `TESTING_MAX_BODY_BYTES`; `truncated` says so.
    var body: String
    var truncated: Bool
    /// Bytes received (the `Content-Length` when the body was cut and the server gave one).
    var size: Int
}

/// Headers as a list: a response may repeat one (`Set-Cookie`).
struct HeaderField: Codable, Sendable, Equatable {
    var name: String
    var value: String
}

struct Timings: Codable, Sendable, Equatable {
    /// Until the response head arrived.
    var ttfbMs: Double
    var totalMs: Double

    enum CodingKeys: String, CodingKey {
        case ttfbMs = "ttfb_ms"
        case totalMs = "total_ms"
    }
}

struct AssertionResult: Codable, Sendable, Equatable {
    var type: Assertion.Kind
    /// Names the assertion: `status in [200, 201]`, `json $.id exists`...
    var description: String
    var expected: String?
    var actual: String?
    var passed: Bool
    var soft: Bool
}

/// Why a step could not complete; the message is meant for the person reading the run.
struct StepError: Codable, Sendable, Equatable, Error {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case connectionRefused = "connection_refused"
        case dns, tls, timeout
        case egressRefused = "egress_refused"
        case template
        case invalidRequest = "invalid_request"
        case extraction, auth, cancelled, network
    }
    var kind: Kind
    var message: String
}

/// One iteration of a case: one data row, or the case once without data.
struct CaseResult: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable, CaseIterable { case passed, failed, error, cancelled }
    var name: String
    var status: Status
    var steps: [StepResult]
    var durationMs: Double

    enum CodingKeys: String, CodingKey {
        case name, status, steps
        case durationMs = "duration_ms"
    }
}

/// The evidence as JSON, the same document `JSONEncoder` writes (nil fields left out), built
/// by hand: every step of every run is stored this way, and `JSONEncoder` cost as much as the
/// request itself. `StepResultEncodingTests` holds the two equal.
extension StepResult {
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "kind": .string(kind.rawValue), "assertions": .array(assertions.map(\.jsonValue)),
            "extracted": .object(extracted), "passed": .bool(passed), "duration_ms": .number(durationMs),
        ]
        object["request"] = request?.jsonValue
        object["response"] = response?.jsonValue
        object["timings"] = timings.map { ["ttfb_ms": .number($0.ttfbMs), "total_ms": .number($0.totalMs)] }
        object["error"] = error.map { ["kind": .string($0.kind.rawValue), "message": .string($0.message)] }
        object["curl"] = curl.map(JSONValue.string)
        return .object(object)
    }
}

extension SentRequest {
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["method": .string(method), "url": .string(url), "headers": .array(headers.map(\.jsonValue))]
        object["body"] = body.map(JSONValue.string)
        return .object(object)
    }
}

extension ReceivedResponse {
    var jsonValue: JSONValue {
        [
            "status": .number(Double(status)), "headers": .array(headers.map(\.jsonValue)), "body": .string(body),
            "truncated": .bool(truncated), "size": .number(Double(size)),
        ]
    }
}

extension HeaderField {
    var jsonValue: JSONValue { ["name": .string(name), "value": .string(value)] }
}

extension AssertionResult {
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "type": .string(type.rawValue), "description": .string(description), "passed": .bool(passed), "soft": .bool(soft),
        ]
        object["expected"] = expected.map(JSONValue.string)
        object["actual"] = actual.map(JSONValue.string)
        return .object(object)
    }
}
