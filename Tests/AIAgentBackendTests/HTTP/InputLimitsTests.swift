import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Every string the API accepts is bounded, and checked before any work is done.
@Suite struct InputLimitsTests {
    struct Sample: Decodable, LongTextInput {
        struct Outer: Decodable { let inner: String? }
        struct Counted: Decodable { let b: Int? }
        let name: String?
        let systemPrompt: String?
        let tools: [String]?
        let outer: Outer?
        let a: Counted?
        let c: String?
        let extra: JSONValue?
        static let maxLengths = ["system_prompt": 1_000]

        enum CodingKeys: String, CodingKey {
            case name, tools, outer, a, c, extra
            case systemPrompt = "system_prompt"
        }
    }

    static func check(_ json: String, _ shape: RequestShape = .of(Sample.self)) -> APIError? {
        do throws(APIError) {
            try InputLimits.check(Array(json.utf8), against: shape)
            return nil
        } catch {
            return error
        }
    }

    @Test func declaredStringsAreBoundedByTheirSchema() {
        let long = String(repeating: "x", count: 256)
        #expect(Self.check(#"{"name":"\#(long)"}"#)?.details?["field"] == "name")
        #expect(Self.check(#"{"name":"\#(long.dropLast())"}"#) == nil)
        #expect(Self.check(#"{"system_prompt":"\#(long)"}"#) == nil)
        #expect(Self.check(#"{"system_prompt":"\#(String(repeating: "x", count: 1_001))"}"#)?.details?["field"] == "system_prompt")
        #expect(Self.check(#"{"tools":["a","\#(long)"]}"#)?.details?["field"] == "tools", "an array's strings take its key")
        #expect(Self.check(#"{"outer":{"inner":"\#(long)"}}"#)?.details?["field"] == "inner")
        #expect(Self.check(#"{"a":{"b":1},"c":"\#(long)"}"#)?.details?["field"] == "c", "keys are tracked past nested objects")
        #expect(Self.check(#"{"\#(long)":1}"#) != nil, "keys are bounded too")
    }

    @Test func fieldsOutsideTheSchemaAreRefusedAtAnyLevel() {
        #expect(Self.check(#"{"nmae":"x"}"#)?.details?["field"] == "nmae")
        #expect(Self.check(#"{"outer":{"inner":"x","other":1}}"#)?.details?["field"] == "other")
        #expect(Self.check(#"{"extra":{"anything":{"goes":[1,"here"]}}}"#) == nil, "free-form JSON has no fields to keep to")
    }

    @Test func freeFormJSONHasOneBoundAndMayHoldNUL() {
        let long = String(repeating: "x", count: 5_000)
        #expect(Self.check(#"{"extra":{"deep":["\#(long)"]}}"#) == nil)
        #expect(Self.check(#"{"extra":"abc\u0000def"}"#) == nil, "stored encoded, where a NUL is harmless")
        let tooLong = String(repeating: "x", count: InputLimits.freeFormMaxLength + 1)
        #expect(Self.check(#"{"extra":{"k":"\#(tooLong)"}}"#)?.details?["field"] == "k")
    }

    @Test func charactersNotBytesAreCounted() {
        let chinese = String(repeating: "测", count: 255)
        #expect(Self.check(#"{"name":"\#(chinese)"}"#) == nil, "255 characters of 3 bytes each")
        #expect(Self.check(#"{"name":"\#(chinese)测"}"#) != nil)
        let escaped = String(repeating: #"\n"#, count: 255)
        #expect(Self.check(#"{"name":"\#(escaped)"}"#) == nil, "an escape is one character")
        #expect(Self.check(#"{"name":"a\"b\\","c":"c"}"#) == nil, "escaped quotes do not end the string")
    }

    @Test func nulCharactersAreRefusedInDeclaredStrings() {
        #expect(Self.check(#"{"name":"abc\u0000def"}"#)?.message.contains("NUL") == true)
        #expect(Self.check(#"{"name":"abc\u0001def"}"#) == nil)
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(Self.check(deep, RequestShape(root: .anyJSON, components: [:]))?.message.contains("nests deeper") == true)
        let fine = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(Self.check(fine, RequestShape(root: .anyJSON, components: [:])) == nil)
    }

    /// Unauthenticated memory exhaustion: an 8 MiB username is refused before the throttle
    /// or bcrypt see it, and a NUL in a setting is refused rather than cut.
    @Test(arguments: DatabaseKind.allCases)
    func oversizedAndNulInputAreRefusedOverHTTP(kind: DatabaseKind) async throws {
        var settings = try await TestDatabases.settings(kind)
        settings.maxBodySize = 16 << 20
        try await withServices(settings) { services, client in
            let huge = String(repeating: "u", count: 8 << 20)
            for _ in 0..<3 {
                try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"\#(huge)","password":"x"}"#) { response in
                    #expect(response.status == .unprocessableContent)
                    let error = try response.errorBody().error
                    #expect(error.details?["field"] == "username")
                }
            }
            let token = try await client.login().accessToken
            try await client.call(.get, "/api/v1/users?username=\(String(repeating: "q", count: 3000))", token: token) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.call(.put, "/api/v1/system/settings/site.name", token: token, json: #"{"value":"ab\u0000cd"}"#) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.details?["field"] == "value")
            }
            let prompt = String(repeating: "p", count: 32_001)
            try await client.call(.post, "/api/v1/agents", token: token, json: #"{"name":"a","system_prompt":"\#(prompt)"}"#) { response in
                #expect(response.status == .unprocessableContent)
                let error = try response.errorBody().error
                #expect(error.details?["field"] == "system_prompt")
            }
            try await client.call(
                .post, "/api/v1/roles", token: token, json: #"{"code":"r1","name":"R","description":"\#(String(repeating: "d", count: 501))"}"#
            ) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.call(
                .put, "/api/v1/system/settings/site.name", token: token,
                json: #"{"value":"v","description":"\#(String(repeating: "d", count: 501))"}"#
            ) {
                #expect($0.status == .unprocessableContent)
            }
        }
    }
}
