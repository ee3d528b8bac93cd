import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct ModelsTests {
    static let secretKey = "sk-live-0123456789abcdefWXYZ"

    @Test(arguments: DatabaseKind.allCases)
    func apiKeyIsEncryptedMaskedAndNeverEchoed(_ kind: DatabaseKind) async throws {
        let settings = try await aiSettings(kind)
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { services, client in
                let token = try await client.login().accessToken
                let id = try await client.createModel(fake, apiKey: Self.secretKey, token: token)
                let shown = try await client.call(.get, "/api/v1/models/\(id)", token: token) { try $0.json()["api_key"]?.string }
                #expect(shown == "sk-…WXYZ")
                let listed = try await client.call(.get, "/api/v1/models", token: token) { String(buffer: $0.body) }
                #expect(listed.contains("sk-…WXYZ") && !listed.contains(Self.secretKey))

                let stored = try await services.database.sql.raw("SELECT api_key_encrypted FROM model_configs").all()
                    .map { try $0.decode(column: "api_key_encrypted", as: String.self) }
                #expect(stored.count == 1 && stored[0].hasPrefix("v1:") && !stored[0].contains(Self.secretKey))
                let summaries = try await AuditLog.query(on: services.database.database).all().compactMap(\.summary)
                #expect(summaries.contains { $0.contains("\"api_key\":\"***\"") })
                #expect(!summaries.contains { $0.contains(Self.secretKey) })

                // The decrypted key is what reaches the provider.
                fake.enqueue(Wire.completion(.openai, text: "pong"))
                try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { #expect($0.status == .ok) }
                #expect(fake.requests.last?.headers.first(name: "authorization") == "Bearer \(Self.secretKey)")
            }
        }
    }

    @Test func shortKeysAreFullyMasked() {
        #expect(SecretBox.mask("sk-short") == "…")
        #expect(SecretBox.mask("sk-proj-abcdefghijkl1234") == "sk-…1234")
    }

    @Test func encryptionKeyMustBe32Base64Bytes() throws {
        let key = Data((0..<32).map { UInt8($0) })
        #expect(try Settings.load(environment: ["ENCRYPTION_KEY": key.base64EncodedString()], dotEnvPath: nil).encryptionKey == key)
        for bad in ["c2hvcnQ=", "not base64!"] {
            do {
                _ = try Settings.load(environment: ["ENCRYPTION_KEY": bad], dotEnvPath: nil)
                Issue.record("ENCRYPTION_KEY '\(bad)' was accepted")
            } catch {
                #expect(error.variable == "ENCRYPTION_KEY" && error.message.contains("32 random bytes"))
                #expect(!error.description.contains(bad))
            }
        }
    }

    enum KeyChange: String, CaseIterable, Sendable { case secretKey, encryptionKey }

    @Test(arguments: KeyChange.allCases)
    func aChangedKeyFailsToDecryptClearly(_ change: KeyChange) async throws {
        var settings = try await aiSettings()
        if change == .encryptionKey { settings.encryptionKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }) }
        let id = try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                _ = try await client.createModel(fake, apiKey: Self.secretKey, token: token)
            }
            return try await withDatabase(settings) { try await ModelConfig.query(on: $0.database).first()!.requireID() }
        }
        switch change {
        case .secretKey: settings.secretKey = "another-secret-key-of-sufficient-length-0123"
        case .encryptionKey: settings.encryptionKey = Data(repeating: 7, count: 32)
        }
        let changed = settings
        try await FakeLLMProvider.with { fake in
            try await withServices(changed) { _, client in
                let token = try await client.login().accessToken
                try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { response in
                    #expect(response.status == .internalServerError)
                    let error = try response.errorBody().error
                    #expect(error.code == "key_decryption_failed")
                    #expect(error.message.contains("ENCRYPTION_KEY/SECRET_KEY changed"))
                }
                // Re-entering the key repairs the configuration.
                try await client.call(
                    .put, "/api/v1/models/\(id)", token: token, json: jsonText(["api_key": Self.secretKey, "base_url": fake.baseURL])
                ) {
                    #expect($0.status == .ok)
                }
                fake.enqueue(Wire.completion(.openai, text: "pong"))
                let ok = try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { try $0.json()["ok"] }
                #expect(ok == .bool(true))
            }
        }
    }

    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func testEndpointReportsProviderErrors(_ kind: ProviderConfiguration.Kind) async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { services, client in
                let token = try await client.login().accessToken
                let id = try await client.createModel(
                    fake, kind: kind, extra: ["input_price_per_million": 2.0, "output_price_per_million": 8.0], token: token)
                fake.enqueue(Wire.completion(kind, text: "pong"))
                let good = try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { try $0.json() }
                #expect(good["ok"] == .bool(true))
                #expect((good["latency_ms"]?.number ?? -1) >= 0)
                #expect(good["error"] == nil || good["error"] == .null)
                #expect(fake.requests.last?.json["max_tokens"] != nil || fake.requests.last?.json["max_completion_tokens"] != nil)

                fake.enqueue(Wire.failure(kind, status: 401, message: "Incorrect API key provided: sk-te***"))
                let bad = try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { try $0.json() }
                #expect(bad["ok"] == .bool(false))
                #expect(bad["error"]?.string?.contains("Incorrect API key provided") == true)

                let usage = try await LLMUsageRecord.query(on: services.database.database).all()
                #expect(usage.count == 1)
                #expect(usage.first?.source == "test" && usage.first?.inputTokens == 12 && usage.first?.outputTokens == 5)
                #expect(usage.first?.provider == kind.rawValue && usage.first?.userID != nil)
                #expect(abs((usage.first?.cost ?? 0) - (12 * 2.0 + 5 * 8.0) / 1_000_000) < 1e-12)
            }
        }
    }

    /// A `model:update` holder pointing the configuration at their own listener must not
    /// receive the stored key there.
    @Test(arguments: [ProviderConfiguration.Kind.openai, .anthropic])
    func changingBaseURLDropsTheStoredKey(_ kind: ProviderConfiguration.Kind) async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { provider in
            try await FakeLLMProvider.with(host: "127.0.0.2") { listener in
                try await withServices(settings) { _, client in
                    let token = try await client.login().accessToken
                    let id = try await client.createModel(provider, kind: kind, apiKey: Self.secretKey, token: token)
                    // Another field, or the same base URL again, keeps the key.
                    let same = try await client.call(
                        .put, "/api/v1/models/\(id)", token: token,
                        json: jsonText(["temperature": 0.5, "base_url": provider.baseURL])
                    ) { try $0.json() }
                    #expect(same["api_key"]?.string == SecretBox.mask(Self.secretKey))

                    let moved = try await client.call(.put, "/api/v1/models/\(id)", token: token, json: jsonText(["base_url": listener.baseURL])) {
                        #expect($0.status == .ok)
                        return try $0.json()
                    }
                    #expect(moved["api_key"] == nil)
                    listener.enqueue(Wire.completion(kind, text: "pong"))
                    try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { #expect($0.status == .ok) }
                    #expect(listener.requests.count == 1)
                    #expect(
                        listener.requests.allSatisfy { request in
                            !request.headers.contains { $0.value.contains(Self.secretKey) }
                                && !String(decoding: request.body, as: UTF8.self).contains(Self.secretKey)
                        })

                    // Supplying the key in the same request moves it along.
                    let newKey = "sk-moved-key-0123456789wxyz"
                    let rekeyed = try await client.call(
                        .put, "/api/v1/models/\(id)", token: token,
                        json: jsonText(["base_url": provider.baseURL, "api_key": newKey])
                    ) { try $0.json() }
                    #expect(rekeyed["api_key"]?.string == SecretBox.mask(newKey))
                    provider.enqueue(Wire.completion(kind, text: "pong"))
                    let ok = try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { try $0.json()["ok"] }
                    #expect(ok == .bool(true))
                    #expect(provider.requests.last?.headers.contains { $0.value.contains(newKey) } == true)
                }
            }
        }
    }

    /// The test's error relays only a short, printable start of what the target answered, never the key.
    @Test func connectionTestErrorIsShortAndSanitised() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let id = try await client.createModel(fake, apiKey: Self.secretKey, token: token)
                let page = "<html>\n\u{1B}[31mkey=\(Self.secretKey)\u{0}\r\n" + String(repeating: "internal page ", count: 200)
                fake.enqueue(.init(status: 400, headers: [("content-type", "text/html")], parts: [.bytes(Array(page.utf8))]))
                let result = try await client.call(.post, "/api/v1/models/\(id)/test", token: token) { try $0.json() }
                #expect(result["ok"] == .bool(false))
                let error = try #require(result["error"]?.string)
                #expect(error.count <= ModelsController.errorLimit)
                #expect(error.hasPrefix("request rejected (400): <html> [31mkey=\(SecretBox.mask(Self.secretKey))"))
                #expect(!error.contains(Self.secretKey))
                #expect(!error.unicodeScalars.contains { $0.properties.generalCategory == .control })
            }
        }
    }

    @Test func validationAndConflicts() async throws {
        let settings = try await aiSettings()
        try await FakeLLMProvider.with { fake in
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                for (body, field) in [
                    (["name": "x", "provider": "mystery", "model": "m"], "provider"),
                    (["name": "x", "provider": "openai", "model": "m"], "api_key"),
                    (["name": "x", "provider": "openai_compatible", "model": "m", "temperature": 3], "temperature"),
                    (["name": "x", "provider": "openai_compatible", "model": "m", "base_url": "ftp://host"], "base_url"),
                    (["provider": "openai_compatible", "model": "m"], "name"),
                ] as [([String: Any], String)] {
                    try await client.call(.post, "/api/v1/models", token: token, json: jsonText(body)) { response in
                        #expect(response.status == .unprocessableContent, "\(body)")
                        let details = try response.errorBody().error.details
                        #expect(details?["field"] == field)
                    }
                }
                // A local OpenAI-compatible server needs no key; its base URL is normalised.
                let local = try await client.call(
                    .post, "/api/v1/models", token: token,
                    json: jsonText(["name": "ollama", "provider": "openai_compatible", "model": "llama3", "base_url": "http://localhost:11434/"])
                ) {
                    #expect($0.status == .created)
                    return try $0.json()
                }
                #expect(local["base_url"]?.string == "http://localhost:11434/v1")
                #expect(local["api_key"] == nil)

                let id = try await client.createModel(fake, token: token)
                try await client.call(
                    .post, "/api/v1/models", token: token, json: jsonText(["name": "fake-model", "provider": "openai_compatible", "model": "m"])
                ) {
                    #expect($0.status == .conflict)
                }
                _ = try await client.createAgent(modelID: id, token: token)
                try await client.call(.delete, "/api/v1/models/\(id)", token: token) { #expect($0.status == .conflict) }
                try await client.call(.delete, "/api/v1/models/\(local["id"]!.string!)", token: token) { #expect($0.status == .noContent) }
                let total = try await client.call(.get, "/api/v1/models?page_size=1", token: token) { try $0.json()["total"] }
                #expect(total == .number(1))
            }
        }
    }
}
