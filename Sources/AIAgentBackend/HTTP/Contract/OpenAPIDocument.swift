import Foundation
import HTTPTypes

/// The OpenAPI 3.1 document of every declared route, and the response schemas the
/// test-time check validates against; both built once, after the routes are registered.
struct OpenAPIDocument: Sendable {
    let json: [UInt8]
    let components: [String: JSONSchema]
    /// By "METHOD /template" and status: the schema of a JSON answer.
    let responseSchemas: [String: [Int: JSONSchema]]
    /// By "METHOD /template": every status declared, JSON or not.
    let declaredStatuses: [String: Set<Int>]
    /// DTO types the reflector could not describe; a test requires none.
    let reflectionFailures: [String]

    static let errorSchema = JSONSchema.object(
        [
            "error": .object(
                [
                    "code": .string(), "message": .string(),
                    "details": JSONSchema.map(of: .string()).nullable,
                ], required: ["code", "message"])
        ], required: ["error"])

    init(routes: [RouteDeclaration], version: String) {
        let reflector = SchemaReflector()
        var paths: [String: [String: JSONValue]] = [:]
        var responseSchemas: [String: [Int: JSONSchema]] = [:]
        var declaredStatuses: [String: Set<Int>] = [:]
        for route in routes {
            let (operation, schemas) = Self.operation(route, reflector)
            paths[Self.openAPIPath(route.path), default: [:]][route.method.rawValue.lowercased()] = operation
            let key = "\(route.method.rawValue) \(route.path)"
            responseSchemas[key] = schemas
            if case .object(let object) = operation, case .object(let responses)? = object["responses"] {
                declaredStatuses[key] = Set(responses.keys.compactMap(Int.init))
            }
        }
        var components = reflector.components
        components["Error"] = Self.errorSchema
        let document: JSONValue = [
            "openapi": "3.1.0",
            "info": [
                "title": "AI Agent Backend API", "version": .string(version),
                "description":
                    "The API of the AI agent and API-testing platform. Errors are `{\"error\": {code, message, details}}`; lists are paged with `page` and `page_size`.",
            ],
            "servers": [["url": "/"]],
            "tags": .array(Self.tags.map { ["name": .string($0.name), "description": .string($0.description)] }),
            "paths": .object(paths.mapValues(JSONValue.object)),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
                "schemas": .object(components.mapValues(\.jsonValue)),
            ],
        ]
        json = Array(document.sortedJSONData)
        self.components = components
        self.responseSchemas = responseSchemas
        self.declaredStatuses = declaredStatuses
        reflectionFailures = reflector.failures
    }

    private static func operation(_ route: RouteDeclaration, _ reflector: SchemaReflector) -> (JSONValue, [Int: JSONSchema]) {
        let contract = route.contract
        var operation: [String: JSONValue] = [
            "operationId": .string(operationID(route)),
            "summary": .string(contract.summary),
            "tags": [.string(tag(route.path))],
        ]
        if let description = contract.description { operation["description"] = .string(description) }
        var parameters: [JSONValue] = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { segment in
            let name = String(segment.dropFirst())
            let schema = contract.pathParameters[name] ?? (name == "id" || name.hasSuffix("_id") ? .uuid : .string())
            return ["name": .string(name), "in": "path", "required": true, "schema": schema.jsonValue]
        }
        parameters += contract.query.map { parameter in
            var value: [String: JSONValue] = [
                "name": .string(parameter.name), "in": "query", "required": .bool(parameter.required),
                "schema": parameter.schema.jsonValue,
            ]
            if let description = parameter.description { value["description"] = .string(description) }
            return .object(value)
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = contract.body {
            var schema = reflector.schema(for: body.type, .request)
            if let variant = contract.bodyVariant {
                schema = reflector.variant(
                    of: schema, named: variant.name, requiring: variant.requiring, omitting: variant.omitting,
                    anyOf: contract.bodyAnyOf, oneOf: contract.bodyOneOf)
            }
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": schema.jsonValue]]]
        }

        var responses: [String: JSONValue] = [:]
        var schemas: [Int: JSONSchema] = [:]
        switch contract.success {
        case .json(let status, let type):
            let schema = reflector.schema(for: type.type, .response)
            for status in [status] + contract.alsoFor {
                schemas[status.code] = schema
                responses[String(status.code)] = [
                    "description": .string(status.reasonPhrase), "content": ["application/json": ["schema": schema.jsonValue]],
                ]
            }
        case .noContent:
            responses["204"] = ["description": "Done; no content"]
        case .jsonOrEventStream(let type, let events):
            let schema = reflector.schema(for: type.type, .response)
            schemas[200] = schema
            let eventList = events.sorted { $0.key < $1.key }.map { "`\($0.key)`: \($0.value)" }.joined(separator: "; ")
            responses["200"] = [
                "description": .string("The answer as JSON; with `stream: true`, server-sent events (event name, JSON data): \(eventList)"),
                "content": [
                    "application/json": ["schema": schema.jsonValue],
                    "text/event-stream": ["schema": JSONSchema.string().with(description: "Server-sent events: \(eventList)").jsonValue],
                ],
            ]
        case .jsonOrMedia(let type, let others):
            let schema = reflector.schema(for: type.type, .response)
            schemas[200] = schema
            var content: [String: JSONValue] = ["application/json": ["schema": schema.jsonValue]]
            for (media, description) in others {
                content[media] = ["schema": JSONSchema.string().with(description: description).jsonValue]
            }
            responses["200"] = ["description": "JSON, or another format as the query chooses", "content": .object(content)]
        case .media(let type, let description):
            responses["200"] = ["description": .string(description), "content": .object([type: ["schema": JSONSchema.string().jsonValue]])]
        }
        for status in route.errorStatuses where schemas[status.code] == nil {
            schemas[status.code] = .reference("Error")
            responses[String(status.code)] = [
                "description": .string(status.reasonPhrase),
                "content": ["application/json": ["schema": JSONSchema.reference("Error").jsonValue]],
            ]
        }
        // Any route may also meet a malformed request, an oversized query or a busy server.
        responses["default"] = ["description": "Error", "content": ["application/json": ["schema": JSONSchema.reference("Error").jsonValue]]]
        operation["responses"] = .object(responses)

        switch route.access {
        case .anyone:
            operation["security"] = []
        case .authenticated:
            operation["security"] = [["bearer": []]]
        case .permission(let permission):
            operation["security"] = [["bearer": []]]
            operation["x-required-permission"] = .string(permission.rawValue)
            operation["description"] = .string(
                ((contract.description.map { $0 + "\n\n" }) ?? "") + "Requires the permission `\(permission.rawValue)`.")
        }
        return (.object(operation), schemas)
    }

    /// `/api/v1/users/:id/roles` → `/api/v1/users/{id}/roles`.
    static func openAPIPath(_ template: String) -> String {
        "/" + template.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    /// `GET /api/v1/users/:id/runs` → `getUsersByIdRuns`.
    static func operationID(_ route: RouteDeclaration) -> String {
        let words = route.path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }.map { segment -> String in
            let text = segment.hasPrefix(":") ? "by_" + segment.dropFirst() : String(segment)
            return text.split { $0 == "-" || $0 == "_" || $0 == "." }.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }
        return route.method.rawValue.lowercased() + words.joined()
    }

    static let tags: [(name: String, prefixes: [String], description: String)] = [
        ("Auth", ["auth"], "Sign-in, tokens and the caller's own account"),
        ("Users", ["users"], "User administration"),
        ("Roles and menus", ["roles", "menus"], "Roles and the menu/permission tree they grant"),
        ("Departments", ["departments"], "The department tree"),
        ("Audit", ["audit-logs"], "The record of every change"),
        ("Settings", ["system"], "Run-time platform settings"),
        ("Models", ["models", "llm-usage"], "Model provider configurations, connection tests, usage and cost"),
        ("Agents", ["agents"], "Tool-calling agents and their runs"),
        ("Chat", ["chat"], "Chat sessions with streamed answers"),
        ("Operations", ["health", "metrics", "openapi.json", "docs"], "Health, metrics and this document"),
    ]

    static func tag(_ path: String) -> String {
        let segments = path.split(separator: "/").map(String.init)
        let first = segments.starts(with: ["api", "v1"]) ? segments.dropFirst(2).first : segments.first
        return tags.first { $0.prefixes.contains(first ?? "") }?.name ?? "Operations"
    }
}

extension JSONSchema {
    var jsonValue: JSONValue {
        // Encoding a schema cannot fail; both types are plain JSON.
        (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self))) ?? .null
    }
}

extension JSONValue: SchemaDescribing {
    static var jsonSchema: JSONSchema { .anyJSON }

    /// Deterministic output: the same routes always give the same bytes.
    var sortedJSONData: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}
