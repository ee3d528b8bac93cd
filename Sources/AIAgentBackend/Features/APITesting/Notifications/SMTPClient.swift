import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Sends one plain-text message through an SMTP server (RFC 5321): EHLO, STARTTLS when
/// asked (RFC 3207), AUTH PLAIN or LOGIN (credentials only once the connection is
/// encrypted), MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT. The server's address is
/// judged by the egress policy, as any user-directed destination.
struct SMTPClient: Sendable {
    let host: String
    let port: Int
    let username: String?
    let password: String?
    let from: String
    let to: [String]
    let startTLS: Bool
    let policy: EgressPolicy
    let timeout: Duration
    /// Whose certificates the server's may chain to: the system's roots unless told.
    var tls = TLSConfiguration.makeClientConfiguration()

    init(config: ChannelConfig, policy: EgressPolicy, timeout: Duration) {
        host = config.host ?? ""
        port = config.port ?? ChannelConfig.defaultSMTPPort
        username = config.username
        password = config.password
        from = config.from ?? ""
        to = config.to ?? []
        startTLS = config.starttls ?? true
        self.policy = policy
        self.timeout = timeout
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The message as written after DATA: headers, the body with CRLF line ends and every
    /// line that starts with a dot given another (RFC 5321 §4.5.2), then the lone dot.
    static func data(from: String, to: [String], subject: String, body: String, date: Date, messageID: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let headers = [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: \(encodedHeader(subject))", "Date: \(formatter.string(from: date))",
            "Message-ID: <\(messageID)>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        return (headers + [""] + lines).joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// A header value as RFC 2047 words when it is not plain ASCII; never with a line break.
    static func encodedHeader(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard flat.unicodeScalars.contains(where: { !$0.isASCII }) else { return flat }
        return "=?utf-8?B?\(Data(flat.utf8).base64EncodedString())?="
    }

    func send(subject: String, body: String) async throws {
        try policy.checkHost(host)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await converse(subject: subject, body: body) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure("no answer from \(host):\(port) within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func converse(subject: String, body: String) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout / .nanoseconds(1))))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        guard let remote = channel.channel.remoteAddress, let address = IPAddress(remote) else {
            try? await channel.channel.close()
            throw Failure("the connection has no IP peer address")
        }
        do { try policy.checkAddress(address) } catch {
            try? await channel.channel.close()
            throw error
        }
        try await channel.executeThenClose { inbound, outbound in
            var replies = Replies(iterator: inbound.makeAsyncIterator())
            // Errors name the step by its verb (`step` for credential lines, which must not show).
            func command(_ line: String, expect codes: Set<Int>, step: String? = nil) async throws -> String {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                return try await replies.expect(codes, after: step ?? line.split(separator: " ").first.map(String.init) ?? line)
            }
            _ = try await replies.expect([220], after: "connecting")
            var extensions = try await command("EHLO ai-agent-backend", expect: [250])
            if startTLS {
                guard extensions.uppercased().contains("STARTTLS") else {
                    throw Failure("the server does not offer STARTTLS (it offers \(extensions.split(separator: "\n").joined(separator: ", ")))")
                }
                _ = try await command("STARTTLS", expect: [220])
                let context = try NIOSSLContext(configuration: tls)
                let host = host
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: IPAddress(host) == nil ? host : nil), position: .first)
                }.get()
                extensions = try await command("EHLO ai-agent-backend", expect: [250])
            }
            if let username, let password {
                guard startTLS else { throw Failure("credentials are sent only over STARTTLS") }
                let mechanisms = extensions.uppercased().split(whereSeparator: \.isNewline).first { $0.hasPrefix("AUTH") } ?? ""
                if !mechanisms.contains("PLAIN") && mechanisms.contains("LOGIN") {
                    _ = try await command("AUTH LOGIN", expect: [334])
                    _ = try await command(Data(username.utf8).base64EncodedString(), expect: [334], step: "AUTH LOGIN username")
                    _ = try await command(Data(password.utf8).base64EncodedString(), expect: [235], step: "AUTH LOGIN password")
                } else {
                    _ = try await command("AUTH PLAIN " + Data("\0\(username)\0\(password)".utf8).base64EncodedString(), expect: [235])
                }
            }
            _ = try await command("MAIL FROM:<\(from)>", expect: [250])
            for recipient in to { _ = try await command("RCPT TO:<\(recipient)>", expect: [250, 251]) }
            _ = try await command("DATA", expect: [354])
            let message = Self.data(
                from: from, to: to, subject: subject, body: body, date: Date(), messageID: "\(UUID().uuidString)@ai-agent-backend")
            try await outbound.write(ByteBuffer(string: message))
            _ = try await replies.expect([250], after: "the message")
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
        }
    }

    /// The server's replies, read line by line; a multiline reply ends at `NNN ` (RFC 5321 §4.2.1).
    private struct Replies {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var buffer = ByteBuffer()

        /// The reply's text (one line per line), if its code is one of `codes`.
        mutating func expect(_ codes: Set<Int>, after step: String) async throws -> String {
            var lines: [String] = []
            while true {
                let line = try await nextLine()
                guard line.utf8.count >= 3, let code = Int(line.prefix(3)) else { throw Failure("a malformed reply to \(step): \(line)") }
                lines.append(String(line.dropFirst(4)))
                guard line.utf8.count > 3, line.dropFirst(3).first == "-" else {
                    // Credentials never come back in replies; the text is the server's.
                    guard codes.contains(code) else { throw Failure("the server answered \(step) with \(code) \(lines.joined(separator: " "))") }
                    return lines.joined(separator: "\n")
                }
            }
        }

        private mutating func nextLine() async throws -> String {
            while true {
                let readable = buffer.readableBytesView
                if let end = readable.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer.readString(length: readable.distance(from: readable.startIndex, to: end) + 1) ?? ""
                    // "\r\n" is one Character in Swift, as is "\n" alone.
                    return String(line.dropLast())
                }
                guard var chunk = try await iterator.next() else { throw Failure("the server closed the connection") }
                buffer.writeBuffer(&chunk)
            }
        }
    }
}
