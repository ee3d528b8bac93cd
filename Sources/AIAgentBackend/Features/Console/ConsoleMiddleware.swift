import HTTPTypes
import Hummingbird

/// Serves the web console: `/assets/NAME.HASH.ext` cached for a year, and `index.html` (never
/// cached) at `/` and at every other unknown GET path, so the console's own routes
/// (`/system/users`) survive a reload. The server's own paths (`/api`, `/docs`, `/health`,
/// `/metrics`) answer as before, their unknown paths with the JSON 404.
struct ConsoleMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let assets: ConsoleAssets

    /// No inline script or style, nothing from another origin, never framed.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static let serverPaths = ["/api", "/docs", "/health", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let isServerPath = Self.serverPaths.contains { path == $0 || path.hasPrefix($0 + "/") }
        guard request.method == .get || request.method == .head, !isServerPath else { return try await next(request, context) }
        if path.hasPrefix("/assets/") {
            guard let asset = assets.assets[String(path.dropFirst("/assets/".count))] else { throw APIError.notFound("no console asset at \(path)") }
            return Self.response(asset, request: request, cacheControl: "public, max-age=31536000, immutable")
        }
        if path == "/" { return Self.response(assets.index, request: request, cacheControl: "no-cache") }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Self.response(assets.index, request: request, cacheControl: "no-cache")
        }
    }

    static func response(_ asset: ConsoleAssets.Asset, request: Request, cacheControl: String) -> Response {
        let gzip = acceptsGzip(request.headers[.acceptEncoding])
        var headers: HTTPFields = [
            .contentType: asset.contentType, .cacheControl: cacheControl, .vary: "Accept-Encoding",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin",
        ]
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzip ? asset.gzipped : asset.plain))
    }

    /// `gzip` listed without `q=0`.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return parts.first == "gzip" && !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }
}
