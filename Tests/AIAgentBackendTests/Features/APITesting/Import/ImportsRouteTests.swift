import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct ImportsRouteTests {
    @Test(arguments: DatabaseKind.allCases)
    func importsEachFormat(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let documents: [(ImportFormat, String, String?)] = [
                (.openapi, ImportFixtures.openAPI31YAML, nil), (.openapi, ImportFixtures.openAPI30JSON, nil),
                (.swagger, ImportFixtures.swaggerPetstore, nil), (.postman, ImportFixtures.postmanCollection, ImportFixtures.postmanEnvironment),
                (.har, ImportFixtures.har, nil), (.curl, ImportFixtures.curlCommands, nil),
            ]
            for (index, (format, content, environment)) in documents.enumerated() {
                let expected = try CatalogImport.parse(content, format: format, postmanEnvironment: environment)
                let projectID = try await client.project(named: "Formats \(index)", token: fixture.tester)
                var body: [String: Any] = ["content": content, "create_cases": true]
                if let environment { body["postman_environment"] = environment }
                let report = try await client.importing(into: projectID, body, token: fixture.tester)
                #expect(report["format"]?.string == format.rawValue)
                #expect(report["created"]?.array?.count == expected.endpoints.count, "\(format)")
                #expect(report["created"]?.array?.allSatisfy { $0["case_id"]?.string != nil } == true)
                #expect(try await client.total("/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) == expected.endpoints.count)
                #expect(try await client.total("/api/v1/projects/\(projectID)/cases", token: fixture.tester) == expected.endpoints.count)
                let cases = try await client.call(.get, "/api/v1/projects/\(projectID)/cases?page_size=100", token: fixture.tester) { try $0.json() }
                #expect(cases["items"]?.array?.allSatisfy { $0["endpoint_id"]?.string != nil } == true)
            }

            // The OpenAPI 3.1 document's servers and the Postman environment's secret become environments.
            let clinic = try await client.environments(of: client.projectID(named: "Formats 0", token: fixture.tester), token: fixture.tester)
            #expect(clinic.first?["name"]?.string == "Imported: Pet Clinic")
            #expect(clinic.first?["base_urls"]?["default"]?.string == "https://eu.api.example.com/v2")
            let shop = try await client.environments(of: client.projectID(named: "Formats 3", token: fixture.tester), token: fixture.tester)
            let token = shop.first?["variables"]?.array?.first { $0["name"]?.string == "access_token" }
            #expect(token?["secret"] == .bool(true) && token?["value"]?.string == SecretValues.mask)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func secretsNeverLeaveTheBox(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Orders", token: fixture.tester)
            let answer = try await client.call(
                .post, "/api/v1/projects/\(projectID)/imports", token: fixture.tester,
                json: jsonText(["content": ImportFixtures.curlCommands, "create_cases": true])
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return String(buffer: response.body)
            }
            let secrets = ["pa55", "tok-123"]
            #expect(!secrets.contains { answer.contains($0) })
            let importID = try #require(try JSONDecoder().decode([String: JSONAny].self, from: Data(answer.utf8))["id"]?.string)
            let stored = try await client.call(.get, "/api/v1/projects/\(projectID)/imports/\(importID)", token: fixture.tester) {
                String(buffer: $0.body)
            }
            #expect(!secrets.contains { stored.contains($0) })

            let environment = try #require(try await client.environments(of: projectID, token: fixture.tester).first)
            let variables = environment["variables"]?.array ?? []
            #expect(Set(variables.filter { $0["secret"] == .bool(true) }.compactMap { $0["name"]?.string }) == ["password", "token"])
            // Sealed, not lost: a run opens them.
            let project = try #require(try await Project.find(UUID(uuidString: projectID), on: fixture.services.database.database))
            let repository = EnvironmentRepository(
                database: fixture.services.database, secrets: SecretValues(box: SecretBox(settings: fixture.settings)))
            let resolved = try await repository.resolved(UUID(uuidString: environment["id"]?.string ?? "")!, in: project)
            #expect(resolved.secretValues == Set(secrets))

            var rows = ""
            for table in ["imports", "environments", "endpoints", "test_cases", "audit_logs"] {
                for row in try await fixture.services.database.sql.raw("SELECT * FROM \(unsafeRaw: table)").all() {
                    for column in row.allColumns { rows += (try? row.decode(column: column, as: String?.self)).flatMap { $0 } ?? "" }
                }
            }
            #expect(rows.contains("password") && !secrets.contains { rows.contains($0) })
            if case .sqlite(let path) = fixture.settings.database {
                for file in [path, path + "-wal"] {
                    guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                    #expect(!secrets.contains { bytes.range(of: Data($0.utf8)) != nil }, "\(file)")
                }
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func openAPIReimportSynchronisesByDifference(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Pets", token: fixture.tester)
            let typedIn = try await client.create(
                "/api/v1/projects/\(projectID)/endpoints", ["method": "GET", "path": "/health"], token: fixture.tester)
            let first = try await client.importing(
                into: projectID, ["content": Self.petsDocument(version: 1), "create_cases": true], token: fixture.tester)
            #expect(
                Set(first["created"]?.array?.compactMap { $0["operation_key"]?.string } ?? []) == ["GET /pets", "POST /pets", "DELETE /pets/{petId}"])
            let deleteCase = try #require(
                first["created"]?.array?.first { $0["operation_key"]?.string == "DELETE /pets/{petId}" }?["case_id"]?.string)

            // A dry run reports the same difference and writes nothing.
            let preview = try await client.call(
                .post, "/api/v1/projects/\(projectID)/imports", token: fixture.tester,
                json: jsonText(["content": Self.petsDocument(version: 2), "dry_run": true])
            ) { response in
                #expect(response.status == .ok, "dry run: \(String(buffer: response.body).prefix(500))")
                return try response.json()
            }
            #expect(try await client.total("/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) == 4)
            #expect(try await client.total("/api/v1/projects/\(projectID)/imports", token: fixture.tester) == 1)
            let stillLinked = try await client.call(.get, "/api/v1/projects/\(projectID)/cases/\(deleteCase)", token: fixture.tester) {
                try $0.json()
            }
            #expect(stillLinked["flagged"] == .bool(false))

            let second = try await client.importing(into: projectID, ["content": Self.petsDocument(version: 2)], token: fixture.tester)
            let secondID = try #require(second["id"]?.string)
            for key in ["created", "removed", "flagged_cases"] {
                #expect(
                    preview[key]?.array?.compactMap { $0["operation_key"]?.string } == second[key]?.array?.compactMap { $0["operation_key"]?.string },
                    "\(key)")
            }
            #expect(preview["updated"]?.array?.first?["changed"] == second["updated"]?.array?.first?["changed"])
            #expect(second["created"]?.array?.compactMap { $0["operation_key"]?.string } == ["GET /owners"])
            let updated = second["updated"]?.array ?? []
            #expect(updated.compactMap { $0["operation_key"]?.string } == ["GET /pets"])
            #expect(updated.first?["changed"]?.array?.compactMap(\.string) == ["summary", "parameters", "deprecated"])
            #expect(second["removed"]?.array?.compactMap { $0["operation_key"]?.string } == ["DELETE /pets/{petId}"])
            #expect(second["skipped"]?.array?.contains { $0["item"]?.string == "POST /pets" && $0["reason"]?.string == "unchanged" } == true)
            #expect(second["flagged_cases"]?.array?.compactMap { $0["case_id"]?.string } == [deleteCase])

            let flagged = try await client.call(.get, "/api/v1/projects/\(projectID)/cases/\(deleteCase)", token: fixture.tester) { try $0.json() }
            #expect(flagged["flagged"] == .bool(true) && flagged["endpoint_id"] == nil)
            let reason = flagged["flag_reason"]?.string ?? ""
            #expect(reason.contains("DELETE /pets/{petId}") && reason.contains(secondID))
            let keys = try await client.call(.get, "/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) { try $0.json() }["items"]?
                .array?.compactMap { $0["operation_key"]?.string }
            #expect(Set(keys ?? []) == ["GET /health", "GET /owners", "GET /pets", "POST /pets"], "the typed-in endpoint stays")
            _ = typedIn

            // Other formats add and update, never remove.
            let curl = try await client.importing(
                into: projectID, ["content": "curl https://pets.example.com/v1/cats", "format": "curl"], token: fixture.tester)
            #expect(curl["removed"]?.array?.isEmpty == true)
            #expect(try await client.total("/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) == 5)

            let list = try await client.call(.get, "/api/v1/projects/\(projectID)/imports", token: fixture.tester) { try $0.json() }
            #expect(list["total"]?.number == 3)
            #expect(
                list["items"]?.array?.contains { $0["id"]?.string == secondID && $0["removed"]?.number == 1 && $0["flagged_cases"]?.number == 1 }
                    == true)
            let report = try await client.call(.get, "/api/v1/projects/\(projectID)/imports/\(secondID)", token: fixture.tester) { try $0.json() }
            #expect(report["removed"] == second["removed"] && report["updated"] == second["updated"])
            _ = try await client.failure(.get, "/api/v1/projects/\(projectID)/imports/\(UUID())", token: fixture.tester, .notFound)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func brokenOrFailingImportsWriteNothing(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Broken", token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/imports"
            let syntax = try await client.failure(
                .post, uri, token: fixture.tester, json: jsonText(["content": "{\"openapi\": \"3.0.0\",\n\"paths\": [\n"]), .unprocessableContent)
            #expect(syntax.details?["field"] == "content" && syntax.details?["line"] != nil)
            let version = try await client.failure(
                .post, uri, token: fixture.tester, json: jsonText(["content": "{\"openapi\": \"4.0\", \"paths\": {}}"]), .unprocessableContent)
            #expect(version.details?["pointer"] == "/openapi")
            let missing = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(["format": "har"]), .unprocessableContent)
            #expect(missing.details?["field"] == "content")

            // A row the import cannot see as the same operation but collides with: the unique key fails mid-way.
            let rogue = APIEndpoint()
            rogue.projectID = try #require(UUID(uuidString: projectID))
            rogue.method = .GET
            rogue.path = "/legacy"
            rogue.operationKey = "GET /pets"
            rogue.tagsJSON = "[]"
            rogue.deprecated = false
            try await rogue.create(on: fixture.services.database.database)
            _ = try await client.failure(
                .post, uri, token: fixture.tester, json: jsonText(["content": Self.petsDocument(version: 1), "create_cases": true]), .conflict)

            #expect(try await client.total("/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) == 1)
            #expect(try await client.total("/api/v1/projects/\(projectID)/cases", token: fixture.tester) == 0)
            #expect(try await client.total("/api/v1/projects/\(projectID)/environments", token: fixture.tester) == 0)
            #expect(try await client.total(uri, token: fixture.tester) == 0)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func multipartUpload(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Uploads", token: fixture.tester)
            let boundary = "----import-\(UUID().uuidString)"
            let body =
                [
                    ("file", "petstore.json", ImportFixtures.swaggerPetstore), ("format", nil, "swagger"), ("create_cases", nil, "true"),
                ].map { name, filename, content in
                    let disposition = "form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
                    return "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n\r\n\(content)\r\n"
                }.joined() + "--\(boundary)--\r\n"
            let expected = try CatalogImport.parse(ImportFixtures.swaggerPetstore, format: .swagger).endpoints.count
            let report = try await client.execute(
                uri: "/api/v1/projects/\(projectID)/imports", method: .post,
                headers: [.authorization: "Bearer \(fixture.tester)", .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try response.json()
            }
            #expect(report["format"]?.string == "swagger" && report["source_filename"]?.string == "petstore.json")
            #expect(report["created"]?.array?.count == expected)
            #expect(try await client.total("/api/v1/projects/\(projectID)/cases", token: fixture.tester) == expected)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func documentJustUnderTheBodyLimit(_ kind: DatabaseKind) async throws {
        let limit = 1_000_000
        try await APITestingFixture.with(kind, adjust: { $0.maxBodySize = limit }) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Large", token: fixture.tester)
            let operations = 3_000
            let paths = (0..<operations).map {
                "\"/items/\($0)\": {\"get\": {\"summary\": \"Item \($0)\", \"responses\": {\"200\": {\"description\": \"ok\"}}}}"
            }
            func body(padding: Int) -> String {
                let document =
                    "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"Large\", \"version\": \"1\", \"description\": \"\(String(repeating: "x", count: padding))\"}, \"paths\": {\(paths.joined(separator: ", "))}}"
                return jsonText(["content": document])
            }
            let base = body(padding: 0).utf8.count
            let large = body(padding: limit - base - 100)
            #expect((limit - 200)..<limit ~= large.utf8.count)
            let report = try await client.importing(into: projectID, large, token: fixture.tester)
            #expect(report["created"]?.array?.count == operations)
            _ = try await client.failure(
                .post, "/api/v1/projects/\(projectID)/imports", token: fixture.tester, json: body(padding: limit - base + 1), .contentTooLarge)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func permissionsAndVisibility(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let viewerID = try await client.createUser("vera", roles: ["viewer"], adminToken: fixture.admin)
            let viewer = try await client.login("vera", "user-password-1").accessToken
            let projectID = try await client.project(named: "Shared", members: [viewerID], token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/imports"
            _ = try await client.failure(.post, uri, token: viewer, json: jsonText(["content": ImportFixtures.har]), .forbidden)
            #expect(try await client.total(uri, token: viewer) == 0)

            let hidden = try await client.project(named: "Hidden", token: fixture.admin)
            _ = try await client.failure(
                .post, "/api/v1/projects/\(hidden)/imports", token: fixture.tester, json: jsonText(["content": ImportFixtures.har]), .notFound)
            _ = try await client.failure(.get, "/api/v1/projects/\(hidden)/imports", token: fixture.tester, .notFound)
        }
    }

    /// Three operations in version 1; version 2 changes `GET /pets`, keeps `POST /pets`,
    /// drops `DELETE /pets/{petId}` and adds `GET /owners`.
    static func petsDocument(version: Int) -> String {
        let listPets =
            version == 1
            ? #""get": {"summary": "List pets", "responses": {"200": {"description": "ok"}}}"#
            : #""get": {"summary": "List all pets", "deprecated": true, "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "ok"}}}"#
        let createPet = #""post": {"summary": "Add a pet", "responses": {"201": {"description": "created"}}}"#
        let paths =
            version == 1
            ? #""/pets": {\#(listPets), \#(createPet)}, "/pets/{petId}": {"delete": {"summary": "Remove a pet", "responses": {"204": {"description": "gone"}}}}"#
            : #""/pets": {\#(listPets), \#(createPet)}, "/owners": {"get": {"summary": "List owners", "responses": {"200": {"description": "ok"}}}}"#
        return
            #"{"openapi": "3.0.3", "info": {"title": "Pets", "version": "\#(version)"}, "servers": [{"url": "https://pets.example.com/v1"}], "paths": {\#(paths)}}"#
    }
}

extension TestClientProtocol {
    /// Imports `body` (a JSON object, or JSON text) into the project; expects 201 and returns the report.
    func importing(into projectID: String, _ body: Any, token: String) async throws -> [String: JSONAny] {
        let json = (body as? String) ?? jsonText(body as? [String: Any] ?? [:])
        return try await call(.post, "/api/v1/projects/\(projectID)/imports", token: token, json: json) { response in
            #expect(response.status == .created, "import: \(String(buffer: response.body).prefix(500))")
            return try response.json()
        }
    }

    func total(_ uri: String, token: String) async throws -> Int {
        try await call(.get, uri, token: token) { response in
            #expect(response.status == .ok, "GET \(uri): \(String(buffer: response.body))")
            return Int(try response.json()["total"]?.number ?? -1)
        }
    }

    func environments(of projectID: String, token: String) async throws -> [JSONAny] {
        try await call(.get, "/api/v1/projects/\(projectID)/environments", token: token) { try $0.json()["items"]?.array ?? [] }
    }

    func projectID(named name: String, token: String) async throws -> String {
        try await call(.get, "/api/v1/projects?search=\(name.replacingOccurrences(of: " ", with: "%20"))", token: token) {
            try #require(try $0.json()["items"]?.array?.first { $0["name"]?.string == name }?["id"]?.string)
        }
    }
}
