import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

/// Secrets never reach the read-only role, the audit log or a response.
@Suite struct SecretExposureTests {
    @Test(arguments: DatabaseKind.allCases)
    func viewersReadNeitherTheAuditLogNorSecretSettings(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            try await client.call(.put, "/api/v1/system/settings/smtp.password", token: admin, json: #"{"value":"smtp-hunter2-secret"}"#) {
                response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["value"] == .string("***"))
                #expect(body["is_secret"] == .bool(true), "a key named like a secret is secret by default")
            }
            try await client.call(.put, "/api/v1/system/settings/site.title", token: admin, json: #"{"value":"Plain","is_secret":false}"#) {
                #expect($0.status == .ok)
            }
            _ = try await client.createUser("vera", password: "vera-password-1", roles: ["viewer"], adminToken: admin)
            let viewer = try await client.login("vera", "vera-password-1").accessToken
            try await client.call(.get, "/api/v1/audit-logs", token: viewer) { #expect($0.status == .forbidden) }
            try await client.call(.get, "/api/v1/system/settings", token: viewer) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(!text.contains("hunter2") && text.contains("Plain"))
            }
            try await client.call(.get, "/api/v1/system/settings/smtp.password", token: viewer) { response in
                let value = try response.json()["value"]
                #expect(value == .string("***"))
            }
            let stored = try await services.database.sql.raw("SELECT value FROM system_settings WHERE key = 'smtp.password'")
                .first(decodingColumn: "value", as: String.self)
            #expect(stored?.contains("hunter2") == false, "sealed at rest")
            // Updating a secret keeps it secret.
            try await client.call(.put, "/api/v1/system/settings/smtp.password", token: admin, json: #"{"value":"next-secret-value"}"#) {
                let value = try $0.json()["value"]
                #expect(value == .string("***"))
            }
        }
    }

    @Test func auditRecordsMaskCredentialsByNameAndByLook() async throws {
        let settings = try await TestDatabases.settings(.sqlite)
        try await withApp(settings) { client in
            // A password typed into the username field of a failed login.
            try await client.call(.post, "/api/v1/auth/login", token: nil, json: #"{"username":"Tr0ub4dor&3-typed-here","password":"x"}"#) {
                #expect($0.status == .unauthorized || $0.status == .unprocessableContent)
            }
            let admin = try await client.login().accessToken
            let body =
                #"{"name":"a1","description":"key sk-proj-abcdefghijklmnop1234 here","system_prompt":"Bearer abcdefghijklmnopqrstuvwxyz","api-key":"plain-looking","access_key":"AKIAIOSFODNN7EXAMPLE"}"#
            try await client.call(.post, "/api/v1/agents", token: admin, json: body)
            try await client.call(.get, "/api/v1/audit-logs?page_size=100", token: admin) { response in
                let text = String(buffer: response.body)
                for secret in ["Tr0ub4dor", "abcdefghijklmnop1234", "abcdefghijklmnopqrstuvwxyz", "plain-looking", "AKIAIOSFODNN7EXAMPLE"] {
                    #expect(!text.contains(secret), "\(secret) reached the audit log")
                }
            }
        }
    }

    @Test func redactionByLook() {
        #expect(Redaction.redact("sk-ant-api03-abcdefghijklmnop", key: "note") == Redaction.mask)
        #expect(Redaction.redact("Bearer abc.def.ghijkl", key: nil) == Redaction.mask)
        #expect(Redaction.redact("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", key: "x") == Redaction.mask)
        #expect(Redaction.redact("f3a9c2d8e7b6a5f4c3d2e1a0", key: "client_key") == Redaction.mask, "random-looking in a key-like field")
        #expect(Redaction.redact("f3a9c2d8e7b6a5f4c3d2e1a0", key: "request_id") == "f3a9c2d8e7b6a5f4c3d2e1a0")
        #expect(Redaction.redact("a plain sentence about skies", key: "description") == "a plain sentence about skies")
        #expect(Redaction.redact("use sk-proj-abcdefghijklmnop1234 then", key: "note") == "use *** then")
        #expect(Redaction.redact("curl -H 'Authorization: Bearer abcdefgh12345678'", key: "note").contains("abcdefgh12345678") == false)
        #expect(Redaction.isSecret("X-Api-Key") && Redaction.isSecret("access_key") && Redaction.isSecret("smtp.password"))
    }
}
