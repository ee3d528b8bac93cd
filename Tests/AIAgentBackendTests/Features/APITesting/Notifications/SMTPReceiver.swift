import Foundation
import Testing
@testable import AIAgentBackend

/// A real SMTP server for the tests: `aiosmtpd` from PyPI (installed by `scripts/lib/deps.sh`),
/// offering STARTTLS with a certificate made for the test and AUTH (only over TLS, its
/// default), writing each message it accepts as a JSON line.
final class SMTPReceiver: Sendable {
    static let username = "mailer"
    static let password = "smtp-pass-3e91c7"

    struct Message: Decodable {
        let from: String
        let to: [String]
        let data: String
        let tls: Bool
        let login: String?
    }

    let port: Int
    /// The certificate the server presents (self-signed for 127.0.0.1): what a client must trust.
    let certificate: String
    private let output: String

    private init(port: Int, certificate: String, output: String) {
        self.port = port
        self.certificate = certificate
        self.output = output
    }

    static let isAvailable = (try? run(["python3", "-c", "import aiosmtpd"])) == 0

    private static let script = #"""
        import json, socket, ssl, sys
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        cert, key, user, password, out = sys.argv[1:6]
        excluded = [name for name in sys.argv[6].split(",") if name]

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
                with open(out, "a") as f:
                    f.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                                        "login": login, "data": envelope.original_content.decode("utf-8")}) + "\n")
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, authenticator=authenticator,
                                auth_require_tls=True, auth_exclude_mechanism=excluded)
        controller.start()
        print(port, flush=True)
        sys.stdin.read()
        controller.stop()
        """#

    /// `excluding` names AUTH mechanisms the server does not offer.
    static func with<T>(excluding mechanisms: [String] = [], _ body: (SMTPReceiver) async throws -> T) async throws -> T {
        let folder = try BuiltBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try TLSVerificationTests.selfSignedCertificate(in: folder)
        let output = folder + "/messages.jsonl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, files.certificate, files.key, username, password, output, mechanisms.joined(separator: ",")]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Closing its input stops the server.
        defer {
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        let line = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), "aiosmtpd did not start: \(line)")
        return try await body(SMTPReceiver(port: port, certificate: files.certificate, output: output))
    }

    /// The messages accepted so far.
    func messages() throws -> [Message] {
        guard let text = try? String(contentsOfFile: output, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Message.self, from: Data($0.utf8)) }
    }

    private static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
