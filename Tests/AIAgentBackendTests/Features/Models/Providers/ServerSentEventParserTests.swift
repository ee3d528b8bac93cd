import Testing
@testable import AIAgentBackend

@Suite struct ServerSentEventParserTests {
    /// Every line ending, a comment, a multi-line data field, an event name and multi-byte UTF-8.
    static let stream = Array(
        (": keep-alive\r\n"
            + "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
            + "data: héllo 🌍\n\n"
            + "data:first\rdata: second\r\r"
            + "event: ping\ndata: {}\n\n"
            + "data: [DONE]\n\n").utf8)

    static let expected = [
        ServerSentEvent(event: "message_start", data: "{\"a\":1}"),
        ServerSentEvent(event: nil, data: "héllo 🌍"),
        ServerSentEvent(event: nil, data: "first\nsecond"),
        ServerSentEvent(event: "ping", data: "{}"),
        ServerSentEvent(event: nil, data: "[DONE]"),
    ]

    @Test func parsesEveryLineEndingInOneChunk() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Self.stream) == Self.expected)
        #expect(parser.finish().isEmpty)
    }

    @Test func anySplitPointGivesTheSameEvents() {
        for split in 0...Self.stream.count {
            var parser = ServerSentEventParser()
            let events = parser.feed(Self.stream[..<split]) + parser.feed(Self.stream[split...]) + parser.finish()
            #expect(events == Self.expected, "split at byte \(split)")
        }
    }

    @Test func byteByByteGivesTheSameEvents() {
        var parser = ServerSentEventParser()
        let events = Self.stream.flatMap { parser.feed([$0]) } + parser.finish()
        #expect(events == Self.expected)
    }

    @Test func anUnterminatedLastEventIsKept() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: a\n\ndata: [DONE]".utf8)) == [ServerSentEvent(event: nil, data: "a")])
        #expect(parser.finish() == [ServerSentEvent(event: nil, data: "[DONE]")])
    }
}
