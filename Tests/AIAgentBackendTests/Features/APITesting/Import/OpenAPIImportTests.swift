import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct OpenAPIImportTests {
    @Test func openAPI31YAMLResolvesReferencesServersAndSamples() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.openAPI31YAML, format: nil)
        #expect(catalog.format == .openapi)
        #expect(catalog.title == "Pet Clinic")
        #expect(catalog.baseURLs == ["default": "https://eu.api.example.com/v2", "local": "http://localhost:8080/v2"])
        #expect(catalog.variables == ["region": "eu", "version": "v2"])
        #expect(
            catalog.endpoints.map(\.key) == [
                "GET /categories", "PUT /categories", "GET /owners/{param}/pets", "POST /owners/{param}/pets",
                "GET /owners/{param}/pets/{param}", "DELETE /owners/{param}/pets/{param}",
            ])

        // Path-level and operation parameters merged; a required query parameter is sampled within its bounds.
        let list = try catalog.endpoint("GET /owners/{param}/pets")
        #expect(list.operationID == "listPets")
        #expect(list.tags == ["pets"])
        #expect(list.summary == "List an owner's pets")
        #expect(list.parameters.listValue?.compactMap { $0["name"]?.stringValue } == ["ownerId", "limit"])
        #expect(list.request?.url == "{{base_url}}/owners/{{ownerId}}/pets")
        #expect(list.request?.query == ["limit": "1"])
        #expect(list.starterCase.variables == ["ownerId": "42"])
        #expect(list.assertedStatus == 200)
        // Response `$ref`s resolved; `allOf` kept in the stored schema.
        #expect(list.responses["default"]?["description"] == "An error")
        #expect(list.responses["default"]?["schema"]?["properties"]?["code"] == ["type": "integer"])
        let item = try #require(list.responses["200"]?["schema"]?["items"])
        #expect(item["allOf"]?.listValue?.count == 2)
        #expect(item["allOf"]?[0]?["allOf"]?[0]?["required"] == ["name", "birthDate", "status", "weight"])

        // The generated body merges allOf, picks the first oneOf branch, respects formats, enums and bounds.
        let create = try catalog.endpoint("POST /owners/{param}/pets")
        let body = try #require(create.request?.body)
        #expect(body.type == .json)
        let json = try #require(body.json)
        #expect(json["name"]?.stringValue?.count == 12)
        #expect(json["birthDate"] == "2024-01-01")
        #expect(json["status"] == "available")
        #expect(json["kind"] == ["breed": "collie"])
        let weight = try #require(json["weight"]?.numberValue)
        #expect(weight > 0 && weight <= 90)
        let stored = try #require(create.requestBody)
        #expect(stored["content_type"] == "application/json")
        #expect(try schemaViolation(of: json, against: try #require(stored["schema"])) == nil)
        #expect(create.assertedStatus == 201)
        #expect(create.responses["400"]?["description"] == "An error")

        let pet = try catalog.endpoint("GET /owners/{param}/pets/{param}")
        #expect(pet.starterCase.variables == ["ownerId": "42", "petId": "7d444840-9dc0-11d1-b245-5ffdce74fad2"])
        #expect(pet.request?.url == "{{base_url}}/owners/{{ownerId}}/pets/{{petId}}")
    }

    @Test func recursiveSchemaKeepsItsReference() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.openAPI31YAML, format: .openapi)
        let tree = try #require(try catalog.endpoint("GET /categories").responses["200"]?["schema"])
        #expect(tree["required"] == ["name"])
        #expect(tree["properties"]?["children"]?["items"] == ["$ref": "#/components/schemas/Category"])
        let replace = try catalog.endpoint("PUT /categories")
        #expect(replace.request?.body?.json == ["name": "string"])
        #expect(replace.requestBody?["schema"]?["properties"]?["children"]?["items"] == ["$ref": "#/components/schemas/Category"])
    }

    @Test func defectsAreWarningsNamingTheirPointer() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.openAPI31YAML, format: nil)
        let delete = "/paths/~1owners~1{ownerId}~1pets~1{petId}/delete"
        #expect(catalog.hasWarning(at: delete, containing: "missing operationId"))
        #expect(catalog.hasWarning(at: delete + "/parameters/1", containing: "unknown $ref '#/components/parameters/Missing'"))
        #expect(catalog.hasWarning(at: delete, containing: "path template '{petId}' has no declared parameter"))
        // Paths are read in sorted order, so the later listPets is the one reported.
        #expect(catalog.hasWarning(at: "/paths/~1owners~1{ownerId}~1pets/get", containing: "duplicate operationId 'listPets'"))
        #expect(catalog.hasWarning(at: "/paths/~1categories/fetch", containing: "unsupported method 'fetch'"))
        #expect(catalog.warnings.count == 5, "\(catalog.warnings)")
        // The operation with a broken parameter is still imported, without that parameter.
        let removal = try catalog.endpoint("DELETE /owners/{param}/pets/{param}")
        #expect(removal.parameters.listValue?.count == 1)
        #expect(removal.assertedStatus == 204)
    }

    @Test func declaredPathParameterMissingFromTheTemplateIsReported() throws {
        let document = """
            openapi: 3.0.0
            info: {title: T, version: '1'}
            paths:
              /things:
                get:
                  operationId: things
                  parameters:
                    - {name: thingId, in: path, required: true, schema: {type: string}}
                  responses:
                    '200': {description: ok}
            """
        let catalog = try CatalogImport.parse(document, format: nil)
        #expect(catalog.hasWarning(at: "/paths/~1things/get", containing: "path parameter 'thingId' is declared but not in the path template"))
    }

    @Test func openAPI30JSONMergesParametersAndUsesExamples() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.openAPI30JSON, format: nil)
        #expect(catalog.format == .openapi)
        #expect(catalog.baseURLs == ["default": "https://shop.example.com/api"])
        #expect(catalog.warnings.isEmpty, "\(catalog.warnings)")

        let update = try catalog.endpoint("PATCH /orders/{param}")
        #expect(update.deprecated)
        #expect(update.tags == ["orders"])
        let parameters = try #require(update.parameters.listValue)
        #expect(parameters.count == 2)
        // The operation's own orderId replaces the path-level one.
        let orderID = try #require(parameters.first { $0["name"] == "orderId" })
        #expect(orderID["description"] == "The order number")
        #expect(orderID["schema"]?["minimum"] == 1000)
        #expect(update.starterCase.variables == ["orderId": "1000"])
        #expect(update.request?.headers == ["X-Tenant": "acme"])
        #expect(update.request?.body?.json == ["status": "shipped"])
        #expect(update.requestBody?["example"] == ["status": "shipped"])
        #expect(update.assertedStatus == 200)
        #expect(update.responses["200"]?["schema"]?["properties"]?["total"]?["exclusiveMinimum"] == true)

        let login = try catalog.endpoint("POST /login")
        let form = try #require(login.request?.body)
        #expect(form.type == .form)
        #expect(form.form == ["username": "user@example.com", "password": "stringxx"])
        #expect(login.requestBody?["content_type"] == "application/x-www-form-urlencoded")
        #expect(login.assertedStatus == 204)
    }
}
