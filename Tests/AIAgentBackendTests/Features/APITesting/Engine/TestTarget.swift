import Foundation
import Hummingbird
import NIOCore
import Synchronization
@testable import AIAgentBackend

/// The API a test case calls: a Hummingbird app on 127.0.0.1 and a random port, with echo,
/// login, cookie, redirect, slow, large, bearer-protected and OAuth2 token routes.
final class TestTarget: Sendable {
    struct State {
        var tokenRequests = 0
        var tokenRequestBodies: [String] = []
        var tokenAuthorizations: [String] = []
        var validTokens: Set<String> = []
        var tokenLifetime = 3600
        var slowRequestsStarted = 0
        /// `/tracked/{marker}`: requests by marker, and how many were in flight at once.
        var hits: [String: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
    }

    static let clientID = "client-1"
    static let clientSecret = "client-secret-value-9"

    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }
    let state: StateHolder
    private let server: Task<Void, any Error>

    private init(port: Int, state: StateHolder, server: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.server = server
    }

    static func with<T>(_ body: (TestTarget) async throws -> T) async throws -> T {
        let target = try await start()
        defer { target.server.cancel() }
        return try await body(target)
    }

    private static func start() async throws -> TestTarget {
        let holder = StateHolder()
        let router = Router()
        addRoutes(router, holder)
        let (port, server) = await startLocalServer(router, label: "test-target")
        return TestTarget(port: port, state: holder, server: server)
    }

    /// Lets the routes and the test share one state before the target exists.
    final class StateHolder: Sendable {
        private let state = Mutex(State())

        func withLock<T: Sendable>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    private static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.jsonString)))
    }

    private static func echo(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 10 << 20)
        var headers: [String: JSONValue] = [:]
        for field in request.headers { headers[field.name.canonicalName] = .string(field.value) }
        return json([
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "query": .string(request.uri.query ?? ""),
            "headers": .object(headers), "body": .string(String(buffer: body)),
        ])
    }

    private static func addRoutes(_ router: Router<BasicRequestContext>, _ holder: StateHolder) {
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/echo", method: method) { request, _ in try await echo(request) }
        }
        router.post("/auth/login") { request, _ in
            let body = try JSONValue(parsing: String(buffer: try await request.body.collect(upTo: 1 << 20)))
            guard let user = body["username"]?.stringValue, body["password"]?.stringValue == "pw-\(user)" else {
                return json(["error": "bad credentials"], status: .unauthorized)
            }
            return json(
                ["access_token": .string("token-of-\(user)-\(user.count)x9z"), "token_type": "bearer"],
                headers: [.setCookie: "sid=session-\(user); Path=/; HttpOnly"])
        }
        router.get("/auth/me") { request, _ in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer token-of-") else {
                return json(["error": "unauthorized"], status: .unauthorized)
            }
            let user = header.dropFirst("Bearer token-of-".count).split(separator: "-").first.map(String.init) ?? ""
            return json(["username": .string(user), "id": 1])
        }
        router.get("/cookie/set") { _, _ in json(["ok": true], headers: [.setCookie: "flavour=oat; Path=/"]) }
        router.get("/cookie/read") { request, _ in json(["cookie": .string(request.headers[.cookie] ?? "")]) }
        router.get("/redirect/{count}") { request, context in
            let count = Int(context.parameters.get("count") ?? "0") ?? 0
            guard count > 0 else { return json(["done": true]) }
            return Response(status: .found, headers: [.location: "/redirect/\(count - 1)"])
        }
        router.get("/loop") { _, _ in Response(status: .found, headers: [.location: "/loop"]) }
        router.get("/slow") { _, _ in
            holder.withLock { $0.slowRequestsStarted += 1 }
            try await Task.sleep(for: .seconds(5))
            return json(["slow": true])
        }
        // `?ms=N` holds the answer N milliseconds; `?status=N` answers with that status, and
        // `?fail_first=N` with 500 to the marker's first N requests.
        router.get("/tracked/{marker}") { request, context in
            let marker = context.parameters.get("marker") ?? ""
            let hit = holder.withLock { state in
                state.hits[marker, default: 0] += 1
                state.inFlight += 1
                state.maxInFlight = max(state.maxInFlight, state.inFlight)
                return state.hits[marker] ?? 0
            }
            defer { holder.withLock { $0.inFlight -= 1 } }
            if let ms = request.uri.queryParameters["ms"].flatMap({ Int($0) }) { try await Task.sleep(for: .milliseconds(ms)) }
            let failFirst = request.uri.queryParameters["fail_first"].flatMap { Int($0) } ?? 0
            let status = hit <= failFirst ? 500 : request.uri.queryParameters["status"].flatMap { Int($0) } ?? 200
            return json(["marker": .string(marker), "key": .string(request.headers[.init("X-Api-Key")!] ?? "")], status: .init(code: status))
        }
        router.get("/large") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: String(repeating: "x", count: 200_000))))
        }
        router.post("/oauth/token") { request, _ in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let authorization = request.headers[.authorization] ?? ""
            let basic = "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
            let inBody = body.contains("client_id=\(clientID)") && body.contains("client_secret=\(clientSecret)")
            guard body.contains("grant_type=client_credentials"), authorization == basic || inBody else {
                return json(["error": "invalid_client"], status: .unauthorized)
            }
            let (token, lifetime) = holder.withLock { state in
                state.tokenRequests += 1
                state.tokenRequestBodies.append(body)
                state.tokenAuthorizations.append(authorization)
                let token = "oauth-token-\(state.tokenRequests)-\(UUID().uuidString)"
                state.validTokens.insert(token)
                return (token, state.tokenLifetime)
            }
            return json(["access_token": .string(token), "token_type": "Bearer", "expires_in": .number(Double(lifetime))])
        }
        router.get("/oauth/resource") { request, _ in
            let token = request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) } ?? ""
            guard holder.withLock({ $0.validTokens.contains(token) }) else { return json(["error": "invalid_token"], status: .unauthorized) }
            return json(["resource": true])
        }
    }

    /// Every token issued so far stops working: the next call gets a 401.
    func revokeTokens() {
        state.withLock { $0.validTokens.removeAll() }
    }
}
