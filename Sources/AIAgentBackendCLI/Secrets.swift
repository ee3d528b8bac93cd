import AIAgentBackend
import ArgumentParser
import Foundation

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the secrets stored encrypted.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret with a new key, in one transaction.",
            discussion: """
                Keys are written as ENCRYPTION_KEY is: base64 of 32 bytes (openssl rand -base64 32). Prefer --from-env and \
                --to-env: a key on the command line is visible to other users in the process list and stays in shell history. \
                Without --from the configured key is the old one (ENCRYPTION_KEY, or derived from SECRET_KEY). Stop the service \
                first, then start it with ENCRYPTION_KEY set to the new key.
                """)

        @Option(help: "The old key (visible in the process list: prefer --from-env).") var from: String?
        @Option(help: "The environment variable holding the old key.") var fromEnv: String?
        @Option(help: "The new key (visible in the process list: prefer --to-env).") var to: String?
        @Option(help: "The environment variable holding the new key.") var toEnv: String?
        @Flag(help: "Check that every secret opens and count them; change nothing.") var dryRun = false

        func run() async throws {
            let oldKey = try Self.key(value: from, variable: fromEnv, option: "from")
            guard let newKey = try Self.key(value: to, variable: toEnv, option: "to") else {
                throw ValidationError("give the new key with --to-env VAR (or --to)")
            }
            try await withConfiguredDatabase("secrets rotate") { database, settings, _ in
                let counts = try await SecretRotation(settings: settings, from: oldKey, to: newKey).run(on: database, dryRun: dryRun)
                for kind in SecretRotation.Kind.allCases { print("\(kind.rawValue): \(counts[kind] ?? 0)") }
                let total = counts.values.reduce(0, +)
                print(dryRun ? "dry run: \(total) secret(s) would be re-encrypted; nothing changed" : "re-encrypted \(total) secret(s)")
            }
        }

        /// The key given by value or by variable name (not both); the message never repeats the value.
        static func key(value: String?, variable: String?, option: String) throws -> Data? {
            if value != nil, variable != nil { throw ValidationError("give --\(option) or --\(option)-env, not both") }
            let text: String
            if let variable {
                guard let fromEnvironment = ProcessInfo.processInfo.environment[variable], !fromEnvironment.isEmpty else {
                    throw ValidationError("--\(option)-env: the environment variable \(variable) is not set")
                }
                text = fromEnvironment
            } else if let value {
                text = value
            } else {
                return nil
            }
            guard let key = SecretRotation.parseKey(text) else {
                throw ValidationError("--\(option): not a key: expected base64 of 32 bytes (openssl rand -base64 32)")
            }
            return key
        }
    }
}
