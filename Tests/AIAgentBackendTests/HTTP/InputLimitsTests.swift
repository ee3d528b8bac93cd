import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Every string the API accepts is bounded, and checked before any work is done.
@Suite struct InputLimitsTests {
    static func check(_ json: String, _ limits: [String: Int] = [:]) -> APIError? {
        do {
            try InputLimits.check(Array(json.utf8), maxLengths: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func stringsAreBoundedByTheirKey() {
        let long = String(repeating: "x", count: 256)
        #expect(Self.check(#"{"name":"\#(long)"}"#)?.details?["field"] == "name")
        #expect(Self.check(#"{"name":"\#(long.dropLast())"}"#) == nil)
        #expect(Self.check(#"{"system_prompt":"\#(long)"}"#, ["system_prompt": 1000]) == nil)
        #expect(Self.check(#"{"tools":["a","\#(long)"]}"#)?.details?["field"] == "tools", "an array's strings take its key")
        #expect(Self.check(#"{"outer":{"inner":"\#(long)"}}"#)?.details?["field"] == "inner")
        #expect(Self.check(#"{"a":{"b":1},"c":"\#(long)"}"#)?.details?["field"] == "c", "keys are tracked past nested objects")
        #expect(Self.check(#"{"\#(long)":1}"#) != nil, "keys are bounded too")
        #expect(Self.check(#""\#(long)""#)?.details?["field"] == "body")
    }

    @Test func charactersNotBytesAreCounted() {
        let chinese = String(repeating: "测", count: 255)
        #expect(Self.check(#"{"name":"\#(chinese)"}"#) == nil, "255 characters of 3 bytes each")
        #expect(Self.check(#"{"name":"\#(chinese)测"}"#) != nil)
        let escaped = String(repeating: #"\n"#, count: 255)
        #expect(Self.check(#"{"name":"\#(escaped)"}"#) == nil, "an escape is one character")
        #expect(Self.check(#"{"name":"a\"b\\","next":"c"}"#) == nil, "escaped quotes do not end the string")
    }

    @Test func nulCharactersAreRefused() {
        #expect(Self.check(#"{"value":"abc\u0000def"}"#)?.message.contains("NUL") == true)
        #expect(Self.check(#"{"value":"abc\u0001def"}"#) == nil)
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(Self.check(deep)?.message.contains("nests deeper") == true)
        let fine = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(Self.check(fine) == nil)
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
