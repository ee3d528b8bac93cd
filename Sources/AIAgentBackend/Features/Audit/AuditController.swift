import Foundation
import Hummingbird

/// `GET /api/v1/audit-logs`: the audit trail, newest first, with filters.
struct AuditController {
    let auditLogs: AuditLogRepository

    func register(on routes: SecuredRoutes) {
        routes.get(
            "audit-logs", .permission(.auditRead),
            RouteContract(
                "List audit records, newest first",
                query: QueryParameter.paging + [
                    .uuid("user_id"), .string("resource_type"), .string("action"), .integer("status", in: 100...599, "HTTP status"),
                    .dateTime("from", "Inclusive"), .dateTime("to", "Exclusive"),
                ], returns: ListPage<AuditLogResponse>.self), use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<AuditLogResponse> {
        let page = try ListQuery(request)
        let parameters = request.uri.queryParameters
        var filter = AuditLogRepository.Filter()
        if let user = parameters["user_id"] {
            guard let id = UUID(uuidString: String(user)) else { throw APIError.validation(field: "user_id", "must be a UUID") }
            filter.userID = id
        }
        filter.resourceType = parameters["resource_type"].map(String.init)
        filter.action = parameters["action"].map(String.init)
        if let status = parameters["status"] {
            guard let code = Int(status) else { throw APIError.validation(field: "status", "must be an HTTP status code") }
            filter.status = code
        }
        filter.from = try request.timestampParameter("from")
        filter.to = try request.timestampParameter("to")
        let (logs, total) = try await auditLogs.list(filter, page)
        return ListPage(items: try logs.map(AuditLogResponse.init), total: total, request: page)
    }
}
