import FluentPostgresDriver
import Foundation
import RedisClient
import Testing
import TestSupport
@testable import AIAgentBackend

/// Every parser of outside input, fed a few thousand bad inputs: each must end in a value
/// or an error value (a 4xx for the importers), never a crash or a hang.
@Suite struct ParserFuzzTests {
    @Test func dotEnvReader() {
        let samples = [
            "# comment\nDATABASE_URL=sqlite:///./app.db\nexport SECRET_KEY='s3cr3t'\nLOG_LEVEL = \"info\"\n\nEMPTY=\nQUOTED=\"a\\nb \\\"c\\\" \\\\\"\n",
            "A=1\r\nB=two words\r\n#C=3\r\n",
        ]
        fuzz(".env", samples: samples, tokens: ["export ", "=", "'", "\"", "\\n", "#"], count: 2_000) { input in
            guard let values = try? DotEnv.parse(String(decoding: input, as: UTF8.self), source: ".env") else { return nil }
            let bad = values.keys.first { $0.isEmpty || !$0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }
            return bad.map { "accepted the variable name \($0.debugDescription)" }
        }
    }

    /// Every variable the service reads, given values no one should write: a clear error or a value.
    @Test func settingsValues() {
        let hostile = [
            "", " ", "-1", "0", "1e300", "-1e300", "1e-300", "nan", "inf", "99999999999999999999", "9223372036854775807", "0x10", "1.5",
            "true", "yes", "\u{0}", "\u{FFFD}", ",,,", "a,b", "[", "://", "sqlite://", "postgres://@:0/", "redis://:@:99999/x",
        ]
        for name in Settings.variableNames {
            for value in hostile { _ = try? Settings(values: [name: value]) }
        }
        fuzz("settings", samples: Settings.variableNames.map { "\($0)=1" }, count: 1_000) { input in
            guard let values = try? DotEnv.parse(String(decoding: input, as: UTF8.self), source: ".env") else { return nil }
            _ = try? Settings(values: values)
            return nil
        }
    }

    @Test func databaseURLParser() {
        let samples = [
            "postgresql+asyncpg://user:p%40ss@db.internal:5432/ai_agent_db?sslmode=require", "postgres://u@[::1]:5432/x",
            "sqlite:///./data/app.db", "sqlite:////var/lib/app.db", "sqlite:///:memory:",
        ]
        fuzz("DATABASE_URL", samples: samples, tokens: ["://", "+", "@", ":5432", "?sslmode=", "%2F", "[::1]"], count: 1_500) { input in
            guard let url = try? DatabaseURL(parsing: String(decoding: input, as: UTF8.self)) else { return nil }
            _ = url.redacted
            // What the service does next with an accepted PostgreSQL URL.
            if case .postgres(let text) = url { _ = try? SQLPostgresConfiguration(url: text) }
            return nil
        }
    }

    @Test func redisURLParser() {
        let samples = ["redis://:secret@cache.internal:6380/3", "rediss://user:p%3Ass@[::1]:6379", "redis://localhost", "redis://secret@host/0"]
        fuzz("REDIS_URL", samples: samples, tokens: ["redis://", "rediss://", "@", ":", "/", "[", "]", "%3A", "65536"], count: 2_000) { input in
            guard let configuration = try? RedisConfiguration(url: String(decoding: input, as: UTF8.self)) else { return nil }
            if !(1...65535).contains(configuration.port) { return "accepted port \(configuration.port)" }
            return configuration.host.isEmpty ? "accepted an empty host" : nil
        }
    }

    @Test func serverSentEventStreams() {
        let samples = [
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5}}}\n\n: keep-alive\r\n\r\nevent: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\r\n\r\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":1}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\ndata: [DONE]\n\n",
        ]
        var chunking = SplitMix64(seed: Fuzzer.seed)
        fuzz("SSE", samples: samples, tokens: ["data: ", "event: ", "\n\n", "\r", ":", "[DONE]", "{\"type\":"], count: 2_000) { input in
            // Bytes split at random points, as the network delivers them, through both providers' decoders.
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            var rest = input[...]
            while !rest.isEmpty {
                let size = 1 + Int.random(in: 0..<64, using: &chunking)
                events += parser.feed(rest.prefix(size))
                rest = rest.dropFirst(size)
            }
            events += parser.finish()
            var openAI = OpenAIStreamDecoder()
            var anthropic = AnthropicStreamDecoder()
            for event in events {
                _ = try? openAI.decode(event)
                _ = try? anthropic.decode(event)
            }
            _ = try? openAI.finish()
            _ = try? anthropic.finish()
            return nil
        }
    }

    @Test(arguments: [
        ("cURL", ImportFormat.curl, [ImportFixtures.curlCommands], 1_000),
        ("HAR", .har, [ImportFixtures.har], 800),
        ("Postman", .postman, [ImportFixtures.postmanCollection], 800),
        ("OpenAPI", .openapi, [ImportFixtures.openAPI30JSON, ImportFixtures.openAPI31YAML], 500),
        ("Swagger", .swagger, [ImportFixtures.swaggerPetstore], 500),
    ])
    func importer(name: String, format: ImportFormat, samples: [String], count: Int) {
        fuzz(
            name, samples: samples, tokens: ["\"", "'", "$'", "-H ", "--data ", "{", "}", ": ", "\n  ", "$ref", "#/", "*anchor", "&anchor"],
            count: count
        ) {
            input in
            let content = String(decoding: input, as: UTF8.self)
            // Stated and detected format: detection is a parser of its own.
            for stated in [format, nil] {
                do throws(APIError) {
                    _ = try CatalogImport.parse(content, format: stated)
                } catch {
                    if !(400..<500).contains(error.status.code) { return "answered \(error.status.code) \(error.code): \(error.message)" }
                }
            }
            return nil
        }
    }
}
