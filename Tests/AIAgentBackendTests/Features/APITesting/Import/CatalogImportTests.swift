import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct CatalogImportTests {
    @Test func eachFormatIsDetected() throws {
        let detected = try [
            ImportFixtures.openAPI31YAML, ImportFixtures.openAPI30JSON, ImportFixtures.swaggerPetstore, ImportFixtures.postmanCollection,
            ImportFixtures.har, ImportFixtures.curlCommands,
        ].map { try CatalogImport.parse($0, format: nil).format }
        #expect(detected == [.openapi, .openapi, .swagger, .postman, .har, .curl])
        // A collection exported without `_postman_id` is known by its schema URL.
        let schemaOnly = #"{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": []}"#
        #expect(try CatalogImport.parse(schemaOnly, format: nil).format == .postman)
    }

    @Test(arguments: [
        ("{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}", 3),
        ("openapi: 3.1.0\ninfo:\n  title: [unclosed\npaths: {}\n", 4),
        ("openapi: 3.1.0\npaths:\n\t/a: {}\n", 3),
    ])
    func syntaxErrorsNameTheLine(_ content: String, line: Int) throws {
        let error = #expect(throws: APIError.self) { try CatalogImport.parse(content, format: nil) }
        #expect(error?.status == .unprocessableContent)
        #expect(error?.details?["line"] == String(line), "\(String(describing: error))")
    }

    @Test(arguments: [
        ("openapi: 3.0.0\ninfo: {title: x}\n", ImportFormat?.none, "/paths"),
        (#"{"swagger": "2.0", "paths": []}"#, nil, "/paths"),
        (#"{"info": {"_postman_id": "1"}, "item": {}}"#, nil, "/item"),
        (#"{"log": {"version": "1.2"}}"#, nil, "/log/entries"),
        ("openapi: 4.0.0\npaths: {}\n", nil, "/openapi"),
        ("just some words", nil, ""),
        (#"{"name": "not an API"}"#, nil, ""),
        (#"{"log": {"entries": []}}"#, .openapi, "/paths"),
    ])
    func documentsOfNoKnownShapeAreRefusedWithAPointer(_ content: String, format: ImportFormat?, pointer: String) throws {
        let error = #expect(throws: APIError.self) { try CatalogImport.parse(content, format: format) }
        #expect(error?.status == .unprocessableContent)
        #expect(error?.details?["pointer"] == pointer, "\(String(describing: error))")
    }

    @Test func hostileSizesAreRefused() throws {
        let deepJSON = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: APIError.self) { try CatalogImport.parse(deepJSON, format: nil) }

        var deepYAML = "openapi: 3.1.0\npaths:\n"
        for level in 0..<80 { deepYAML += String(repeating: " ", count: 2 * level + 2) + "k\(level):\n" }
        let deep = #expect(throws: APIError.self) { try CatalogImport.parse(deepYAML, format: nil) }
        #expect(deep?.message.contains("nesting") == true)

        // Aliases that expand to billions of nodes.
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip(names, names.dropFirst()) {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        let expanded = #expect(throws: APIError.self) { try CatalogImport.parse(bomb, format: .openapi) }
        #expect(expanded?.message.contains("expands") == true)

        let paths = (0...ImportLimits.maxOperations).map { "\"/p\($0)\": {\"get\": {\"responses\": {}}}" }.joined(separator: ",")
        let tooMany = #expect(throws: APIError.self) { try CatalogImport.parse("{\"openapi\": \"3.0.0\", \"paths\": {\(paths)}}", format: nil) }
        #expect(tooMany?.details?["pointer"] == "/paths")
    }

    /// Truncated documents and a wrong type at every level: a result or a 422, never a crash.
    @Test(arguments: [
        ImportFixtures.openAPI30JSON, ImportFixtures.swaggerPetstore, ImportFixtures.postmanCollection, ImportFixtures.har,
    ])
    func mangledDocumentsNeverCrash(_ fixture: String) throws {
        let document = try JSONValue(parsing: fixture)
        let format = try CatalogImport.detect(document)
        // Wrong types parsed as the fixture's format, so a mangled marker does not hide the rest;
        // truncations detected, as an upload would be.
        let inputs =
            Self.variants(of: document).map { ($0.jsonString, Optional(format)) }
            + stride(from: 0, to: fixture.count, by: max(1, fixture.count / 40)).map { (String(fixture.prefix($0)), nil) }
        #expect(inputs.count > 300)
        for (input, chosen) in inputs {
            do {
                _ = try CatalogImport.parse(input, format: chosen)
            } catch {
                #expect(error.status == .unprocessableContent, "\(error) for \(input.prefix(200))")
            }
        }
    }

    @Test func mangledYAMLAndCurlNeverCrash() throws {
        let inputs = [ImportFixtures.openAPI31YAML, ImportFixtures.curlCommands].flatMap { text in
            let characters = Array(text)
            return stride(from: 0, to: characters.count, by: max(1, characters.count / 60)).map { String(characters[..<$0]) }
        }
        for input in inputs {
            do {
                _ = try CatalogImport.parse(input, format: nil)
            } catch {
                #expect(error.status == .unprocessableContent, "\(error) for \(input.suffix(100))")
            }
        }
        let yaml = try ImportDocument.parse(ImportFixtures.openAPI31YAML)
        for variant in Self.variants(of: yaml) {
            do {
                _ = try CatalogImport.parse(variant.jsonString, format: .openapi)
            } catch {
                #expect(error.status == .unprocessableContent, "\(error)")
            }
        }
    }

    /// `value` with each node in turn replaced by a null, a number and an object.
    private static func variants(of value: JSONValue) -> [JSONValue] {
        var result: [JSONValue] = [.null, 7, [:]].filter { $0 != value }
        switch value {
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                for variant in variants(of: member) {
                    var copy = members
                    copy[key] = variant
                    result.append(.object(copy))
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                for variant in variants(of: item) {
                    var copy = items
                    copy[index] = variant
                    result.append(.array(copy))
                }
            }
        default: break
        }
        return result
    }
}
