import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct SuiteFileSchemaTests {
    static let published = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/suite-file.schema.json")

    @Test func thePublishedSchemaIsTheOneTheTypesGive() throws {
        let published = try Data(contentsOf: Self.published)
        #expect(published == (try SuiteFileSchema.document()), "regenerate: ai-agent-backend test schema > docs/suite-file.schema.json")
    }

    @Test func aSuiteFileConformsAndABrokenOneIsNamed() throws {
        let (root, components) = try SuiteFileSchema.reflect()
        let validator = SchemaValidator(components: components)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString).yaml").path
        try Data(LocalTestRunTests.passingSuite.utf8).write(to: URL(fileURLWithPath: path))
        let suite = try InputFile.decode(SuiteFile.self, at: path)
        let value = try JSONCoding.decoder.decode(JSONValue.self, from: JSONCoding.encoder.encode(suite))
        #expect(validator.violation(of: value, against: root) == nil)

        guard case .object(var broken) = value else { throw TestSetupError() }
        broken["cases"] = [["name": "no steps"]]
        let violation = try #require(validator.violation(of: .object(broken), against: root))
        #expect(violation.contains("steps"), "\(violation)")
        broken["mode"] = "sideways"
        #expect(validator.violation(of: .object(broken), against: root) != nil)
    }
}
