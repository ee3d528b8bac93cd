import Foundation

/// The variables one case iteration sees, highest precedence first: step extractions and
/// `set` steps, the data row, the case's variables, the environment's, the project's. They
/// are merged in that order into one map, so a lookup is one dictionary read.
struct VariableScope: Sendable {
    var values: [String: JSONValue]
    /// `{{base_url}}` is `default`; `{{base_url.NAME}}` is `NAME`.
    let baseURLs: [String: String]

    init(values: [String: JSONValue] = [:], baseURLs: [String: String] = [:]) {
        self.values = values
        self.baseURLs = baseURLs
    }

    func value(of name: String) -> JSONValue? {
        if let value = values[name] { return value }
        if name == "base_url" { return baseURLs["default"].map(JSONValue.string) }
        if name.hasPrefix("base_url.") { return baseURLs[String(name.dropFirst("base_url.".count))].map(JSONValue.string) }
        return nil
    }
}

/// A template's failure at run time: the step fails with this message.
struct TemplateError: Error, CustomStringConvertible {
    let description: String
}

/// `{{name}}` placeholders and the `{{$…}}` built-ins, in strings and JSON bodies.
enum Template {
    static let builtIns = ["$uuid", "$timestamp", "$isoDate", "$randomInt", "$randomString"]

    /// Why `text` cannot be a template (an unclosed `{{`, an empty name, an unknown built-in), or nil.
    static func problem(in text: String) -> String? {
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else { return "has an unclosed '{{'" }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if expression.isEmpty { return "has an empty '{{}}'" }
            if expression.hasPrefix("$") {
                do { _ = try builtIn(expression) } catch { return error.description }
            }
            rest = rest[close.upperBound...]
        }
        return nil
    }

    /// `text` with every placeholder replaced by its value's text.
    static func render(_ text: String, in scope: VariableScope) throws(TemplateError) -> String {
        // Most strings hold no placeholder: no copy, no scan beyond this one.
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            result += rest[..<open.lowerBound]
            result += Self.text(of: try value(of: rest[open.upperBound..<close.lowerBound], in: scope))
            rest = rest[close.upperBound...]
        }
        result += rest
        return result
    }

    /// A JSON body or assertion value: strings are rendered; a string that is exactly one
    /// `{{name}}` takes the value's own JSON type, so a number stays a number.
    static func render(_ value: JSONValue, in scope: VariableScope) throws(TemplateError) -> JSONValue {
        switch value {
        case .string(let text):
            if let expression = soleExpression(text) { return try self.value(of: expression, in: scope) }
            return .string(try render(text, in: scope))
        case .array(let items):
            var rendered: [JSONValue] = []
            rendered.reserveCapacity(items.count)
            for item in items { rendered.append(try render(item, in: scope)) }
            return .array(rendered)
        case .object(let object):
            var rendered: [String: JSONValue] = [:]
            rendered.reserveCapacity(object.count)
            for (key, member) in object { rendered[key] = try render(member, in: scope) }
            return .object(rendered)
        default:
            return value
        }
    }

    /// How a value reads inside text: strings as they are, whole numbers without `.0`, the rest as JSON.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let string): string
        case .number(let number): Int64(exactly: number).map(String.init) ?? String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array, .object: value.jsonString
        }
    }

    private static func soleExpression(_ text: String) -> Substring? {
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count > 4 else { return nil }
        let inner = text.dropFirst(2).dropLast(2)
        return inner.contains("{{") || inner.contains("}}") ? nil : inner
    }

    private static func value(of expression: Substring, in scope: VariableScope) throws(TemplateError) -> JSONValue {
        let name = expression.trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("$") { return try builtIn(name) }
        guard let value = scope.value(of: name) else { throw TemplateError(description: "unknown variable '\(name)'") }
        return value
    }

    private static func builtIn(_ expression: String) throws(TemplateError) -> JSONValue {
        let (name, arguments) = call(expression)
        switch (name, arguments.count) {
        case ("$uuid", 0): return .string(UUID().uuidString.lowercased())
        case ("$timestamp", 0): return .number(Date().timeIntervalSince1970.rounded(.down))
        case ("$isoDate", 0): return .string(Date().formatted(.iso8601))
        case ("$randomInt", 2):
            guard let low = Int(arguments[0]), let high = Int(arguments[1]), low <= high else {
                throw TemplateError(description: "\(expression): $randomInt(min,max) takes two integers, min ≤ max")
            }
            return .number(Double(Int.random(in: low...high)))
        case ("$randomString", 1):
            guard let length = Int(arguments[0]), (1...1024).contains(length) else {
                throw TemplateError(description: "\(expression): $randomString(length) takes a length from 1 to 1024")
            }
            return .string(String((0..<length).map { _ in alphanumerics.randomElement()! }))
        default:
            let known = builtIns.contains(name)
            throw TemplateError(
                description: known ? "\(expression): wrong arguments" : "unknown built-in '\(name)' (known: \(builtIns.joined(separator: ", ")))")
        }
    }

    private static let alphanumerics = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `$name(a, b)` as the name and its trimmed arguments.
    private static func call(_ expression: String) -> (String, [String]) {
        guard let open = expression.firstIndex(of: "("), expression.hasSuffix(")") else { return (expression, []) }
        let inside = expression[expression.index(after: open)..<expression.index(before: expression.endIndex)]
        let arguments = inside.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return (String(expression[..<open]), arguments == [""] ? [] : arguments)
    }
}
