import Foundation

/// The JSON schemas each stage's answer must match (sent to the provider and checked on
/// return), and the answers as decoded.
enum GenerationSchemas {
    private static let strings: JSONValue = ["type": "array", "items": ["type": "string"]]
    private static let priority: JSONValue = ["type": "string", "enum": .array(GeneratedPriority.allCases.map { .string($0.rawValue) })]

    static let analysis = ResponseSchema(
        name: "test_points",
        schema: [
            "type": "object", "required": ["test_points"],
            "properties": [
                "test_points": [
                    "type": "array", "minItems": 1,
                    "items": [
                        "type": "object", "required": ["id", "title", "behaviour", "source"],
                        "properties": [
                            "id": ["type": "string"], "title": ["type": "string"], "behaviour": ["type": "string"], "inputs": strings,
                            "rules": strings, "risks": strings,
                            "source": [
                                "type": "object", "required": ["kind"],
                                "properties": [
                                    "kind": ["type": "string", "enum": ["operation", "requirement"]], "operation": ["type": "string"],
                                    "fields": strings, "quote": ["type": "string"],
                                ],
                            ],
                        ],
                    ],
                ]
            ],
        ])

    static let design = ResponseSchema(
        name: "test_cases",
        schema: [
            "type": "object", "required": ["cases"],
            "properties": [
                "cases": [
                    "type": "array", "minItems": 1,
                    "items": [
                        "type": "object", "required": ["name", "kind", "priority", "test_points", "definition"],
                        "properties": [
                            "name": ["type": "string", "minLength": 1],
                            "kind": ["type": "string", "enum": .array(GeneratedCaseKind.allCases.map { .string($0.rawValue) })],
                            "priority": priority, "operation": ["type": ["string", "null"]], "test_points": strings,
                            "violation": ["type": ["string", "null"]],
                            "definition": ["type": "object", "required": ["steps"], "properties": ["steps": ["type": "array", "minItems": 1]]],
                        ],
                    ],
                ]
            ],
        ])

    static let review = ResponseSchema(
        name: "review",
        schema: [
            "type": "object", "required": ["scores", "cases", "holes"],
            "properties": [
                "scores": [
                    "type": "object", "required": ["coverage", "clarity"],
                    "properties": [
                        "coverage": ["type": "number", "minimum": 0, "maximum": 10], "clarity": ["type": "number", "minimum": 0, "maximum": 10],
                    ],
                ],
                "cases": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["ref", "priority", "test_points"],
                        "properties": [
                            "ref": ["type": "string"], "priority": priority, "test_points": strings,
                            "duplicate_of": ["type": ["string", "null"]],
                        ],
                    ],
                ],
                "holes": strings,
            ],
        ])

    static let repair = ResponseSchema(
        name: "repaired_case",
        schema: [
            "type": "object", "required": ["definition"],
            "properties": [
                "definition": ["type": "object", "required": ["steps"], "properties": ["steps": ["type": "array", "minItems": 1]]],
                "note": ["type": "string"],
            ],
        ])
}

struct AnalysisAnswer: Decodable {
    var testPoints: [TestPoint]

    enum CodingKeys: String, CodingKey { case testPoints = "test_points" }
}

struct DesignedCase: Decodable {
    var name: String
    var kind: GeneratedCaseKind
    var priority: GeneratedPriority
    var operation: String?
    var testPoints: [String]
    var violation: String?
    var definition: JSONValue

    enum CodingKeys: String, CodingKey {
        case name, kind, priority, operation, violation, definition
        case testPoints = "test_points"
    }
}

struct DesignAnswer: Decodable {
    var cases: [DesignedCase]
}

struct ReviewAnswer: Decodable {
    struct Verdict: Decodable {
        var ref: String
        var priority: GeneratedPriority
        var testPoints: [String]
        var duplicateOf: String?

        enum CodingKeys: String, CodingKey {
            case ref, priority
            case testPoints = "test_points"
            case duplicateOf = "duplicate_of"
        }
    }
    struct Scores: Decodable {
        var coverage: Double
        var clarity: Double
    }
    var scores: Scores
    var cases: [Verdict]
    var holes: [String]
}

struct RepairAnswer: Decodable {
    var definition: JSONValue
    var note: String?
}
