import FluentKit
import Foundation

/// The audit trail.
struct AuditLogRepository: Sendable {
    let database: DatabaseService

    /// What the list may be narrowed to; nil matches everything.
    struct Filter: Sendable {
        var userID: UUID?
        var resourceType: String?
        var action: String?
        var status: Int?
        var from: Date?
        var to: Date?
    }

    /// Newest first.
    func list(_ filter: Filter, _ page: ListQuery) async throws -> (items: [AuditLog], total: Int) {
        let query = AuditLog.query(on: database.database)
        if let userID = filter.userID { query.filter(\.$userID == userID) }
        if let resourceType = filter.resourceType { query.filter(\.$resourceType == resourceType) }
        if let action = filter.action { query.filter(\.$action == action) }
        if let status = filter.status { query.filter(\.$status == status) }
        if let from = filter.from { query.filter(\.$createdAt >= from) }
        if let to = filter.to { query.filter(\.$createdAt < to) }
        return try await query.sort(\.$createdAt, .descending).paginate(page)
    }

    func create(_ log: AuditLog) async throws {
        try await log.create(on: database.database)
    }
}
