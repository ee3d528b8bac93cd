import Foundation
import Testing

@testable import AIAgentBackend

@Suite struct CurlImportTests {
    @Test func commandsInEveryCommonFormBecomeEndpoints() throws {
        let catalog = try CatalogImport.parse(ImportFixtures.curlCommands, format: nil)
        #expect(catalog.format == .curl)
        #expect(catalog.baseURLs == ["default": "https://api.example.com"])
        #expect(
            catalog.endpoints.map(\.key) == [
                "HEAD /v1/health", "POST /v1/notes", "GET /v1/orders", "POST /v1/orders", "PUT /v1/orders/7", "POST /v1/photos",
                "GET /v1/search",
            ])

        // Line continuations, quotes, a JSON body; the bearer token becomes a secret variable.
        let create = try catalog.endpoint("POST /v1/orders")
        #expect(create.request?.url == "{{base_url}}/v1/orders")
        #expect(create.request?.body == RequestBody(type: .json, json: ["item": "book", "qty": 2]))
        #expect(create.request?.headers == nil)
        #expect(create.request?.auth == RequestAuth(type: .bearer, token: "{{token}}"))
        #expect(create.starterCase.steps[0].assertions == [Assertion(type: .status, class: "2xx")])

        let list = try catalog.endpoint("GET /v1/orders")
        #expect(list.request?.auth == RequestAuth(type: .basic, username: "ada", password: "{{password}}"))
        #expect(list.request?.query == ["status": "open", "limit": "10"])
        #expect(catalog.variables == ["token": "tok-123", "password": "pa55"])
        #expect(catalog.secretVariables == ["password", "token"])
        let cases = String(decoding: try JSONEncoder().encode(catalog.endpoints), as: UTF8.self)
        #expect(!cases.contains("tok-123") && !cases.contains("pa55"))

        let ship = try catalog.endpoint("PUT /v1/orders/7")
        #expect(ship.request?.body == RequestBody(type: .form, form: ["status": "shipped", "note": "fast please"]))

        let photo = try catalog.endpoint("POST /v1/photos")
        let fields = try #require(photo.request?.body?.multipart)
        #expect(fields.map(\.name) == ["caption", "photo"])
        #expect(fields[0].value == "hello")
        #expect(fields[1].filename == "cat.png" && fields[1].contentType == "image/png")
        #expect(catalog.hasWarning(at: "line 9", containing: "/tmp/cat.png"))

        #expect(try catalog.endpoint("HEAD /v1/health").request?.body == nil)
        let search = try catalog.endpoint("GET /v1/search")
        #expect(search.request?.query == ["q": "a b"])
        #expect(catalog.hasWarning(at: "line 10", containing: "unknown option '--frobnicate'"))

        // `$'…'` escapes and escaped double quotes.
        let note = try catalog.endpoint("POST /v1/notes")
        #expect(note.request?.headers == ["X-Note": "it's A"])
        #expect(note.request?.body == RequestBody(type: .form, form: ["text": #"say "hi""#]))
    }

    @Test func textWithoutACurlCommandIsRefused() throws {
        let error = #expect(throws: APIError.self) { try CatalogImport.parse("wget https://example.com\n", format: .curl) }
        #expect(error?.status == .unprocessableContent)
        #expect(error?.details?["field"] == "content")
    }

    @Test func aRawBodyKeepsItsContentType() throws {
        let catalog = try CatalogImport.parse(
            "curl https://example.com/feed -H 'Content-Type: application/xml' -d '<a>1</a>' -m 2.5", format: nil)
        let request = try #require(try catalog.endpoint("POST /feed").request)
        #expect(request.body == RequestBody(type: .raw, raw: "<a>1</a>", contentType: "application/xml"))
        #expect(request.headers == nil)
        #expect(request.timeoutMs == 2500)
    }
}
