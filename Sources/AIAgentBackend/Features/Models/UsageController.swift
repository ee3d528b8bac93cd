import Foundation
import Hummingbird
import SQLKit

/// `GET /api/v1/llm-usage`: calls, tokens and cost recorded in `llm_usage`, per model
/// configuration and in total, optionally for a time range, a user or a source.
struct UsageController {
    let database: DatabaseService

    func register(on routes: SecuredRoutes) {
        routes.get("llm-usage", .permission("model:read"), use: report)
    }

    struct Totals: Codable, Sendable, Equatable {
        var calls = 0
        var inputTokens = 0
        var outputTokens = 0
        /// Nil when none of the calls had prices.
        var cost: Double?

        enum CodingKeys: String, CodingKey {
            case calls, cost
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
        }
    }

    struct ModelUsage: Codable, Sendable {
        let modelConfigID: UUID?
        let provider: String
        let model: String
        let usage: Totals

        enum CodingKeys: String, CodingKey {
            case provider, model, usage
            case modelConfigID = "model_config_id"
        }
    }

    struct Report: Codable, ResponseEncodable, Sendable {
        let from: Date?
        let to: Date?
        let total: Totals
        let byModel: [ModelUsage]

        enum CodingKeys: String, CodingKey {
            case from, to, total
            case byModel = "by_model"
        }
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Report {
        let from = try request.timestampParameter("from")
        let to = try request.timestampParameter("to")
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
        if let from { select.where("created_at", .greaterThanOrEqual, from) }
        if let to { select.where("created_at", .lessThan, to) }
        if let user = request.uri.queryParameters["user_id"] {
            guard let id = UUID(uuidString: String(user)) else { throw APIError.validation(field: "user_id", "must be a UUID") }
            select.where("user_id", .equal, id)
        }
        if let source = try request.enumParameter("source", as: UsageSource.self) { select.where("source", .equal, source.rawValue) }
        let lines = try await select.all().map { row in
            ModelUsage(
                modelConfigID: try row.decode(column: "model_config_id", as: UUID?.self),
                provider: try row.decode(column: "provider", as: String.self),
                model: try row.decode(column: "model", as: String.self),
                usage: Totals(
                    calls: try row.decode(column: "calls", as: Int.self),
                    inputTokens: try row.decode(column: "input_tokens", as: Int.self),
                    outputTokens: try row.decode(column: "output_tokens", as: Int.self),
                    cost: try row.decode(column: "cost", as: Double?.self)
                )
            )
        }
        let total = lines.reduce(into: Totals()) { total, line in
            total.calls += line.usage.calls
            total.inputTokens += line.usage.inputTokens
            total.outputTokens += line.usage.outputTokens
            if let cost = line.usage.cost { total.cost = (total.cost ?? 0) + cost }
        }
        return Report(from: from, to: to, total: total, byModel: lines)
    }
}
