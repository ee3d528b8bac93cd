import FluentKit
import Foundation
import Hummingbird
import Logging

/// One WARNING-or-above log record of the service, kept for `SYSTEM_LOG_RETENTION_DAYS`.
final class SystemLog: Model, @unchecked Sendable {
    static let schema = "system_logs"

    @ID(key: .id) var id: UUID?
    @Field(key: "level") var level: String
    /// The Swift module that logged (swift-log's `source`), e.g. `AIAgentBackend`, `Hummingbird`.
    @Field(key: "module") var module: String
    @Field(key: "logger") var logger: String
    @Field(key: "message") var message: String
    /// The record's metadata as a JSON object of strings, secrets masked.
    @OptionalField(key: "metadata") var metadata: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// The levels recorded in `system_logs`.
enum SystemLogLevel: String, CaseIterable, Codable, Sendable {
    case warning, error, critical

    init?(_ level: Logger.Level) {
        self.init(rawValue: level.rawValue)
    }
}

struct SystemLogResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let level: SystemLogLevel
    let module: String
    let logger: String
    let message: String
    let metadata: [String: String]
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, level, module, logger, message, metadata
        case createdAt = "created_at"
    }

    init(_ log: SystemLog) throws {
        id = try log.requireID()
        level = SystemLogLevel(rawValue: log.level) ?? .warning
        module = log.module
        logger = log.logger
        message = log.message
        metadata = log.metadata.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        createdAt = log.createdAt
    }
}
