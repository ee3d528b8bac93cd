import Foundation
import Testing

/// The `ai-agent-backend` executable of this build, for tests that need a real process
/// (exit codes, signals). `scripts/test` builds it before the tests run.
enum BuiltBinary {
    static var path: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["APP_BIN"], FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
            let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let path = packageRoot.appendingPathComponent(".build/debug/ai-agent-backend").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                Issue.record("no executable at \(path): run `swift build` (scripts/test does) or set APP_BIN")
                throw TestSetupError()
            }
            return path
        }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the binary to completion with `environment` added to a minimal one.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? FileManager.default.temporaryDirectory.path)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `serve` in `directory` on its own SQLite database and `port`, with `environment`
    /// added; the caller stops it.
    static func startServer(in directory: String, port: Int, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path)
        process.arguments = ["serve"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = [
            "PORT": "\(port)", "DATABASE_URL": "sqlite:///./app.db", "LOG_DIR": "\(directory)/logs", "REDIS_ENABLED": "false",
            "ADMIN_PASSWORD": TestDatabases.adminPassword, "BCRYPT_COST": "4",
        ].merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
