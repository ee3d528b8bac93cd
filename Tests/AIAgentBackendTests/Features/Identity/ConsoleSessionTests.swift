import FluentKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

/// What the web console relies on: the refresh token as an HttpOnly cookie scoped to the
/// refresh route, a replay told apart, and the flag asking for a new password.
@Suite struct ConsoleSessionTests {
    static func refreshCookie(_ response: TestResponse) -> String? {
        guard let header = response.headers[.setCookie], header.hasPrefix("aab_refresh=") else { return nil }
        return String(header.prefix { $0 != ";" }.dropFirst("aab_refresh=".count))
    }

    @Test func theRefreshCookieRotatesAndAReplayEndsTheSession() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let first = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, body: jsonBody(["username": "admin", "password": TestDatabases.adminPassword])
            ) { response in
                let header = try #require(response.headers[.setCookie])
                #expect(header.contains("HttpOnly") && header.contains("Secure") && header.contains("SameSite=Strict"))
                #expect(header.contains("Path=/api/v1/auth/refresh") && header.contains("Max-Age=604800"))
                return try #require(Self.refreshCookie(response))
            }
            let second = try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: "{}", headers: [.cookie: "aab_refresh=\(first)"]) {
                response in
                #expect(response.status == .ok)
                let pair = try JSONDecoder().decode(TokenPair.self, from: Data(buffer: response.body))
                #expect(Self.refreshCookie(response) == pair.refreshToken)
                return pair.refreshToken
            }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: "{}", headers: [.cookie: "aab_refresh=\(first)"]) { response in
                #expect(response.status == .unauthorized)
                let error = try response.errorBody().error
                #expect(error.code == "refresh_token_reused")
                #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true, "the browser drops the dead cookie")
            }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: "{}", headers: [.cookie: "aab_refresh=\(second)"]) { response in
                #expect(response.status == .unauthorized, "the replay ended the whole session")
            }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: "{}") { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test(arguments: DatabaseKind.allCases)
    func aResetAsksForANewPasswordUntilItIsChanged(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            let me = try await client.call(.get, "/api/v1/auth/me", token: admin) { try $0.json() }
            #expect(me[path: "user", "password_change_required"] == .bool(false), "ADMIN_PASSWORD was configured")
            let id = try await client.createUser("reset1", adminToken: admin)
            try await client.call(.post, "/api/v1/users/\(id)/reset-password", token: admin, json: #"{"password":"temporary-pass-1"}"#) {
                #expect($0.status == .noContent)
            }
            let user = try await client.login("reset1", "temporary-pass-1").accessToken
            let before = try await client.call(.get, "/api/v1/auth/me", token: user) { try $0.json() }
            #expect(before[path: "user", "password_change_required"] == .bool(true))
            let listed = try await client.call(.get, "/api/v1/users?username=reset1", token: admin) { try $0.json() }
            #expect(listed["items"]?.array?.first?["password_change_required"] == .bool(true))
            let fresh = try await client.call(
                .post, "/api/v1/auth/me/password", token: user, json: #"{"old_password":"temporary-pass-1","new_password":"my-own-pass-2"}"#
            ) { try JSONDecoder().decode(TokenPair.self, from: Data(buffer: $0.body)) }
            let after = try await client.call(.get, "/api/v1/auth/me", token: fresh.accessToken) { try $0.json() }
            #expect(after[path: "user", "password_change_required"] == .bool(false))
        }
    }

    @Test func aGeneratedAdminPasswordMustBeChanged() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.adminPassword = nil
        try await withServices(settings) { services, _ in
            let admin = try await User.query(on: services.database.database).filter(\.$username == "admin").first()
            #expect(admin?.passwordChangeRequired == true)
        }
    }
}
