import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// The served OpenAPI document lists exactly the routes the router has.
@Suite struct OpenAPITests {
    @Test func documentMatchesTheRouter() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withServices(settings) { services, client in
            let document = try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let routed = Set(
                services.router.routes.map { route in
                    let path = route.path.description
                    return "\(route.method.rawValue) \(path)"
                })
            #expect(documented == routed)
            let userByID = try #require(paths["/api/v1/users/{id}"]?["get"] as? [String: Any])
            #expect(userByID["x-required-permission"] as? String == "user:read")
            let parameters = try #require(userByID["parameters"] as? [[String: Any]])
            #expect(parameters.first?["name"] as? String == "id")
            let login = try #require(paths["/api/v1/auth/login"]?["post"] as? [String: Any])
            #expect((login["security"] as? [Any])?.isEmpty == true)
        }
    }
}

/// The contract is complete and enforced: real schemas everywhere, and an answer that
/// strays from its declared schema fails the request in tests.
@Suite struct ContractTests {
    static func document(_ client: any TestClientProtocol) async throws -> [String: JSONAny] {
        try await client.execute(uri: "/api/v1/openapi.json", method: .get) { try $0.json() }
    }

    @Test func everySchemaIsReal() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withServices(settings) { services, client in
            let built = try #require(services.contract.document)
            #expect(built.reflectionFailures.isEmpty, "\(built.reflectionFailures)")
            let document = try await Self.document(client)
            var empty: [String] = []
            func walk(_ value: JSONAny, _ path: String) {
                switch value {
                case .object(let object):
                    if object.isEmpty, path.hasSuffix("schema") || path.contains("properties") || path.hasSuffix("items") { empty.append(path) }
                    for (key, member) in object { walk(member, "\(path)/\(key)") }
                case .array(let items):
                    for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
                default:
                    break
                }
            }
            walk(.object(document), "")
            #expect(empty.isEmpty, "empty schemas at \(empty)")
            let schemas = try #require(document[path: "components", "schemas"]?.fields)
            let user = try #require(schemas["UserResponse"]?.fields)
            #expect(user["required"]?.array?.contains(.string("id")) == true)
            #expect(user[path: "properties"]?["id"]?["format"] == .string("uuid"))
            #expect(user[path: "properties"]?["status"]?["enum"] == .array([.string("active"), .string("disabled")]))
            #expect(user[path: "properties"]?["email"]?["type"] == .array([.string("string"), .string("null")]))
            let agentInput = try #require(schemas["AgentInput"]?.fields)
            #expect(agentInput[path: "properties"]?["system_prompt"]?["maxLength"] == .number(32_000))
            #expect(agentInput[path: "properties"]?["description"]?["maxLength"] == .number(2_000))
            #expect(agentInput[path: "properties"]?["name"]?["maxLength"] == .number(100))
            let listUsers = try #require(document[path: "paths", "/api/v1/users", "get"]?.fields)
            #expect(listUsers["operationId"] == .string("getUsers"))
            #expect(listUsers["tags"] == .array([.string("Users")]))
            let statusParameter = listUsers["parameters"]?.array?.first { $0["name"] == .string("status") }
            #expect(statusParameter?["schema"]?["enum"] == .array([.string("active"), .string("disabled")]))
            #expect(listUsers[path: "responses", "403", "content", "application/json"] != nil)
            let send = try #require(document[path: "paths", "/api/v1/chat/sessions/{id}/messages", "post"]?.fields)
            #expect(send[path: "responses"]?["200"]?["content"]?["text/event-stream"] != nil)
        }
    }

    @Test func theReferencePageServesOffline() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: response.body)
                #expect(page.contains("/api/v1/openapi.json"))
                #expect(!page.contains("http://") && !page.contains("https://"), "nothing is loaded from elsewhere")
            }
        }
    }

    /// A route whose answer does not match its declared schema is caught.
    @Test func aStrayAnswerFailsTheRequest() async throws {
        struct Declared: Codable { let id: UUID; let count: Int }
        try await withServices(try await TestDatabases.settings(.sqlite)) { services, _ in
            let router = Router(context: AppRequestContext.self)
            let contract = APIContract()
            router.add(middleware: ResponseContractMiddleware(contract: contract))
            let catalog = RouteCatalog()
            let routes = SecuredRoutes(group: router.group("api"), basePath: "/api", access: services.access, catalog: catalog)
            routes.get("good", .anyone, RouteContract("good", returns: Declared.self)) { _, _ in
                Response.json(ByteBuffer(string: #"{"id":"\#(UUID().uuidString)","count":3}"#))
            }
            routes.get("bad", .anyone, RouteContract("bad", returns: Declared.self)) { _, _ in
                Response.json(ByteBuffer(string: #"{"id":"not-a-uuid","count":"three"}"#))
            }
            routes.get("undeclared", .anyone, RouteContract("created only", returns: Declared.self, status: .created)) { _, _ in
                Response.json(ByteBuffer(string: #"{"id":"\#(UUID().uuidString)","count":3}"#))
            }
            contract.complete(with: catalog.all)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/api/good", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/bad", method: .get) { response in
                    #expect(response.status == .internalServerError)
                    #expect(String(buffer: response.body).contains("response_contract_violation"))
                    #expect(String(buffer: response.body).contains("is not"))
                }
                try await client.execute(uri: "/api/undeclared", method: .get) { #expect($0.status == .internalServerError) }
            }
        }
    }

    @Test func validatorChecksTheKeywordsItClaims() {
        let validator = SchemaValidator(components: ["Thing": .object(["n": .integer(minimum: 1, maximum: 3)], required: ["n"])])
        #expect(validator.violation(of: ["n": 2], against: .reference("Thing")) == nil)
        #expect(validator.violation(of: ["n": 4], against: .reference("Thing")) != nil)
        #expect(validator.violation(of: ["n": 1.5], against: .reference("Thing")) != nil, "an integer is whole")
        #expect(validator.violation(of: [:], against: .reference("Thing")) != nil)
        #expect(validator.violation(of: .null, against: JSONSchema.reference("Thing").nullable) == nil)
        #expect(validator.violation(of: "x", against: .enumeration(["a", "b"])) != nil)
        #expect(validator.violation(of: "abc", against: .string(maxLength: 2)) != nil)
        #expect(validator.violation(of: "2026-11-28T10:00:00Z", against: .dateTime) == nil)
        #expect(validator.violation(of: "yesterday", against: .dateTime) != nil)
        #expect(validator.violation(of: ["a": "x"], against: .map(of: .integer())) != nil)
    }
}
