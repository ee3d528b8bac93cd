import Crypto
import Foundation
import Hummingbird
import NIOCore
import Synchronization
@testable import AIAgentBackend

/// Stands in for the chat services and a webhook consumer on 127.0.0.1: each route checks
/// what it receives as the real service does (DingTalk's and Feishu's signatures and time
/// window, the webhook's HMAC header) and answers in that service's words.
final class ChatReceiver: Sendable {
    /// The signing secret the services were configured with.
    static let secret = "SEC-receiver-signing-5d1a9e"

    struct Received: Sendable {
        let path: String
        let query: [String: String]
        let headers: [String: String]
        let body: String

        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    final class Log: Sendable {
        let received = Mutex<[Received]>([])
        let flakyCalls = Mutex(0)

        func requests(to path: String) -> [Received] { received.withLock { $0.filter { $0.path == path } } }
    }

    let port: Int
    let log: Log
    var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, log: Log) {
        self.port = port
        self.log = log
    }

    static func with<T>(_ body: (ChatReceiver) async throws -> T) async throws -> T {
        let log = Log()
        let router = Router()
        addRoutes(router, log)
        let (port, server) = await startLocalServer(router, label: "chat-receiver")
        defer { server.cancel() }
        return try await body(ChatReceiver(port: port, log: log))
    }

    private static func answer(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func received(_ request: Request) async throws -> Received {
        let body = try await request.body.collect(upTo: 1 << 20)
        var query: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            query[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        return Received(path: request.uri.path, query: query, headers: headers, body: String(buffer: body))
    }

    static func hmac(key: String, message: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8))))
    }

    /// Whether a timestamp is within the hour either side of now, as both services require.
    private static func isRecent(_ seconds: Double) -> Bool { abs(Date().timeIntervalSince1970 - seconds) < 3600 }

    private static func addRoutes(_ router: Router<BasicRequestContext>, _ log: Log) {
        @Sendable func record(_ request: Request) async throws -> Received {
            let received = try await received(request)
            log.received.withLock { $0.append(received) }
            return received
        }
        router.post("webhook") { request, _ in
            let received = try await record(request)
            let expected = "sha256=" + hmac(key: secret, message: Data(received.body.utf8)).map { String(format: "%02x", $0) }.joined()
            return received.headers["x-signature-256"] == expected ? answer("{}") : answer(#"{"error":"bad signature"}"#, status: .unauthorized)
        }
        router.post("dingtalk") { request, _ in
            let received = try await record(request)
            guard let timestamp = received.query["timestamp"], let sign = received.query["sign"], let milliseconds = Double(timestamp),
                isRecent(milliseconds / 1000), sign == hmac(key: secret, message: Data("\(timestamp)\n\(secret)".utf8)).base64EncodedString()
            else { return answer(#"{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}"#) }
            guard received.json?["msgtype"]?.stringValue == "markdown", received.json?["markdown"]?["text"]?.stringValue?.isEmpty == false else {
                return answer(#"{"errcode":40035,"errmsg":"缺少参数 json"}"#)
            }
            return answer(#"{"errcode":0,"errmsg":"ok"}"#)
        }
        router.post("feishu") { request, _ in
            let received = try await record(request)
            let json = received.json
            guard let timestamp = json?["timestamp"]?.stringValue, let seconds = Double(timestamp), isRecent(seconds),
                json?["sign"]?.stringValue == hmac(key: "\(timestamp)\n\(secret)", message: Data()).base64EncodedString()
            else { return answer(#"{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}"#) }
            guard json?["msg_type"]?.stringValue == "text", json?["content"]?["text"]?.stringValue?.isEmpty == false else {
                return answer(#"{"code":9499,"data":{},"msg":"Bad Request"}"#)
            }
            return answer(#"{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}"#)
        }
        router.post("wecom") { request, _ in
            let json = try await record(request).json
            guard json?["msgtype"]?.stringValue == "markdown", json?["markdown"]?["content"]?.stringValue?.isEmpty == false else {
                return answer(#"{"errcode":40008,"errmsg":"invalid message type"}"#)
            }
            return answer(#"{"errcode":0,"errmsg":"ok"}"#)
        }
        router.post("slack") { request, _ in
            let json = try await record(request).json
            guard json?["text"]?.stringValue?.isEmpty == false, json?["blocks"]?[0]?["type"]?.stringValue == "section" else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "invalid_payload")))
            }
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        // Fails the first delivery, then takes them.
        router.post("flaky") { request, _ in
            _ = try await record(request)
            let calls = log.flakyCalls.withLock { calls in
                calls += 1
                return calls
            }
            return calls == 1 ? answer(#"{"error":"overloaded"}"#, status: .internalServerError) : answer("{}")
        }
    }
}
