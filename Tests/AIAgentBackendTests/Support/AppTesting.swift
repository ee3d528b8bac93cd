import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import AIAgentBackend

/// Builds the real application for `settings` and runs `body` against it in process.
func withApp(_ settings: Settings, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    try await withServices(settings) { _, client in try await body(client) }
}

/// Like `withApp`, also handing over the wired services (router, access rules, cache).
/// `.live` runs a real server (set `settings.port = 0`); its port is `client.port`.
func withServices(
    _ settings: Settings, setup: TestingSetup = .router,
    _ body: @escaping @Sendable (AppServices, any TestClientProtocol) async throws -> Void
) async throws {
    let services = try await AppServices(settings: settings, logger: TestDatabases.logger)
    try await services.makeApplication().test(setup) { client in try await body(services, client) }
}

/// Two replicas of the application on one SQLite database and one real Redis, which carries
/// their invalidations.
func withTwoReplicas(_ body: @escaping @Sendable (_ first: any TestClientProtocol, _ second: any TestClientProtocol) async throws -> Void)
    async throws
{
    try await withRedisServer { server in
        var settings = try await TestDatabases.settings(.sqlite)
        settings.redisEnabled = true
        settings.redisURL = server.url
        let shared = settings
        try await withApp(shared) { first in try await withApp(shared) { second in try await body(first, second) } }
    }
}

extension TestClientProtocol {
    /// Logs in and returns the token pair.
    func login(_ username: String = "admin", _ password: String = TestDatabases.adminPassword, headers: HTTPFields = [:]) async throws -> TokenPair {
        try await execute(
            uri: "/api/v1/auth/login", method: .post, headers: headers,
            body: jsonBody(["username": username, "password": password])
        ) { response in
            #expect(response.status == .ok, "login as \(username): \(String(buffer: response.body))")
            return try JSONDecoder().decode(TokenPair.self, from: Data(buffer: response.body))
        }
    }

    /// A request with a bearer token and an optional JSON body.
    @discardableResult
    func call<Return>(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil, headers: HTTPFields = [:],
        _ check: @escaping (TestResponse) async throws -> Return = { $0 }
    ) async throws -> Return {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }, testCallback: check)
    }

    /// Creates a user with the given role codes and returns its id; `admin` does the work.
    func createUser(_ username: String, password: String = "user-password-1", roles: [String] = [], adminToken: String) async throws -> UUID {
        var roleIDs: [String] = []
        if !roles.isEmpty {
            let page = try await call(.get, "/api/v1/roles?page_size=100", token: adminToken) { try $0.json() }
            guard case .array(let items)? = page["items"] else { throw TestSetupError() }
            roleIDs = items.filter { item in roles.contains(item["code"]?.string ?? "") }.compactMap { $0["id"]?.string }
        }
        let body = try String(
            decoding: JSONSerialization.data(withJSONObject: ["username": username, "password": password, "role_ids": roleIDs]), as: UTF8.self)
        return try await call(.post, "/api/v1/users", token: adminToken, json: body) { response in
            #expect(response.status == .created, "create \(username): \(String(buffer: response.body))")
            return try #require(UUID(uuidString: try response.json()["id"]?.string ?? ""))
        }
    }
}

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
}

extension TestResponse {
    func json<T: Decodable>(_ type: T.Type = [String: JSONAny].self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }

    func errorBody() throws -> ErrorBody { try json(ErrorBody.self) }
}

/// Enough of a JSON value to assert on responses without declaring a type for each.
enum JSONAny: Decodable, Equatable, Sendable {
    case string(String), number(Double), bool(Bool), object([String: JSONAny]), array([JSONAny]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONAny].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONAny].self))
        }
    }

    subscript(key: String) -> JSONAny? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var array: [JSONAny]? { if case .array(let value) = self { value } else { nil } }
    var fields: [String: JSONAny]? { if case .object(let value) = self { value } else { nil } }
}

extension Dictionary where Key == String, Value == JSONAny {
    subscript(path first: String, _ rest: String...) -> JSONAny? {
        rest.reduce(self[first]) { $0?[$1] }
    }
}
