import Foundation
import Testing

@testable import AIAgentBackend

extension ImportedCatalog {
    func endpoint(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ImportedEndpoint {
        try #require(endpoints.first { $0.key == key }, "no endpoint \(key) in \(endpoints.map(\.key))", sourceLocation: sourceLocation)
    }

    func hasWarning(at location: String, containing text: String) -> Bool {
        warnings.contains { $0.location == location && $0.message.contains(text) }
    }
}

extension ImportedEndpoint {
    var request: StepRequest? { starterCase.steps.first?.request }
    var assertedStatus: Int? { starterCase.steps.first?.assertions?.first?.equals }
}

/// The first way `value` breaks `schema`, checked by the contract's own validator; `allOf`
/// (which it does not read) is checked branch by branch.
func schemaViolation(of value: JSONValue, against schema: JSONValue) throws -> String? {
    if let parts = schema["allOf"]?.listValue {
        for part in parts { if let problem = try schemaViolation(of: value, against: part) { return problem } }
    }
    let decoded = try JSONDecoder().decode(JSONSchema.self, from: JSONEncoder().encode(schema))
    return SchemaValidator(components: [:]).violation(of: value, against: decoded)
}
