import Foundation
import NIOSSL
import Testing
@testable import AIAgentBackend

/// E-mail channels against a real SMTP server (`aiosmtpd`).
@Suite struct EmailNotificationTests {
    /// The API tests' policy outside production: local servers are reachable.
    static let policy = EgressPolicy(allowlist: [], settingName: "TESTING_ALLOWED_HOSTS", internalAddresses: .allowed, ownAddresses: [])

    @Test func anEmailChannelSendsItsTestMessageThroughSMTP() async throws {
        try #require(SMTPReceiver.isAvailable, "aiosmtpd is missing: scripts/lib/deps.sh installs it")
        try await SMTPReceiver.with { smtp in
            try await APITestingFixture.with(.sqlite) { fixture in
                let client = fixture.client
                let projectID = try await client.project(named: "Mail", token: fixture.tester)
                let uri = "/api/v1/projects/\(projectID)/notifications"
                let config: [String: Any] = [
                    "host": "127.0.0.1", "port": smtp.port, "from": "runs@example.com", "to": ["qa@example.com", "lead@example.com"],
                    "starttls": false,
                ]
                let id = try await client.create(uri, ["name": "mail", "type": "email", "config": config], token: fixture.tester)
                let delivery = try await client.call(.post, "\(uri)/\(id)/test", token: fixture.tester) { try $0.json() }
                #expect(delivery["status"]?.string == "succeeded", "\(delivery)")

                let message = try #require(try smtp.messages().first)
                #expect(message.from == "runs@example.com" && message.to == ["qa@example.com", "lead@example.com"] && !message.tls)
                #expect(
                    message.data.contains("Subject: Test message: Mail / mail\r\n") && message.data.contains("To: qa@example.com, lead@example.com"))
                #expect(message.data.contains("\r\n\r\nTest message: Mail / mail\r\nProject: Mail\r\n"))

                // Credentials go only over STARTTLS; the password is masked and kept like any secret.
                let refused = try await client.failure(
                    .put, "\(uri)/\(id)", token: fixture.tester,
                    json: jsonText(["config": config.merging(["username": "u", "password": SMTPReceiver.password]) { $1 }]), .unprocessableContent)
                #expect(refused.details?["field"] == "config.password")
                let securedConfig = config.merging(["username": "u", "password": SMTPReceiver.password, "starttls": true]) { $1 }
                let secured = try await client.call(.put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(["config": securedConfig])) {
                    response in
                    #expect(response.status == .ok)
                    return String(buffer: response.body)
                }
                #expect(secured.contains(#""password":"***""#) && !secured.contains(SMTPReceiver.password))
                for (field, value) in [("from", "not-an-address" as Any), ("to", [String]()), ("host", "")] {
                    let error = try await client.failure(
                        .put, "\(uri)/\(id)", token: fixture.tester, json: jsonText(["config": securedConfig.merging([field: value]) { $1 }]),
                        .unprocessableContent)
                    #expect(error.details?["field"] == "config.\(field)")
                }
            }
        }
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN.
    @Test(arguments: [[], ["PLAIN"]])
    func startTLSThenAuthThenADotStuffedMessage(_ excludedMechanisms: [String]) async throws {
        try #require(SMTPReceiver.isAvailable, "aiosmtpd is missing: scripts/lib/deps.sh installs it")
        try await SMTPReceiver.with(excluding: excludedMechanisms) { smtp in
            func client(password: String) -> SMTPClient {
                var client = SMTPClient(
                    config: ChannelConfig(
                        host: "127.0.0.1", port: smtp.port, username: SMTPReceiver.username, password: password, from: "runs@example.com",
                        to: ["qa@example.com"]),
                    policy: Self.policy, timeout: .seconds(10))
                client.tls.trustRoots = .file(smtp.certificate)
                return client
            }
            let body = "first line\n.starts with a dot\n..two dots\n.\nlast"
            try await client(password: SMTPReceiver.password).send(subject: "Run passed: Ünïcode", body: body)
            let message = try #require(try smtp.messages().first)
            #expect(message.tls && message.login == SMTPReceiver.username)
            // The server took the dots off again: the text arrives as it was written.
            #expect(message.data.hasSuffix("\r\n\r\nfirst line\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast\r\n"))
            #expect(message.data.contains("Subject: =?utf-8?B?\(Data("Run passed: Ünïcode".utf8).base64EncodedString())?="))

            await #expect {
                try await client(password: "wrong-password").send(subject: "x", body: "y")
            } throws: { error in
                let text = "\(error)"
                return text.contains("535") && !text.contains("wrong-password") && !text.contains(Data("wrong-password".utf8).base64EncodedString())
            }
            #expect(try smtp.messages().count == 1)
        }
    }
}
