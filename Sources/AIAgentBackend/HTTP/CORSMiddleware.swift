import HTTPTypes
import Hummingbird

/// Lets browser pages of the origins in `CORS_ORIGINS` call the API. With none listed the
/// API is same-origin only: no CORS header is ever sent and preflights are refused (403).
///
/// Credentials (cookies) are never allowed across origins: other origins authenticate with
/// the bearer token, and refresh with `refresh_token` in the body. The refresh cookie stays a
/// same-origin (console) mechanism, so a listed origin cannot ride a user's cookie.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// `scheme://host[:port]`, lower case.
    let allowedOrigins: Set<String>

    static let allowedMethods = "GET, POST, PUT, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID"
    /// What scripts of another origin may read beyond the safelisted response headers.
    static let exposedHeaders = "Retry-After, X-Request-ID, Content-Disposition"
    /// Seconds a browser may reuse a preflight's answer.
    static let maxAge = "600"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let isAllowed = allowedOrigins.contains(origin.lowercased())
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard isAllowed else {
                return try APIError(.forbidden, code: "origin_not_allowed", message: "cross-origin requests from this origin are not allowed")
                    .response(from: request, context: context)
            }
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: origin, .accessControlAllowMethods: Self.allowedMethods,
                    .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: Self.maxAge,
                    .vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                ])
        }
        var response = try await next(request, context)
        if isAllowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        // Caches must not give one origin's answer to another once answers differ by origin.
        if !allowedOrigins.isEmpty { response.headers.append(HTTPField(name: .vary, value: "Origin")) }
        return response
    }
}
