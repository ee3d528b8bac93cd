import FluentPostgresDriver
import Foundation
import SQLKit

/// The users list in plain SQL: FluentKit builds each model through reflection, which
/// costs more CPU than the query itself.
struct UserQueries {
    let sql: any SQLDatabase

    static let columns = [
        "id", "username", "nickname", "email", "mobile", "avatar_url", "department_id", "status", "is_superuser",
        "password_change_required", "last_login_at", "created_at", "updated_at",
    ]
    /// The columns as one fragment, quoted as both PostgreSQL and SQLite quote identifiers:
    /// serializing twelve identifiers per request showed up in profiles.
    private static let columnList = SQLRaw(columns.map { "\"\($0)\"" }.joined(separator: ", "))

    struct Filter: Hashable, Sendable {
        var username: String?
        var departmentID: UUID?
        var status: UserStatus?
    }

    /// One page, newest first.
    func page(_ filter: Filter, _ page: ListQuery) async throws -> [UserResponse] {
        try await users(
            apply(filter, to: sql.select().column(Self.columnList).from("users"))
                .orderBy("created_at", .descending).orderBy("username")
                .limit(page.pageSize).offset((page.page - 1) * page.pageSize)
        )
    }

    /// How many users match the filter.
    func count(_ filter: Filter) async throws -> Int {
        try await apply(filter, to: sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from("users"))
            .first(decodingColumn: "count", as: Int.self) ?? 0
    }

    /// Rows of ``columns``. On PostgreSQL they are read by position through PostgresNIO:
    /// SQLKit's decoding by column name took a third of the users list's CPU.
    private func users(_ select: SQLSelectBuilder) async throws -> [UserResponse] {
        guard let postgres = sql as? any PostgresDatabase else {
            return try await select.all().map(UserResponse.init(row:))
        }
        let (text, binds) = sql.serialize(select.query)
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            guard let value = bind as? any PostgresThrowingDynamicTypeEncodable else {
                throw PostgresDecodingError.Code.typeMismatch
            }
            try bindings.append(value)
        }
        let query = PostgresQuery(unsafeSQL: text, binds: bindings)
        let rows = try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await connection.query(query, logger: connection.logger).collect() }
        }.get()
        return try rows.map(UserResponse.init(row:))
    }

    private func apply(_ filter: Filter, to select: SQLSelectBuilder) -> SQLSelectBuilder {
        select.where("deleted_at", .is, SQLLiteral.null)
        if let username = filter.username {
            let pattern =
                "%"
                + username.lowercased()
                .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                + "%"
            let escapedPattern: SQLQueryString = "\(bind: pattern) ESCAPE '\\'"
            select.where(SQLFunction("LOWER", args: SQLIdentifier("username")), .like, escapedPattern)
        }
        if let departmentID = filter.departmentID { select.where("department_id", .equal, departmentID) }
        if let status = filter.status { select.where("status", .equal, status.rawValue) }
        return select
    }
}

extension UserResponse {
    init(row: PostgresRow) throws {
        let status: String
        (
            id, username, nickname, email, mobile, avatarURL, departmentID, status, isSuperuser, passwordChangeRequired, lastLoginAt, createdAt,
            updatedAt
        ) =
            try row.decode((UUID, String, String?, String?, String?, String?, UUID?, String, Bool, Bool, Date?, Date?, Date?).self)
        self.status = try Self.status(status)
        roles = nil
    }

    private static func status(_ raw: String) throws -> UserStatus {
        guard let status = UserStatus(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown user status '\(raw)'"))
        }
        return status
    }

    /// Column by column with concrete types, the columns of ``UserQueries/columns``:
    /// SQLKit's Codable row decoding costs several times as much.
    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        username = try row.decode(column: "username", as: String.self)
        nickname = try row.decode(column: "nickname", as: String?.self)
        email = try row.decode(column: "email", as: String?.self)
        mobile = try row.decode(column: "mobile", as: String?.self)
        avatarURL = try row.decode(column: "avatar_url", as: String?.self)
        departmentID = try row.decode(column: "department_id", as: UUID?.self)
        status = try Self.status(row.decode(column: "status", as: String.self))
        isSuperuser = try row.decode(column: "is_superuser", as: Bool.self)
        passwordChangeRequired = try row.decode(column: "password_change_required", as: Bool.self)
        roles = nil
        lastLoginAt = try row.decode(column: "last_login_at", as: Date?.self)
        createdAt = try row.decode(column: "created_at", as: Date?.self)
        updatedAt = try row.decode(column: "updated_at", as: Date?.self)
    }
}
