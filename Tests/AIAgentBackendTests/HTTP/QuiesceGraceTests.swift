import Foundation
import Testing

@testable import AIAgentBackend

/// A proxy may have sent a request on a connection the replica accepted just before SIGTERM:
/// that request is answered, not dropped unread (a POST cannot be sent again safely).
@Suite struct QuiesceGraceTests {
    @Test func aConnectionAcceptedBeforeSIGTERMStillGetsItsRequestAnswered() async throws {
        let directory = try BuiltBinary.temporaryDirectory()
        let port = RawSocket.freePort()
        let process = try BuiltBinary.startServer(in: directory, port: port)
        defer { if process.isRunning { process.terminate() } }
        try await RawSocket.waitUntilListening(port)

        let connection = try RawSocket(port: port)
        let silent = try RawSocket(port: port)
        try await Task.sleep(for: .milliseconds(200))  // accepted, nothing sent yet
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        connection.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = connection.readToEnd()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")

        // A connection that never sends holds the shutdown for the grace only.
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        withExtendedLifetime(silent) {}
    }
}
