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
            let routed = Set(services.router.routes.map { route in
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
