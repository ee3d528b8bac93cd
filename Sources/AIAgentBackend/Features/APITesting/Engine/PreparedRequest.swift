import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A step's request with every template rendered and auth applied: what is sent, and (masked)
/// what the evidence shows.
struct PreparedRequest: Sendable {
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]?
    /// The body as evidence shows it: file parts of a multipart body are summarised.
    var bodyText: String?

    /// Renders `request` in `scope`; the environment's headers go under the step's.
    init(_ request: StepRequest, environment: ResolvedEnvironment, scope: VariableScope) throws(StepError) {
        do {
            method = request.method
            url = try Template.render(request.url, in: scope)
            var headers: [(name: String, value: String)] = []
            let stepHeaders = try (request.headers ?? [:]).sorted { $0.key < $1.key }.map {
                (name: $0.key, value: try Template.render($0.value, in: scope))
            }
            for (name, value) in environment.headers.sorted(by: { $0.key < $1.key })
            where !stepHeaders.contains(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
                headers.append((name, try Template.render(value, in: scope)))
            }
            headers += stepHeaders
            self.headers = headers
            let query = try (request.query ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, try Template.render($0.value, in: scope)) }
            if !query.isEmpty { appendQuery(query) }
            if let body = request.body { try setBody(body, scope: scope) }
        } catch let error as TemplateError {
            throw StepError(kind: .template, message: error.description)
        } catch let error as StepError {
            throw error
        } catch {
            throw StepError(kind: .invalidRequest, message: "\(error)")
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            parsed.host?.isEmpty == false
        else { throw StepError(kind: .invalidRequest, message: "'\(url)' is not an absolute http(s) URL") }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name, value))
    }

    /// Names and values percent-encoded, before any `#fragment`.
    mutating func appendQuery(_ items: [(String, String)]) {
        let encoded = items.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
        let fragmentStart = url.firstIndex(of: "#") ?? url.endIndex
        let fragment = url[fragmentStart...]
        var base = String(url[..<fragmentStart])
        base += base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        url = base + encoded + fragment
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? text
    }

    private mutating func setBody(_ body: RequestBody, scope: VariableScope) throws {
        switch body.type {
        case .none:
            return
        case .json:
            let value = try Template.render(body.json ?? .null, in: scope)
            let text = value.jsonString
            self.body = Array(text.utf8)
            bodyText = text
            if header("content-type") == nil { setHeader("Content-Type", "application/json") }
        case .form:
            let fields = try (body.form ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, try Template.render($0.value, in: scope)) }
            let text = fields.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
            self.body = Array(text.utf8)
            bodyText = text
            if header("content-type") == nil { setHeader("Content-Type", "application/x-www-form-urlencoded") }
        case .raw:
            let text = try Template.render(body.raw ?? "", in: scope)
            self.body = Array(text.utf8)
            bodyText = text
            if header("content-type") == nil { setHeader("Content-Type", body.contentType ?? "text/plain") }
        case .multipart:
            let boundary = "----aiagent-\(UUID().uuidString)"
            var bytes: [UInt8] = []
            var text = ""
            for field in body.multipart ?? [] {
                var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(field.name))\""
                if let filename = field.filename { head += "; filename=\"\(Self.quoted(filename))\"" }
                head += "\r\n"
                if let contentType = field.contentType { head += "Content-Type: \(contentType)\r\n" }
                head += "\r\n"
                bytes += Array(head.utf8)
                text += head
                if let base64 = field.contentBase64 {
                    let content = Data(base64Encoded: base64) ?? Data()
                    bytes += content
                    text += "(\(content.count) bytes)"
                } else {
                    let value = try Template.render(field.value ?? "", in: scope)
                    bytes += Array(value.utf8)
                    text += value
                }
                bytes += Array("\r\n".utf8)
                text += "\r\n"
            }
            bytes += Array("--\(boundary)--\r\n".utf8)
            text += "--\(boundary)--\r\n"
            self.body = bytes
            bodyText = text
            setHeader("Content-Type", "multipart/form-data; boundary=\(boundary)")
        }
    }

    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    var clientRequest: HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    /// A curl command line that sends the same request (masked like the rest of the evidence).
    func curl(mask: SecretMask, environment: ResolvedEnvironment, timeout: Duration) -> String {
        var parts = ["curl", "-sS", "-X", method, Self.shellQuoted(mask.apply(url))]
        for (name, value) in headers {
            let shown = mask.header(name: name, value: value)
            parts += ["-H", Self.shellQuoted("\(shown.name): \(shown.value)")]
        }
        if let bodyText { parts += ["--data-binary", Self.shellQuoted(mask.apply(bodyText))] }
        if !environment.verifyTLS { parts.append("-k") }
        if environment.followRedirects { parts += ["-L", "--max-redirs", String(environment.maxRedirects)] }
        parts += ["--max-time", String(format: "%g", Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)]
        return parts.joined(separator: " ")
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
