import Synchronization
import Foundation

/// A type that states its own schema: free-form JSON, or a wire shape the reflector cannot see.
protocol SchemaDescribing {
    static var jsonSchema: JSONSchema { get }
}

/// Constraints the server enforces beyond types (patterns, ranges, formats), by JSON key.
/// Each replaces the reflected schema of its field; whether the field is required or
/// nullable still comes from the type.
protocol SchemaRefining {
    static var fieldSchemas: [String: JSONSchema] { get }
}

/// Derives JSON Schemas from `Decodable` types, so that the DTOs the handlers decode and
/// encode are their own documentation: it decodes each type with a decoder that records
/// which keys the type asks for, of which types, and whether they may be absent.
/// Named types become components (`#/components/schemas/Name`); recursion ends at a reference.
final class SchemaReflector {
    enum Direction { case request, response }

    private(set) var components: [String: JSONSchema] = [:]
    /// Types that could not be reflected (their decoding threw on placeholders): a test lists them.
    private(set) var failures: [String] = []
    /// Component names by type and direction; set before a type's fields are reflected, so a
    /// recursive type meets its own reference.
    private var names: [String: String] = [:]

    func schema(for type: any Decodable.Type, _ direction: Direction) -> JSONSchema {
        if let described = type as? any SchemaDescribing.Type { return described.jsonSchema }
        if let leaf = Self.leafSchema(type) { return leaf }
        if let optional = type as? any OptionalMarker.Type { return schema(for: optional.wrappedType, direction).nullable }
        if let sequence = type as? any SequenceMarker.Type { return .array(of: schema(for: sequence.elementType, direction)) }
        if let map = type as? any StringMapMarker.Type { return .map(of: schema(for: map.valueType, direction)) }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type { return Self.enumSchema(enumeration) }
        return component(type, direction)
    }

    private func component(_ type: any Decodable.Type, _ direction: Direction) -> JSONSchema {
        let identity = "\(ObjectIdentifier(type).hashValue)-\(direction)"
        if let name = names[identity] { return .reference(name) }
        var name = Self.componentName(type)
        if components[name] != nil || names.values.contains(name) { name += direction == .request ? "Input" : "Output" }
        names[identity] = name

        let recorder = Recorder(reflector: self, direction: direction)
        do {
            _ = try type.init(from: recorder)
        } catch {
            failures.append("\(name): \(error)")
        }
        var properties: [String: JSONSchema] = [:]
        var required: [String] = []
        let refinements = (type as? any SchemaRefining.Type)?.fieldSchemas ?? [:]
        let maxLengths = (type as? any LongTextInput.Type)?.maxLengths ?? [:]
        for field in recorder.fields {
            var schema = refinements[field.key].map { field.optional ? $0.nullable : $0 } ?? field.schema
            if direction == .request { schema = Self.bounded(schema, maxLength: maxLengths[field.key] ?? InputLimits.defaultMaxLength) }
            properties[field.key] = schema
            if !field.optional { required.append(field.key) }
        }
        var object = JSONSchema.object(properties, required: required)
        // A request names only fields the server reads: another is refused, so a typo cannot pass unnoticed.
        if direction == .request { object.additionalProperties = .allowed(false) }
        components[name] = recorder.singleValue ?? object
        return .reference(name)
    }

    /// A copy of the component `schema` refers to, registered as `name`: `requiring` fields
    /// present and not null, `omitting` fields gone.
    func variant(
        of schema: JSONSchema, named name: String, requiring: [String], omitting: [String],
        anyOf: [JSONSchema]? = nil, oneOf: [JSONSchema]? = nil
    ) -> JSONSchema {
        guard let ref = schema.ref, var copy = components[String(ref.dropFirst("#/components/schemas/".count))] else { return schema }
        var properties = copy.properties ?? [:]
        for field in omitting { properties[field] = nil }
        for field in requiring { properties[field] = properties[field]?.nonNull }
        copy.properties = properties
        let required = Set(copy.required ?? []).union(requiring).subtracting(omitting)
        copy.required = required.isEmpty ? nil : required.sorted()
        copy.anyOfBox = anyOf
        copy.oneOfBox = oneOf
        components[name] = copy
        return .reference(name)
    }

