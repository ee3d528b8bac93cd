import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct SwaggerImportTests {
    @Test func petstoreBecomesEndpointsWithBodiesFromBodyAndFormParameters() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.swaggerPetstore, format: nil)
        #expect(catalog.format == .swagger)
        #expect(catalog.title == "Swagger Petstore")
        #expect(catalog.baseURLs == ["default": "https://petstore.swagger.io/v2"])
        #expect(catalog.warnings.isEmpty, "\(catalog.warnings)")
        #expect(
            catalog.endpoints.map(\.key) == [
                "POST /pet", "GET /pet/findByStatus", "GET /pet/{param}", "POST /pet/{param}", "POST /pet/{param}/uploadImage",
            ])

        // `in: body` is the request body; `definitions` refs are resolved; `consumes` picks JSON.
        let add = try catalog.endpoint("POST /pet")
        #expect(add.requestBody?["content_type"] == "application/json")
        let schema = try #require(add.requestBody?["schema"])
        #expect(schema["properties"]?["category"]?["properties"]?["name"] == ["type": "string"])
        let body = try #require(add.request?.body?.json)
        #expect(body == ["name": "doggie", "photoUrls": ["string"]])
        #expect(try schemaViolation(of: body, against: schema) == nil)
        #expect(add.parameters == [])
        // No 2xx documented: the case asserts the class.
        #expect(add.starterCase.steps[0].assertions == [Assertion(type: .status, class: "2xx")])

        let find = try catalog.endpoint("GET /pet/findByStatus")
        #expect(find.request?.query == ["status": "available"])
        #expect(find.parameters[0]?["schema"]?["items"]?["enum"] == ["available", "pending", "sold"])
        #expect(find.responses["200"]?["schema"]?["items"]?["required"] == ["name", "photoUrls"])
        #expect(find.responses["200"]?["content_type"] == "application/json")
        #expect(find.assertedStatus == 200)

        let get = try catalog.endpoint("GET /pet/{param}")
        #expect(get.parameters[0]?["schema"] == ["type": "integer", "format": "int64"])
        #expect(get.starterCase.variables == ["petId": "1"])
        #expect(get.request?.url == "{{base_url}}/pet/{{petId}}")

        let form = try catalog.endpoint("POST /pet/{param}")
        #expect(form.request?.body == RequestBody(type: .form, form: ["status": "string"]))
        #expect(form.requestBody?["content_type"] == "application/x-www-form-urlencoded")
        #expect(form.requestBody?["schema"]?["required"] == ["status"])

        let upload = try catalog.endpoint("POST /pet/{param}/uploadImage")
        #expect(upload.requestBody?["content_type"] == "multipart/form-data")
        #expect(upload.requestBody?["schema"]?["properties"]?["file"] == ["type": "string", "format": "binary"])
        #expect(upload.request?.body?.multipart?.map(\.name) == ["file"])
    }

    @Test func hostlessSwaggerKeepsTheBasePath() throws {
        let document =
            #"{"swagger": "2.0", "basePath": "/api", "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "pong"}}}}}}"#
        let catalog = try CatalogImport.parse(document, format: nil)
        #expect(catalog.baseURLs == ["default": "/api"])
        #expect(try catalog.endpoint("GET /ping").assertedStatus == 200)
    }
}
