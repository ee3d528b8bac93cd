import Foundation
import Synchronization

/// A parsed JSONPath (the common subset of RFC 9535): `$`, `.key`, `['key']`, `[n]`, `[-1]`,
/// `[*]`, `..key`, `[a,b]`, slices `[0:2]` and filters `[?(@.field == value)]`.
/// `matches(in:)` returns every node selected, in document order.
struct JSONPath: Sendable, Equatable {
    indirect enum Selector: Sendable, Equatable {
        case key(String)
        case index(Int)
        case wildcard
        case slice(start: Int?, end: Int?, step: Int)
        case filter(Filter)
    }

    struct Segment: Sendable, Equatable {
        var selectors: [Selector]
        /// `..`: applies to the node and every descendant.
        var recursive: Bool
    }

    /// `@.path`, alone (exists) or compared with a literal.
    struct Filter: Sendable, Equatable {
        enum Comparison: String, Sendable, CaseIterable { case eq = "==", ne = "!=", lte = "<=", gte = ">=", lt = "<", gt = ">" }
        var path: [Segment]
        var comparison: (Comparison, JSONValue)?

        static func == (lhs: Filter, rhs: Filter) -> Bool {
            lhs.path == rhs.path && lhs.comparison?.0 == rhs.comparison?.0 && lhs.comparison?.1 == rhs.comparison?.1
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    let segments: [Segment]

    /// True when the path can select at most one node (no wildcard, slice, filter, union or `..`).
    var isDefinite: Bool {
        segments.allSatisfy { segment in
            guard !segment.recursive, segment.selectors.count == 1 else { return false }
            switch segment.selectors[0] {
            case .key, .index: return true
            default: return false
            }
        }
    }

    init(_ text: String) throws(ParseError) {
        var parser = Parser(text)
        parser.skipSpaces()
        guard parser.consume("$") else { throw ParseError(description: "must start with $") }
        segments = try parser.segments(untilFilterEnd: false)
        parser.skipSpaces()
        guard parser.atEnd else { throw ParseError(description: "unexpected '\(parser.rest)'") }
    }

    private static let cache = Mutex<[String: JSONPath]>([:])

    /// Parsed once per distinct text: the same paths are evaluated for every response of a run.
    static func cached(_ text: String) throws(ParseError) -> JSONPath {
        if let known = cache.withLock({ $0[text] }) { return known }
        let path = try JSONPath(text)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[text] = path
        }
        return path
    }

    func matches(in root: JSONValue) -> [JSONValue] {
        Self.apply(segments, to: [root])
    }

    private static func apply(_ segments: [Segment], to start: [JSONValue]) -> [JSONValue] {
        var nodes = start
        for segment in segments {
            var next: [JSONValue] = []
            for node in nodes {
                if segment.recursive {
                    for descendant in selfAndDescendants(node) { select(segment.selectors, from: descendant, into: &next) }
                } else {
                    select(segment.selectors, from: node, into: &next)
                }
            }
            nodes = next
        }
        return nodes
    }

    private static func selfAndDescendants(_ node: JSONValue) -> [JSONValue] {
        var result = [node]
        switch node {
        case .array(let items): for item in items { result += selfAndDescendants(item) }
        case .object(let object): for key in object.keys.sorted() { result += selfAndDescendants(object[key]!) }
        default: break
        }
        return result
    }

    private static func select(_ selectors: [Selector], from node: JSONValue, into result: inout [JSONValue]) {
        for selector in selectors {
            switch (selector, node) {
            case (.key(let key), .object(let object)):
                if let value = object[key] { result.append(value) }
            case (.index(let index), .array(let items)):
                let position = index < 0 ? items.count + index : index
                if items.indices.contains(position) { result.append(items[position]) }
            case (.wildcard, .array(let items)):
                result += items
            case (.wildcard, .object(let object)):
                result += object.keys.sorted().map { object[$0]! }
            case (.slice(let start, let end, let step), .array(let items)):
                result += slice(items, start: start, end: end, step: step)
            case (.filter(let filter), .array(let items)):
                result += items.filter { filter.accepts($0) }
            case (.filter(let filter), .object(let object)):
                result += object.keys.sorted().map { object[$0]! }.filter { filter.accepts($0) }
            default:
                break
            }
        }
    }

    private static func slice(_ items: [JSONValue], start: Int?, end: Int?, step: Int) -> [JSONValue] {
        let count = items.count
        func bound(_ value: Int) -> Int { value < 0 ? max(count + value, 0) : min(value, count) }
        if step > 0 {
            let lower = bound(start ?? 0)
            let upper = bound(end ?? count)
            return lower < upper ? stride(from: lower, to: upper, by: step).map { items[$0] } : []
        }
        let upper = start.map { $0 < 0 ? count + $0 : min($0, count - 1) } ?? count - 1
        let lower = end.map { $0 < 0 ? count + $0 : min($0, count - 1) } ?? -1
        return upper > lower ? stride(from: upper, to: lower, by: step).filter { items.indices.contains($0) }.map { items[$0] } : []
    }

    fileprivate static func evaluate(_ segments: [Segment], on node: JSONValue) -> [JSONValue] { apply(segments, to: [node]) }
}

extension JSONPath.Filter {
    func accepts(_ node: JSONValue) -> Bool {
        let found = JSONPath.evaluate(path, on: node)
        guard let (comparison, literal) = self.comparison else { return !found.isEmpty }
        guard let value = found.first else { return comparison == .ne }
        switch comparison {
        case .eq: return JSONComparison.equal(value, literal)
        case .ne: return !JSONComparison.equal(value, literal)
        case .lt, .lte, .gt, .gte:
            guard let order = JSONComparison.order(value, literal) else { return false }
            switch comparison {
            case .lt: return order == .orderedAscending
            case .lte: return order != .orderedDescending
            case .gt: return order == .orderedDescending
            default: return order != .orderedAscending
            }
        }
    }
}

/// Equality and order between JSON values, shared by filters and assertions.
enum JSONComparison {
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool { lhs == rhs }

