import Foundation
import Synchronization
import Testing

@testable import AIAgentBackend

/// At SIGTERM, NIO can drop a connection it accepted a moment before the listening socket
/// closed, unseen by the server loop, and the process then traps (swift-nio#2813). With new
/// connections arriving all through the shutdown, the process still exits cleanly.
@Suite struct UnservedConnectionsTests {
    @Test func sigtermWhileConnectionsKeepArrivingExitsCleanly() async throws {
        for round in 1...4 {
            let directory = try BuiltBinary.temporaryDirectory()
            let port = RawSocket.freePort()
            // No backtrace: a crash would otherwise hold the connections open while it prints.
            let process = try BuiltBinary.startServer(in: directory, port: port, environment: ["SWIFT_BACKTRACE": "enable=no"])
            defer { if process.isRunning { process.terminate() } }
            try await RawSocket.waitUntilListening(port)

            let stop = Atomic(false)
            let clients = DispatchGroup()
            for _ in 0..<6 {
                clients.enter()
                Thread.detachNewThread {
                    while !stop.load(ordering: .relaxed) {
                        guard let connection = try? RawSocket(port: port) else { continue }
                        connection.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        _ = connection.readToEnd()
                    }
                    clients.leave()
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            stop.store(true, ordering: .relaxed)
            await withCheckedContinuation { done in clients.notify(queue: .global()) { done.resume() } }

            #expect(!process.isRunning, "round \(round): still running 20 s after SIGTERM")
            #expect(
                process.terminationReason == .exit && process.terminationStatus == 0,
                "round \(round): ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        }
    }
}
