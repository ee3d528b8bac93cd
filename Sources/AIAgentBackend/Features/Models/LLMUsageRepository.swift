import Foundation
import SQLKit

/// What model calls cost: one `llm_usage` row per call, and sums of them.
struct LLMUsageRepository: Sendable {
    let database: DatabaseService

    /// What the sums may be narrowed to; nil matches everything.
    struct Filter: Sendable {
        var from: Date?
        var to: Date?
        var userID: UUID?
        var source: String?
    }

    func record(_ usage: LLMUsageRecord) async throws {
        try await usage.create(on: database.database)
    }

    /// Calls, tokens and cost per model configuration, by provider and model.
    func usageByModel(_ filter: Filter) async throws -> [UsageController.ModelUsage] {
        let select = database.sql.select()
            .column("model_config_id").column("provider").column("model")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "calls")
            // PostgreSQL sums BIGINT columns as NUMERIC; cast back to read them as integers.
            .column(SQLRaw(#"CAST(SUM("input_tokens") AS BIGINT)"#), as: "input_tokens")
            .column(SQLRaw(#"CAST(SUM("output_tokens") AS BIGINT)"#), as: "output_tokens")
            .column(SQLFunction("SUM", args: SQLIdentifier("cost")), as: "cost")
            .from("llm_usage")
            .groupBy("model_config_id").groupBy("provider").groupBy("model")
            .orderBy("provider").orderBy("model")
        if let from = filter.from { select.where("created_at", .greaterThanOrEqual, from) }
        if let to = filter.to { select.where("created_at", .lessThan, to) }
        if let userID = filter.userID { select.where("user_id", .equal, userID) }
        if let source = filter.source { select.where("source", .equal, source) }
        return try await select.all().map { row in
            UsageController.ModelUsage(
                modelConfigID: try row.decode(column: "model_config_id", as: UUID?.self),
                provider: try row.decode(column: "provider", as: String.self),
                model: try row.decode(column: "model", as: String.self),
                usage: UsageController.Totals(
                    calls: try row.decode(column: "calls", as: Int.self),
                    inputTokens: try row.decode(column: "input_tokens", as: Int.self),
                    outputTokens: try row.decode(column: "output_tokens", as: Int.self),
                    cost: try row.decode(column: "cost", as: Double?.self)
                )
            )
        }
    }
}
