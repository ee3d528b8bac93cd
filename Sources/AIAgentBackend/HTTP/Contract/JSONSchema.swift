import Foundation

/// The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of a request or response part. Only
/// the keywords the API needs; `SchemaValidator` checks values against the same model.
struct JSONSchema: Codable, Equatable, Sendable {
    var ref: String?
    var type: [String]?
    var format: String?
    var description: String?
    /// `nil` stands for JSON `null` in a nullable enumeration.
    var enumValues: [String?]?
    var anyOfBox: [JSONSchema]?
    var oneOfBox: [JSONSchema]?
    var notBox: [JSONSchema]?
    var properties: [String: JSONSchema]?
    var required: [String]?
    /// A schema for the values of a map (`[String: Value]`).
    var additionalProperties: AdditionalProperties?
    /// Boxed: a struct cannot hold itself.
    var itemsBox: [JSONSchema]?
    var minimum: Double?
    var maximum: Double?
    var minLength: Int?
    var maxLength: Int?
    var maxItems: Int?
    var pattern: String?
    // Read in schemas written by others (API tests' response schemas); the API's own do not use them.
    var allOfBox: [JSONSchema]?
    var constValue: JSONValue?
    /// An enumeration holding more than strings and null.
    var enumJSON: [JSONValue]?
    /// OpenAPI 3.0's way to add `null`.
    var nullableFlag: Bool?
    var minItems: Int?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    /// What a map's keys must match (boxed: a struct cannot hold itself).
    var propertyNamesBox: [JSONSchema]?

    indirect enum AdditionalProperties: Codable, Equatable, Sendable {
        case allowed(Bool)
        case schema(JSONSchema)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .allowed(flag) } else { self = .schema(try container.decode(JSONSchema.self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .allowed(let flag): try container.encode(flag)
            case .schema(let schema): try container.encode(schema)
            }
        }
    }

    var items: JSONSchema? {
        get { itemsBox?.first }
        set { itemsBox = newValue.map { [$0] } }
    }

    enum CodingKeys: String, CodingKey {
        case ref = "$ref", type, format, description, properties, required, additionalProperties, minimum, maximum
        case minLength, maxLength, maxItems, pattern, minItems, exclusiveMinimum, exclusiveMaximum
        case enumValues = "enum"
        case allOfBox = "allOf"
        case constValue = "const"
        case nullableFlag = "nullable"
        case itemsBox = "items"
        case anyOfBox = "anyOf"
        case oneOfBox = "oneOf"
        case notBox = "not"
        case propertyNamesBox = "propertyNames"
    }

    init() {}

    /// A schema given as JSON (an API test's inline schema, an imported OpenAPI document's).
    init(json: JSONValue) throws {
        self = try JSONDecoder().decode(JSONSchema.self, from: JSONEncoder().encode(json))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ref = try container.decodeIfPresent(String.self, forKey: .ref)
        if let single = try? container.decodeIfPresent(String.self, forKey: .type) {
            type = [single]
        } else {
            type = try container.decodeIfPresent([String].self, forKey: .type)
        }
        format = try container.decodeIfPresent(String.self, forKey: .format)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        if let strings = try? container.decodeIfPresent([String?].self, forKey: .enumValues) {
            enumValues = strings
        } else {
            enumJSON = try container.decodeIfPresent([JSONValue].self, forKey: .enumValues)
        }
        allOfBox = try container.decodeIfPresent([JSONSchema].self, forKey: .allOfBox)
        constValue = try container.decodeIfPresent(JSONValue.self, forKey: .constValue)
        // `"const": null` decodes as absent; it is rare enough to leave.
        nullableFlag = try container.decodeIfPresent(Bool.self, forKey: .nullableFlag)
        minItems = try container.decodeIfPresent(Int.self, forKey: .minItems)
        exclusiveMinimum = try container.decodeIfPresent(Double.self, forKey: .exclusiveMinimum)
        exclusiveMaximum = try container.decodeIfPresent(Double.self, forKey: .exclusiveMaximum)
        anyOfBox = try container.decodeIfPresent([JSONSchema].self, forKey: .anyOfBox)
        oneOfBox = try container.decodeIfPresent([JSONSchema].self, forKey: .oneOfBox)
        notBox = try container.decodeIfPresent(JSONSchema.self, forKey: .notBox).map { [$0] }
        properties = try container.decodeIfPresent([String: JSONSchema].self, forKey: .properties)
        required = try container.decodeIfPresent([String].self, forKey: .required)
        additionalProperties = try container.decodeIfPresent(AdditionalProperties.self, forKey: .additionalProperties)
        items = try container.decodeIfPresent(JSONSchema.self, forKey: .itemsBox)
        minimum = try container.decodeIfPresent(Double.self, forKey: .minimum)
        maximum = try container.decodeIfPresent(Double.self, forKey: .maximum)
        minLength = try container.decodeIfPresent(Int.self, forKey: .minLength)
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
        maxItems = try container.decodeIfPresent(Int.self, forKey: .maxItems)
        pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(ref, forKey: .ref)
        if let type { type.count == 1 ? try container.encode(type[0], forKey: .type) : try container.encode(type, forKey: .type) }
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(description, forKey: .description)
        if let enumJSON {
            try container.encode(enumJSON, forKey: .enumValues)
        } else {
            try container.encodeIfPresent(enumValues, forKey: .enumValues)
        }
        try container.encodeIfPresent(allOfBox, forKey: .allOfBox)
        try container.encodeIfPresent(constValue, forKey: .constValue)
        try container.encodeIfPresent(nullableFlag, forKey: .nullableFlag)
        try container.encodeIfPresent(minItems, forKey: .minItems)
        try container.encodeIfPresent(exclusiveMinimum, forKey: .exclusiveMinimum)
        try container.encodeIfPresent(exclusiveMaximum, forKey: .exclusiveMaximum)
        try container.encodeIfPresent(anyOfBox, forKey: .anyOfBox)
        try container.encodeIfPresent(oneOfBox, forKey: .oneOfBox)
        try container.encodeIfPresent(notBox?.first, forKey: .notBox)
        try container.encodeIfPresent(properties, forKey: .properties)
        try container.encodeIfPresent(required, forKey: .required)
        try container.encodeIfPresent(additionalProperties, forKey: .additionalProperties)
        try container.encodeIfPresent(items, forKey: .itemsBox)
        try container.encodeIfPresent(minimum, forKey: .minimum)
        try container.encodeIfPresent(maximum, forKey: .maximum)
        try container.encodeIfPresent(minLength, forKey: .minLength)
        try container.encodeIfPresent(maxLength, forKey: .maxLength)
        try container.encodeIfPresent(maxItems, forKey: .maxItems)
        try container.encodeIfPresent(pattern, forKey: .pattern)
    }

