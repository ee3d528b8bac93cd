import FluentKit
import Foundation
import Hummingbird

/// `GET /api/v1/audit-logs`: the audit trail, newest first, with filters.
struct AuditController {
    let database: DatabaseService

    func register(on routes: SecuredRoutes) {
        routes.get("audit-logs", .permission(.auditRead), RouteContract(
            "List audit records, newest first", query: QueryParameter.paging + [
                .uuid("user_id"), .string("resource_type"), .string("action"), .integer("status", in: 100...599, "HTTP status"),
                .dateTime("from", "Inclusive"), .dateTime("to", "Exclusive"),
            ], returns: ListPage<AuditLogResponse>.self), use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<AuditLogResponse> {
        let page = try ListQuery(request)
        let parameters = request.uri.queryParameters
        let query = AuditLog.query(on: database.database)
        if let user = parameters["user_id"] {
            guard let id = UUID(uuidString: String(user)) else { throw APIError.validation(field: "user_id", "must be a UUID") }
            query.filter(\.$userID == id)
        }
        if let resource = parameters["resource_type"] { query.filter(\.$resourceType == String(resource)) }
        if let action = parameters["action"] { query.filter(\.$action == String(action)) }
        if let status = parameters["status"] {
            guard let code = Int(status) else { throw APIError.validation(field: "status", "must be an HTTP status code") }
            query.filter(\.$status == code)
        }
        if let from = try request.timestampParameter("from") { query.filter(\.$createdAt >= from) }
        if let to = try request.timestampParameter("to") { query.filter(\.$createdAt < to) }
        let total = try await query.count()
        let logs = try await query.copy().sort(\.$createdAt, .descending).range(page.range).all()
        return ListPage(items: try logs.map(AuditLogResponse.init), total: total, request: page)
    }
}
