import Foundation
import Hummingbird
import Synchronization

/// The contract of the running service, set once the routes are registered.
final class APIContract: Sendable {
    private let storage = Mutex<OpenAPIDocument?>(nil)

    var document: OpenAPIDocument? { storage.withLock { $0 } }

    func complete(with routes: [RouteDeclaration]) {
        let document = OpenAPIDocument(routes: routes, version: Settings.version)
        storage.withLock { $0 = document }
    }
}

/// In tests (`VALIDATE_RESPONSES=true`), checks every JSON answer of a declared route against
/// the schema its contract declares for that status. A mismatch is answered 500
/// `response_contract_violation` naming it, so the test that made the request fails.
/// Outermost but for the request log, so that it sees errors as the client does.
struct ResponseContractMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let contract: APIContract

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let route = "\(request.method.rawValue) \(RequestObservationMiddleware.routeLabel(context.endpointPath))"
        guard let document = contract.document, let declared = document.declaredStatuses[route] else { return response }
        let status = Int(response.status.code)
        guard declared.contains(status) || status >= 400 else {
            // Errors outside the list fall under the contract's `default` answer.
            return violation("\(route) answered \(status), which its contract does not declare", request, context)
        }
        guard response.headers[.contentType]?.hasPrefix("application/json") == true,
            let schema = document.responseSchemas[route]?[status] ?? (status >= 400 ? .reference("Error") : nil)
        else { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let body = collector.buffer
        response.body = .init(byteBuffer: body)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: body))
        } catch {
            return violation("\(route) answered \(response.status.code) with a body that is not JSON", request, context)
        }
        if let problem = SchemaValidator(components: document.components).violation(of: value, against: schema) {
            return violation("\(route) answered \(response.status.code): \(problem)", request, context)
        }
        return response
    }

    private func violation(_ message: String, _ request: Request, _ context: Context) -> Response {
        context.logger.error("response contract violation", metadata: ["problem": .string(message)])
        let error = APIError(.internalServerError, code: "response_contract_violation", message: message)
        return (try? error.response(from: request, context: context)) ?? Response(status: .internalServerError)
    }

    private final class BodyCollector: ResponseBodyWriter {
        var buffer = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.buffer.writeBuffer(&buffer)
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
