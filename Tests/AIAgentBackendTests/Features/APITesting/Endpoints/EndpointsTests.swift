import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct EndpointsTests {
    @Test(arguments: DatabaseKind.allCases)
    func crudFiltersAndErrors(_ kind: DatabaseKind) async throws {
        try await APITestingFixture.with(kind) { fixture in
            let client = fixture.client
            let projectID = try await client.project(named: "Catalogue", token: fixture.tester)
            let uri = "/api/v1/projects/\(projectID)/endpoints"
            let listPets = try await client.create(
                uri,
                [
                    "method": "GET", "path": "/pets", "summary": "List pets", "tags": ["pets", "read_only"],
                    "parameters": [["name": "limit", "in": "query", "schema": ["type": "integer"]]],
                    "responses": ["200": ["description": "ok"]],
                ], token: fixture.tester)
            let createPet = try await client.create(
                uri, ["method": "POST", "path": "/pets", "summary": "Add a pet", "tags": ["pets"], "request_body": ["required": true]],
                token: fixture.tester)
            _ = try await client.create(
                uri, ["method": "GET", "path": "/orders/{id}", "deprecated": true, "tags": ["readXonly"]], token: fixture.tester)

            let pet = try await client.call(.get, "\(uri)/\(listPets)", token: fixture.tester) { try $0.json() }
            #expect(pet["operation_key"]?.string == "GET /pets")
            #expect(pet[path: "parameters"]?.array?.first?["name"]?.string == "limit")
            #expect(pet["request_body"] == nil && pet["deprecated"] == .bool(false))

            func ids(_ query: String) async throws -> [String] {
                try await client.call(.get, "\(uri)?\(query)", token: fixture.tester) { response in
                    #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                    return try response.json()["items"]?.array?.compactMap { $0["id"]?.string } ?? []
                }
            }
            #expect(try await ids("tag=pets").sorted() == [listPets, createPet].sorted())
            #expect(try await ids("tag=read_only") == [listPets], "_ is no wildcard")
            #expect(try await ids("method=POST") == [createPet])
            #expect(try await ids("search=ADD") == [createPet])
            #expect(try await ids("search=orders").count == 1)
            #expect(try await ids("deprecated=true").count == 1)
            #expect(try await ids("deprecated=false").count == 2)
            _ = try await client.failure(.get, "\(uri)?method=FETCH", token: fixture.tester, .unprocessableContent)

            _ = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(["method": "GET", "path": "/pets"]), .conflict)
            _ = try await client.failure(.put, "\(uri)/\(createPet)", token: fixture.tester, json: jsonText(["method": "GET"]), .conflict)
            let badPath = try await client.failure(
                .post, uri, token: fixture.tester, json: jsonText(["method": "GET", "path": "pets"]), .unprocessableContent)
            #expect(badPath.details?["field"] == "path")
            let missing = try await client.failure(.post, uri, token: fixture.tester, json: jsonText(["path": "/x"]), .unprocessableContent)
            #expect(missing.details?["field"] == "method")

            let moved = try await client.call(.put, "\(uri)/\(createPet)", token: fixture.tester, json: jsonText(["path": "/animals"])) {
                try $0.json()
            }
            #expect(moved["operation_key"]?.string == "POST /animals" && moved["summary"]?.string == "Add a pet")

            let other = try await client.project(named: "Other", token: fixture.tester)
            _ = try await client.failure(.get, "/api/v1/projects/\(other)/endpoints/\(listPets)", token: fixture.tester, .notFound)
            try await client.call(.delete, "\(uri)/\(listPets)", token: fixture.tester) { #expect($0.status == .noContent) }
            _ = try await client.failure(.get, "\(uri)/\(listPets)", token: fixture.tester, .notFound)
        }
    }
}
