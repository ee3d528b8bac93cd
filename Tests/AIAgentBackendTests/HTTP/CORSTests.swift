import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct CORSTests {
    static let preflight: HTTPFields = [
        .origin: "https://app.example.com", .accessControlRequestMethod: "POST", .accessControlRequestHeaders: "authorization, content-type",
    ]

    @Test func withoutOriginsTheAPIIsSameOriginOnly() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            try await client.execute(uri: "/api/v1/auth/login", method: .options, headers: Self.preflight) { response in
                #expect(response.status == .forbidden)
                let code = try response.errorBody().error.code
                #expect(code == "origin_not_allowed")
                #expect(response.headers[.accessControlAllowOrigin] == nil)
                #expect(response.headers[.accessControlAllowMethods] == nil)
            }
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
                #expect(!response.headers[values: .vary].contains("Origin"))
            }
        }
    }

    @Test func listedOriginsGetPreflightsAndHeadersOthersDoNot() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.corsOrigins = ["https://app.example.com", "http://localhost:5173"]
        try await withApp(settings) { client in
            try await client.execute(uri: "/api/v1/auth/login", method: .options, headers: Self.preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                let methods = try #require(response.headers[.accessControlAllowMethods])
                #expect(methods.contains("POST") && methods.contains("DELETE"))
                let headers = try #require(response.headers[.accessControlAllowHeaders]).lowercased()
                #expect(headers.contains("authorization") && headers.contains("content-type"))
                #expect(response.headers[.accessControlMaxAge] == "600")
                #expect(response.headers[.vary]?.contains("Origin") == true)
                #expect(response.headers[.accessControlAllowCredentials] == nil, "cookies never cross origins")
            }
            var refused = Self.preflight
            refused[.origin] = "https://evil.example.net"
            try await client.execute(uri: "/api/v1/auth/login", method: .options, headers: refused) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            let login = #"{"username":"admin","password":"\#(TestDatabases.adminPassword)"}"#
            for (origin, allowed) in [("http://localhost:5173", true), ("https://evil.example.net", false)] {
                try await client.execute(
                    uri: "/api/v1/auth/login", method: .post, headers: [.origin: origin, .contentType: "application/json"],
                    body: ByteBuffer(string: login)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.accessControlAllowOrigin] == (allowed ? origin : nil))
                    #expect(response.headers[.accessControlExposeHeaders]?.contains("Retry-After") == (allowed ? true : nil))
                    #expect(response.headers[values: .vary].contains("Origin"), "answers differ by origin")
                }
            }
            // Errors carry the headers too, so a page can read why it was refused.
            try await client.execute(uri: "/api/v1/auth/me", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
            }
        }
    }

    @Test(arguments: ["https://app.example.com/", "app.example.com", "ftp://files.example.com", "https://app.example.com/path", "*"])
    func originsMustBeSchemeAndHostOnly(origin: String) {
        #expect(throws: SettingsError.self) { try Settings.load(environment: ["CORS_ORIGINS": origin], dotEnvPath: nil) }
    }

    @Test func originsAreReadFromTheEnvironment() throws {
        let settings = try Settings.load(environment: ["CORS_ORIGINS": "https://App.example.com, http://localhost:5173"], dotEnvPath: nil)
        #expect(settings.corsOrigins == ["https://app.example.com", "http://localhost:5173"])
    }
}
