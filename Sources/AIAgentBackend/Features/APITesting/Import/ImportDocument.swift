import Foundation
import Yams

/// Reads JSON or YAML text into a `JSONValue`, refusing (422, naming the line) what is
/// neither and what nests too deeply or expands too far.
enum ImportDocument {
    static func parse(_ text: String) throws(APIError) -> JSONValue {
        try checkBracketDepth(text)
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.first == "{" || trimmed.first == "[" {
            return try parseJSON(text)
        }
        return try parseYAML(text)
    }

    /// Flow collections nest without indentation, so `[[[[…` is caught before any recursive parser sees it.
    private static func checkBracketDepth(_ text: String) throws(APIError) {
        var depth = 0
        var line = 1
        var inString = false
        var escaped = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > ImportLimits.maxDepth {
                    throw .importSyntax(line: line, "nesting deeper than \(ImportLimits.maxDepth) levels")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
    }

    private static func parseJSON(_ text: String) throws(APIError) -> JSONValue {
        let data = Data(text.utf8)
        if let value = try? JSONDecoder().decode(JSONValue.self, from: data) { return value }
        // JSONDecoder names no position; JSONSerialization says "around character N".
        var offset = 0
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            if let range = description.range(of: #"character \d+"#, options: .regularExpression) {
                offset = Int(description[range].dropFirst("character ".count)) ?? 0
            }
        }
        let line = text.utf8.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        throw .importSyntax(line: line, "not valid JSON")
    }

    private static func parseYAML(_ text: String) throws(APIError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, coreSchema)
        } catch let error as YamlError {
            throw .importSyntax(line: line(of: error), "not valid YAML")
        } catch {
            throw .importSyntax(line: 1, "not valid YAML")
        }
        guard let node else { throw .importRefused(pointer: "", "the document is empty") }
        var budget = ImportLimits.maxNodes
        return try value(of: node, depth: 0, budget: &budget)
    }

    /// YAML 1.2's core schema: `yes`, `on` and `2001-12-14` stay strings, as JSON would read them.
    private static let coreSchema: Resolver = {
        // The patterns are constants; they compile.
        let bool = try! Resolver.Rule(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
        return Resolver.basic.appending(bool).appending(.int).appending(.float).appending(.null)
    }()

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .reader(_, let offset, _, let yaml):
            yaml.utf8.prefix(offset ?? 0).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: 1
        }
    }

    private static func value(of node: Node, depth: Int, budget: inout Int) throws(APIError) -> JSONValue {
        budget -= 1
        let line = node.mark?.line ?? 1
        guard budget > 0 else { throw .importSyntax(line: line, "the document expands to more than \(ImportLimits.maxNodes) values") }
        guard depth <= ImportLimits.maxDepth else { throw .importSyntax(line: line, "nesting deeper than \(ImportLimits.maxDepth) levels") }
        switch node {
        case .scalar(let scalar):
            switch coreSchema.resolveTag(of: node) {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int, .float:
                if let number = node.float, number.isFinite { return .number(number) }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try value(of: item, depth: depth + 1, budget: &budget)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, item) in mapping {
                members[key.scalar?.string ?? key.string ?? ""] = try value(of: item, depth: depth + 1, budget: &budget)
            }
            return .object(members)
        case .alias:
            throw .importSyntax(line: line, "unresolved YAML alias")
        }
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    var listValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }

    /// A whole number that fits an `Int` (an HTTP status, a length), never trapping on 1e300.
    var intValue: Int? {
        guard case .number(let number) = self, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}

/// RFC 6901 JSON pointers, for warnings and errors.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: String) -> String {
        token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    static func join(_ base: String, _ tokens: String...) -> String {
        tokens.reduce(base) { $0 + "/" + escape($1) }
    }

    /// The value `pointer` (`/a/b/0`) names inside `root`.
    static func resolve(_ pointer: String, in root: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return root }
        guard pointer.hasPrefix("/") else { return nil }
        var current = root
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = unescape(String(raw).removingPercentEncoding ?? String(raw))
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else { return nil }
                current = items[index]
            default: return nil
            }
        }
        return current
    }
}
