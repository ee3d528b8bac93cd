import Foundation
import NIOSSL
import Testing
import TestSupport

@testable import RedisClient

private let openssl = ["/usr/bin/openssl", "/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// A throwaway CA and a server certificate for localhost and 127.0.0.1.
private func makeCertificates(in directory: URL) throws {
    try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(to: directory.appendingPathComponent("san.cnf"), atomically: true, encoding: .utf8)
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for arguments in [
        ["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca"],
        ["req"] + key + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
        [
            "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
            "-days", "2", "-extfile", "san.cnf",
        ],
    ] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl!)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RedisError.invalidArgument("openssl \(arguments[0]) failed") }
    }
}

@Suite(.enabled(if: openssl != nil, "needs the openssl command to make certificates"))
struct RedisTLSTests {
    @Test func commandsAndSubscriptionsOverTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try makeCertificates(in: directory)
        let tlsPort = Int.random(in: 20_000..<60_000)
        let serverArguments = [
            "--tls-port", "\(tlsPort)", "--tls-auth-clients", "no",
            "--tls-cert-file", directory.appendingPathComponent("server.crt").path,
            "--tls-key-file", directory.appendingPathComponent("server.key").path,
        ]
        try await withRedisServer(extraArguments: serverArguments) { server in
            for host in ["localhost", "127.0.0.1"] {  // by name with SNI, by address without
                var configuration = try RedisConfiguration(url: "rediss://:\(server.password)@\(host):\(tlsPort)/1")
                configuration.tls?.trustRoots = .file(directory.appendingPathComponent("ca.crt").path)
                let redis = try RedisClient(configuration: configuration)
                try await redis.set("tls", to: "works")
                #expect(try await redis.getString("tls") == "works")
                let subscription = try await redis.subscribe(to: ["secure"])
                #expect(try await redis.publish("hello", to: "secure") == 1)
                for try await message in subscription {
                    #expect(message.string == "hello")
                    break
                }
                await subscription.close()
                await redis.close()
            }

            // The system trust store does not know the test CA: the handshake fails, clearly and quickly.
            let untrusted = try RedisClient(configuration: RedisConfiguration(url: "rediss://:\(server.password)@localhost:\(tlsPort)"))
            await #expect {
                _ = try await untrusted.ping()
            } throws: { error in
                guard case .connectionError(let underlying) = error as? RedisError else { return false }
                return underlying is NIOSSLError
            }
            await untrusted.close()
        }
    }
}
