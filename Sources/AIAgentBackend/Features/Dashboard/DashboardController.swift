import Foundation
import Hummingbird

/// `GET /api/v1/dashboard`: what the console's first page shows, in one answer.
struct DashboardController {
    let queries: DashboardQueries
    let usage: LLMUsageRepository
    static let days = 30
    static let topModels = 5
    static let recentActivity = 10

    func register(on routes: SecuredRoutes) {
        routes.get(
            "dashboard", .permission(.dashboardRead),
            RouteContract(
                "Counts, model usage per day and recent activity",
                description: """
                    Counts of users, agents, models, chat sessions, projects, test cases and runs; model calls, tokens and cost \
                    per UTC day for the last \(Self.days) days and the \(Self.topModels) costliest models over them; the \
                    \(Self.recentActivity) latest audit records when the caller may read the audit log (absent otherwise).
                    """,
                returns: Dashboard.self), use: dashboard)
    }

    struct Counts: Codable, Sendable {
        let users, agents, models, chatSessions, projects, testCases, testRuns: Int

        enum CodingKeys: String, CodingKey {
            case users, agents, models, projects
            case chatSessions = "chat_sessions"
            case testCases = "test_cases"
            case testRuns = "test_runs"
        }
    }

    struct DayUsage: Codable, Sendable, Equatable {
        /// `YYYY-MM-DD`, UTC.
        let day: String
        var calls = 0
        var inputTokens = 0
        var outputTokens = 0
        /// Nil when none of the day's calls had prices.
        var cost: Double?

        enum CodingKeys: String, CodingKey {
            case day, calls, cost
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
        }
    }

    struct Dashboard: Codable, ResponseEncodable, Sendable {
        let counts: Counts
        let usagePerDay: [DayUsage]
        let topModels: [UsageController.ModelUsage]
        /// Nil for callers without `audit:read`: the log says who did what from where.
        let recentActivity: [AuditLogResponse]?

        enum CodingKeys: String, CodingKey {
            case counts
            case usagePerDay = "usage_per_day"
            case topModels = "top_models"
            case recentActivity = "recent_activity"
        }
    }

    @Sendable func dashboard(_ request: Request, context: AppRequestContext) async throws -> Dashboard {
        let principal = try context.requirePrincipal()
        let counts = try await queries.counts()
        let perDay = try await queries.usagePerDay(days: Self.days)
        let top = try await queries.topModelsByCost(since: DashboardQueries.windowStart(days: Self.days), limit: Self.topModels, usage: usage)
        let recent =
            principal.allows(.permission(.auditRead))
            ? try await queries.recentActivity(limit: Self.recentActivity).map(AuditLogResponse.init) : nil
        return Dashboard(counts: counts, usagePerDay: perDay, topModels: top, recentActivity: recent)
    }
}
