import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import Testing

@testable import AIAgentBackend

/// An environment's `verify_tls`, against a local HTTPS target whose certificate no one signed.
@Suite struct TLSVerificationTests {
    /// A self-signed certificate for 127.0.0.1, made by openssl for this test only.
    static func selfSignedCertificate(in folder: String) throws -> (certificate: String, key: String) {
        let (certificate, key) = (folder + "/cert.pem", folder + "/key.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        return (certificate, key)
    }

    /// Runs `body` with the base URL of an HTTPS server answering `GET /secure` with 200.
    static func withHTTPSTarget(_ body: (String) async throws -> Void) async throws {
        let folder = try BuiltBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try selfSignedCertificate(in: folder)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem)))
        let router = Router()
        router.get("secure") { _, _ in "secret garden" }
        var logger = Logger(label: "tls-target")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: try .tls(tlsConfiguration: tls), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body("https://127.0.0.1:\(port)")
    }

    @Test func anUnverifiedCertificateFailsUnlessVerificationIsOff() async throws {
        try await Self.withHTTPSTarget { baseURL in
            try await CaseRunnerTests.withRunner { runner in
                let definition = try CaseRunnerTests.definition(
                    CaseRunnerTests.single(#"{"method": "GET", "url": "{{base_url}}/secure"}"#, assert: #"[{"type": "status", "equals": 200}]"#))
                var environment = ResolvedEnvironment.empty
                environment.baseURLs = ["default": baseURL]
                environment.timeout = .seconds(10)

                let verified = try #require(await runner.run(definition, named: "verified", environment: environment).first)
                #expect(verified.status == .error)
                #expect(verified.steps.first?.error?.kind == .tls, "\(String(describing: verified.steps.first?.error))")

                environment.verifyTLS = false
                let unverified = try #require(await runner.run(definition, named: "unverified", environment: environment).first)
                #expect(unverified.status == .passed)
                #expect(unverified.steps.first?.response?.body == "secret garden")
                #expect(unverified.steps.first?.curl?.contains(" -k") == true, "the curl that reproduces it skips verification too")
            }
        }
    }
}
