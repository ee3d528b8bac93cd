import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// Outermost middleware: request id, body limit, one log line and the HTTP metrics of
/// every request. The route label is the matched template (`/api/v1/users/:id`), never
/// the raw path, so metric cardinality stays bounded.
struct RequestObservationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxBodySize: Int
    let recordMetrics: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let requestID = Self.acceptedRequestID(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(requestID)
        context.maxUploadSize = maxBodySize

        var response: Response
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodySize {
            response = try APIError(.contentTooLarge, code: "payload_too_large", message: "the request body is larger than MAX_BODY_SIZE (\(maxBodySize) bytes)")
                .response(from: request, context: context)
        } else {
            // ErrorMiddleware sits inside, so errors arrive here as responses.
            response = try await next(request, context)
        }
        response.headers[.requestID] = requestID

        let elapsed = ContinuousClock.now - start
        let route = Self.routeLabel(context.endpointPath)
        let status = response.status.code
        let isProbe = route == "/health" || route == "/health/live" || route == "/metrics"
        context.logger.log(level: isProbe ? .debug : .info, "request", metadata: [
            "method": .string(request.method.rawValue),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .string(String(format: "%.2f", elapsed.secondsDouble * 1000)),
        ])
        if recordMetrics {
            let method = request.method.rawValue
            Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))]).increment()
            Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)]).record(duration: elapsed)
        }
        return response
    }

    /// The template as registered (`/users/:id`; Hummingbird describes it as `/users/{id}`).
    /// Unmatched requests, which Hummingbird marks "NotFound", share one label.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        guard endpointPath.contains("{") else { return endpointPath }
        return String(endpointPath.compactMap { $0 == "{" ? ":" : $0 == "}" ? nil : $0 })
    }

    /// A client's id is echoed only when it is short and printable, so it cannot forge log lines.
    static func acceptedRequestID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
}
