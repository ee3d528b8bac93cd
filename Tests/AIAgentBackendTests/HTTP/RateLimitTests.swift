import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import AIAgentBackend

@Suite struct RateLimitTests {
    /// A run start for a project nobody has: counted, then refused by the handler (404).
    static let runStart = #"{"project_id":"\#(UUID())","environment_id":"\#(UUID())"}"#

    /// The status of a run start as `token`, with the 429's headers checked.
    static func startRun(_ client: some TestClientProtocol, token: String) async throws -> HTTPResponse.Status {
        try await client.call(.post, "/api/v1/runs", token: token, json: runStart) { response in
            if response.status == .tooManyRequests {
                #expect(try response.errorBody().error.code == "rate_limited")
                let retryAfter = try #require(response.headers[.retryAfter].flatMap(Int.init))
                #expect((1...60).contains(retryAfter))
            }
            return response.status
        }
    }

    /// Counts reset each minute: start a burst early enough in one to end in it.
    static func waitForFreshWindow() async throws {
        let second = Int(Date().timeIntervalSince1970) % RateLimiter.windowSeconds
        if second > 40 { try await Task.sleep(for: .seconds(RateLimiter.windowSeconds - second)) }
    }

    @Test func limitsPerTokenAndPerUserLeaveOtherUsersAlone() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        (settings.rateLimitPerUser, settings.rateLimitPerToken) = (3, 2)
        try await withApp(settings) { client in
            let first = try await client.login().accessToken
            let second = try await client.login().accessToken
            _ = try await client.createUser("runner", roles: ["tester"], adminToken: first)
            let other = try await client.login("runner", "user-password-1").accessToken
            try await Self.waitForFreshWindow()

            #expect(try await Self.startRun(client, token: first) == .notFound)
            #expect(try await Self.startRun(client, token: first) == .notFound)
            #expect(try await Self.startRun(client, token: first) == .tooManyRequests, "the sign-in's token is at its limit")
            #expect(try await Self.startRun(client, token: second) == .notFound, "a refused request did not count against the user")
            #expect(try await Self.startRun(client, token: second) == .tooManyRequests, "the user is at its limit, whatever the token")
            #expect(try await Self.startRun(client, token: other) == .notFound, "another user has counts of its own")
            #expect(try await Self.startRun(client, token: other) == .notFound)
            try await client.call(.get, "/api/v1/runs", token: first) { #expect($0.status == .ok, "only the expensive routes are limited") }
        }
    }

    @Test func aPersonalAccessTokenHasItsOwnCount() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        (settings.rateLimitPerUser, settings.rateLimitPerToken) = (100, 2)
        try await withApp(settings) { client in
            let session = try await client.login().accessToken
            let pat = try await AccessTokenTests.createToken(client, session: session, permissions: ["testrun:execute"]).token
            try await Self.waitForFreshWindow()
            #expect(try await Self.startRun(client, token: pat) == .notFound)
            #expect(try await Self.startRun(client, token: pat) == .notFound)
            #expect(try await Self.startRun(client, token: pat) == .tooManyRequests)
            #expect(try await Self.startRun(client, token: session) == .notFound, "the owner's sign-in is not limited by the token")
        }
    }

    @Test func countsAreSharedByReplicas() async throws {
        try await withRedisServer { server in
            var settings = try await TestDatabases.settings(.sqlite)
            (settings.redisEnabled, settings.redisURL) = (true, server.url)
            (settings.rateLimitPerUser, settings.rateLimitPerToken) = (100, 2)
            let shared = settings
            try await withApp(shared) { first in
                try await withApp(shared) { second in
                    let token = try await first.login().accessToken
                    try await Self.waitForFreshWindow()
                    #expect(try await Self.startRun(first, token: token) == .notFound)
                    #expect(try await Self.startRun(second, token: token) == .notFound)
                    #expect(try await Self.startRun(first, token: token) == .tooManyRequests)
                    #expect(try await Self.startRun(second, token: token) == .tooManyRequests)
                }
            }
        }
    }

    @Test func theExpensiveRoutesDeclareThe429() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withServices(settings) { services, _ in
            let limited = services.catalog.all.filter { $0.contract.rateLimit != nil }.map { "\($0.method.rawValue) \($0.path)" }
            #expect(
                Set(limited) == [
                    "POST /api/v1/runs", "POST /api/v1/projects/:id/steps/try", "POST /api/v1/projects/:id/generations",
                    "POST /api/v1/chat/sessions/:id/messages",
                    "POST /api/v1/chat/sessions/:id/regenerate", "POST /api/v1/agents/:id/run", "POST /api/v1/projects/:id/imports",
                    "POST /api/v1/knowledge-bases/:id/documents", "POST /api/v1/knowledge-bases/:id/documents/fetch",
                ])
            for declaration in services.catalog.all where declaration.contract.rateLimit != nil {
                #expect(declaration.contract.errors.contains(.tooManyRequests), "\(declaration.path)")
            }
        }
    }
}
