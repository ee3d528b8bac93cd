import Foundation
import Hummingbird
import HummingbirdTesting
import RedisClient
import Synchronization
import Testing
import TestSupport
@testable import AIAgentBackend

/// Revocations are durable: written to the database before the answer, so that neither a
/// restart, a memory-only cache nor a stalled Redis brings an ended session back.
@Suite struct RevocationTests {
    static func me(_ client: any TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.call(.get, "/api/v1/auth/me", token: token) { $0.status }
    }

    static func expectMe(
        _ client: any TestClientProtocol, _ token: String, _ expected: HTTPResponse.Status,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let status = try await me(client, token)
        #expect(status == expected, "GET /auth/me", sourceLocation: sourceLocation)
    }

    static func expectRefresh(
        _ client: any TestClientProtocol, _ token: String, _ expected: HTTPResponse.Status,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let status = try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(token)"}"#) { $0.status }
        #expect(status == expected, "POST /auth/refresh", sourceLocation: sourceLocation)
    }

    @Test(arguments: DatabaseKind.allCases)
    func aLogoutOutlivesARestartWithMemoryOnly(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        #expect(!settings.redisEnabled)
        let pair = try await withThrowingApp(settings) { client in
            let pair = try await client.login()
            try await client.call(.post, "/api/v1/auth/logout", token: pair.accessToken) { #expect($0.status == .noContent) }
            return pair
        }
        var restarted = settings
        restarted.autoMigrate = false
        try await withApp(restarted) { client in
            try await Self.expectMe(client, pair.accessToken, .unauthorized)
            try await Self.expectRefresh(client, pair.refreshToken, .unauthorized)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aPasswordChangeEndsEveryOtherSession(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("rita", password: "rita-password-1", roles: ["viewer"], adminToken: admin)
            let laptop = try await client.login("rita", "rita-password-1")
            let phone = try await client.login("rita", "rita-password-1")
            let renewed = try await client.call(
                .post, "/api/v1/auth/me/password", token: laptop.accessToken,
                json: #"{"old_password":"rita-password-1","new_password":"rita-password-2"}"#
            ) { response in
                #expect(response.status == .ok)
                return try response.json(TokenPair.self)
            }
            try await Self.expectMe(client, phone.accessToken, .unauthorized)
            try await Self.expectRefresh(client, phone.refreshToken, .unauthorized)
            try await Self.expectRefresh(client, laptop.refreshToken, .unauthorized)
            try await Self.expectMe(client, renewed.accessToken, .ok)
            try await Self.expectRefresh(client, renewed.refreshToken, .ok)
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func anAdminResetEndsEverySession(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let id = try await client.createUser("sam", password: "sam-password-1", roles: ["viewer"], adminToken: admin)
            let session = try await client.login("sam", "sam-password-1")
            try await client.call(.post, "/api/v1/users/\(id)/reset-password", token: admin, json: #"{"password":"sam-password-2"}"#) {
                #expect($0.status == .noContent)
            }
            try await Self.expectMe(client, session.accessToken, .unauthorized)
            try await Self.expectRefresh(client, session.refreshToken, .unauthorized)
            _ = try await client.login("sam", "sam-password-2")
        }
    }

    /// Redis stops taking writes while a user logs out on one replica. The logout is durable
    /// all the same, and once Redis is back the other replica refuses the session too.
    @Test func aLogoutDuringARedisStallHoldsOnEveryReplica() async throws {
        try await withRedisServer { server in
            var shared = try await TestDatabases.settings(.sqlite)
            shared.redisEnabled = true
            shared.redisURL = server.url
            let settings = shared
            try await withServices(settings) { first, firstClient in
                try await withApp(settings) { second in
                    let pair = try await firstClient.login()
                    try await Self.expectMe(second, pair.accessToken, .ok)

                    let redis = try RedisClient(configuration: RedisConfiguration(url: server.url), logger: TestDatabases.logger)
                    _ = try await redis.send("CLIENT", "PAUSE", "3000", "WRITE")
                    try await firstClient.call(.post, "/api/v1/auth/logout", token: pair.accessToken) { #expect($0.status == .noContent) }
                    await redis.close()
                    try await Self.expectMe(firstClient, pair.accessToken, .unauthorized)

                    // Back on Redis within the pause plus a probe interval or two; then the other replica knows.
                    let deadline = ContinuousClock.now + .seconds(12)
                    var status = try await Self.me(second, pair.accessToken)
                    while status == .ok, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(250))
                        status = try await Self.me(second, pair.accessToken)
                    }
                    #expect(status == .unauthorized, "the other replica still accepts the ended session")
                    #expect(first.cache.status.backend == .redis)
                    try await Self.expectRefresh(second, pair.refreshToken, .unauthorized)
                }
            }
        }
    }
}

/// Like `withApp`, returning what `body` returns once the app has stopped.
func withThrowingApp<T: Sendable>(_ settings: Settings, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
    let result = Mutex<T?>(nil)
    try await withApp(settings) { client in
        let value = try await body(client)
        result.withLock { $0 = value }
    }
    return try #require(result.withLock { $0 })
}
