import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct HardeningTests {
    @Test func securityHeadersOnEveryResponseAndNoStoreOnTokens() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            for uri in ["/health", "/api/v1/nothing", "/api/v1/auth/me"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[.referrerPolicy] == "no-referrer", "\(uri)")
                    #expect(response.headers[.xFrameOptions] == "DENY", "\(uri)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(uri)")
                }
            }
            let pair = try await client.call(
                .post, "/api/v1/auth/login", token: nil, json: #"{"username":"admin","password":"\#(TestDatabases.adminPassword)"}"#
            ) { response in
                #expect(response.headers[.cacheControl] == "no-store")
                return try response.json(TokenPair.self)
            }
            try await client.call(.post, "/api/v1/auth/refresh", token: nil, json: #"{"refresh_token":"\#(pair.refreshToken)"}"#) {
                #expect($0.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func metricsNeedTheTokenWhenOneIsSet() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.metricsToken = "scrape-token-123"
        try await withApp(settings) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-123"]) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func weakPasswordsAreRefused() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            for (username, password) in [("walterwhite", "walterwhite"), ("walter12", "WALTER12"), ("wanda", "password123"), ("wendy", "Qwertyuiop")]
            {
                let body = #"{"username":"\#(username)","password":"\#(password)"}"#
                try await client.call(.post, "/api/v1/users", token: admin, json: body) { response in
                    #expect(response.status == .unprocessableContent, "\(username)/\(password)")
                    let error = try response.errorBody().error
                    #expect(error.details?["field"] == "password")
                }
            }
            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"walter12","password":"walter12-and-more"}"#) {
                #expect($0.status == .created, "containing the username is not being it")
            }
        }
    }

    /// A chunked body has no Content-Length to refuse up front: found too large while it is
    /// read, it is a 413 like any other.
    @Test func aChunkedBodyOverTheLimitIs413() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.maxBodySize = 1024
        settings.port = 0
        try await withServices(settings, setup: .live) { _, client in
            let port = try #require(client.port)
            let socket = try RawSocket(port: port)
            let chunk = String(repeating: "a", count: 600)
            let hex = String(chunk.utf8.count, radix: 16)
            socket.send(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )
            socket.send("\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n")
            let answer = socket.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
            #expect(answer.contains("payload_too_large"))
        }
    }
}