    // MARK: Building

    static func string(format: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["string"]
        schema.format = format
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.pattern = pattern
        return schema
    }

    static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["integer"]
        schema.minimum = minimum.map(Double.init)
        schema.maximum = maximum.map(Double.init)
        return schema
    }

    static func number(minimum: Double? = nil, maximum: Double? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["number"]
        schema.minimum = minimum
        schema.maximum = maximum
        return schema
    }

    static let boolean: JSONSchema = {
        var schema = JSONSchema()
        schema.type = ["boolean"]
        return schema
    }()

    /// The pattern as well as the format: generators treat formats as hints, patterns as rules.
    /// Text the API takes: no NUL anywhere (`InputLimits` refuses it), at least one visible
    /// character where `nonBlank`.
    static func text(_ length: ClosedRange<Int>, nonBlank: Bool = false) -> JSONSchema {
        string(
            minLength: length.lowerBound > 0 ? length.lowerBound : nil, maxLength: length.upperBound,
            pattern: nonBlank ? #"^[^\x00]*[^\s\x00][^\x00]*$"# : #"^[^\x00]*$"#)
    }

    /// The same schema, refusing these values too.
    func excluding(_ values: [String]) -> JSONSchema {
        var schema = self
        schema.notBox = [.enumeration(values)]
        return schema
    }

    static let uuid = string(format: "uuid", pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    static let dateTime = string(format: "date-time")

    static func enumeration(_ values: [String]) -> JSONSchema {
        var schema = string()
        schema.enumValues = values
        return schema
    }

    static func array(of items: JSONSchema, maxItems: Int? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["array"]
        schema.items = items
        schema.maxItems = maxItems
        return schema
    }

    static func object(_ properties: [String: JSONSchema], required: [String] = []) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["object"]
        schema.properties = properties
        schema.required = required.isEmpty ? nil : required.sorted()
        return schema
    }

    static func map(of values: JSONSchema, keys: JSONSchema? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = ["object"]
        schema.additionalProperties = .schema(values)
        schema.propertyNamesBox = keys.map { [$0] }
        return schema
    }

    static func reference(_ name: String) -> JSONSchema {
        var schema = JSONSchema()
        schema.ref = "#/components/schemas/\(name)"
        return schema
    }

    /// Any JSON value at all (free-form arguments, provider parameters).
    static let anyJSON: JSONSchema = {
        var schema = JSONSchema()
        schema.type = ["object", "array", "string", "number", "boolean", "null"]
        schema.description = "any JSON value"
        return schema
    }()

    /// The same schema, also accepting `null`.
    var nullable: JSONSchema {
        if let ref {
            // A reference cannot carry a type of its own in every reader; wrap it.
            var schema = JSONSchema()
            schema.anyOfBox = [JSONSchema.reference(String(ref.dropFirst("#/components/schemas/".count))), Self.null]
            return schema
        }
        guard var types = type, !types.contains("null") else { return self }
        types.append("null")
        var schema = self
        schema.type = types
        if schema.enumValues != nil { schema.enumValues?.append(nil) }
        return schema
    }

    /// The same schema without `null`.
    var nonNull: JSONSchema {
        if let anyOf = anyOfBox, let kept = anyOf.first(where: { $0.type != ["null"] }), anyOf.count == 2 { return kept }
        var schema = self
        schema.type = type?.filter { $0 != "null" }
        schema.enumValues = enumValues?.filter { $0 != nil }
        return schema
    }

    static let null: JSONSchema = {
        var schema = JSONSchema()
        schema.type = ["null"]
        return schema
    }()

    func with(description: String) -> JSONSchema {
        var schema = self
        schema.description = description
        return schema
    }
}
