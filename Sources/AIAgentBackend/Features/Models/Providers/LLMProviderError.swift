import Foundation

public enum LLMProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401/403; `message` is the provider's own explanation from its error body.
    case authentication(status: Int, message: String)
    /// 429 after the retries ran out.
    case rateLimited(retryAfterSeconds: Double?, message: String)
    /// Any other 4xx: the provider refused the request as sent (unknown model, bad parameters...).
    case badRequest(status: Int, message: String)
    /// 5xx (Anthropic's 529 "overloaded" included) after the retries ran out, or an error event mid-stream.
    case serverError(status: Int, message: String)
    /// No response, or no streamed chunk, within the configured timeout.
    case timeout
    /// The provider answered with something that is not its documented format.
    case invalidResponse(String)
    /// The connection could not be made or failed before a response started.
    case connectionFailed(String)
    /// The response stream ended before the provider said it was complete.
    case connectionDropped

    public var description: String {
        switch self {
        case .authentication(let status, let message): "authentication failed (\(status)): \(message)"
        case .rateLimited(_, let message): "rate limited: \(message)"
        case .badRequest(let status, let message): "request rejected (\(status)): \(message)"
        case .serverError(let status, let message): "provider error (\(status)): \(message)"
        case .timeout: "timed out waiting for the provider"
        case .invalidResponse(let detail): "invalid response from the provider: \(detail)"
        case .connectionFailed(let detail): "could not reach the provider: \(detail)"
        case .connectionDropped: "the connection to the provider dropped mid-response"
        }
    }

    /// Worth another attempt: the provider may well answer next time.
    var isRetryable: Bool {
        switch self {
        case .rateLimited, .serverError: true
        default: false
        }
    }

    /// The `status` dimension of `llm_requests_total`.
    var metricStatus: String {
        switch self {
        case .authentication: "authentication_error"
        case .rateLimited: "rate_limited"
        case .badRequest: "bad_request"
        case .serverError: "server_error"
        case .timeout: "timeout"
        case .invalidResponse: "invalid_response"
        case .connectionFailed: "connection_failed"
        case .connectionDropped: "connection_dropped"
        }
    }

    /// Maps an HTTP error status and the provider's error body, which for both OpenAI and
    /// Anthropic is `{"error": {"message": ...}}`.
    static func from(status: Int, body: Data, retryAfterSeconds: Double?) -> LLMProviderError {
        let message = errorMessage(in: body) ?? "HTTP \(status)"
        switch status {
        case 401, 403: return .authentication(status: status, message: message)
        case 429: return .rateLimited(retryAfterSeconds: retryAfterSeconds, message: message)
        case 500...: return .serverError(status: status, message: message)
        default: return .badRequest(status: status, message: message)
        }
    }

    static func errorMessage(in body: Data) -> String? {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue
    }
}
