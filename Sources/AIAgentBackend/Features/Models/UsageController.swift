import Foundation
import Hummingbird

/// `GET /api/v1/llm-usage`: calls, tokens and cost recorded in `llm_usage`, per model
/// configuration and in total, optionally for a time range, a user or a source.
struct UsageController {
    let usage: LLMUsageRepository

    func register(on routes: SecuredRoutes) {
        routes.get(
            "llm-usage", .permission(.modelRead),
            RouteContract(
                "Calls, tokens and cost per model configuration and in total",
                query: [
                    .dateTime("from", "Inclusive"), .dateTime("to", "Exclusive"), .uuid("user_id"), .oneOf("source", UsageSource.self),
                ], returns: Report.self), use: report)
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
        var filter = LLMUsageRepository.Filter(from: from, to: to)
        if let user = request.uri.queryParameters["user_id"] {
            guard let id = UUID(uuidString: String(user)) else { throw APIError.validation(field: "user_id", "must be a UUID") }
            filter.userID = id
        }
        if let source = try request.enumParameter("source", as: UsageSource.self) {
            filter.source = source.rawValue
        }
        let lines = try await usage.usageByModel(filter)
        let total = lines.reduce(into: Totals()) { total, line in
            total.calls += line.usage.calls
            total.inputTokens += line.usage.inputTokens
            total.outputTokens += line.usage.outputTokens
            if let cost = line.usage.cost { total.cost = (total.cost ?? 0) + cost }
        }
        return Report(from: from, to: to, total: total, byModel: lines)
    }
}
