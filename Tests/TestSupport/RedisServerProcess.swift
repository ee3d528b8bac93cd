import Foundation

/// A real `redis-server` for one test: its own temp dir and port, a password and AOF,
/// stopped by PID. Binary: `REDIS_SERVER_BIN`, else `redis-server` from PATH.
public final class RedisServerProcess: @unchecked Sendable {
    public let password: String
    public private(set) var port = 0
    private let directory: URL
    private let extraArguments: [String]
    private var process: Process?
    private var starts = 0

    public var url: String { "redis://:\(password)@127.0.0.1:\(port)" }

    private init(password: String, extraArguments: [String]) throws {
        self.password = password
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public static func start(password: String = "test-password", extraArguments: [String] = []) async throws -> RedisServerProcess {
        let server = try RedisServerProcess(password: password, extraArguments: extraArguments)
        for _ in 0..<5 {
            server.port = Int.random(in: 20_000..<60_000)
            if try await server.launch() { return server }
        }
        throw LaunchError("no free port found")
    }

    /// Kills the server like a crash. SIGKILL because the child inherits the spawning
    /// thread's blocked signals, SIGTERM among them; pass `--appendfsync always` to keep every write.
    public func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts again on the same port and directory, so the AOF data comes back.
    public func restart() async throws {
        kill()
        guard try await launch() else { throw LaunchError("restart on port \(port) failed") }
    }

    public func terminate() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// False when the server exited, e.g. because the port was taken.
    private func launch() async throws -> Bool {
        starts += 1
        let log = directory.appendingPathComponent("redis-\(starts).log")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                ProcessInfo.processInfo.environment["REDIS_SERVER_BIN"] ?? "redis-server",
                "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path, "--logfile", log.path,
                "--appendonly", "yes", "--save", "", "--requirepass", password,
            ] + extraArguments
        try process.run()
        self.process = process
        for _ in 0..<500 {
            if (try? String(contentsOf: log, encoding: .utf8))?.contains("Ready to accept connections") == true { return true }
            if !process.isRunning { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill()
        throw LaunchError("redis-server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    struct LaunchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Runs `body` with a fresh server and terminates the server afterwards, also on failure.
public func withRedisServer<T>(
    password: String = "test-password",
    extraArguments: [String] = [],
    _ body: (RedisServerProcess) async throws -> T
) async throws -> T {
    let server = try await RedisServerProcess.start(password: password, extraArguments: extraArguments)
    defer { server.terminate() }
    return try await body(server)
}
