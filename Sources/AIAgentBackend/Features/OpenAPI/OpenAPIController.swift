import Foundation
import Hummingbird
import Synchronization

/// `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the router itself,
/// so it always lists exactly the routes that exist, with their path parameters and the
/// permission each one requires (a test checks it against the route list).
final class OpenAPIController: Sendable {
    let access: AccessControl
    /// Rendered by `complete(with:)` once every route is registered.
    private let document = Mutex<ByteBuffer>(ByteBuffer())

    init(access: AccessControl) {
        self.access = access
    }

    func register(on routes: SecuredRoutes) {
        routes.get("openapi.json", .anyone) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: self.document.withLock { $0 }))
        }
    }

    func complete(with routes: [(method: String, path: String)]) {
        let rendered = ByteBuffer(bytes: Self.document(for: routes, access: access))
        document.withLock { $0 = rendered }
    }

    static func document(for routes: [(method: String, path: String)], access: AccessControl) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for route in routes where route.path.hasPrefix("/api/v1") || route.path.hasPrefix("/health") || route.path == "/metrics" {
            let segments = route.path.split(separator: "/")
            let openAPIPath = "/" + segments.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            let parameters: [[String: Any]] = segments.filter { $0.hasPrefix(":") }.map {
                ["name": String($0.dropFirst()), "in": "path", "required": true, "schema": ["type": "string"]]
            }
            let tag = segments.count > 2 && segments[0] == "api" ? String(segments[2]) : "operations"
            var operation: [String: Any] = [
                "operationId": "\(route.method.lowercased())\(segments.map { $0.hasPrefix(":") ? "By" + $0.dropFirst().capitalized : $0.capitalized }.joined())",
                "summary": "\(route.method) \(route.path)",
                "tags": [tag],
                "responses": [
                    "2XX": ["description": "Success", "content": ["application/json": ["schema": [:] as [String: Any]]]],
                    "default": ["description": "Error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
                ],
            ]
            if !parameters.isEmpty { operation["parameters"] = parameters }
            if ["POST", "PUT", "PATCH"].contains(route.method) {
                operation["requestBody"] = ["required": false, "content": ["application/json": ["schema": ["type": "object"]]]]
            }
            switch access.declaredAccess(.init(route.method)!, route.path) {
            case .permission(let code)?:
                operation["security"] = [["bearer": [] as [String]]]
                operation["x-required-permission"] = code
            case .authenticated?:
                operation["security"] = [["bearer": [] as [String]]]
            case .anyone?, nil:
                operation["security"] = [] as [Any]
            }
            paths[openAPIPath, default: [:]][route.method.lowercased()] = operation
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "ai-agent-backend", "version": Settings.version],
            "paths": paths,
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
                "schemas": [
                    "Error": [
                        "type": "object",
                        "required": ["error"],
                        "properties": [
                            "error": [
                                "type": "object",
                                "required": ["code", "message"],
                                "properties": [
                                    "code": ["type": "string"], "message": ["type": "string"],
                                    "details": ["type": ["object", "null"], "additionalProperties": ["type": "string"]],
                                ],
                            ],
                        ],
                    ],
                ],
            ],
        ]
        return Array((try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
