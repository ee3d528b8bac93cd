import Foundation

/// The JSON Schema of the suite file, reflected from `SuiteFile` as the API's schemas are
/// from its inputs: `ai-agent-backend test schema` prints it, `docs/suite-file.schema.json` publishes it.
public enum SuiteFileSchema {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `$ref`s point into `components.schemas`, as in the OpenAPI document.
    static func reflect() throws(Failure) -> (root: JSONSchema, components: [String: JSONSchema]) {
        let reflector = SchemaReflector()
        let root = reflector.schema(for: SuiteFile.self, .request)
        guard reflector.failures.isEmpty else { throw Failure(description: reflector.failures.joined(separator: "; ")) }
        return (root, reflector.components)
    }

    /// Pretty, keys sorted: the same types always give the same file.
    public static func document() throws -> Data {
        let (root, components) = try reflect()
        var document = try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(root))
        document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        document["title"] = "ai-agent-backend suite file"
        document["description"] = "A suite and its cases, as `ai-agent-backend test run` reads it and `test export` writes it (YAML or JSON)."
        document["components"] = ["schemas": try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(components))]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document) + Data("\n".utf8)
    }
}
