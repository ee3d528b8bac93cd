import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@testable import AIAgentBackend

/// Invalidations reach every replica through Redis, and stay local without it.
@Suite struct InvalidationTests {
    /// Two replicas on one database and one Redis; `body` gets A then B once both listen.
    private static func withTwoReplicas(
        _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withRedisServer { server in
            var shared = try await TestDatabases.settings(.sqlite)
            shared.redisEnabled = true
            shared.redisURL = server.url
            let settings = shared
            try await withServices(settings) { first, a in
                try await withServices(settings) { second, b in
                    try await until { first.invalidations.isListening && second.invalidations.isListening }
                    try await body(a, b)
                }
            }
        }
    }

    /// Asks B again until it answers `status`, for at most 100 ms after A's change.
    private static func refused(
        by client: any TestClientProtocol, _ uri: String, token: String,
        status: HTTPResponse.Status
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(100)
        while true {
            if try await client.call(.get, uri, token: token, { $0.status }) == status { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func disabledUserIsRefusedByTheOtherReplicaAtOnce() async throws {
        try await Self.withTwoReplicas { a, b in
            let admin = try await a.login().accessToken
            let userID = try await a.createUser("soon.disabled", adminToken: admin)
            let token = try await b.login("soon.disabled", "user-password-1").accessToken
            // B now holds the principal in memory, good for two seconds without the bus.
            try await b.call(.get, "/api/v1/auth/me", token: token) { #expect($0.status == .ok) }
            try await a.call(.post, "/api/v1/users/\(userID)/disable", token: admin) { #expect($0.status == .ok) }
            #expect(try await Self.refused(by: b, "/api/v1/auth/me", token: token, status: .unauthorized))
        }
    }

    @Test func removedPermissionIsEnforcedByTheOtherReplicaAtOnce() async throws {
        try await Self.withTwoReplicas { a, b in
            let admin = try await a.login().accessToken
            let reader = try await EscalationTests.delegate(["user:read"], to: "reader", admin: admin, client: a)
            try await b.call(.get, "/api/v1/users", token: reader.token) { #expect($0.status == .ok) }
            try await a.call(.put, "/api/v1/roles/\(reader.role)/menus", token: admin, json: #"{"menu_ids":[]}"#) { #expect($0.status == .ok) }
            #expect(try await Self.refused(by: b, "/api/v1/users", token: reader.token, status: .forbidden))
        }
    }

    /// B serves the users list from memory; a user created or renamed through A shows in B's list at once.
    @Test func usersListChangedOnOneReplicaShowsOnTheOtherAtOnce() async throws {
        try await Self.withTwoReplicas { a, b in
            let admin = try await a.login().accessToken
            let listed: @Sendable () async throws -> (total: Int, names: [String], loggedIn: [String]) = {
                try await b.call(.get, "/api/v1/users?page=1&page_size=100", token: admin) { response in
                    let page = try response.json(ListedPage.self)
                    return (
                        page.total, page.items.flatMap { [$0.username, $0.nickname ?? ""] },
                        page.items.filter { $0.last_login_at != nil }.map(\.username)
                    )
                }
            }
            let before = try await listed()
            let userID = try await a.createUser("listed.later", adminToken: admin)
            let afterCreate = try await listed()
            #expect(afterCreate.total == before.total + 1)
            #expect(afterCreate.names.contains("listed.later"))
            try await a.call(.put, "/api/v1/users/\(userID)", token: admin, json: #"{"nickname":"Renamed"}"#) { #expect($0.status == .ok) }
            #expect(try await listed().names.contains("Renamed"))
            #expect(try await !listed().loggedIn.contains("listed.later"))
            _ = try await a.login("listed.later", "user-password-1")
            #expect(try await listed().loggedIn.contains("listed.later"))
        }
    }

    private struct ListedPage: Decodable {
        struct Item: Decodable {
            let username: String
            let nickname: String?
            let last_login_at: String?
        }
        let items: [Item]
        let total: Int
    }

    @Test func withoutRedisPublishingAppliesLocally() async {
        let bus = InvalidationBus(redis: nil, channel: "test:invalidations", logger: TestDatabases.logger)
        let heard = Heard()
        bus.subscribe(.principals) { heard.append($0) }
        bus.subscribe(.chatSessions) { _ in heard.append("wrong topic") }
        let id = UUID()
        await bus.publish(.principal(id))
        await bus.publish(.allPrincipals)
        #expect(heard.keys == [id.uuidString, nil])
        #expect(!bus.isListening)
    }

    /// Redis away: publishing stays local and returns; Redis back: the bus subscribes again,
    /// drops everything it may have missed, and hears the other replica again.
    @Test func degradesToLocalAndResubscribesWhenRedisReturns() async throws {
        try await withRedisServer { server in
            var configuration = try RedisConfiguration(url: server.url)
            configuration.connectTimeout = .milliseconds(500)
            configuration.commandTimeout = .milliseconds(500)
            let (clientA, clientB) = (try RedisClient(configuration: configuration), try RedisClient(configuration: configuration))
            let a = InvalidationBus(redis: clientA, channel: "test:invalidations", logger: TestDatabases.logger)
            let b = InvalidationBus(redis: clientB, channel: "test:invalidations", logger: TestDatabases.logger)
            let (heardA, heardB) = (Heard(), Heard())
            a.subscribe(.modelConfigs) { heardA.append($0) }
            b.subscribe(.modelConfigs) { heardB.append($0) }
            let group = ServiceGroup(services: [a, b], logger: TestDatabases.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await until { a.isListening && b.isListening }
                heardA.reset()
                heardB.reset()

                let first = UUID()
                await a.publish(.modelConfig(first))
                // A resubscription under load may add a "drop everything" (nil); the keys are what count.
                try await until { heardB.keys.contains(first.uuidString) }
                #expect(heardA.keys.filter { $0 != nil } == [first.uuidString], "applied locally once, the echo ignored")

                server.kill()
                try await until { !a.isListening && !b.isListening }
                let offline = UUID()
                await a.publish(.modelConfig(offline))
                #expect(heardA.keys.last == offline.uuidString)
                #expect(!heardB.keys.contains(offline.uuidString))

                heardB.reset()
                try await server.restart()
                try await until { a.isListening && b.isListening }
                #expect(heardB.keys.contains(nil), "everything dropped after subscribing again")
                let second = UUID()
                await a.publish(.modelConfig(second))
                try await until { heardB.keys.last == second.uuidString }

                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await clientA.close()
            await clientB.close()
        }
    }
}

/// Keys heard by a subscriber, in order.
private final class Heard: Sendable {
    private let lock = Mutex<[String?]>([])
    var keys: [String?] { lock.withLock { $0 } }
    func append(_ key: String?) { lock.withLock { $0.append(key) } }
    func reset() { lock.withLock { $0.removeAll() } }
}

/// Waits up to five seconds for `condition`.
private func until(_ condition: @Sendable () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within five seconds", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
