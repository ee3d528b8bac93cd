import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The server, the personal access token and the project the `test` commands work on.
public struct ServerTarget: Sendable {
    public var server: String
    public var token: String
    /// An id, or a name.
    public var project: String

    public init(server: String, token: String, project: String) {
        self.server = server
        self.token = token
        self.project = project
    }

    var client: ServerClient { ServerClient(server: server, token: token) }

    func projectID() async throws(ServerClient.Failure) -> UUID {
        try await client.id(of: project, kind: "project", listPath: "/projects")
    }
}

/// The platform's API as the command line calls it: a personal access token, JSON both ways,
/// and an error response turned into one line with the server's own message.
struct ServerClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let baseURL: String
    let token: String
    static let timeout: TimeAmount = .seconds(60)

    init(server: String, token: String) {
        baseURL = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
    }

    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + "/api/v1" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        return request
    }

    /// The response of a 2xx; any other status is a `Failure` with the server's message.
    func send(_ request: HTTPClientRequest, maxBytes: Int = 256 << 20) async throws(Failure) -> Data {
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: Self.timeout)
            let body = Data(buffer: try await response.body.collect(upTo: maxBytes))
            try Self.check(response.status, body: body, of: request)
            return body
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(request.method.rawValue) \(request.url): \(error)")
        }
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws(Failure) -> T {
        try decode(T.self, try await send(request(.GET, path)))
    }

    func post<T: Decodable>(_ path: String, _ body: some Encodable, as type: T.Type) async throws(Failure) -> T {
        let data: Data
        do { data = try JSONCoding.encoder.encode(body) } catch { throw Failure(description: "cannot encode the request: \(error)") }
        return try decode(T.self, try await send(request(.POST, path, body: data)))
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws(Failure) -> T {
        do { return try JSONCoding.decoder.decode(T.self, from: data) } catch {
            throw Failure(description: "the server's answer is not what this client reads: \(error)")
        }
    }

    static func check(_ status: HTTPResponseStatus, body: Data, of request: HTTPClientRequest) throws(Failure) {
        guard !(200..<300).contains(status.code) else { return }
        let message = (try? JSONCoding.decoder.decode(ErrorBody.self, from: body))?.error.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        throw Failure(description: "\(request.method.rawValue) \(request.url): \(status.code) \(message)")
    }

    /// A project, suite or environment named by its id, or else by its exact name among the first page of `listPath`.
    func id(of reference: String, kind: String, listPath: String) async throws(Failure) -> UUID {
        if let id = UUID(uuidString: reference) { return id }
        let page = try await get("\(listPath)?page_size=100", as: ListPage<NamedItem>.self)
        guard let match = page.items.first(where: { $0.name == reference }) else { throw Failure(description: "no \(kind) named '\(reference)'") }
        return match.id
    }

    struct NamedItem: Codable, Sendable {
        let id: UUID
        let name: String
    }
}
