import Hummingbird
import NIOCore
import Synchronization
import Logging

/// Turns every failure into the API's JSON error body. A database outage answers 503
/// `database_unavailable` with `Retry-After`; unknown errors are logged with their
/// details and answered with a generic 500; a path known under another method
/// answers 405 with `Allow`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTableBox

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError.payloadTooLarge(limit: context.maxUploadSize).response(from: request, context: context)
        } catch let error as HTTPError {
            return try translate(error, request: request).response(from: request, context: context)
        } catch  where DatabaseOutage.isOutage(error) {
            // Not an error of ours: /health reports the outage, so one line per request is enough.
            context.logger.notice("database unavailable", metadata: ["error": "\(error)"])
            return try APIError.databaseUnavailable.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return try APIError.internal.response(from: request, context: context)
        }
    }

    private func translate(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            let allowed = routes.table.methods(matching: request.uri.path)
            if !allowed.isEmpty {
                var apiError = APIError(
                    .methodNotAllowed, code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed on \(request.uri.path)")
                apiError.headers[.allow] = allowed.joined(separator: ", ")
                return apiError
            }
            return .notFound("no route for \(request.method.rawValue) \(request.uri.path)")
        case .contentTooLarge:
            return APIError(
                .contentTooLarge, code: "payload_too_large",
                message: "the request body is larger than the limit of \(request.headers[.contentLength] == nil ? "this server" : "MAX_BODY_SIZE")")
        case .badRequest:
            return .badRequest(error.body ?? "bad request")
        default:
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return APIError(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        }
    }
}

/// Set once while the router is built, read on every unmatched request.
final class RouteTableBox: Sendable {
    private let storage = Mutex(RouteTable([]))
    var table: RouteTable { storage.withLock { $0 } }
    func set(_ table: RouteTable) { storage.withLock { $0 = table } }
}

/// Path templates and their methods, to tell 405 from 404.
struct RouteTable: Sendable {
    private let entries: [(components: [Substring], methods: [String])]

    init(_ routes: [(method: String, path: String)]) {
        var grouped: [String: [String]] = [:]
        for route in routes { grouped[route.path, default: []].append(route.method) }
        entries = grouped.map { ($0.key.split(separator: "/"), $0.value.sorted()) }
    }

    func methods(matching path: String) -> [String] {
        let parts = path.split(separator: "/")
        return entries.first { entry in
            entry.components.count == parts.count
                && zip(entry.components, parts).allSatisfy { $0.hasPrefix(":") || $0 == "*" || $0 == $1 }
        }?.methods ?? []
    }
}
