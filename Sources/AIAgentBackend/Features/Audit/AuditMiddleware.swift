import FluentKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Writes an audit record for every mutating `/api/v1` request, successful or not.
/// Secrets in the body are masked; a failure to write is logged and never fails the request.
/// The record is written once the response has been sent (a streamed answer included), so
/// that it never delays the response, and its duration covers the whole exchange.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let database: DatabaseService
    let trustedProxies: TrustedProxies
    static let mutatingMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]
    static let summaryLimit = 2000

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.mutatingMethods.contains(request.method) else { return try await next(request, context) }
        let start = ContinuousClock.now
        var request = request
        var context = context
        let body = try? await request.collectBody(upTo: context.maxUploadSize)
        let trail = AuditTrail()
        context.audit = trail
        let status: Int
        do {
            var response = try await next(request, context)
            status = Int(response.status.code)
            let responseBody = response.body
            let (requestWithBody, finalContext) = (request, context)
            response.body = ResponseBody(contentLength: responseBody.contentLength) { writer in
                do {
                    try await responseBody.write(writer)
                } catch {
                    await record(requestWithBody, finalContext, trail, status: status, body: body, start: start)
                    throw error
                }
                await record(requestWithBody, finalContext, trail, status: status, body: body, start: start)
            }
            return response
        } catch {
            status = Int((error as? any HTTPResponseError)?.status.code ?? 500)
            await record(request, context, trail, status: status, body: body, start: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, _ trail: AuditTrail, status: Int, body: ByteBuffer?, start: ContinuousClock.Instant) async {
        let route = RequestObservationMiddleware.routeLabel(context.endpointPath)
        let (resourceType, action) = Self.describe(route: route, method: request.method)
        let log = AuditLog()
        log.userID = trail.principal?.userID
        log.username = trail.principal?.username
        log.action = action
        log.resourceType = resourceType
        log.resourceID = trail.resourceID ?? Self.firstParameter(route: route, path: request.uri.path)
        log.method = request.method.rawValue
        log.route = route
        log.status = status
        log.ip = trustedProxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor])
        log.userAgent = request.headers[.userAgent].map { String($0.prefix(500)) }
        log.durationMs = (ContinuousClock.now - start).secondsDouble * 1000
        log.summary = body.flatMap { Redaction.summary(of: $0, limit: Self.summaryLimit) }
        log.createdAt = Date()
        do {
            try await log.create(on: database.database)
        } catch {
            context.logger.error("audit record not written", metadata: ["error": "\(error)", "route": "\(route)"])
        }
    }

    /// `/api/v1/users/:id/reset-password` → ("users", "reset-password"); `/api/v1/roles` + POST → ("roles", "create").
    static func describe(route: String, method: HTTPRequest.Method) -> (resourceType: String, action: String) {
        let parts = route.split(separator: "/").dropFirst(2).map(String.init)
        let literals = parts.prefix { !$0.hasPrefix(":") }
        let resourceType = literals.isEmpty ? "unknown" : (literals.first == "auth" ? "auth" : literals.joined(separator: "/"))
        if literals.first == "auth", let last = parts.last { return (resourceType, last) }
        if parts.count > literals.count, let last = parts.last, !last.hasPrefix(":") { return (resourceType, last) }
        let verb = switch method {
        case .post: "create"
        case .put, .patch: "update"
        case .delete: "delete"
        default: method.rawValue.lowercased()
        }
        return (resourceType, verb)
    }

    static func firstParameter(route: String, path: String) -> String? {
        let templates = route.split(separator: "/")
        let values = path.split(separator: "/")
        guard templates.count == values.count else { return nil }
        return zip(templates, values).first { $0.0.hasPrefix(":") }.map { String($0.1) }
    }
}

/// Masks secrets in request bodies before they are stored or logged.
enum Redaction {
    static let secretKeyFragments = ["password", "token", "secret", "api_key", "apikey", "authorization", "credential"]

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeyFragments.contains { lowered.contains($0) }
    }

    static func summary(of body: ByteBuffer, limit: Int) -> String? {
        guard body.readableBytes > 0 else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]) else {
            return "(\(body.readableBytes) bytes, not JSON)"
        }
        let masked = mask(object)
        guard let data = try? JSONSerialization.data(withJSONObject: masked, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func mask(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            return object.reduce(into: [String: Any]()) { result, entry in
                result[entry.key] = isSecret(entry.key) ? "***" : mask(entry.value)
            }
        case let array as [Any]:
            return array.map(mask)
        default:
            return value
        }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