    /// Request strings carry the limit `InputLimits` enforces.
    private static func bounded(_ schema: JSONSchema, maxLength: Int) -> JSONSchema {
        var schema = schema
        // Free-form JSON has one bound for all its strings (`InputLimits.freeFormMaxLength`), not a field's.
        guard schema != .anyJSON else { return schema }
        if schema.type?.contains("string") == true, schema.enumValues == nil, schema.format == nil {
            schema.maxLength = min(schema.maxLength ?? maxLength, maxLength)
            schema.pattern = schema.pattern ?? JSONSchema.text(0...maxLength).pattern
        }
        if let items = schema.items { schema.items = bounded(items, maxLength: maxLength) }
        if case .schema(let values)? = schema.additionalProperties { schema.additionalProperties = .schema(bounded(values, maxLength: maxLength)) }
        return schema
    }

    static func componentName(_ type: Any.Type) -> String {
        String(describing: type).replacingOccurrences(of: "<", with: "Of").replacingOccurrences(of: ", ", with: "And")
            .filter { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    static func leafSchema(_ type: Any.Type) -> JSONSchema? {
        switch type {
        case is String.Type: .string()
        case is Bool.Type: .boolean
        case is Int.Type, is Int64.Type, is Int32.Type, is Int16.Type, is Int8.Type, is UInt.Type, is UInt64.Type, is UInt32.Type:
            .integer()
        case is Double.Type, is Float.Type: .number()
        case is UUID.Type: .uuid
        case is Date.Type: .dateTime
        case is URL.Type: .string(format: "uri")
        default: nil
        }
    }

    private static func enumSchema<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> JSONSchema {
        .enumeration(E.allCases.map { "\($0.rawValue)" })
    }

    /// A value of `type` to hand back to the decoding type, which needs one to go on.
    static func placeholder<T: Decodable>(_ type: T.Type) throws -> T {
        let value: Any? =
            switch type {
            case is String.Type: ""
            case is Bool.Type: false
            case is Int.Type: 0
            case is Int64.Type: Int64(0)
            case is Int32.Type: Int32(0)
            case is Int16.Type: Int16(0)
            case is Int8.Type: Int8(0)
            case is UInt.Type: UInt(0)
            case is UInt64.Type: UInt64(0)
            case is UInt32.Type: UInt32(0)
            case is Double.Type: 0.0
            case is Float.Type: Float(0)
            case is UUID.Type: UUID()
            case is Date.Type: Date()
            case is URL.Type: URL(string: "https://example.com")!
            default: nil
            }
        if let value { return value as! T }
        if let empty = (type as? any EmptyValue.Type)?.emptyValue { return empty as! T }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type, let first = firstCase(enumeration) { return first as! T }
        return try T(from: Recorder(reflector: nil, direction: .response))
    }

    private static func firstCase<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> Any? { E.allCases.first }

    /// Records what a type decodes. With no reflector it only hands out placeholders.
    fileprivate final class Recorder: Decoder {
        struct Field {
            let key: String
            let schema: JSONSchema
            let optional: Bool
        }

        let reflector: SchemaReflector?
        let direction: Direction
        var fields: [Field] = []
        var singleValue: JSONSchema?
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]

        init(reflector: SchemaReflector?, direction: Direction) {
            self.reflector = reflector
            self.direction = direction
        }

        func record(_ key: String, _ type: any Decodable.Type, optional: Bool) {
            guard let reflector, !fields.contains(where: { $0.key == key }) else { return }
            let schema = reflector.schema(for: type, direction)
            fields.append(Field(key: key, schema: optional ? schema.nullable : schema, optional: optional))
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(KeyedRecorder<Key>(recorder: self))
        }

        func unkeyedContainer() -> any UnkeyedDecodingContainer { EmptyUnkeyed() }

        func singleValueContainer() -> any SingleValueDecodingContainer { SingleRecorder(recorder: self) }
    }

    private struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let recorder: Recorder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            recorder.record(key.stringValue, type, optional: false)
            return try SchemaReflector.placeholder(type)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            recorder.record(key.stringValue, type, optional: true)
            return nil
        }

