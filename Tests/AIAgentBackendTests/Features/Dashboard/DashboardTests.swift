import Foundation
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct DashboardTests {
    /// One usage row, written `daysAgo` days before now.
    static func recordUsage(
        _ database: DatabaseService, model: String, tokens: (Int, Int), cost: Double?, daysAgo: Int
    ) async throws {
        let record = LLMUsageRecord()
        record.provider = "openai"
        record.model = model
        record.inputTokens = tokens.0
        record.outputTokens = tokens.1
        record.cost = cost
        record.source = UsageSource.chat.rawValue
        try await record.create(on: database.database)
        try await database.sql.update("llm_usage").set("created_at", to: Date().addingTimeInterval(-Double(daysAgo) * 86_400))
            .where("id", .equal, try record.requireID()).run()
    }

    @Test(arguments: DatabaseKind.allCases)
    func figuresMatchWhatTheDatabaseHolds(kind: DatabaseKind) async throws {
        let settings = try await TestDatabases.settings(kind)
        try await withServices(settings) { services, client in
            let admin = try await client.login().accessToken
            _ = try await client.createUser("viewer1", roles: ["viewer"], adminToken: admin)
            let gone = try await client.createUser("gone1", adminToken: admin)
            _ = try await client.createUser("nobody1", adminToken: admin)
            try await client.call(.delete, "/api/v1/users/\(gone)", token: admin) { #expect($0.status == .noContent) }
            let database = services.database
            try await Self.recordUsage(database, model: "cheap", tokens: (10, 5), cost: 0.01, daysAgo: 0)
            try await Self.recordUsage(database, model: "cheap", tokens: (20, 5), cost: 0.02, daysAgo: 0)
            try await Self.recordUsage(database, model: "dear", tokens: (100, 50), cost: 1.5, daysAgo: 3)
            try await Self.recordUsage(database, model: "unpriced", tokens: (7, 7), cost: nil, daysAgo: 3)
            try await Self.recordUsage(database, model: "old", tokens: (1, 1), cost: 99, daysAgo: 40)

            let body = try await client.call(.get, "/api/v1/dashboard", token: admin) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try JSONCoding.decoder.decode(DashboardController.Dashboard.self, from: Data(buffer: response.body))
            }
            #expect(body.counts.users == 3, "admin, viewer1 and nobody1; the deleted user is not counted")
            #expect(body.counts.models == 0 && body.counts.chatSessions == 0 && body.counts.testRuns == 0)
            #expect(body.usagePerDay.count == 30)
            let today = try #require(body.usagePerDay.last)
            #expect(today.day == LogTimestamp.day(Date()))
            #expect(today.calls == 2 && today.inputTokens == 30 && today.outputTokens == 10)
            #expect(abs((today.cost ?? 0) - 0.03) < 1e-9)
            let threeDaysAgo = body.usagePerDay[body.usagePerDay.count - 4]
            #expect(threeDaysAgo.day == LogTimestamp.day(Date().addingTimeInterval(-3 * 86_400)))
            #expect(threeDaysAgo.calls == 2 && threeDaysAgo.inputTokens == 107 && threeDaysAgo.cost == 1.5)
            #expect(body.usagePerDay.map(\.calls).reduce(0, +) == 4, "the call 40 days ago is outside the window")
            #expect(body.usagePerDay[0].calls == 0 && body.usagePerDay[0].cost == nil)
            #expect(body.topModels.map(\.model) == ["dear", "cheap", "unpriced"])
            let activity = try #require(body.recentActivity)
            #expect(activity.contains { $0.route == "/api/v1/users/:id" && $0.method == "DELETE" })

            let viewer = try await client.login("viewer1", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/dashboard", token: viewer) { response in
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["recent_activity"] == nil, "a viewer may not read the audit log")
                #expect(json[path: "counts", "users"] == .number(3))
            }
            let nobody = try await client.login("nobody1", "user-password-1").accessToken
            try await client.call(.get, "/api/v1/dashboard", token: nobody) { #expect($0.status == .forbidden) }
        }
    }
}
