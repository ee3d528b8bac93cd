import Foundation
import SQLKit

/// The dashboard's figures, each one query: counts of what the platform holds, model usage
/// per UTC day, the costliest models and the latest audit records.
struct DashboardQueries: Sendable {
    let database: DatabaseService

    /// Rows of each table the dashboard counts, by the name the API gives them.
    static let countedTables: KeyValuePairs<String, String> = [
        "users": "users", "agents": "agents", "models": "model_configs", "chat_sessions": "chat_sessions",
        "projects": "projects", "test_cases": "test_cases", "test_runs": "test_runs",
    ]

    func counts() async throws -> DashboardController.Counts {
        // One round trip: a scalar subquery per table.
        let select = database.sql.select()
        for (name, table) in Self.countedTables {
            let count = SQLSubquery.select { subquery in
                subquery.column(SQLFunction("COUNT", args: SQLLiteral.all)).from(table)
                // Deleted users stay as rows (soft delete): they are not counted.
                if table == "users" { subquery.where("deleted_at", .is, SQLLiteral.null) }
                return subquery
            }
            select.column(count, as: name)
        }
        guard let row = try await select.first() else { throw APIError.internal }
        func count(_ name: String) throws -> Int { try row.decode(column: name, as: Int.self) }
        return DashboardController.Counts(
            users: try count("users"), agents: try count("agents"), models: try count("models"), chatSessions: try count("chat_sessions"),
            projects: try count("projects"), testCases: try count("test_cases"), testRuns: try count("test_runs"))
    }

    /// The start (UTC midnight) of the window of the last `days` days, today included.
    static func windowStart(days: Int, now: Date = Date()) -> Date {
        Date(timeIntervalSince1970: Double(Int(now.timeIntervalSince1970 / 86_400) - days + 1) * 86_400)
    }

    /// Calls, tokens and cost of each UTC day from `days` days ago to today, oldest first;
    /// days without calls are listed with zeros.
    func usagePerDay(days: Int, now: Date = Date()) async throws -> [DashboardController.DayUsage] {
        let start = Self.windowStart(days: days, now: now)
        let first = Int(start.timeIntervalSince1970 / 86_400)
        let today = first + days - 1
        // The day number since 1970: SQLite stores dates as seconds since 1970, PostgreSQL as timestamptz.
        let day =
            database.isPostgres
            ? SQLRaw(#"CAST(FLOOR(EXTRACT(EPOCH FROM "created_at") / 86400) AS BIGINT)"#)
            : SQLRaw(#"CAST("created_at" / 86400 AS INTEGER)"#)
        let rows = try await database.sql.select()
            .column(day, as: "day")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "calls")
            .column(SQLRaw(#"CAST(SUM("input_tokens") AS BIGINT)"#), as: "input_tokens")
            .column(SQLRaw(#"CAST(SUM("output_tokens") AS BIGINT)"#), as: "output_tokens")
            .column(SQLFunction("SUM", args: SQLIdentifier("cost")), as: "cost")
            .from("llm_usage")
            .where("created_at", .greaterThanOrEqual, start)
            .groupBy(day)
            .all()
        var byDay: [Int: DashboardController.DayUsage] = [:]
        for row in rows {
            let number = try row.decode(column: "day", as: Int.self)
            byDay[number] = DashboardController.DayUsage(
                day: Self.dayString(number), calls: try row.decode(column: "calls", as: Int.self),
                inputTokens: try row.decode(column: "input_tokens", as: Int.self),
                outputTokens: try row.decode(column: "output_tokens", as: Int.self), cost: try row.decode(column: "cost", as: Double?.self))
        }
        return (first...today).map { byDay[$0] ?? DashboardController.DayUsage(day: Self.dayString($0)) }
    }

    static func dayString(_ number: Int) -> String { LogTimestamp.day(Date(timeIntervalSince1970: Double(number) * 86_400)) }

    /// The `limit` models that cost most since `from`; calls without prices count as no cost.
    func topModelsByCost(since from: Date, limit: Int, usage: LLMUsageRepository) async throws -> [UsageController.ModelUsage] {
        let lines = try await usage.usageByModel(LLMUsageRepository.Filter(from: from))
        return Array(
            lines.sorted { ($0.usage.cost ?? 0, $0.usage.calls) > ($1.usage.cost ?? 0, $1.usage.calls) }.prefix(limit))
    }

    func recentActivity(limit: Int) async throws -> [AuditLog] {
        try await AuditLog.query(on: database.database).sort(\.$createdAt, .descending).limit(limit).all()
    }
}
