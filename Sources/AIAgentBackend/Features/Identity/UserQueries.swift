import Foundation
import SQLKit

/// User reads on hot paths (`/auth/me`, the users list) in plain SQL: FluentKit builds
/// each model through reflection, which costs more CPU than the query itself.
struct UserQueries {
    let sql: any SQLDatabase

    static let columns = [
        "id", "username", "nickname", "email", "mobile", "avatar_url", "department_id", "status", "is_superuser",
        "last_login_at", "created_at", "updated_at",
    ]

    struct Filter {
        var username: String?
        var departmentID: UUID?
        var status: UserStatus?
    }

    func find(_ id: UUID) async throws -> UserResponse? {
        try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("users")
            .where("id", .equal, id)
            .where("deleted_at", .is, SQLLiteral.null)
            .first(decoding: UserResponse.self)
    }

    /// One page, newest first, and the total matching the filter.
    func page(_ filter: Filter, _ page: PageRequest) async throws -> (items: [UserResponse], total: Int) {
        let count = try await apply(filter, to: sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from("users"))
            .first(decodingColumn: "count", as: Int.self) ?? 0
        let items = try await apply(filter, to: sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("users"))
            .orderBy("created_at", .descending).orderBy("username")
            .limit(page.pageSize).offset((page.page - 1) * page.pageSize)
            .all(decoding: UserResponse.self)
        return (items, count)
    }

    private func apply(_ filter: Filter, to select: SQLSelectBuilder) -> SQLSelectBuilder {
        select.where("deleted_at", .is, SQLLiteral.null)
        if let username = filter.username {
            let pattern = "%" + username.lowercased()
                .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            let escapedPattern: SQLQueryString = "\(bind: pattern) ESCAPE '\\'"
            select.where(SQLFunction("LOWER", args: SQLIdentifier("username")), .like, escapedPattern)
        }
        if let departmentID = filter.departmentID { select.where("department_id", .equal, departmentID) }
        if let status = filter.status { select.where("status", .equal, status.rawValue) }
        return select
    }
}
