import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Writes an audit record for every mutating `/api/v1` request, successful or not.
/// Secrets in the body are masked (`Redaction`), auth bodies are not kept at all; a failure to write is logged and never fails the request.
/// The record is written once the response has been sent (a streamed answer included), so
/// that it never delays the response, and its duration covers the whole exchange.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let auditLogs: AuditLogRepository
    let trustedProxies: TrustedProxies
    static let mutatingMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]
    static let summaryLimit = 2000
    /// Routes whose bodies are uploaded documents: credentials in them take any shape
    /// (`curl -u user:pass`), so their record keeps nothing of the body.
    static let documentRoutes: Set<String> = ["/api/v1/projects/:id/imports"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.mutatingMethods.contains(request.method) else { return try await next(request, context) }
        let start = ContinuousClock.now
        var request = request
        var context = context
        let body: ByteBuffer?
        do {
            body = try await request.collectBody(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            // A chunked body (no Content-Length) found too large while it was read.
            throw APIError.payloadTooLarge(limit: context.maxUploadSize)
        } catch {
            body = nil
        }
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

    private func record(_ request: Request, _ context: Context, _ trail: AuditTrail, status: Int, body: ByteBuffer?, start: ContinuousClock.Instant)
        async
    {
        let log = AuditLog(request, context, trustedProxies: trustedProxies, status: status)
        let route = log.route
        let (resourceType, action) = Self.describe(route: route, method: request.method)
        log.userID = trail.principal?.userID
        log.username = trail.principal?.username
        log.action = action
        log.resourceType = resourceType
        log.resourceID = trail.resourceID ?? Self.firstParameter(route: route, path: request.uri.path)
        log.durationMs = (ContinuousClock.now - start).secondsDouble * 1000
        // Credentials typed into the wrong field of a login are still credentials: the
        // record of an auth request says what happened, never what was typed.
        log.summary =
            resourceType == "auth" || Self.documentRoutes.contains(route) ? nil : body.flatMap { Redaction.summary(of: $0, limit: Self.summaryLimit) }
        do {
            try await auditLogs.create(log)
        } catch {
            context.logger.error("audit record not written", metadata: ["error": "\(error)", "route": "\(route)"])
        }
    }

    /// `/api/v1/users/:id/reset-password` → ("users", "reset-password"); `/api/v1/roles` + POST → ("roles", "create").
    static func describe(route: String, method: HTTPRequest.Method) -> (resourceType: String, action: String) {
        let parts = route.split(separator: "/").dropFirst(2).map(String.init)
        let literals = parts.prefix { !$0.hasPrefix(":") }
        let resourceType = literals.isEmpty ? "unknown" : (literals.first == "auth" ? "auth" : literals.joined(separator: "/"))
        if literals.first == "auth", let last = parts.last, !last.hasPrefix(":") { return (resourceType, last) }
        if parts.count > literals.count, let last = parts.last, !last.hasPrefix(":") { return (resourceType, last) }
        let verb =
            switch method {
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

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
