import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AIAgentBackend

@Suite struct AuditAndSeedingTests {
    @Test func mutatingRequestsAreAuditedWithoutSecrets() async throws {
        var settings = try await TestDatabases.settings(.sqlite)
        settings.trustedProxies = ["10.0.0.0/8"]
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            try await client.call(
                .post, "/api/v1/users", token: admin, json: #"{"username":"audited","password":"very-secret-pw","nickname":"A"}"#,
                headers: [.userAgent: "audit-test/1.0"]
            ) { #expect($0.status == .created) }
            try await client.call(.post, "/api/v1/users", token: admin, json: #"{"username":"audited","password":"very-secret-pw"}"#) {
                #expect($0.status == .conflict)
            }
            try await client.call(.get, "/api/v1/audit-logs?resource_type=users", token: admin) { response in
                let body = try response.json()
                let items = try #require(body["items"]?.array)
                #expect(items.count == 2)
                let created = try #require(items.first { $0["status"] == .number(201) })
                #expect(created["action"] == .string("create"))
                #expect(created["username"] == .string("admin"))
                #expect(created["user_agent"] == .string("audit-test/1.0"))
                #expect(created["resource_id"]?.string != nil)
                let summary = try #require(created["summary"]?.string)
                #expect(summary.contains("\"nickname\":\"A\""))
                #expect(!summary.contains("very-secret-pw") && summary.contains("\"password\":\"***\""))
                #expect(items.contains { $0["status"] == .number(409) }, "failed changes are audited too")
                let text = String(buffer: response.body)
                #expect(!text.contains("very-secret-pw"))
            }
            try await client.call(.get, "/api/v1/audit-logs?action=login", token: admin) { response in
                let items = try #require(try response.json()["items"]?.array)
                #expect(items.count == 1)
                #expect(items.first?["summary"] == nil, "what was typed into a login form is never kept")
            }
            try await client.call(.get, "/api/v1/audit-logs?from=yesterday", token: admin) { #expect($0.status == .unprocessableContent) }
        }
    }

    @Test func clientAddressHonoursOnlyTrustedProxies() {
        let proxies = TrustedProxies(["10.0.0.0/8", "192.168.1.5"])
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: "203.0.113.7, 10.0.0.9") == "203.0.113.7")
        #expect(proxies.clientAddress(peer: "192.168.1.5", forwardedFor: "198.51.100.1") == "198.51.100.1")
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9", "untrusted peers cannot spoof")
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: "6.6.6.6, 203.0.113.7") == "203.0.113.7", "the nearest untrusted hop wins")
        #expect(TrustedProxies.isValidEntry("172.28.0.0/16"))
        #expect(!TrustedProxies.isValidEntry("172.28.0.0/40"))
        #expect(!TrustedProxies.isValidEntry("proxy.local"))
    }

    @Test func seedingIsIdempotentAndSafeAcrossReplicas() async throws {
        let settings = try await TestDatabases.settings(.postgres)
        try await withDatabase(settings) { database in
            try await SchemaMigrator(database: database, logger: TestDatabases.logger).upgrade()
            let hasher = PasswordHasher(cost: 4)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await withDatabase(settings) { replica in
                            try await IdentitySeeder(
                                database: replica, hasher: hasher, adminPassword: "seeded-password", logger: TestDatabases.logger
                            ).seedIfEmpty()
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await IdentitySeeder(database: database, hasher: hasher, adminPassword: "other", logger: TestDatabases.logger).seedIfEmpty()
            try await hasher.pool.shutdownGracefully()
            let users = try await User.query(on: database.database).all()
            #expect(users.map(\.username) == ["admin"])
            #expect(try await Role.query(on: database.database).all().map(\.code).sorted() == ["admin", "tester", "viewer"])
            let permissions = try await Menu.query(on: database.database).all().compactMap(\.permission)
            #expect(Set(permissions) == Set(PermissionCatalog.allPermissions))
            #expect(permissions.count == PermissionCatalog.allPermissions.count)
        }
    }

    @Test func viewerIsReadOnly() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("vera", roles: ["viewer"], adminToken: admin)
            let token = try await client.login("vera", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/users", token: token) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/system/settings", token: token) { #expect($0.status == .ok) }
            try await client.call(.post, "/api/v1/users", token: token, json: #"{"username":"x.y.z","password":"password-1x"}"#) {
                #expect($0.status == .forbidden)
            }
            try await client.call(.put, "/api/v1/system/settings/a", token: token, json: #"{"value":"1"}"#) { #expect($0.status == .forbidden) }
        }
    }
}
