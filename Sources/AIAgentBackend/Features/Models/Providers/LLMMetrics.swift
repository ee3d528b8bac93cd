import Metrics

public enum LLMCost {
    /// US dollars for `usage` at the given prices per million tokens.
    public static func cost(usage: Usage, inputPricePerMillion: Double, outputPricePerMillion: Double) -> Double {
        (Double(usage.inputTokens) * inputPricePerMillion + Double(usage.outputTokens) * outputPricePerMillion)
            / 1_000_000
    }
}

/// The `llm_*` metrics of one request. Handlers come from `MetricsSystem.factory` when recorded,
/// so a task-local factory (`withMetricsFactory`) applies, as tests use.
struct LLMMetrics: Sendable {
    let provider: String
    let model: String
    let inputPricePerMillion: Double?
    let outputPricePerMillion: Double?

    init(configuration: ProviderConfiguration, model: String) {
        provider = configuration.kind.rawValue
        self.model = model
        inputPricePerMillion = configuration.inputPricePerMillion
        outputPricePerMillion = configuration.outputPricePerMillion
    }

    private var dimensions: [(String, String)] { [("provider", provider), ("model", model)] }

    /// The metrics of a request that begins now: counted in `llm_requests_in_flight` until `finished`,
    /// so a request or stream that never ends shows there.
    static func started(configuration: ProviderConfiguration, model: String) -> LLMMetrics {
        let metrics = LLMMetrics(configuration: configuration, model: model)
        Meter(label: "llm_requests_in_flight", dimensions: metrics.dimensions).increment()
        return metrics
    }

    func finished(status: String, after duration: Duration) {
        Meter(label: "llm_requests_in_flight", dimensions: dimensions).decrement()
        Counter(label: "llm_requests_total", dimensions: dimensions + [("status", status)]).increment()
        Timer(label: "llm_request_duration_seconds", dimensions: dimensions).record(duration: duration)
    }

    func firstToken(after duration: Duration) {
        Timer(label: "llm_time_to_first_token_seconds", dimensions: dimensions).record(duration: duration)
    }

    func used(_ usage: Usage) {
        Counter(label: "llm_tokens_total", dimensions: dimensions + [("kind", "input")]).increment(by: usage.inputTokens)
        Counter(label: "llm_tokens_total", dimensions: dimensions + [("kind", "output")]).increment(by: usage.outputTokens)
        if let inputPricePerMillion, let outputPricePerMillion {
            let cost = LLMCost.cost(
                usage: usage, inputPricePerMillion: inputPricePerMillion, outputPricePerMillion: outputPricePerMillion)
            FloatingPointCounter(label: "llm_cost_usd_total", dimensions: dimensions).increment(by: cost)
        }
    }
}
