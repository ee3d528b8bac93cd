import Foundation
import Testing

@testable import AIAgentBackend

/// `JSONValue` reads and writes JSON by hand, for speed: it must agree with `JSONDecoder` and
/// `JSONEncoder` on every document, and refuse what is not JSON.
@Suite struct JSONValueTests {
    static let documents = [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#, "[]", "{}", "  [ 1 , 2 ]  ", #""plain""#, "0", "-0", "-12.5e-3", "1E+2",
        "123456789012", "0.1", #""quote \" backslash \\ slash \/ controls \b\f\n\r\t""#, #""\u00e9\u4e2d\ud83d\ude00""#,
        #""raw é 中 😀""#, #"{"dup":1,"dup":2}"#, "[[[[[[[[[[1]]]]]]]]]]", #"{"nested":{"list":[{"x":-1.25},{"y":"z"}]}}"#,
    ]

    @Test(arguments: documents)
    func parsesAsJSONDecoderDoes(document: String) throws {
        let reference = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
        #expect(try JSONValue(parsing: document) == reference)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "{a:1}", "[01]", "1.", ".5", "-", "1e", "+1", "tru", "nul", #""open"#, #""a\u00""#,
        #""\x""#, "\"tab\there\"", #""\ud83d""#, #""\ude00""#, "[1] 2", "1e400", #"{"a" 1}"#, "[1 2]",
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONValue(parsing: fine) }
    }

    @Test(arguments: [
        JSONValue.string("plain"), "quote \" backslash \\ slash /", "controls \u{0}\u{1}\u{8}\u{C}\n\r\t\u{1F}", "emoji \u{1F600} and 中文",
        1, -7, 0.1, 1e-7, 1e21, 123_456_789_012, true, nil, [], [:], ["b": 1, "a": [1, "x", nil], "c": ["z": false]],
    ])
    func jsonStringIsWhatJSONEncoderWrites(value: JSONValue) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(try JSONValue(parsing: value.jsonString) == value)
        #expect(try JSONValue(parsing: value.jsonString) == JSONValue(parsing: reference))
        // Keys sorted and nothing else in between: the same text for the same value.
        if case .object = value { #expect(value.jsonString == reference) }
    }
}
