import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Synchronization

/// Outermost middleware: request id, body limit, one log line and the HTTP metrics of
/// every request. The route label is the matched template (`/api/v1/users/:id`), never
/// the raw path, so metric cardinality stays bounded.
struct RequestObservationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxBodySize: Int
    /// nil when `ENABLE_METRICS=false`.
    let metrics: HTTPMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        // Hummingbird already gave the request an id (on the logger as `hb.request.id`);
        // a printable id from the client replaces it, so logs join up across services.
        let requestID: String
        if let clientID = Self.acceptedRequestID(request.headers[.requestID]) {
            requestID = clientID
            context.logger[metadataKey: "hb.request.id"] = .string(clientID)
        } else {
            requestID = context.id
        }
        context.maxUploadSize = maxBodySize

        var response: Response
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodySize {
            response = try APIError.payloadTooLarge(limit: maxBodySize).response(from: request, context: context)
        } else if let query = request.uri.query, query.utf8.count > InputLimits.maxQueryLength {
            response = try APIError.validation(field: "query", "is longer than \(InputLimits.maxQueryLength) bytes")
                .response(from: request, context: context)
        } else {
            // ErrorMiddleware sits inside, so errors arrive here as responses.
            response = try await next(request, context)
        }
        response.headers[.requestID] = requestID
        for field in Self.securityHeaders where response.headers[field.name] == nil { response.headers.append(field) }

        let elapsed = ContinuousClock.now - start
        let route = Self.routeLabel(context.endpointPath)
        let status = response.status.code
        let isProbe = route == "/health" || route == "/health/live" || route == "/metrics"
        context.logger.log(
            level: isProbe ? .debug : .info, "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(route),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(format: "%.2f", elapsed.secondsDouble * 1000)),
            ])
        if let metrics {
            let series = metrics.series(method: request.method.rawValue, route: route, status: status)
            series.requests.increment()
            series.duration.record(duration: elapsed)
        }
        return response
    }

    /// On every response: no content sniffing, no referrer leaking paths and tokens in
    /// query strings, and no framing (clickjacking) unless a route says otherwise.
    static let securityHeaders: [HTTPField] = [
        HTTPField(name: .xContentTypeOptions, value: "nosniff"),
        HTTPField(name: .referrerPolicy, value: "no-referrer"),
        HTTPField(name: .xFrameOptions, value: "DENY"),
        HTTPField(name: .contentSecurityPolicy, value: "frame-ancestors 'none'"),
    ]

    /// The template as registered (`/users/:id`; Hummingbird describes it as `/users/{id}`).
    /// Unmatched requests, which Hummingbird marks "NotFound", share one label.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        guard endpointPath.utf8.contains(UInt8(ascii: "{")) else { return endpointPath }
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
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}

/// `http_requests_total` and `http_request_duration_seconds`, one metric object per
/// method/route/status kept here: looking them up in the registry on every request
/// costs more than the request itself.
final class HTTPMetrics: Sendable {
    struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    struct Series: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    private let series = Mutex<[Key: Series]>([:])

    func series(method: String, route: String, status: Int) -> Series {
        let key = Key(method: method, route: route, status: status)
        if let existing = series.withLock({ $0[key] }) { return existing }
        let created = Series(
            requests: Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))]),
            duration: Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
        )
        series.withLock { $0[key] = created }
        return created
    }
}