    /// Numbers by value, strings by code point; nil for anything else.
    static func order(_ lhs: JSONValue, _ rhs: JSONValue) -> ComparisonResult? {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.string(let a), .string(let b)): a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        default: nil
        }
    }
}

/// A hand-written recursive-descent parser over the path's characters.
private struct Parser {
    let characters: [Character]
    var position = 0

    init(_ text: String) { characters = Array(text) }

    var atEnd: Bool { position >= characters.count }
    var rest: String { String(characters[position...]) }
    var current: Character? { atEnd ? nil : characters[position] }

    mutating func consume(_ text: String) -> Bool {
        let expected = Array(text)
        guard position + expected.count <= characters.count, Array(characters[position..<position + expected.count]) == expected else {
            return false
        }
        position += expected.count
        return true
    }

    mutating func skipSpaces() {
        while let character = current, character == " " { position += 1 }
    }

    func error(_ message: String) -> JSONPath.ParseError {
        JSONPath.ParseError(description: "\(message) at position \(position)")
    }

    /// Segments until the end, or (inside a filter) until a comparison or `)`.
    mutating func segments(untilFilterEnd: Bool) throws(JSONPath.ParseError) -> [JSONPath.Segment] {
        var segments: [JSONPath.Segment] = []
        while let character = current {
            if consume("..") {
                if current == "[" {
                    segments.append(.init(selectors: try bracket(), recursive: true))
                } else if consume("*") {
                    segments.append(.init(selectors: [.wildcard], recursive: true))
                } else {
                    segments.append(.init(selectors: [.key(try name())], recursive: true))
                }
            } else if character == "." {
                position += 1
                if consume("*") {
                    segments.append(.init(selectors: [.wildcard], recursive: false))
                } else {
                    segments.append(.init(selectors: [.key(try name())], recursive: false))
                }
            } else if character == "[" {
                segments.append(.init(selectors: try bracket(), recursive: false))
            } else if untilFilterEnd {
                break
            } else {
                throw error("unexpected '\(character)'")
            }
        }
        return segments
    }

    mutating func name() throws(JSONPath.ParseError) -> String {
        let start = position
        while let character = current, character.isLetter || character.isNumber || character == "_" || character == "-" || character == "$" {
            position += 1
        }
        guard position > start else { throw error("a member name is expected") }
        return String(characters[start..<position])
    }

    mutating func bracket() throws(JSONPath.ParseError) -> [JSONPath.Selector] {
        position += 1  // [
        var selectors: [JSONPath.Selector] = []
        repeat {
            skipSpaces()
            selectors.append(try selector())
            skipSpaces()
        } while consume(",")
        guard consume("]") else { throw error("']' is expected") }
        return selectors
    }

    mutating func selector() throws(JSONPath.ParseError) -> JSONPath.Selector {
        guard let character = current else { throw error("a selector is expected") }
        if character == "'" || character == "\"" { return .key(try quoted()) }
        if consume("*") { return .wildcard }
        if consume("?") { return .filter(try filter()) }
        let start = try optionalInteger()
        skipSpaces()
        guard consume(":") else {
            guard let start else { throw error("a selector is expected") }
            return .index(start)
        }
        skipSpaces()
        let end = try optionalInteger()
        skipSpaces()
        var step = 1
        if consume(":") {
            skipSpaces()
            step = try optionalInteger() ?? 1
            guard step != 0 else { throw error("a slice step cannot be 0") }
        }
        return .slice(start: start, end: end, step: step)
    }

    mutating func optionalInteger() throws(JSONPath.ParseError) -> Int? {
        let start = position
        if current == "-" { position += 1 }
        while let character = current, character.isASCII, character.isNumber { position += 1 }
        guard position > start else { return nil }
        guard let value = Int(String(characters[start..<position])) else { throw error("an integer is expected") }
        return value
    }

    mutating func quoted() throws(JSONPath.ParseError) -> String {
        let quote = characters[position]
        position += 1
        var text = ""
        while let character = current, character != quote {
            if character == "\\", position + 1 < characters.count {
                position += 1
            }
            text.append(characters[position])
            position += 1
        }
        guard consume(String(quote)) else { throw error("an unterminated string") }
        return text
    }

    /// `?(@.a.b == 1)` or `?@.a` (RFC 9535 drops the parentheses).
    mutating func filter() throws(JSONPath.ParseError) -> JSONPath.Filter {
        skipSpaces()
        let parenthesised = consume("(")
        skipSpaces()
        guard consume("@") else { throw error("a filter starts with @") }
        let path = try segments(untilFilterEnd: true)
        skipSpaces()
        var comparison: (JSONPath.Filter.Comparison, JSONValue)?
        if let found = JSONPath.Filter.Comparison.allCases.first(where: { consume($0.rawValue) }) {
            skipSpaces()
            comparison = (found, try literal())
            skipSpaces()
        }
        if parenthesised, !consume(")") { throw error("')' is expected") }
        return JSONPath.Filter(path: path, comparison: comparison)
    }

    mutating func literal() throws(JSONPath.ParseError) -> JSONValue {
        guard let character = current else { throw error("a value is expected") }
        if character == "'" || character == "\"" { return .string(try quoted()) }
        for (word, value) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null)] where consume(word) { return value }
        let start = position
        while let character = current, character.isNumber || "+-.eE".contains(character) { position += 1 }
        guard let number = Double(String(characters[start..<position])) else { throw error("a value is expected") }
        return .number(number)
    }
}
