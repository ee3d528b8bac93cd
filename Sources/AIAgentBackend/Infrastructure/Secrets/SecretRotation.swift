import FluentKit
import Foundation
import SQLKit

/// Re-seals every value the `SecretBox` stored under a new key, in one transaction: model API
/// keys, secret system settings, secret project and environment variables, environment auth
/// credentials and notification credentials. Every value is opened before anything is
/// written, so a wrong old key changes nothing.
public struct SecretRotation: Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case modelAPIKeys = "model_api_keys"
        case systemSettings = "system_settings"
        case projectVariables = "project_variables"
        case environmentVariables = "environment_variables"
        case environmentAuth = "environment_auth"
        case notificationCredentials = "notification_credentials"
    }

    /// Some stored values do not open with the old key; nothing was changed.
    public struct UndecryptableSecrets: Error, CustomStringConvertible {
        public let counts: [Kind: Int]
        public var total: Int { counts.values.reduce(0, +) }
        public var description: String {
            let kinds = Kind.allCases.compactMap { kind in counts[kind].map { "\(kind.rawValue): \($0)" } }.joined(separator: ", ")
            return "\(total) stored secret(s) cannot be decrypted with the old key (\(kinds)); nothing was changed"
        }
    }

    private let from: SecretBox
    private let to: SecretBox

    /// `from` nil: the key the settings configure (`ENCRYPTION_KEY`, or derived from `SECRET_KEY`).
    public init(settings: Settings, from: Data?, to: Data) {
        self.from = from.map(SecretBox.init(key:)) ?? SecretBox(settings: settings)
        self.to = SecretBox(key: to)
    }

    /// The 32 bytes of a key written as `ENCRYPTION_KEY` is (base64), or nil.
    public static func parseKey(_ text: String) -> Data? {
        SecretBox.parseKey(text)
    }

    /// Re-seals everything (or, with `dryRun`, only checks that everything opens) and returns
    /// how many values of each kind there are. Throws `UndecryptableSecrets` before writing.
    public func run(on database: DatabaseService, dryRun: Bool) async throws -> [Kind: Int] {
        try await database.database.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            var pass = Pass(from: from, to: to)
            let updates = try await pass.collect(sql)
            guard pass.failures.isEmpty else { throw UndecryptableSecrets(counts: pass.failures) }
            if !dryRun {
                for update in updates { try await update.run(on: sql) }
            }
            return pass.counts
        }
    }

    /// One row's new values.
    private struct Update {
        let table: String
        let idColumn: String
        let id: any Encodable & Sendable
        let values: [String: String]

        func run(on sql: any SQLDatabase) async throws {
            var query = sql.update(table)
            for (column, value) in values { query = query.set(column, to: value) }
            try await query.where(SQLIdentifier(idColumn), .equal, SQLBind(id)).run()
        }
    }

    /// Opens every sealed value with the old key and seals it with the new one, counting
    /// successes and failures per kind.
    private struct Pass {
        let from: SecretBox
        let to: SecretBox
        var counts: [Kind: Int] = [:]
        var failures: [Kind: Int] = [:]

        init(from: SecretBox, to: SecretBox) {
            self.from = from
            self.to = to
            for kind in Kind.allCases { counts[kind] = 0 }
        }

        /// The value sealed with the new key; on failure the old value stays, counted as failed.
        mutating func reseal(_ sealed: String, _ kind: Kind) throws -> String {
            do {
                let plain = try from.open(sealed)
                counts[kind, default: 0] += 1
                return try to.seal(plain)
            } catch is APIError {
                failures[kind, default: 0] += 1
                return sealed
            }
        }

        mutating func collect(_ sql: any SQLDatabase) async throws -> [Update] {
            var updates: [Update] = []
            for row in try await sql.raw("SELECT id, api_key_encrypted FROM model_configs WHERE api_key_encrypted IS NOT NULL").all() {
                let sealed = try row.decode(column: "api_key_encrypted", as: String.self)
                updates.append(
                    Update(
                        table: "model_configs", idColumn: "id", id: try row.decode(column: "id", as: UUID.self),
                        values: ["api_key_encrypted": try reseal(sealed, .modelAPIKeys)]))
            }
            for row in try await sql.raw("SELECT \(ident: "key"), value FROM system_settings WHERE is_secret = \(bind: true)").all() {
                let sealed = try row.decode(column: "value", as: String.self)
                updates.append(
                    Update(
                        table: "system_settings", idColumn: "key", id: try row.decode(column: "key", as: String.self),
                        values: ["value": try reseal(sealed, .systemSettings)]))
            }
            for row in try await sql.raw("SELECT id, variables FROM projects").all() {
                let variables = try resealed(try row.decode(column: "variables", as: String.self), .projectVariables)
                updates.append(
                    Update(table: "projects", idColumn: "id", id: try row.decode(column: "id", as: UUID.self), values: ["variables": variables]))
            }
            for row in try await sql.raw("SELECT id, variables, auth FROM environments").all() {
                let variables = try resealed(try row.decode(column: "variables", as: String.self), .environmentVariables)
                let auth = try JSONColumn.decode(try row.decode(column: "auth", as: String.self), as: RequestAuth.self)
                let sealedAuth = try SecretValues.mapCredentials(of: auth) { try reseal($0, .environmentAuth) }
                updates.append(
                    Update(
                        table: "environments", idColumn: "id", id: try row.decode(column: "id", as: UUID.self),
                        values: ["variables": variables, "auth": JSONColumn.encode(sealedAuth)]))
            }
            for row in try await sql.raw("SELECT id, config FROM notification_channels").all() {
                let config = try JSONColumn.decode(try row.decode(column: "config", as: String.self), as: ChannelConfig.self)
                let sealed = try ChannelSecrets.mapSecrets(of: config) { try reseal($0, .notificationCredentials) }
                updates.append(
                    Update(
                        table: "notification_channels", idColumn: "id", id: try row.decode(column: "id", as: UUID.self),
                        values: ["config": JSONColumn.encode(sealed)]))
            }
            return updates
        }

        /// A `[StoredVariable]` column with its secret values re-sealed.
        private mutating func resealed(_ column: String, _ kind: Kind) throws -> String {
            var variables = try JSONColumn.decode(column, as: [StoredVariable].self)
            for index in variables.indices where variables[index].secret {
                variables[index].value = try reseal(variables[index].value, kind)
            }
            return JSONColumn.encode(variables)
        }
    }
}
