import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing
import TestSupport
@testable import AIAgentBackend

@Suite struct AuthTests {
    @Test(arguments: DatabaseKind.allCases)
    func loginRefreshLogout(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let pair = try await client.login()
            #expect(pair.tokenType == "bearer")
            #expect(pair.expiresIn == 30 * 60)

            try await client.call(.get, "/api/v1/auth/me", token: pair.accessToken) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body[path: "user", "username"] == .string("admin"))
                #expect(body["roles"] == .array([.string("admin")]))
                #expect(body["permissions"]?.array?.contains(.string("user:read")) == true)
                #expect(body[path: "user", "password_hash"] == nil, "no hash leaves the server")
            }

            // Rotation: the old refresh token works once.
            let rotated = try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(pair.refreshToken)"}"#) {
                response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(TokenPair.self, from: Data(buffer: response.body))
            }
            try await client.call(.get, "/api/v1/auth/me", token: rotated.accessToken) { #expect($0.status == .ok) }

            // Logout revokes the access token and its refresh token.
            try await client.call(.post, "/api/v1/auth/logout", token: rotated.accessToken) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/auth/me", token: rotated.accessToken) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(rotated.refreshToken)"}"#) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    /// Two replicas sharing the database and Redis: a logout holds at once where it was made,
    /// and on the other replica within the session check interval.
    @Test func logoutHoldsOnEveryReplica() async throws {
        try await withTwoReplicas { first, second in
            let pair = try await first.login()
            try await second.call(.get, "/api/v1/auth/me", token: pair.accessToken) { #expect($0.status == .ok) }
            try await first.call(.post, "/api/v1/auth/logout", token: pair.accessToken) { #expect($0.status == .noContent) }
            try await first.call(.get, "/api/v1/auth/me", token: pair.accessToken) { #expect($0.status == .unauthorized) }
            try await Task.sleep(for: TokenService.sessionCheckInterval + .milliseconds(200))
            try await second.call(.get, "/api/v1/auth/me", token: pair.accessToken) { #expect($0.status == .unauthorized) }
            try await second.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(pair.refreshToken)"}"#) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func bearerTokensAreReadFromTheHeader() {
        #expect(AccessControl.bearerToken("Bearer abc.def") == "abc.def")
        #expect(AccessControl.bearerToken("bearer  abc.def \t") == "abc.def")
        #expect(AccessControl.bearerToken("BEARER abc") == "abc")
        #expect(AccessControl.bearerToken("Basic abc") == nil)
        #expect(AccessControl.bearerToken("Bearer ") == nil)
        #expect(AccessControl.bearerToken("Bearer") == nil)
        #expect(AccessControl.bearerToken("Bearerabc") == nil)
    }

    @Test func replayedRefreshTokenRevokesTheWholeSession() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let stolen = try await client.login()
            let legitimate = try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(stolen.refreshToken)"}"#) {
                try JSONDecoder().decode(TokenPair.self, from: Data(buffer: $0.body))
            }
            // The thief replays the already-rotated token.
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(stolen.refreshToken)"}"#) {
                #expect($0.status == .unauthorized)
            }
            // Every token of that session is now dead, including the legitimate new ones.
            try await client.call(.get, "/api/v1/auth/me", token: legitimate.accessToken) { #expect($0.status == .unauthorized) }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(legitimate.refreshToken)"}"#) {
                #expect($0.status == .unauthorized)
            }
            // Another login session is unaffected.
            let other = try await client.login()
            try await client.call(.get, "/api/v1/auth/me", token: other.accessToken) { #expect($0.status == .ok) }
        }
    }

    @Test func failuresLookAlikeAndAreThrottled() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.loginMaxAttempts = 3
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let userID = try await client.createUser("disabled.user", adminToken: admin)
            try await client.call(.post, "/api/v1/users/\(userID)/disable", token: admin) { #expect($0.status == .ok) }

            var messages = Set<String>()
            for (username, password) in [("admin", "wrong-password"), ("nobody", "whatever-pass"), ("disabled.user", "user-password-1")] {
                try await client.execute(uri: "/api/v1/auth/login", method: .post, body: jsonBody(["username": username, "password": password])) {
                    response in
                    #expect(response.status == .unauthorized)
                    messages.insert(try response.errorBody().error.message)
                }
            }
            #expect(messages.count == 1, "wrong password, unknown user and disabled user get the same answer")

            for _ in 0..<2 {
                try await client.execute(uri: "/api/v1/auth/login", method: .post, body: jsonBody(["username": "admin", "password": "nope-nope"])) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(
                uri: "/api/v1/auth/login", method: .post, body: jsonBody(["username": "admin", "password": TestDatabases.adminPassword])
            ) { response in
                #expect(response.status == .tooManyRequests, "even the right password waits out the window")
                #expect(response.headers[.retryAfter] == "900")
            }
        }
    }

    @Test func expiredForgedAndWrongKindTokensAreRejected() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withServices(settings) { services, client in
            let pair = try await client.login()
            let claims = try await services.access.tokens.verify(pair.accessToken, as: .access)
            var expired = claims
            expired.exp = .init(value: Date().addingTimeInterval(-60))
            let expiredToken = try await services.access.tokens.keys.sign(expired)
            let forger = JWTKeyCollection()
            await forger.add(hmac: HMACKey(from: "not-the-server-secret-not-the-server-secret"), digestAlgorithm: .sha256)
            let forgedToken = try await forger.sign(claims)
            for token in [expiredToken, forgedToken, pair.refreshToken, "garbage"] {
                try await client.call(.get, "/api/v1/auth/me", token: token) { #expect($0.status == .unauthorized) }
            }
        }
    }

    @Test func disabledUsersLoseAccessImmediately() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let userID = try await client.createUser("soon.disabled", roles: ["viewer"], adminToken: admin)
            let token = try await client.login("soon.disabled", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/users", token: token) { #expect($0.status == .ok) }
            try await client.call(.post, "/api/v1/users/\(userID)/disable", token: admin) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/users", token: token) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func passwordChangeAndMenus() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("tess", roles: ["tester"], adminToken: admin)
            let token = try await client.login("tess", "user-password-1").accessToken

            try await client.call(.get, "/api/v1/auth/me/menus", token: token) { response in
                let names = try response.json([MenuNodeView].self).map(\.name)
                #expect(names.contains("API testing"))
                #expect(!names.contains("System"), "a tester sees no system administration")
            }
            try await client.call(.post, "/api/v1/auth/me/password", token: token, json: #"{"old_password":"wrong","new_password":"new-password-2"}"#)
            {
                #expect($0.status == .unprocessableContent)
            }
            try await client.call(
                .post, "/api/v1/auth/me/password", token: token, json: #"{"old_password":"user-password-1","new_password":"short"}"#
            ) {
                #expect($0.status == .unprocessableContent)
            }
            let renewed = try await client.call(
                .post, "/api/v1/auth/me/password", token: token, json: #"{"old_password":"user-password-1","new_password":"new-password-2"}"#
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                return try response.json(TokenPair.self)
            }
            try await client.call(.get, "/api/v1/auth/me", token: token) { #expect($0.status == .unauthorized, "the old session ended") }
            try await client.call(.get, "/api/v1/auth/me", token: renewed.accessToken) { #expect($0.status == .ok, "the new one works") }
            _ = try await client.login("tess", "new-password-2")
        }
    }

    struct MenuNodeView: Decodable {
        let name: String
    }
}
