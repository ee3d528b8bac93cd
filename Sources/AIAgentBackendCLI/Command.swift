import AIAgentBackend
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

@main
struct AIAgentBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai-agent-backend",
        abstract: "The AI agent and API-testing platform backend.",
        version: Settings.version,
        subcommands: [Serve.self, Migrate.self, Test.self, Secrets.self],
        defaultSubcommand: Serve.self
    )

    /// As the parser's, but a usage error exits with 2 (not 64): what CI scripts expect of `test run`.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data("\(message(for: error)) (see --help)\n".utf8))
            exit(withError: ExitCode(2))
        }
    }
}

/// Loads settings and runs `checks` on them, or exits with status 2 and one line naming the bad variable.
func loadSettings(checking checks: (Settings) throws -> Void = { _ in }) throws -> Settings {
    do {
        let settings = try Settings.load()
        try checks(settings)
        return settings
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(2)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP service (migrating to head first unless AUTO_MIGRATE=false).")

    func run() async throws {
        let settings = try loadSettings {
            try $0.checkDatabaseFolder()
            try $0.prepareUploadDirectory()
        }
        let output = LogOutput(
            format: settings.environment == .production ? .json : .text,
            directory: settings.logDirectory,
            retentionDays: settings.logRetentionDays
        )
        output.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "ai-agent-backend")
        let app = try await buildApplication(settings: settings, logger: logger)
        // Listed last, so told first: its clock starts with the shutdown.
        let deadline = ShutdownDeadline(timeout: settings.shutdownTimeout, logger: logger)
        let services: [any Service] = [app, deadline]
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = ShutdownDeadline.gracefulPart(of: settings.shutdownTimeout)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            logger.critical("service stopped with an error", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        logger.info("stopped")
    }
}
