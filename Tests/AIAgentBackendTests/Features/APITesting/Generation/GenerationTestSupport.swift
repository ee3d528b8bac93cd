import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import AIAgentBackend

/// The API the generated cases run against: `POST /pets` validates its body as documented
/// (201, or 422), `GET /pets/{id}` answers 200 except for pet 13, where it has a bug (500),
/// and `GET /coin` answers 200 and 500 in turn.
struct PetsTarget {
    let baseURL: String

    static let openAPI: JSONValue = [
        "openapi": "3.0.3", "info": ["title": "Pets", "version": "1"],
        "paths": [
            "/pets": [
                "post": [
                    "summary": "Create a pet",
                    "requestBody": [
                        "required": true,
                        "content": [
                            "application/json": [
                                "schema": [
                                    "type": "object", "required": ["name"],
                                    "properties": ["name": ["type": "string", "minLength": 1], "age": ["type": "integer", "minimum": 0]],
                                ]
                            ]
                        ],
                    ],
                    "responses": [
                        "201": [
                            "description": "created",
                            "content": [
                                "application/json": [
                                    "schema": [
                                        "type": "object", "required": ["id", "name"],
                                        "properties": ["id": ["type": "integer"], "name": ["type": "string"]],
                                    ]
                                ]
                            ],
                        ],
                        "422": ["description": "invalid"],
                    ],
                ]
            ],
            "/coin": ["get": ["summary": "Toss a coin", "responses": ["200": ["description": "heads"]]]],
            "/pets/{id}": [
                "get": [
                    "summary": "Get a pet",
                    "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "integer"]]],
                    "responses": ["200": ["description": "the pet"]],
                ]
            ],
        ],
    ]

    static func with<T>(_ body: (PetsTarget) async throws -> T) async throws -> T {
        let router = Router()
        let nextID = Mutex(0)
        router.post("/pets") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let json = (try? JSONValue(parsing: String(buffer: buffer))) ?? .null
            guard let name = json["name"]?.stringValue, !name.isEmpty, (json["age"]?.numberValue ?? 0) >= 0 else {
                return reply(["error": "invalid pet"], status: .unprocessableContent)
            }
            let id = nextID.withLock { value in
                value += 1
                return value
            }
            return reply(["id": .number(Double(id)), "name": .string(name)], status: .created)
        }
        router.get("/pets/{id}") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            if id == "13" { return reply(["error": "boom"], status: .internalServerError) }
            return reply(["id": .number(Double(id) ?? 0), "name": "Rex"], status: .ok)
        }
        let tosses = Mutex(0)
        router.get("/coin") { _, _ -> Response in
            let toss = tosses.withLock { value in
                value += 1
                return value
            }
            return reply(["toss": .number(Double(toss))], status: toss % 2 == 1 ? .ok : .internalServerError)
        }
        let (port, server) = await startLocalServer(router, label: "pets-target")
        defer { server.cancel() }
        return try await body(PetsTarget(baseURL: "http://127.0.0.1:\(port)"))
    }

    private static func reply(_ json: JSONValue, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: json.jsonString)))
    }
}

/// A project with the Pets API imported, an environment pointing at the target (with a
/// secret that must never reach the model), and a model configuration pointing at `fake`.
struct GenerationProject {
    static let secret = "gen-secret-5d1f0a77"

    let fixture: APITestingFixture
    let fake: FakeLLMProvider
    let provider: ProviderConfiguration.Kind
    let projectID: String
    let environmentID: String
    let modelID: String
    let importID: String
    /// By operation key: `POST /pets`, `GET /pets/{id}`.
    let endpoints: [String: String]

    var client: any TestClientProtocol { fixture.client }
    var token: String { fixture.tester }
    var base: String { "/api/v1/projects/\(projectID)/generations" }