        // The protocol names each primitive separately; all go the generic way.
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type as Int8.Type, key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type as Int16.Type, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type as UInt8.Type, key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type as UInt16.Type, key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type as UInt32.Type, key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type as UInt64.Type, key) }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

        private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            recorder.record(key.stringValue, type, optional: false)
            return try SchemaReflector.placeholder(type)
        }

        private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
            recorder.record(key.stringValue, type, optional: true)
            return nil
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(KeyedRecorder<NestedKey>(recorder: Recorder(reflector: nil, direction: recorder.direction)))
        }

        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedDecodingContainer { EmptyUnkeyed() }
        func superDecoder() -> any Decoder { Recorder(reflector: nil, direction: recorder.direction) }
        func superDecoder(forKey key: Key) -> any Decoder { Recorder(reflector: nil, direction: recorder.direction) }
    }

    /// Arrays are described from their element type, so their containers are always empty.
    private struct EmptyUnkeyed: UnkeyedDecodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int? { 0 }
        var isAtEnd: Bool { true }
        var currentIndex: Int { 0 }

        mutating func decodeNil() -> Bool { true }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try SchemaReflector.placeholder(type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(KeyedRecorder<NestedKey>(recorder: Recorder(reflector: nil, direction: .response)))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedDecodingContainer { EmptyUnkeyed() }
        mutating func superDecoder() -> any Decoder { Recorder(reflector: nil, direction: .response) }
    }

    private struct SingleRecorder: SingleValueDecodingContainer {
        let recorder: Recorder
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }

        private func value<T: Decodable>(_ type: T.Type) throws -> T {
            if recorder.singleValue == nil, let reflector = recorder.reflector {
                recorder.singleValue = reflector.schema(for: type, recorder.direction)
            }
            return try SchemaReflector.placeholder(type)
        }

        func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
        func decode(_ type: String.Type) throws -> String { try value(type) }
        func decode(_ type: Double.Type) throws -> Double { try value(type) }
        func decode(_ type: Float.Type) throws -> Float { try value(type) }
        func decode(_ type: Int.Type) throws -> Int { try value(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }
    }
}

/// The schema a request body type declares, reflected once per type: `InputLimits` checks
/// raw bodies against it, so what the server accepts is what the OpenAPI document says.
struct RequestShape: Sendable {
    let root: JSONSchema
    let components: [String: JSONSchema]

    private static let known = Mutex<[ObjectIdentifier: RequestShape]>([:])

    static func of(_ type: any Decodable.Type) -> RequestShape {
        if let shape = known.withLock({ $0[ObjectIdentifier(type)] }) { return shape }
        let reflector = SchemaReflector()
        let shape = RequestShape(root: reflector.schema(for: type, .request), components: reflector.components)
        known.withLock { $0[ObjectIdentifier(type)] = shape }
        return shape
    }

    enum Kind { case object, array, string }

    /// The schema a value of `kind` meets at `schema`: references followed, and of a union
    /// (`nullable`, `anyOf`, `oneOf`) the branches of that kind, objects' fields merged.
    /// Nil stands for free-form JSON.
    func resolved(_ schema: JSONSchema?, as kind: Kind) -> JSONSchema? {
        guard var schema else { return nil }
        for _ in 0..<16 {
            guard let ref = schema.ref else { break }
            guard let target = components[String(ref.dropFirst("#/components/schemas/".count))] else { return nil }
            schema = target
        }
        if let branches = schema.anyOfBox ?? schema.oneOfBox {
            let matching = branches.compactMap { resolved($0, as: kind) }
            guard var merged = matching.first else { return nil }
            for other in matching.dropFirst() {
                merged.properties = (merged.properties ?? [:]).merging(other.properties ?? [:]) { first, _ in first }
                if other.additionalProperties != .allowed(false) { merged.additionalProperties = other.additionalProperties }
            }
            return merged
        }
        guard let types = schema.type, types.count < JSONSchema.anyJSON.type!.count else { return nil }
        let name =
            switch kind {
            case .object: "object"
            case .array: "array"
            case .string: "string"
            }
        return types.contains(name) ? schema : nil
    }
}

/// Containers the reflector describes by their element type.
protocol OptionalMarker { static var wrappedType: any Decodable.Type { get } }
protocol SequenceMarker { static var elementType: any Decodable.Type { get } }
protocol StringMapMarker { static var valueType: any Decodable.Type { get } }
/// A container's empty value, handed out as a placeholder.
protocol EmptyValue { static var emptyValue: Self { get } }

extension Optional: OptionalMarker where Wrapped: Decodable { static var wrappedType: any Decodable.Type { Wrapped.self } }
extension Optional: EmptyValue { static var emptyValue: Self { nil } }
extension Array: SequenceMarker where Element: Decodable { static var elementType: any Decodable.Type { Element.self } }
extension Array: EmptyValue { static var emptyValue: Self { [] } }
extension Set: SequenceMarker where Element: Decodable { static var elementType: any Decodable.Type { Element.self } }
extension Set: EmptyValue { static var emptyValue: Self { [] } }
extension Dictionary: StringMapMarker where Key == String, Value: Decodable { static var valueType: any Decodable.Type { Value.self } }
extension Dictionary: EmptyValue { static var emptyValue: Self { [:] } }
