import Foundation

/// Everything needed to talk to one provider with one model.
public struct ProviderConfiguration: Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case openai
        case anthropic
        case openaiCompatible = "openai_compatible"
    }

    public let kind: Kind
    /// Normalised: no trailing slash, no endpoint path (e.g. `https://api.openai.com/v1`).
    public let baseURL: String
    public var apiKey: String
    public var model: String
    /// The longest wait for the response to start and, while streaming, between two chunks.
    public var timeout: Duration
    /// Retries of a 429 or 5xx, made only while nothing has been streamed yet.
    public var maxRetries: Int
    /// Backoff before retry n (0-based) is `retryBaseDelay * 2^n`, unless the provider sent `Retry-After`.
    public var retryBaseDelay: Duration
    /// USD per million tokens; the cost metric is recorded only when both are set.
    public var inputPricePerMillion: Double?
    public var outputPricePerMillion: Double?

    public init(
        kind: Kind,
        baseURL: String? = nil,
        apiKey: String,
        model: String,
        timeout: Duration = .seconds(60),
        maxRetries: Int = 3,
        retryBaseDelay: Duration = .milliseconds(500),
        inputPricePerMillion: Double? = nil,
        outputPricePerMillion: Double? = nil
    ) {
        self.kind = kind
        self.baseURL = Self.normalizedBaseURL(baseURL, kind: kind)
        self.apiKey = apiKey
        self.model = model
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.inputPricePerMillion = inputPricePerMillion
        self.outputPricePerMillion = outputPricePerMillion
    }

    /// The URL requests are posted to.
    public var endpoint: String { baseURL + "/" + Self.endpointPath(kind) }

    /// Accepts the base URL with or without the endpoint path, so the path is never doubled;
    /// a bare host gets `/v1`. Empty means the provider's public API (OpenAI's for openai_compatible).
    static func normalizedBaseURL(_ raw: String?, kind: Kind) -> String {
        var url = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if url.isEmpty {
            return kind == .anthropic ? "https://api.anthropic.com/v1" : "https://api.openai.com/v1"
        }
        url = url.trimmingTrailingSlashes()
        let path = "/" + endpointPath(kind)
        if url.lowercased().hasSuffix(path) {
            url = String(url.dropLast(path.count)).trimmingTrailingSlashes()
        }
        if let components = URLComponents(string: url), components.path.isEmpty {
            url += "/v1"
        }
        return url
    }

    private static func endpointPath(_ kind: Kind) -> String {
        kind == .anthropic ? "messages" : "chat/completions"
    }
}

extension String {
    fileprivate func trimmingTrailingSlashes() -> String {
        var result = Substring(self)
        while result.hasSuffix("/") { result = result.dropLast() }
        return String(result)
    }
}
