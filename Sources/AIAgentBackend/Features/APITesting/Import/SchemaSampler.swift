import Foundation

/// Builds a small valid value for a JSON schema: required properties, the first enum value,
/// examples and defaults, plausible formats, bounds respected, `allOf` merged, the first
/// `oneOf`/`anyOf` branch. Recursive `$ref`s are followed through `resolve` to a depth cap.
struct SchemaSampler {
    /// Looks a local `$ref` up; `nil` leaves the value `null`.
    var resolve: (String) -> JSONValue?
    private static let maxDepth = 8

    func sample(_ schema: JSONValue) -> JSONValue {
        sample(schema, depth: 0)
    }

    private func sample(_ schema: JSONValue, depth: Int) -> JSONValue {
        guard depth <= Self.maxDepth, case .object(var members) = schema else { return .null }
        if let ref = members["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return .null }
            return sample(target, depth: depth + 1)
        }
        if let parts = members["allOf"]?.listValue {
            members = merged(parts, into: members, depth: depth)
        }
        if let example = members["example"] { return example }
        if let first = members["examples"]?.listValue?.first { return first }
        for keyword in ["const", "default"] { if let value = members[keyword] { return value } }
        if let first = members["enum"]?.listValue?.first { return first }
        for keyword in ["oneOf", "anyOf"] {
            if let first = members[keyword]?.listValue?.first { return sample(first, depth: depth + 1) }
        }
        switch Self.type(of: members) {
        case "object": return sampleObject(members, depth: depth)
        case "array":
            let count = min(max(members["minItems"]?.intValue ?? 1, 1), 10)
            guard depth < Self.maxDepth - 1, let items = members["items"] else { return .array([]) }
            return .array(Array(repeating: sample(items, depth: depth + 1), count: count))
        case "string": return .string(Self.sampleString(members))
        case "integer": return .number(Self.sampleNumber(members, integer: true))
        case "number": return .number(Self.sampleNumber(members, integer: false))
        case "boolean": return .bool(true)
        case "null": return .null
        default: return .string("string")
        }
    }

    /// The sampled type: the first non-null one of a 3.1 type list, else guessed from the keywords.
    private static func type(of members: [String: JSONValue]) -> String? {
        if let single = members["type"]?.stringValue { return single }
        if let list = members["type"]?.listValue?.compactMap(\.stringValue) {
            return list.first { $0 != "null" } ?? list.first
        }
        if members["properties"] != nil || members["additionalProperties"] != nil { return "object" }
        if members["items"] != nil { return "array" }
        return nil
    }

    /// Required properties; every property when none is marked required, so a sample is not empty.
    private func sampleObject(_ members: [String: JSONValue], depth: Int) -> JSONValue {
        let properties = members["properties"]?.objectValue ?? [:]
        let required = members["required"]?.listValue?.compactMap(\.stringValue)
        let names = required ?? (depth < 3 ? properties.keys.sorted() : [])
        var object: [String: JSONValue] = [:]
        for name in names {
            object[name] = properties[name].map { sample($0, depth: depth + 1) } ?? .string("string")
        }
        return .object(object)
    }

    /// `allOf` branches folded into one schema: properties and required lists united.
    private func merged(_ parts: [JSONValue], into base: [String: JSONValue], depth: Int) -> [String: JSONValue] {
        var result = base
        result["allOf"] = nil
        var properties = base["properties"]?.objectValue ?? [:]
        var required = base["required"]?.listValue ?? []
        for part in parts {
            var part = part
            var hops = 0
            while let ref = part["$ref"]?.stringValue, hops < Self.maxDepth, let target = resolve(ref) {
                part = target
                hops += 1
            }
            guard var members = part.objectValue else { continue }
            if let nested = members["allOf"]?.listValue, depth < Self.maxDepth {
                members = merged(nested, into: members, depth: depth + 1)
            }
            properties.merge(members["properties"]?.objectValue ?? [:]) { current, _ in current }
            required += (members["required"]?.listValue ?? []).filter { !required.contains($0) }
            for (key, value) in members where !["properties", "required"].contains(key) && result[key] == nil {
                result[key] = value
            }
        }
        if !properties.isEmpty { result["properties"] = .object(properties) }
        if !required.isEmpty { result["required"] = .array(required) }
        return result
    }

    private static func sampleString(_ members: [String: JSONValue]) -> String {
        let text: String =
            switch members["format"]?.stringValue {
            case "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6"
            case "date-time": "2024-01-01T00:00:00Z"
            case "date": "2024-01-01"
            case "time": "00:00:00Z"
            case "email": "user@example.com"
            case "uri", "url": "https://example.com"
            case "hostname": "example.com"
            case "ipv4": "192.0.2.1"
            case "ipv6": "2001:db8::1"
            case "byte": "c3RyaW5n"
            case "password": "********"
            default: "string"
            }
        // Lengths are capped so a hostile `minLength` cannot allocate gigabytes.
        let minimum = min(max(members["minLength"]?.intValue ?? 0, 0), 1_000)
        let maximum = members["maxLength"]?.intValue.map { max($0, minimum) }
        var result = text
        if result.count < minimum { result += String(repeating: "x", count: minimum - result.count) }
        if let maximum, result.count > maximum { result = String(result.prefix(maximum)) }
        return result
    }

    private static func sampleNumber(_ members: [String: JSONValue], integer: Bool) -> Double {
        let step = integer ? 1.0 : 0.5
        var lower = members["minimum"]?.numberValue
        var upper = members["maximum"]?.numberValue
        // 3.0 writes exclusive bounds as booleans, 3.1 as numbers.
        if let bound = members["exclusiveMinimum"]?.numberValue { lower = bound + step }
        if members["exclusiveMinimum"]?.boolValue == true, let bound = lower { lower = bound + step }
        if let bound = members["exclusiveMaximum"]?.numberValue { upper = bound - step }
        if members["exclusiveMaximum"]?.boolValue == true, let bound = upper { upper = bound - step }
        var value = lower ?? (upper.map { min($0, 1) } ?? 1)
        if let upper, value > upper { value = upper }
        if integer { value = (lower != nil ? value.rounded(.up) : value.rounded(.down)) }
        return value.isFinite ? value : 1
    }
}
