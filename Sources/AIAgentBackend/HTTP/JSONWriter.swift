import Foundation
import Hummingbird
import NIOCore

/// A value that writes its own JSON, for the few hot responses (long lists) where
/// Foundation's JSONEncoder, which builds a tree of boxed values and then serializes it,
/// costs more than the database query. The output matches `JSONCoding.encoder`'s: a test
/// compares the two for every such type.
protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

/// Writes JSON bytes into one growing array (appending to an array is cheaper than
/// writing to a ByteBuffer piece by piece), copied into a ByteBuffer once at the end.
struct JSONWriter {
    private var bytes: [UInt8] = []
    /// Whether the next value or key opens its object or array (and so takes no comma).
    private var atStart = true

    init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    static func encode(_ value: some JSONWritable, capacity: Int = 1024) -> ByteBuffer {
        var writer = JSONWriter(capacity: capacity)
        value.write(to: &writer)
        return ByteBuffer(bytes: writer.bytes)
    }

    mutating func object(_ fields: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        atStart = true
        fields(&self)
        bytes.append(UInt8(ascii: "}"))
        atStart = false
    }

    mutating func array<Elements: Sequence>(_ elements: Elements, _ element: (inout JSONWriter, Elements.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        atStart = true
        for value in elements { element(&self, value) }
        bytes.append(UInt8(ascii: "]"))
        atStart = false
    }

    /// A key of the current object; the value comes next. Keys are written as given.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        append(name)
        append("\":")
        atStart = true
    }

    /// Like JSONEncoder, an absent optional leaves out its key.
    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: UUID?) {
        guard let value else { return }
        key(name)
        string(value.uuidString)
    }

    mutating func field(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        date(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        append(value ? "true" : "false")
        atStart = false
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        atStart = false
    }

    mutating func field(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        array(values) { $0.string($1) }
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var pending = value.utf8.startIndex
        for index in value.utf8.indices {
            let byte = value.utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: value.utf8[pending..<index])
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            default:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
            pending = value.utf8.index(after: index)
        }
        bytes.append(contentsOf: value.utf8[pending...])
        bytes.append(UInt8(ascii: "\""))
        atStart = false
    }

    /// `2026-11-25T06:21:41Z`: whole seconds in UTC, as the `.iso8601` date strategy writes.
    mutating func date(_ value: Date) {
        separate()
        let seconds = Int(value.timeIntervalSince1970.rounded(.down))
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        bytes.append(UInt8(ascii: "\""))
        writeDigits(year, count: 4)
        bytes.append(UInt8(ascii: "-"))
        writeDigits(month, count: 2)
        bytes.append(UInt8(ascii: "-"))
        writeDigits(day, count: 2)
        bytes.append(UInt8(ascii: "T"))
        writeDigits(secondOfDay / 3600, count: 2)
        bytes.append(UInt8(ascii: ":"))
        writeDigits(secondOfDay / 60 % 60, count: 2)
        bytes.append(UInt8(ascii: ":"))
        writeDigits(secondOfDay % 60, count: 2)
        append("Z\"")
        atStart = false
    }

    private mutating func writeDigits(_ value: Int, count: Int) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var remaining = value
        for position in stride(from: start + count - 1, through: start, by: -1) {
            bytes[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
    }

    /// Gregorian year, month and day of a day count since 1970-01-01 (Howard Hinnant's algorithm;
    /// proleptic, so it agrees with Foundation from the Gregorian reform of 1582 on).
    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func separate() {
        if !atStart { bytes.append(UInt8(ascii: ",")) }
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension ListPage: JSONWritable where Item: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("items")
            json.array(items) { json, item in item.write(to: &json) }
            json.field("total", total)
            json.field("page", page)
            json.field("page_size", pageSize)
        }
    }
}
