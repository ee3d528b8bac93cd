import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import AIAgentBackend

/// The egress policy against local listeners only: nothing here sends traffic beyond loopback.
@Suite struct EgressTests {
    static func policy(_ allowlist: [String], ownAddresses: Set<IPAddress> = EgressPolicy.interfaceAddresses()) -> EgressPolicy {
        EgressPolicy(allowlist: allowlist, settingName: "AGENT_HTTP_ALLOWLIST", internalAddresses: .refused, ownAddresses: ownAddresses)
    }

    /// An agents' egress client for `allowlist`, shut down afterwards.
    static func withClient<T>(_ allowlist: [String], _ body: (EgressClient) async throws -> T) async throws -> T {
        let client = EgressClient(policy: policy(allowlist))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    /// The refusal `url` met, or nil when it was answered.
    static func refusal(_ client: EgressClient, _ url: String, bodyLimit: Int = 1024) async throws -> String? {
        do {
            // Long enough that a retried connection would show as a timeout, not a refusal.
            _ = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30), bodyLimit: bodyLimit)
            return nil
        } catch let refusal as EgressRefusal {
            return refusal.description
        }
    }

    @Test(arguments: ["localhost", "127.0.0.1", "2130706433", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]"])
    func loopbackSpellingsAreRefusedBeforeAnyRequest(_ host: String) async throws {
        try await FakeLLMProvider.with { listener in
            try await Self.withClient([]) { client in
                let refusal = try await Self.refusal(client, "http://\(host):\(listener.port)/metrics")
                #expect(refusal?.contains("is not allowed (loopback)") == true, "\(refusal ?? "answered")")
                #expect(listener.requests.isEmpty)
            }
        }
    }

    @Test func listedAddressesAndRangesAreAllowed() async throws {
        try await FakeLLMProvider.with { first in
            try await FakeLLMProvider.with(host: "127.0.0.2") { second in
                first.enqueue(.json(["ok": true]))
                second.enqueue(.json(["ok": true]))
                try await Self.withClient(["127.0.0.1"]) { client in
                    let allowed = try await Self.refusal(client, "http://127.0.0.1:\(first.port)/")
                    #expect(allowed == nil)
                    let unlisted = try await Self.refusal(client, "http://127.0.0.2:\(second.port)/")
                    #expect(unlisted?.contains("the host '127.0.0.2' is not allowed") == true)
                }
                try await Self.withClient(["127.0.0.0/8"]) { client in
                    let inRange = try await Self.refusal(client, "http://127.0.0.2:\(second.port)/")
                    #expect(inRange == nil)
                }
                #expect(first.requests.count == 1 && second.requests.count == 1)
            }
        }
    }

    @Test func everyRedirectHopIsChecked() async throws {
        try await FakeLLMProvider.with { target in
            try await FakeLLMProvider.with(host: "127.0.0.2") { redirector in
                // To an address not listed: refused by the host check.
                redirector.enqueue(.json([:], status: 302, headers: [("location", "http://127.0.0.1:\(target.port)/admin")]))
                try await Self.withClient(["127.0.0.2"]) { client in
                    let refusal = try await Self.refusal(client, "http://127.0.0.2:\(redirector.port)/")
                    #expect(refusal?.contains("the host '127.0.0.1' is not allowed") == true, "\(refusal ?? "answered")")
                }
                // To a listed name resolving to an unlisted loopback address: refused on connection.
                redirector.enqueue(.json([:], status: 307, headers: [("location", "http://localhost:\(target.port)/admin")]))
                try await Self.withClient(["127.0.0.2", "localhost"]) { client in
                    let refusal = try await Self.refusal(client, "http://127.0.0.2:\(redirector.port)/")
                    #expect(refusal?.contains("the address 127.0.0.1 is not allowed (loopback)") == true, "\(refusal ?? "answered")")
                }
                #expect(target.requests.isEmpty)

                // Followed when allowed, up to the limit.
                redirector.enqueue(.json([:], status: 301, headers: [("location", "http://127.0.0.1:\(target.port)/next")]))
                target.enqueue(.json(["done": true]))
                try await Self.withClient(["127.0.0.0/8"]) { client in
                    let response = try await client.execute(
                        HTTPClientRequest(url: "http://127.0.0.2:\(redirector.port)/"), timeout: .seconds(30), bodyLimit: 1024)
                    #expect(response.status == .ok)
                    #expect(target.requests.map(\.path) == ["/next"])
                    for _ in 0...client.maxRedirects {
                        redirector.enqueue(.json([:], status: 302, headers: [("location", "/again")]))
                    }
                    let refusal = try await Self.refusal(client, "http://127.0.0.2:\(redirector.port)/")
                    #expect(refusal == "more than \(client.maxRedirects) redirects")
                }
            }
        }
    }

    /// The DNS answer is judged: listing the name `localhost` does not open loopback, listing the address does.
    @Test func resolvedAddressIsJudgedNotTheName() async throws {
        try await FakeLLMProvider.with { listener in
            try await Self.withClient(["localhost"]) { client in
                let refusal = try await Self.refusal(client, "http://localhost:\(listener.port)/")
                #expect(refusal?.contains("is not allowed (loopback)") == true, "\(refusal ?? "answered")")
            }
            #expect(listener.requests.isEmpty)
            listener.enqueue(.json(["ok": true]))
            try await Self.withClient(["localhost", "127.0.0.1"]) { client in
                let refusal = try await Self.refusal(client, "http://localhost:\(listener.port)/")
                #expect(refusal == nil)
            }
            #expect(listener.requests.count == 1)
        }
    }

    @Test func bodyReadingStopsAtTheBound() async throws {
        try await FakeLLMProvider.with { listener in
            listener.enqueue(
                .init(status: 200, headers: [("content-type", "text/plain")], parts: [.bytes(Array(repeating: 0x61, count: 256 * 1024))]))
            try await Self.withClient(["127.0.0.1"]) { client in
                let response = try await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(listener.port)/"), timeout: .seconds(30), bodyLimit: 1000)
                #expect(response.body.readableBytes == 1000)
                #expect(response.truncated)
            }
        }
    }

    /// Unit level, no traffic: the ranges refused whatever resolves to them.
    @Test func internalAddressesAreRefusedUnlessListed() throws {
        let own = IPAddress("192.0.2.10")!
        let policy = Self.policy([], ownAddresses: [own])
        let refused = [
            "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.1.1", "fe80::1", "::ffff:169.254.169.254",
            "::169.254.169.254", "127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::", "224.0.0.1",
            "ff02::1", "255.255.255.255", "192.0.2.10", "::ffff:192.0.2.10",
        ]
        for text in refused {
            #expect(throws: EgressRefusal.self, "\(text)") { try policy.checkAddress(IPAddress(text)!) }
        }
        for text in ["93.184.216.34", "2606:4700::1111", "10.0.0.1", "::ffff:93.184.216.34"] {
            try policy.checkAddress(IPAddress(text)!)
        }
        // Only the listed address or range opens an internal one.
        let listed = Self.policy(["169.254.169.254", "fe80::/10", "metadata.google.internal"], ownAddresses: [own])
        try listed.checkAddress(IPAddress("169.254.169.254")!)
        try listed.checkAddress(IPAddress("::ffff:169.254.169.254")!)
        try listed.checkAddress(IPAddress("fe80::1234")!)
        #expect(throws: EgressRefusal.self) { try listed.checkAddress(IPAddress("169.254.170.2")!) }
        #expect(throws: EgressRefusal.self) { try listed.checkAddress(IPAddress("100.100.100.200")!) }
        // Outside production, API tests may reach them.
        let permissive = EgressPolicy(allowlist: [], settingName: "X", internalAddresses: .allowed, ownAddresses: [own])
        try permissive.checkAddress(IPAddress("127.0.0.1")!)
    }

    @Test func allowlistMatchesNamesAddressesAndRanges() throws {
        let policy = Self.policy(["api.example.com", "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
        for host in ["api.example.com", "API.Example.com.", "10.1.2.3", "2001:db8::1", "[2001:db8::1]", "192.0.2.7"] {
            try policy.checkHost(host)
        }
        for host in ["example.com", "sub.api.example.com", "11.0.0.1", "192.0.2.8", "localhost", "167772161"] {
            #expect(throws: EgressRefusal.self, "\(host)") { try policy.checkHost(host) }
        }
        try Self.policy([]).checkHost("anything.example")
    }

    @Test func allowlistSettingIsValidated() throws {
        let settings = try Settings.load(environment: ["AGENT_HTTP_ALLOWLIST": " API.example.com, 10.0.0.0/8 ,::1, fd00::/8"], dotEnvPath: nil)
        #expect(settings.agentHTTPAllowlist == ["api.example.com", "10.0.0.0/8", "::1", "fd00::/8"])
        for bad in ["10.0.0.0/33", "fe80::/129", "host/path", "user@host"] {
            #expect(throws: SettingsError.self, "\(bad)") { try Settings.load(environment: ["AGENT_HTTP_ALLOWLIST": bad], dotEnvPath: nil) }
        }
    }

    /// Through the agents' tool in the running application: loopback is refused by default.
    @Test func agentToolRefusesLoopbackByDefault() async throws {
        let (run, targetRequests) = try await runAgentCallingHTTP(try await aiSettings()) { "http://127.1:\($0)/metrics" }
        let tool = try #require(run["steps"]?.array?[1])
        #expect(tool["is_error"] == .bool(true))
        #expect(tool["result"]?.string?.contains("is not allowed (loopback)") == true)
        #expect(targetRequests == 0)
    }
}
