import Foundation
import Synchronization

/// Checks a JSON value against a `JSONSchema` (the keywords the API uses), resolving
/// references in `components`. Returns the first violation, as a path and a reason.
struct SchemaValidator {
    let components: [String: JSONSchema]

    func violation(of value: JSONValue, against schema: JSONSchema, at path: String = "$") -> String? {
        if let ref = schema.ref {
            let name = String(ref.dropFirst("#/components/schemas/".count))
            guard let target = components[name] else { return "\(path): unknown schema \(name)" }
            return violation(of: value, against: target, at: path)
        }
        if schema.nullableFlag == true, value == .null { return nil }
        for member in schema.allOfBox ?? [] {
            if let problem = violation(of: value, against: member, at: path) { return problem }
        }
        if let constant = schema.constValue, value != constant { return "\(path): \(value.jsonString) is not \(constant.jsonString)" }
        if let allowed = schema.enumJSON, !allowed.contains(value) {
            return "\(path): \(value.jsonString) is not one of \(JSONValue.array(allowed).jsonString)"
        }
        if let anyOf = schema.anyOfBox, !anyOf.contains(where: { violation(of: value, against: $0, at: path) == nil }) {
            return "\(path): matches none of anyOf"
        }
        if let not = schema.notBox?.first, violation(of: value, against: not, at: path) == nil {
            return "\(path): matches a refused value"
        }
        if let oneOf = schema.oneOfBox, oneOf.filter({ violation(of: value, against: $0, at: path) == nil }).count != 1 {
            return "\(path): matches not exactly one of oneOf"
        }
        if let types = schema.type, !types.contains(where: { Self.matches(value, type: $0) }) {
            return "\(path): \(Self.typeName(value)) is not \(types.joined(separator: " or "))"
        }
        if let allowed = schema.enumValues {
            let text: String? =
                switch value {
                case .string(let string): string
                case .null: nil
                default: "\(value.jsonString)"
                }
            guard allowed.contains(text) else { return "\(path): \(value.jsonString) is not one of \(allowed.map { $0 ?? "null" })" }
        }
        switch value {
        case .string(let string):
            if let min = schema.minLength, string.count < min { return "\(path): shorter than \(min)" }
            if let max = schema.maxLength, string.count > max { return "\(path): longer than \(max)" }
            if let format = schema.format, !Self.conforms(string, to: format) { return "\(path): '\(string)' is not a \(format)" }
            // A UUID's pattern only restates its format, checked above.
            if let pattern = schema.pattern, schema.format != "uuid", !Self.matches(string, pattern) {
                return "\(path): '\(string)' does not match \(pattern)"
            }
        case .number(let number):
            if let min = schema.minimum, number < min { return "\(path): \(number) < \(min)" }
            if let max = schema.maximum, number > max { return "\(path): \(number) > \(max)" }
            if let min = schema.exclusiveMinimum, number <= min { return "\(path): \(number) ≤ \(min)" }
            if let max = schema.exclusiveMaximum, number >= max { return "\(path): \(number) ≥ \(max)" }
        case .array(let items):
            if let max = schema.maxItems, items.count > max { return "\(path): more than \(max) items" }
            if let min = schema.minItems, items.count < min { return "\(path): fewer than \(min) items" }
            if let itemSchema = schema.items {
                for (index, item) in items.enumerated() {
                    if let problem = violation(of: item, against: itemSchema, at: "\(path)[\(index)]") { return problem }
                }
            }
        case .object(let object):
            for key in schema.required ?? [] where object[key] == nil { return "\(path): '\(key)' is missing" }
            for (key, member) in object {
                if let names = schema.propertyNamesBox?.first, let problem = violation(of: .string(key), against: names, at: "\(path) key") {
                    return problem
                }
                if let propertySchema = schema.properties?[key] {
                    if let problem = violation(of: member, against: propertySchema, at: "\(path).\(key)") { return problem }
                } else if case .schema(let values)? = schema.additionalProperties {
                    if let problem = violation(of: member, against: values, at: "\(path).\(key)") { return problem }
                } else if case .allowed(false)? = schema.additionalProperties {
                    return "\(path): unexpected '\(key)'"
                }
            }
        case .bool, .null:
            break
        }
        return nil
    }

    private static let expressions = Mutex<[String: NSRegularExpression]>([:])

    /// Compiled once per pattern: every response of the test suite passes here.
    private static func matches(_ string: String, _ pattern: String) -> Bool {
        let expression = expressions.withLock { cache -> NSRegularExpression? in
            if let known = cache[pattern] { return known }
            let compiled = try? NSRegularExpression(pattern: pattern)
            cache[pattern] = compiled
            return compiled
        }
        guard let expression else { return false }
        return expression.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (value, type) {
        case (.string, "string"), (.bool, "boolean"), (.null, "null"), (.array, "array"), (.object, "object"), (.number, "number"): true
        case (.number(let number), "integer"): number.rounded() == number
        default: false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func conforms(_ string: String, to format: String) -> Bool {
        switch format {
        case "uuid": UUID(uuidString: string) != nil
        case "date-time": ISO8601Timestamp.parse(string) != nil
        case "uri": URL(string: string)?.scheme != nil
        case "email": string.firstIndex(of: "@").map { $0 != string.startIndex && string.index(after: $0) != string.endIndex } ?? false
        default: true
        }
    }
}
