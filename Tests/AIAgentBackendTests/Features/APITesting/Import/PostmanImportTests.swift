import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct PostmanImportTests {
    @Test func collectionWithEnvironmentKeepsTemplatesFoldersAndAuth() throws {
        let catalog = try CatalogImport.parse(
            ImportFixtures.postmanCollection, format: nil, postmanEnvironment: ImportFixtures.postmanEnvironment)
        #expect(catalog.format == .postman)
        #expect(catalog.title == "Shop API")
        // The environment's values win over the collection's; the secret one is flagged; disabled ones are left out.
        #expect(
            catalog.variables == [
                "base_url": "https://staging.shop.example.com", "page_size": "20", "access_token": "s3cr3t-token",
            ])
        #expect(catalog.secretVariables == ["access_token"])
        #expect(catalog.baseURLs["base_url"] == "https://staging.shop.example.com")
        #expect(catalog.hasWarning(at: "/item/1/request/url", containing: "{{auth_url}}"))

        let delete = try catalog.endpoint("DELETE /users/{param}")
        #expect(delete.path == "/users/{userId}")
        #expect(delete.tags == ["Users", "Admin"])
        #expect(delete.summary == "Delete user")
        #expect(delete.request?.url == "{{base_url}}/users/{{userId}}")
        #expect(delete.starterCase.variables == ["userId": "42"])
        #expect(delete.request?.auth == RequestAuth(type: .bearer, token: "{{access_token}}"))
        #expect(delete.assertedStatus == 204)

        let list = try catalog.endpoint("GET /users")
        #expect(list.tags == ["Users"])
        #expect(list.request?.url == "{{base_url}}/users")
        #expect(list.request?.query == ["page": "1", "size": "{{page_size}}"])
        #expect(list.request?.headers == ["Accept": "application/json"])
        #expect(list.assertedStatus == 200)
        #expect(list.responses["400"]?["description"] == "Bad")

        let create = try catalog.endpoint("POST /users")
        #expect(create.request?.body == RequestBody(type: .json, json: ["name": "Ada", "role": "admin"]))
        #expect(create.request?.headers == nil)
        #expect(create.starterCase.steps[0].assertions == [Assertion(type: .status, class: "2xx")])

        let login = try catalog.endpoint("POST /token")
        #expect(login.tags == [])
        #expect(login.request?.url == "{{auth_url}}/token")
        #expect(login.request?.auth == RequestAuth(type: .basic, username: "{{user}}", password: "{{password}}"))
        #expect(login.request?.body == RequestBody(type: .form, form: ["grant_type": "password", "scope": "read"]))

        let upload = try catalog.endpoint("PUT /avatars/{param}")
        #expect(upload.request?.url == "https://cdn.example.com/avatars/{{userId}}")
        #expect(upload.request?.auth == RequestAuth(type: .apiKey, name: "X-API-Key", value: "{{api_key}}", in: .header))
        let fields = try #require(upload.request?.body?.multipart)
        #expect(fields.map(\.name) == ["caption", "avatar"])
        #expect(fields[0].value == "me")
        #expect(fields[1].filename == "avatar.png")
        #expect(catalog.hasWarning(at: "/item/2/request/body", containing: "avatar.png"))

        #expect(try catalog.endpoint("GET /ping").request?.auth == RequestAuth(type: .none))
    }

    @Test func withoutEnvironmentTheCollectionVariablesApply() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.postmanCollection, format: .postman)
        #expect(catalog.variables == ["base_url": "https://shop.example.com", "page_size": "20"])
        #expect(catalog.secretVariables.isEmpty)
        #expect(catalog.baseURLs == ["base_url": "https://shop.example.com"])
    }

    @Test func aBrokenEnvironmentIsRefusedByName() throws {
        let error = #expect(throws: APIError.self) {
            try CatalogImport.parse(ImportFixtures.postmanCollection, format: nil, postmanEnvironment: #"{"name": "x"}"#)
        }
        #expect(error?.status == .unprocessableContent)
        #expect(error?.details?["field"] == "postman_environment")
    }
}
