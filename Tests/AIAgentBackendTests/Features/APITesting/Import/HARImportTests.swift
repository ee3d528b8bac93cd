import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct HARImportTests {
    @Test func entriesBecomeTemplatedEndpointsWithoutCredentials() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.har, format: nil)
        #expect(catalog.format == .har)
        #expect(catalog.baseURLs == ["default": "https://api.example.com", "cdn.example.com": "https://cdn.example.com"])
        #expect(
            catalog.endpoints.map(\.key) == [
                "GET /static/app.js", "POST /users", "GET /users/{param}", "PUT /users/{param}/avatar/{param}",
            ])

        // Two calls to /users/42 and /users/43 are one endpoint asserting the success seen.
        let user = try catalog.endpoint("GET /users/{param}")
        #expect(user.path == "/users/{id}")
        #expect(user.request?.url == "{{base_url}}/users/{{id}}")
        #expect(user.starterCase.variables == ["id": "42"])
        #expect(user.request?.query == ["expand": "roles"])
        #expect(user.request?.headers == ["Accept": "application/json"])
        #expect(user.assertedStatus == 200)
        #expect(user.responses.objectValue?.keys.sorted() == ["200", "404"])

        let create = try catalog.endpoint("POST /users")
        #expect(create.request?.body == RequestBody(type: .json, json: ["name": "Ada"]))
        #expect(create.request?.headers == nil)
        #expect(create.assertedStatus == 201)

        let avatar = try catalog.endpoint("PUT /users/{param}/avatar/{param}")
        #expect(avatar.path == "/users/{id}/avatar/{id2}")
        #expect(avatar.starterCase.variables == ["id": "42", "id2": "3fa85f64-5717-4562-b3fc-2c963f66afa6"])
        #expect(avatar.request?.body == RequestBody(type: .form, form: ["visible": "true", "size": "large"]))
        #expect(avatar.assertedStatus == 204)

        #expect(try catalog.endpoint("GET /static/app.js").request?.url == "https://cdn.example.com/static/app.js")

        // Credentials are named in a warning; their values are nowhere in the result.
        #expect(catalog.hasWarning(at: "/log/entries/0/request", containing: "authorization, cookie"))
        let encoded = String(decoding: try JSONEncoder().encode(catalog), as: UTF8.self)
        #expect(!encoded.contains("har-secret-token"))
        #expect(!encoded.contains("har-session"))
    }
}
