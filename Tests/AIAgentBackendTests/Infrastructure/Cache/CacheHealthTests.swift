import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import AIAgentBackend

/// The whole service across a Redis outage: requests keep working from memory, `/health`
/// reports the cache degraded (still 200), and the cache returns to Redis afterwards.
@Suite struct CacheHealthTests {
    @Test func serviceRidesOutARedisOutage() async throws {
        try await withRedisServer(extraArguments: ["--appendfsync", "always"]) { server in
            var settings = try await TestDatabases.settings(.sqlite)
            settings.redisEnabled = true
            settings.redisURL = server.url
            try await withServices(settings) { services, client in
                func cacheCheck() async throws -> (status: HTTPResponse.Status, backend: String?, health: String?) {
                    try await client.execute(uri: "/health", method: .get) { response in
                        let body = try response.json()
                        return (response.status, body[path: "checks", "cache", "backend"]?.string, body[path: "checks", "cache", "status"]?.string)
                    }
                }
                func eventually(_ backend: String, _ health: String) async throws {
                    for _ in 0..<100 {
                        let check = try await cacheCheck()
                        #expect(check.status == .ok)
                        if check.backend == backend, check.health == health { return }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    Issue.record("the cache never reported \(backend)/\(health)")
                }
                try await eventually("redis", "up")
                let token = try await client.login().accessToken
                let userID = try await client.call(.get, "/api/v1/auth/me", token: token) {
                    try #require(UUID(uuidString: try $0.json()[path: "user", "id"]?.string ?? ""))
                }

                server.kill()
                // The in-process entries would answer without asking the cache at all.
                services.invalidations.dropEverything()
                try await client.call(.get, "/api/v1/auth/me", token: token) { #expect($0.status == .ok, "loaded into the memory cache") }
                #expect(services.cache.status.backend == .memory)
                let principal = try await services.cache.getJSON(AccessControl.principalKey(userID), as: Principal.self)
                #expect(principal?.userID == userID, "the principal is in the memory cache")
                services.invalidations.dropEverything()
                try await client.call(.get, "/api/v1/auth/me", token: token) { #expect($0.status == .ok, "served from the memory cache") }
                _ = try await client.login()
                try await eventually("memory", "degraded")

                try await server.restart()
                try await eventually("redis", "up")
                _ = try await client.login()
            }
        }
    }
}
