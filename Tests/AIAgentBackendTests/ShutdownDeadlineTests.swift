import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing
@testable import AIAgentBackend

/// `serve` ends within SHUTDOWN_TIMEOUT even while a request waits on something that never
/// comes: here a chat stream to a provider that never answers, with a longer LLM timeout.
@Suite struct ShutdownDeadlineTests {
    @Test func sigtermWithAHungChatStreamStopsWithinTheShutdownTimeout() async throws {
        let listener = try await SilentListener.start()
        let port = RawSocket.freePort()
        let shutdownTimeout = 5
        let process = try BuiltBinary.startServer(
            in: try BuiltBinary.temporaryDirectory(), port: port,
            environment: ["SHUTDOWN_TIMEOUT": "\(shutdownTimeout)", "LLM_TIMEOUT_SECONDS": "120"])
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        var token: String?
        for _ in 0..<300 where token == nil {
            token =
                try? await Self.post(base + "/api/v1/auth/login", ["username": "admin", "password": TestDatabases.adminPassword])["access_token"]
                as? String
            if token == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let bearer = try #require(token, "the server did not start")
        let model = try #require(
            try await Self.post(
                base + "/api/v1/models",
                [
                    "name": "silent", "provider": "openai", "model": "m", "base_url": "http://127.0.0.1:\(listener.port)/v1",
                    "api_key": "sk-test-0123456789abcd",
                ], token: bearer)["id"] as? String)
        let session = try #require(try await Self.post(base + "/api/v1/chat/sessions", ["model_config_id": model], token: bearer)["id"] as? String)

        let received = Mutex("")
        let chat = Task {
            var request = HTTPClientRequest(url: base + "/api/v1/chat/sessions/\(session)/messages")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(bearer)")
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: jsonText(["content": "hello?", "stream": true])))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            for try await chunk in response.body { received.withLock { $0 += String(buffer: chunk) } }
        }
        for _ in 0..<200 where listener.accepted == 0 { try await Task.sleep(for: .milliseconds(50)) }
        try #require(listener.accepted == 1, "the chat reached the provider")

        let start = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning, ContinuousClock.now - start < .seconds(60) { try await Task.sleep(for: .milliseconds(50)) }
        let took = ContinuousClock.now - start
        #expect(!process.isRunning)
        #expect(took < .seconds(shutdownTimeout), "SIGTERM with a hung chat stream took \(took)")
        // The stream ended, not left hanging: with an error event, or cut with the connection.
        _ = await chat.result
        let events = SSEParser.parse(received.withLock { $0 })
        #expect(events.last?.name ?? "error" == "error", "\(events)")
        await listener.stop()
    }

    private static func post(_ url: String, _ body: [String: Any], token: String? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: jsonText(body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 1 << 20)
        return try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any] ?? [:]
    }
}
