/// One server-sent event: the `event:` name, if any, and its `data:` lines joined by newlines.
struct ServerSentEvent: Sendable, Equatable {
    var event: String?
    var data: String
}

/// Incremental `text/event-stream` parser. Bytes may arrive split anywhere, mid-line or inside
/// a UTF-8 sequence: a line is decoded only once its terminator (`\n`, `\r\n` or `\r`) has arrived.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var eventName: String?
    private var dataLines: [String] = []

    /// The events completed by `bytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            // The LF of a CRLF split across two chunks.
            if lastWasCR, byte == UInt8(ascii: "\n") {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || lastWasCR {
                processLine(into: &events)
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// At the end of the body: an event the server did not terminate with a blank line still counts.
    mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        if !line.isEmpty { processLine(into: &events) }
        processLine(into: &events)
        return events
    }

    private mutating func processLine(into events: inout [ServerSentEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else {
            if !dataLines.isEmpty {
                events.append(ServerSentEvent(event: eventName, data: dataLines.joined(separator: "\n")))
            }
            eventName = nil
            dataLines.removeAll()
            return
        }
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix(":") { return }  // comment, e.g. a keep-alive
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": eventName = String(value)
        case "data": dataLines.append(String(value))
        default: break  // `id` and `retry` mean nothing for a single request
        }
    }
}
