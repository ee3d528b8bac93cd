import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import AIAgentBackend

/// Password guessing: attempts are counted before the password is checked, so parallel
/// guesses cannot outrun the throttle, and a burst cannot queue minutes of bcrypt.
@Suite struct LoginThrottleTests {
    /// 30 guesses at once, the right one last: at most LOGIN_MAX_ATTEMPTS are checked.
    static func parallelGuesses(_ client: any TestClientProtocol, count: Int) async throws -> [HTTPResponse.Status] {
        try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for index in 0..<count {
                let password = index == count - 1 ? TestDatabases.adminPassword : "wrong-guess-\(index)"
                group.addTask {
                    try await client.execute(
                        uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                        body: jsonBody(["username": "admin", "password": password])
                    ) { $0.status }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func parallelGuessesOnMemoryAreCountedFirst() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let statuses = try await Self.parallelGuesses(client, count: 30)
            let checked = statuses.filter { $0 != .tooManyRequests }
            #expect(checked.count <= settings.loginMaxAttempts, "checked \(checked.count) of 30: \(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 30 - settings.loginMaxAttempts)
        }
    }

    @Test func parallelGuessesOnRedisAreCountedFirst() async throws {
        try await withRedisServer { server in
            var settings = try await TestDatabases.settings(.sqlite)
            settings.redisEnabled = true
            settings.redisURL = server.url
            let limit = settings.loginMaxAttempts
            try await withApp(settings) { client in
                let statuses = try await Self.parallelGuesses(client, count: 30)
                let checked = statuses.filter { $0 != .tooManyRequests }
                #expect(checked.count <= limit, "checked \(checked.count) of 30: \(statuses)")
            }
        }
    }

    @Test func aSuccessResetsTheCountersAndUnknownUsersCountToo() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            for _ in 0..<(settings.loginMaxAttempts - 1) {
                try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"admin","password":"nope-nope"}"#) {
                    #expect($0.status == .unauthorized)
                }
            }
            _ = try await client.login()
            for _ in 0..<settings.loginMaxAttempts {
                try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"admin","password":"nope-nope"}"#) {
                    #expect($0.status == .unauthorized, "the success started the count again")
                }
            }
            try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"admin","password":"nope-nope"}"#) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "900")
            }
            for _ in 0..<settings.loginMaxAttempts {
                try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"ghost","password":"nope-nope"}"#) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"ghost","password":"nope-nope"}"#) {
                #expect($0.status == .tooManyRequests, "unknown accounts are throttled alike, so 429 reveals nothing")
            }
        }
    }

    /// Unknown users cost a decoy hash at the configured cost: a burst fills the bounded
    /// queue, and what does not fit is answered 503 at once instead of waiting in line.
    @Test func aBurstBeyondTheHashingQueueIsTurnedAway() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.loginMaxAttempts = 1000
        settings.bcryptCost = 10
        try await withServices(settings) { services, client in
            let burst = services.hasher.maxQueued * 4
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<burst {
                    group.addTask {
                        try await client.execute(
                            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                            body: jsonBody(["username": "nobody-\(index)", "password": "some-guess"])
                        ) { $0.status }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .serviceUnavailable }, "\(statuses)")
            #expect(statuses.contains(.serviceUnavailable), "a burst of \(burst) must not all queue for bcrypt")
            #expect(statuses.filter { $0 == .unauthorized }.count >= services.hasher.maxQueued)
        }
    }

    /// Changing the password asks for the old one: that is a guess too, and throttled.
    @Test func passwordChangeGuessesAreThrottled() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let token = try await client.login().accessToken
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<12 {
                let body = #"{"old_password":"guess-\#(index)-x","new_password":"another-password-9"}"#
                statuses.append(try await client.call(.post, "/api/v1/auth/me/password", token: token, json: body) { $0.status })
            }
            #expect(statuses.prefix(settings.loginMaxAttempts).allSatisfy { $0 == .unprocessableContent })
            #expect(statuses.dropFirst(settings.loginMaxAttempts).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
        }
    }

    @Test func throttleKeysAreFixedSizeHashes() {
        let long = AttemptThrottle.counter("login", [String(repeating: "a", count: 100_000), "127.0.0.1"], limit: 5)
        let short = AttemptThrottle.counter("login", ["a", "127.0.0.1"], limit: 5)
        #expect(long.key.count == short.key.count)
        #expect(!long.key.contains("aaaa") && long.key != short.key)
    }
}
