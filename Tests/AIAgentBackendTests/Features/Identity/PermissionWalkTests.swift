import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// Every `/api/v1` route declares its access; without a token it answers 401, with an
/// expired or revoked one 401, and with a valid token lacking the permission 403. A route
/// added later without a declaration fails here.
@Suite struct PermissionWalkTests {
    @Test func everyRouteIsProtected() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("no.roles", adminToken: admin)
            let powerless = try await client.login("no.roles", "user-password-1").accessToken
            let revoked = try await client.login("no.roles", "user-password-1").accessToken
            try await client.call(.post, "/api/v1/auth/logout", token: revoked) { #expect($0.status == .noContent) }
            var expiredClaims = try await services.access.tokens.verify(powerless, as: .access)
            expiredClaims.exp = .init(value: Date().addingTimeInterval(-5))
            let expired = try await services.access.tokens.keys.sign(expiredClaims)

            let routes = services.router.routes.filter { $0.path.description.hasPrefix("/api/v1") }
            #expect(routes.count > 20)
            var publicRoutes: [String] = []
            for route in routes {
                let template = RequestObservationMiddleware.routeLabel(route.path.description)
                let name = "\(route.method.rawValue) \(template)"
                guard let access = services.catalog.declaration(route.method, template)?.access else {
                    Issue.record("\(name) declares no access requirement")
                    continue
                }
                if access == .anyone {
                    publicRoutes.append(name)
                    continue
                }
                let uri = template.split(separator: "/").map { $0.hasPrefix(":") ? UUID().uuidString : String($0) }.joined(separator: "/")
                let path = "/" + uri
                for (label, token) in [("no token", nil), ("expired token", expired), ("revoked token", revoked)] as [(String, String?)] {
                    try await client.call(route.method, path, token: token, json: "{}") { response in
                        #expect(response.status == .unauthorized, "\(name) with \(label) answered \(response.status.code)")
                    }
                }
                if case .permission = access {
                    try await client.call(route.method, path, token: powerless, json: "{}") { response in
                        #expect(response.status == .forbidden, "\(name) without permission answered \(response.status.code)")
                    }
                }
            }
            #expect(publicRoutes.sorted() == ["GET /api/v1/openapi.json", "POST /api/v1/auth/login", "POST /api/v1/auth/refresh"])
        }
    }
}
