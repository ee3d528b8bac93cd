import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// How one delivery attempt went: no error means the service accepted the message.
struct DeliveryResult: Sendable {
    var httpStatus: Int?
    var error: String?
    var latencyMs: Double?
}

/// Puts a message in a channel's wire format and sends it: HTTP channels through the
/// testing egress client, e-mail through `SMTPClient` (both judged by its policy).
struct NotificationSender: Sendable {
    let egress: EgressClient
    var timeout: Duration = .seconds(10)
    /// Enough of a service's answer to read its error code.
    static let responseLimit = 64 * 1024

    /// Sends `message` with the opened `config`; `secrets` are masked out of any error text.
    func send(_ message: NotificationMessage, type: ChannelType, config: ChannelConfig, secrets: [String]) async -> DeliveryResult {
        let start = ContinuousClock.now
        var result: DeliveryResult
        do {
            if type == .email {
                try await SMTPClient(config: config, policy: egress.policy, timeout: timeout).send(subject: message.title, body: message.plainText)
                result = DeliveryResult()
            } else {
                let request = try ChatFormats.request(for: message, type: type, config: config, now: Date())
                let response = try await egress.execute(request, timeout: timeout, bodyLimit: Self.responseLimit, followRedirects: false)
                result = DeliveryResult(httpStatus: Int(response.status.code), error: ChatFormats.refusal(in: response, type: type))
            }
        } catch {
            result = DeliveryResult(error: "\(error)")
        }
        result.latencyMs = (ContinuousClock.now - start).secondsDouble * 1000
        // The URL of a chat robot carries its access token.
        result.error = result.error.map { Redaction.replacing(([config.url ?? ""] + secrets).sorted { $0.count > $1.count }, in: $0) }
        return result
    }
}

/// The services' real request formats and signatures.
enum ChatFormats {
    /// The HTTP request of a chat or webhook channel.
    static func request(for message: NotificationMessage, type: ChannelType, config: ChannelConfig, now: Date) throws -> HTTPClientRequest {
        var url = config.url ?? ""
        var headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "ai-agent-backend")])
        let body: JSONValue
        switch type {
        case .webhook:
            body = message.payload
            let timestamp = String(Int(now.timeIntervalSince1970))
            headers.add(name: "X-Event", value: message.event)
            headers.add(name: "X-Timestamp", value: timestamp)
            if let secret = config.secret {
                headers.add(name: "X-Signature-256", value: "sha256=" + webhookSignature(body: Data(body.jsonString.utf8), secret: secret))
            }
        case .dingtalk:
            body = ["msgtype": "markdown", "markdown": ["title": .string(message.title), "text": .string(message.markdown)]]
            if let secret = config.secret {
                let timestamp = String(Int64(now.timeIntervalSince1970 * 1000))
                let sign = dingTalkSignature(timestamp: timestamp, secret: secret)
                let encoded = sign.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? sign
                url += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(encoded)"
            }
        case .feishu:
            var object: [String: JSONValue] = ["msg_type": "text", "content": ["text": .string(message.plainText)]]
            if let secret = config.secret {
                let timestamp = String(Int(now.timeIntervalSince1970))
                object["timestamp"] = .string(timestamp)
                object["sign"] = .string(feishuSignature(timestamp: timestamp, secret: secret))
            }
            body = .object(object)
        case .wecom:
            body = ["msgtype": "markdown", "markdown": ["content": .string(message.markdown)]]
        case .email:
            throw APIError.badRequest("e-mail channels send through SMTP")
        case .slack:
            let fields = message.lines.map { "*\($0.label):* \($0.value)" }.joined(separator: "\n")
            body = [
                "text": .string(message.title),
                "blocks": [
                    ["type": "section", "text": ["type": "mrkdwn", "text": .string("*\(message.title)*")]],
                    ["type": "section", "text": ["type": "mrkdwn", "text": .string(fields)]],
                ],
            ]
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(string: body.jsonString))
        return request
    }

    /// Why the service refused the message, or nil when it took it: a non-2xx status, or
    /// (DingTalk, WeCom, Feishu answer 200 either way) a non-zero error code in the body.
    static func refusal(in response: EgressClient.Response, type: ChannelType) -> String? {
        guard (200..<300).contains(response.status.code) else { return "HTTP \(response.status.code)" }
        guard [.dingtalk, .wecom, .feishu].contains(type), let answer = try? JSONValue(parsing: String(buffer: response.body)) else { return nil }
        let code = answer["errcode"]?.numberValue ?? answer["code"]?.numberValue ?? answer["StatusCode"]?.numberValue ?? 0
        guard code != 0 else { return nil }
        let text = answer["errmsg"]?.stringValue ?? answer["msg"]?.stringValue ?? answer["StatusMessage"]?.stringValue ?? ""
        return "\(type.rawValue) error \(Int(code)): \(text)"
    }

    /// Hex HMAC-SHA256 of the raw body, keyed with the secret (`X-Signature-256: sha256=…`).
    static func webhookSignature(body: Data, secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    /// DingTalk: base64(HMAC-SHA256(key: secret, message: "timestamp\nsecret")), URL-encoded by the caller.
    static func dingTalkSignature(timestamp: String, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(timestamp)\n\(secret)".utf8), using: SymmetricKey(data: Data(secret.utf8))))
            .base64EncodedString()
    }

    /// Feishu/Lark: base64(HMAC-SHA256(key: "timestamp\nsecret", message: empty)).
    static func feishuSignature(timestamp: String, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(), using: SymmetricKey(data: Data("\(timestamp)\n\(secret)".utf8))))
            .base64EncodedString()
    }
}

extension CharacterSet {
    /// What a query value may hold unescaped (RFC 3986 unreserved): `+`, `/` and `=` of base64 are escaped.
    static let urlQueryValue = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
