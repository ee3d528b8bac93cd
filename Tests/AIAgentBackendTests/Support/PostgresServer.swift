import Foundation
import Testing

/// A private PostgreSQL server for one test, which it may stop and start again (outage
/// tests must not stop the shared one). Runs `scripts/lib/postgres.sh` on a free port.
final class PostgresServer: Sendable {
    let directory: String
    let port: Int

    var url: String { "postgres://postgres@127.0.0.1:\(port)/ai_agent_db" }

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    static func start() async throws -> PostgresServer {
        let server = PostgresServer(directory: try BuiltBinary.temporaryDirectory() + "/pg", port: RawSocket.freePort())
        try await server.start()
        return server
    }

    func start() async throws { try await script("pg_start \(directory) \(port) '-c fsync=off -c max_connections=100'") }
    func stop() async throws { try await script("pg_stop \(directory)") }

    /// Stops the server and removes its files.
    func remove() async {
        try? await stop()
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    }

    /// Runs `command` after sourcing the script. Not with `Process`: Foundation notices the
    /// end of a child only once every descriptor it handed down is closed, and the server
    /// `pg_ctl` leaves running holds them until it stops.
    private func script(_ command: String) async throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let log = directory + ".log"
        let line = "cd '\(packageRoot.path)' && source scripts/lib/postgres.sh && \(command) </dev/null >/dev/null 2>'\(log)'"
        // Waited for on a thread of its own, off the cooperative pool the app in this process needs.
        let status = await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                let words: [String] = ["/bin/bash", "-c", line]
                var arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
                defer { arguments.forEach { free($0) } }
                var pid: pid_t = 0
                guard posix_spawn(&pid, "/bin/bash", nil, nil, &arguments, environ) == 0 else { return done.resume(returning: -1) }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                done.resume(returning: status)
            }
        }
        guard status == 0 else {
            Issue.record("\(command) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            throw TestSetupError()
        }
    }
}

/// Runs `body` with a fresh private server and removes the server afterwards, also on failure.
func withPostgresServer<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
    let server = try await PostgresServer.start()
    do {
        let result = try await body(server)
        await server.remove()
        return result
    } catch {
        await server.remove()
        throw error
    }
}
