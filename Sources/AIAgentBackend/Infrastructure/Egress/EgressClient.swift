import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// The HTTP client for user-directed requests, bound to one `EgressPolicy`. Each feature
/// (agents, API tests...) owns one, configured with its own policy; the application's
/// lifecycle shuts it down.
final class EgressClient: Service, Sendable {
    let policy: EgressPolicy
    let maxRedirects: Int
    private let client: HTTPClient
    private let unverifiedClient: HTTPClient?

    struct Response: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        /// At most the `bodyLimit` asked for; reading stops there.
        let body: ByteBuffer
        let truncated: Bool
        /// After any redirects.
        let url: String
        /// From the first request until the final response's head arrived.
        let timeToFirstByte: Duration
        let total: Duration
    }

    /// `allowsUnverifiedTLS` adds a second client that skips certificate checks, for API
    /// test environments that turn verification off; the agents' client never has one.
    init(policy: EgressPolicy, maxRedirects: Int = 5, allowsUnverifiedTLS: Bool = false) {
        self.policy = policy
        self.maxRedirects = maxRedirects
        client = Self.makeClient(policy: policy, verifyTLS: true)
        unverifiedClient = allowsUnverifiedTLS ? Self.makeClient(policy: policy, verifyTLS: false) : nil
    }

    /// As many as a run's highest concurrency.
    static let maxConnectionsPerHost = 64

    private static func makeClient(policy: EgressPolicy, verifyTLS: Bool) -> HTTPClient {
        // Redirects are followed here, one checked hop at a time, not by the client.
        var configuration = HTTPClient.Configuration(
            certificateVerification: verifyTLS ? .fullVerification : .none, redirectConfiguration: .disallow,
            maximumAllowedIdleTimeInConnectionPool: .seconds(60))
        // A refused connection fails the request at once, instead of being retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // A run's concurrent requests each get a connection, instead of queueing behind AHC's default of 8 per host.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        // Runs once each connection is up, before any request is written on it: the address
        // judged is the one DNS actually gave, for every hop.
        let check: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
            do throws(EgressRefusal) {
                guard let remote = channel.remoteAddress, let address = IPAddress(remote) else {
                    throw EgressRefusal("the connection has no IP peer address")
                }
                try policy.checkAddress(address)
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        configuration.http1_1ConnectionDebugInitializer = check
        configuration.http2ConnectionDebugInitializer = check
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    func shutdown() async throws {
        try await client.shutdown()
        try await unverifiedClient?.shutdown()
    }

    /// Sends `request`, following up to `redirectLimit` (else `maxRedirects`) redirects, each hop
    /// checked again, or none when `followRedirects` is off (the redirect is the response);
    /// reads at most `bodyLimit` bytes of the final body, all within `timeout`.
    func execute(
        _ request: HTTPClientRequest, timeout: Duration, bodyLimit: Int, followRedirects: Bool = true, redirectLimit: Int? = nil,
        verifyTLS: Bool = true
    ) async throws -> Response {
        let start = ContinuousClock.now
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        guard verifyTLS || unverifiedClient != nil else { throw EgressRefusal("TLS verification cannot be turned off for this client") }
        let client = verifyTLS ? client : unverifiedClient!
        let limit = redirectLimit ?? maxRedirects
        var request = request
        var redirects = 0
        while true {
            let url = try checkedURL(request.url)
            let response = try await client.execute(request, deadline: deadline)
            guard followRedirects, [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "location")
            else {
                let headArrived = ContinuousClock.now
                let (body, truncated) = try await Self.read(response.body, limit: bodyLimit)
                return Response(
                    status: response.status, headers: response.headers, body: body, truncated: truncated, url: request.url,
                    timeToFirstByte: headArrived - start, total: .now - start)
            }
            redirects += 1
            guard redirects <= limit else { throw EgressRefusal("more than \(limit) redirects") }
            guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                throw EgressRefusal("invalid redirect location '\(location)'")
            }
            // As browsers do: 303, and 301/302 after a POST, continue as a GET without the body.
            if response.status.code == 303 || (response.status.code != 307 && response.status.code != 308 && request.method == .POST) {
                request.method = .GET
                request.body = nil
                request.headers.remove(name: "content-type")
                request.headers.remove(name: "content-length")
            }
            // Credentials meant for one origin are not handed to the next.
            if next.host != url.host || next.port != url.port || next.scheme != url.scheme {
                for name in ["authorization", "proxy-authorization", "cookie"] { request.headers.remove(name: name) }
            }
            request.url = next.absoluteString
        }
    }

    /// Only absolute http(s) URLs whose host the policy accepts.
    private func checkedURL(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host,
            !host.isEmpty
        else { throw EgressRefusal("'\(text)' is not an absolute http(s) URL") }
        try policy.checkHost(host)
        return url
    }

    private static func read(_ body: HTTPClientResponse.Body, limit: Int) async throws -> (ByteBuffer, truncated: Bool) {
        var buffer = ByteBuffer()
        for try await chunk in body {
            var chunk = chunk
            let room = limit - buffer.readableBytes
            if chunk.readableBytes > room {
                buffer.writeBytes(chunk.readSlice(length: room)!.readableBytesView)
                // Leaving the loop drops the rest: the client stops the download.
                return (buffer, true)
            }
            buffer.writeBuffer(&chunk)
        }
        return (buffer, false)
    }
}
