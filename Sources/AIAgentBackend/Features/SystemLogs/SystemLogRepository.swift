import FluentKit
import Foundation
import SQLKit

/// `system_logs`: written in batches by `SystemLogWriter`, read by the system log page.
struct SystemLogRepository: Sendable {
    let database: DatabaseService

    /// What a listing may be narrowed to; nil matches everything.
    struct Filter: Sendable {
        var level: SystemLogLevel?
        var module: String?
        /// Case-insensitive, within the message.
        var text: String?
        var from: Date?
        var to: Date?

        func matches(_ log: SystemLog) -> Bool {
            (level.map { $0.rawValue == log.level } ?? true) && (module.map { $0 == log.module } ?? true)
                && (text.map { log.message.lowercased().contains($0.lowercased()) } ?? true)
                && (from.map { log.createdAt >= $0 } ?? true) && (to.map { log.createdAt < $0 } ?? true)
        }
    }

    func list(_ filter: Filter, _ page: ListQuery) async throws -> (items: [SystemLog], total: Int) {
        let query = SystemLog.query(on: database.database)
        if let level = filter.level { query.filter(\.$level == level.rawValue) }
        if let module = filter.module { query.filter(\.$module == module) }
        if let text = filter.text { query.filter(.custom(TextMatch.contains("message", text))) }
        if let from = filter.from { query.filter(\.$createdAt >= from) }
        if let to = filter.to { query.filter(\.$createdAt < to) }
        return try await query.sort(\.$createdAt, .descending).paginate(page)
    }

    /// One transaction for the batch.
    func insert(_ logs: [SystemLog]) async throws {
        guard !logs.isEmpty else { return }
        try await database.database.transaction { transaction in
            for log in logs { try await log.create(on: transaction) }
        }
    }

    /// Deletes records older than `date`.
    func prune(before date: Date) async throws {
        try await SystemLog.query(on: database.database).filter(\.$createdAt < date).delete()
    }
}