    static func with(
        _ kind: DatabaseKind, provider: ProviderConfiguration.Kind = .openai, adjust: @escaping (inout Settings) -> Void = { _ in },
        _ body: @escaping @Sendable (GenerationProject) async throws -> Void
    ) async throws {
        try await PetsTarget.with { target in
            try await FakeLLMProvider.with { fake in
                let configure: (inout Settings) -> Void = { settings in
                    settings.jobLease = .seconds(3)
                    adjust(&settings)
                }
                try await APITestingFixture.with(kind, adjust: configure) { fixture in
                    let client = fixture.client
                    let projectID = try await client.project(named: "Pets", token: fixture.tester)
                    let importID = try await client.call(
                        .post, "/api/v1/projects/\(projectID)/imports", token: fixture.tester, json: jsonText(["content": openAPIText])
                    ) { response in
                        #expect(response.status == .created, "\(String(buffer: response.body))")
                        return try #require(try response.json()["id"]?.string)
                    }
                    let listed = try await client.call(.get, "/api/v1/projects/\(projectID)/endpoints", token: fixture.tester) { try $0.json() }
                    var endpoints: [String: String] = [:]
                    for item in listed["items"]?.array ?? [] {
                        if let key = item["operation_key"]?.string, let id = item["id"]?.string { endpoints[key] = id }
                    }
                    let environmentID = try await client.create(
                        "/api/v1/projects/\(projectID)/environments",
                        [
                            "name": "local", "base_urls": ["default": target.baseURL],
                            "variables": [["name": "api_key", "value": secret, "secret": true]],
                        ], token: fixture.tester)
                    let modelID = try await client.createModel(fake, kind: provider, token: fixture.admin)
                    try await body(
                        GenerationProject(
                            fixture: fixture, fake: fake, provider: provider, projectID: projectID, environmentID: environmentID, modelID: modelID,
                            importID: importID, endpoints: endpoints))
                }
            }
        }
    }

    private static var openAPIText: String { PetsTarget.openAPI.jsonString }

    /// Scripts the model's next structured answer, in this project's provider's wire format.
    func answer(_ schema: ResponseSchema, _ value: JSONValue, input: Int = 40, output: Int = 60) {
        answerRaw(schema, text: value.jsonString, input: input, output: output)
    }

    /// An answer given as raw text (possibly not JSON at all).
    func answerRaw(_ schema: ResponseSchema, text: String, input: Int = 40, output: Int = 60) {
        switch provider {
        case .anthropic:
            // Anthropic answers through the forced tool; text that is not JSON cannot be a tool input, so it comes as text.
            if let value = try? JSONValue(parsing: text) {
                fake.enqueue(
                    .json(
                        AnthropicWire.message(
                            text: nil, toolUses: [("toolu_1", schema.name, value)], stopReason: "tool_use", input: input, output: output)))
            } else {
                fake.enqueue(.json(AnthropicWire.message(text: text, input: input, output: output)))
            }
        default:
            fake.enqueue(.json(OpenAIWire.completion(text: text, input: input, output: output)))
        }
    }

    /// Starts a generation (202) and returns its id.
    func start(_ overrides: [String: Any] = [:]) async throws -> String {
        var body: [String: Any] = [
            "model_id": modelID, "endpoint_ids": [endpoints["POST /pets"]!], "count": 2, "kinds": ["positive", "negative"],
            "priority_split": ["high": 50, "medium": 50, "low": 0], "environment_id": environmentID,
        ]
        body.merge(overrides) { $1 }
        return try await client.call(.post, base, token: token, json: jsonText(body)) { response in
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            return try #require(try response.json()["id"]?.string)
        }
    }

    func generation(_ id: String) async throws -> [String: JSONAny] {
        try await client.call(.get, "\(base)/\(id)", token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try response.json()
        }
    }

    /// The generation once it has finished (a bounded wait, not a timing assertion).
    func finished(_ id: String) async throws -> [String: JSONAny] {
        for _ in 0..<600 {
            let generation = try await generation(id)
            if let status = generation["status"]?.string, GenerationStatus(rawValue: status)?.isFinished == true { return generation }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("generation \(id) did not finish")
        throw TestSetupError()
    }

    /// Draft cases by ref.
    func drafts(_ id: String) async throws -> [String: [String: JSONAny]] {
        try await client.call(.get, "\(base)/\(id)/cases?page_size=100", token: token) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            var byRef: [String: [String: JSONAny]] = [:]
            for item in try response.json()["items"]?.array ?? [] {
                if let ref = item["ref"]?.string, let object = item.fields { byRef[ref] = object }
            }
            return byRef
        }
    }

    func events(_ id: String) async throws -> [(name: String, data: JSONValue)] {
        try await client.call(.get, "\(base)/\(id)/events", token: token) { response in
            #expect(response.status == .ok)
            return try serverSentEvents(String(buffer: response.body))
        }
    }

    /// The model's requests' bodies, as text.
    var promptsSent: [String] { fake.requests.map { String(decoding: $0.body, as: UTF8.self) } }
}

/// Answers and cases the fake model gives.
enum ModelAnswers {
    static func point(_ id: String, operation: String = "POST /pets", fields: [String] = ["name"]) -> JSONValue {
        [
            "id": .string(id), "title": "Create pets by name", "behaviour": "A pet is created from a name", "inputs": ["name"],
            "rules": ["name is required"], "risks": ["empty names"],
            "source": ["kind": "operation", "operation": .string(operation), "fields": .array(fields.map(JSONValue.string))],
        ]
    }

    static func analysis(_ points: [JSONValue]) -> JSONValue { ["test_points": .array(points)] }

    /// A case creating a pet from `body`, expecting `status`.
    static func createPet(
        _ name: String, kind: String = "positive", priority: String = "high", body: JSONValue = ["name": "Rex", "age": 3], status: Int = 201,
        points: [String] = ["TP1"]
    ) -> JSONValue {
        var assertions: [JSONValue] = [["type": "status", "equals": .number(Double(status))]]
        if status == 201 { assertions.append(["type": "json", "path": "$.name", "op": "eq", "value": body["name"] ?? .null]) }
        return [
            "name": .string(name), "kind": .string(kind), "priority": .string(priority), "operation": "POST /pets",
            "test_points": .array(points.map(JSONValue.string)), "violation": kind == "negative" ? "name is missing" : nil,
            "definition": [
                "steps": [
                    [
                        "name": "create", "request": ["method": "POST", "url": "{{base_url}}/pets", "body": ["type": "json", "json": body]],
                        "assert": .array(assertions),
                    ]
                ]
            ],
        ]
    }

    static func getPet(_ name: String, id: Int, status: Int = 200) -> JSONValue {
        [
            "name": .string(name), "kind": "positive", "priority": "high", "operation": "GET /pets/{id}", "test_points": ["TP1"],
            "definition": [
                "steps": [
                    [
                        "name": "get", "request": ["method": "GET", "url": .string("{{base_url}}/pets/\(id)")],
                        "assert": [["type": "status", "equals": .number(Double(status))]],
                    ]
                ]
            ],
        ]
    }

    static func design(_ cases: [JSONValue]) -> JSONValue { ["cases": .array(cases)] }

    static func review(_ verdicts: [(ref: String, priority: String)], duplicates: [String: String] = [:], holes: [String] = []) -> JSONValue {
        [
            "scores": ["coverage": 8, "clarity": 9],
            "cases": .array(
                verdicts.map {
                    [
                        "ref": .string($0.ref), "priority": .string($0.priority), "test_points": ["TP1"],
                        "duplicate_of": duplicates[$0.ref].map(JSONValue.string) ?? .null,
                    ]
                }),
            "holes": .array(holes.map(JSONValue.string)),
        ]
    }

    static func repaired(_ designed: JSONValue) -> JSONValue { ["definition": designed["definition"] ?? .null, "note": "fixed the expectation"] }
}
