import Foundation
import Synchronization
import Testing
@testable import AIAgentBackend

/// The engine against a real local target: every request here reaches `TestTarget` over TCP.
@Suite struct CaseRunnerTests {
    static func definition(_ json: String) throws -> TestCaseDefinition {
        let definition = try JSONDecoder().decode(TestCaseDefinition.self, from: Data(json.utf8))
        try definition.validate()
        return definition
    }

    static func environment(_ target: TestTarget, _ change: (inout ResolvedEnvironment) -> Void = { _ in }) -> ResolvedEnvironment {
        var environment = ResolvedEnvironment.empty
        environment.baseURLs = ["default": target.baseURL, "other": target.baseURL + "/echo"]
        environment.timeout = .seconds(10)
        change(&environment)
        return environment
    }

    /// A development egress client (internal addresses reachable), shut down afterwards.
    static func withRunner<T>(
        maxBodyBytes: Int = 1 << 20, internalAddresses: EgressPolicy.InternalAddresses = .allowed, allowlist: [String] = [],
        _ body: (CaseRunner) async throws -> T
    ) async throws -> T {
        let egress = EgressClient(
            policy: EgressPolicy(allowlist: allowlist, settingName: "TESTING_ALLOWED_HOSTS", internalAddresses: internalAddresses, ownAddresses: []),
            allowsUnverifiedTLS: true)
        let runner = CaseRunner(egress: egress, tokens: OAuthTokenCache(), maxBodyBytes: maxBodyBytes)
        do {
            let result = try await body(runner)
            try await egress.shutdown()
            return result
        } catch {
            try await egress.shutdown()
            throw error
        }
    }

    static func run(_ json: String, _ target: TestTarget, runner: CaseRunner, environment: ResolvedEnvironment? = nil) async throws -> [CaseResult] {
        await runner.run(try definition(json), named: "case", environment: environment ?? Self.environment(target))
    }

    /// One request step's case.
    static func single(_ request: String, assert: String = "[]", extract: String = "[]") -> String {
        #"{"steps": [{"name": "only", "request": \#(request), "assert": \#(assert), "extract": \#(extract)}]}"#
    }

    static func echoed(_ result: CaseResult, step: Int = 0) throws -> JSONValue {
        try JSONValue(parsing: try #require(result.steps[step].response?.body))
    }

    /// A draft may be saved without steps; running it is an error, never a pass.
    @Test func aCaseWithoutStepsIsAnError() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let results = try await Self.run(#"{"steps": []}"#, target, runner: runner)
                #expect(results.map(\.status) == [.error])
                #expect(results.first?.steps.first?.error?.message == "the case has no steps")
            }
        }
    }

    @Test func dataRowsRunAsNamedIterationsWithTheirOwnScope() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let json = EngineFixtures.readmeExample.replacingOccurrences(
                    of: #"["alice", "pw1"], ["bob", "pw2"]"#, with: #"["alice", "pw-alice"], ["bob", "pw-bob"]"#
                )
                .replacingOccurrences(
                    of: #"{"type": "schema"}"#, with: #"{"type": "schema", "schema": {"type": "object", "required": ["username"]}}"#)
                let events = Mutex<[String]>([])
                let results = await runner.run(try Self.definition(json), named: "case", environment: Self.environment(target)) { event in
                    switch event {
                    case .iterationStarted(let name): events.withLock { $0.append("start \(name)") }
                    case .stepFinished(let iteration, let step): events.withLock { $0.append("\(iteration): \(step.name)") }
                    case .iterationFinished(let result): events.withLock { $0.append("end \(result.name)") }
                    }
                }
                #expect(results.map(\.name) == ["alice", "bob"])
                #expect(results.map(\.status) == [.passed, .passed], "\(results)")
                #expect(
                    events.withLock { $0 } == [
                        "start alice", "alice: login", "alice: me", "end alice", "start bob", "bob: login", "bob: me", "end bob",
                    ])
                // The row's `user` is over the case's: bob logs in and reads his own profile.
                #expect(try Self.echoed(results[1], step: 1)["username"] == "bob")
                #expect(results[1].steps[0].extracted["sid"] == "session-bob")
                let login = results[0].steps[0]
                #expect(login.request?.method == "POST" && login.request?.url == "\(target.baseURL)/auth/login")
                #expect(login.request?.body == #"{"password":"pw-alice","username":"alice"}"#)
                #expect(login.timings.map { $0.ttfbMs >= 0 && $0.totalMs >= $0.ttfbMs } == true)
                // The whole step holds its HTTP exchange, for every request step of both iterations.
                let requestSteps = results.flatMap(\.steps).filter { $0.kind == .request }
                #expect(requestSteps.count == 4)
                for step in requestSteps {
                    let total = try #require(step.timings?.totalMs)
                    #expect(step.durationMs >= total, "\(step.name): duration_ms \(step.durationMs) < total_ms \(total)")
                }
                #expect(login.curl?.hasPrefix("curl -sS -X POST '\(target.baseURL)/auth/login'") == true)
            }
        }
    }

    @Test func precedenceAndSetSteps() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let environment = Self.environment(target) { $0.variables = ["a": "env", "b": "env", "c": "env", "d": "env"] }
                let json = #"""
                    {"variables": {"b": "case", "c": "case", "d": "case"},
                     "data": {"columns": ["c", "d"], "rows": [["row", "row"]]},
                     "steps": [
                      {"name": "set", "set": {"d": "set-{{c}}", "n": "{{$randomInt(7,7)}}"}},
                      {"name": "pause", "wait": {"ms": 1}},
                      {"name": "echo", "request": {"method": "POST", "url": "{{base_url.other}}",
                        "body": {"type": "json", "json": {"a": "{{a}}", "b": "{{b}}", "c": "{{c}}", "d": "{{d}}", "n": "{{n}}"}}}}]}
                    """#
                let results = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(results[0].status == .passed)
                #expect(results[0].steps.map(\.kind) == [.set, .wait, .request])
                #expect(results[0].steps[0].extracted == ["d": "set-row", "n": 7])
                #expect(try Self.echoed(results[0], step: 2)["body"] == #"{"a":"env","b":"case","c":"row","d":"set-row","n":7}"#)
            }
        }
    }

    @Test func bodiesQueriesAndHeaders() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let environment = Self.environment(target) { $0.headers = ["X-Env": "env", "X-Both": "env"] }
                let json = #"""
                    {"variables": {"n": 5},
                     "steps": [
                      {"name": "json", "request": {"method": "PUT", "url": "{{base_url}}/echo?keep=1", "headers": {"X-Both": "step"},
                        "query": {"q": "a b&c=d/é"}, "body": {"type": "json", "json": {"n": "{{n}}", "s": "n={{n}}"}}}},
                      {"name": "form", "request": {"method": "POST", "url": "{{base_url}}/echo", "body": {"type": "form", "form": {"a": "1 2", "b": "x&y"}}}},
                      {"name": "multipart", "request": {"method": "POST", "url": "{{base_url}}/echo", "body": {"type": "multipart", "multipart": [
                        {"name": "field", "value": "v{{n}}"}, {"name": "file", "filename": "a.txt", "content_type": "text/plain", "content_base64": "aGVsbG8="}]}}},
                      {"name": "raw", "request": {"method": "POST", "url": "{{base_url}}/echo", "body": {"type": "raw", "raw": "<x>{{n}}</x>", "content_type": "application/xml"}}}]}
                    """#
                let results = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(results[0].status == .passed, "\(results)")
                let first = try Self.echoed(results[0], step: 0)
                #expect(first["method"] == "PUT")
                #expect(first["query"] == "keep=1&q=a%20b%26c%3Dd%2F%C3%A9")
                #expect(first["body"] == #"{"n":5,"s":"n=5"}"#)
                #expect(first["headers"]?["x-env"] == "env" && first["headers"]?["x-both"] == "step")
                #expect(first["headers"]?["content-type"] == "application/json")
                let form = try Self.echoed(results[0], step: 1)
                #expect(form["body"] == "a=1%202&b=x%26y")
                #expect(form["headers"]?["content-type"] == "application/x-www-form-urlencoded")
                let multipart = try Self.echoed(results[0], step: 2)
                let multipartBody = try #require(multipart["body"]?.stringValue)
                #expect(multipartBody.contains("name=\"field\"\r\n\r\nv5\r\n"))
                #expect(multipartBody.contains("filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"))
                #expect(multipart["headers"]?["content-type"]?.stringValue?.hasPrefix("multipart/form-data; boundary=") == true)
                #expect(results[0].steps[2].request?.body?.contains("(5 bytes)") == true)
                let raw = try Self.echoed(results[0], step: 3)
                #expect(raw["body"] == "<x>5</x>" && raw["headers"]?["content-type"] == "application/xml")
            }
        }
    }

    @Test func cookiesAndAuthPresets() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let environment = Self.environment(target) { $0.auth = RequestAuth(type: .basic, username: "ann", password: "basic-pass-1") }
                let json = #"""
                    {"steps": [
                      {"name": "set cookie", "request": {"method": "GET", "url": "{{base_url}}/cookie/set"},
                       "extract": [{"var": "flavour", "from": "cookie", "name": "flavour"}]},
                      {"name": "read cookie", "request": {"method": "GET", "url": "{{base_url}}/cookie/read", "headers": {"Cookie": "flavour={{flavour}}"}},
                       "assert": [{"type": "json", "path": "$.cookie", "op": "eq", "value": "flavour=oat"}]},
                      {"name": "basic", "request": {"method": "GET", "url": "{{base_url}}/echo"}},
                      {"name": "key header", "request": {"method": "GET", "url": "{{base_url}}/echo", "auth": {"type": "api_key", "name": "X-Api-Key", "value": "k-1"}}},
                      {"name": "key query", "request": {"method": "GET", "url": "{{base_url}}/echo", "auth": {"type": "api_key", "name": "key", "value": "k 2", "in": "query"}}},
                      {"name": "none", "request": {"method": "GET", "url": "{{base_url}}/echo", "auth": {"type": "none"}}}]}
                    """#
                let results = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(results[0].status == .passed, "\(results)")
                // The target echoes the credentials it received; the evidence masks them.
                #expect(try Self.echoed(results[0], step: 2)["headers"]?["authorization"] == "Basic ***")
                #expect(try Self.echoed(results[0], step: 3)["headers"]?["x-api-key"] == "***")
                #expect(try Self.echoed(results[0], step: 4)["query"] == "key=***")
                #expect(try Self.echoed(results[0], step: 5)["headers"]?["authorization"] == nil)
            }
        }
    }

    @Test func softAssertionsAreRecordedAndTheCaseGoesOn() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let json = #"""
                    {"steps": [
                      {"name": "one", "request": {"method": "GET", "url": "{{base_url}}/echo"},
                       "assert": [{"type": "status", "equals": 404, "soft": true}, {"type": "status", "class": "2xx"}]},
                      {"name": "two", "request": {"method": "GET", "url": "{{base_url}}/echo"}, "assert": [{"type": "status", "equals": 500}]},
                      {"name": "three", "request": {"method": "GET", "url": "{{base_url}}/echo"}}]}
                    """#
                let results = try await Self.run(json, target, runner: runner)
                #expect(results[0].status == .failed)
                #expect(results[0].steps.map(\.name) == ["one", "two"], "a hard failure stops the iteration")
                #expect(results[0].steps[0].assertions.map(\.passed) == [false, true])
                #expect(results[0].steps[0].assertions[0].soft && results[0].steps[0].assertions[0].actual == "200")
            }
        }
    }

    @Test func unknownVariablesAndMissingExtractionsAreStepErrors() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let unknown = try await Self.run(Self.single(#"{"method": "GET", "url": "{{base_url}}/echo?x={{nobody}}"}"#), target, runner: runner)
                #expect(unknown[0].status == .error)
                #expect(unknown[0].steps[0].error == StepError(kind: .template, message: "unknown variable 'nobody'"))
                let missing = try await Self.run(
                    Self.single(#"{"method": "GET", "url": "{{base_url}}/echo"}"#, extract: #"[{"var": "v", "from": "json", "path": "$.nope"}]"#),
                    target,
                    runner: runner)
                #expect(missing[0].steps[0].error?.kind == .extraction)
            }
        }
    }

    @Test func timeoutsRefusedConnectionsAndTruncation() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner(maxBodyBytes: 1024) { runner in
                let slow = try await Self.run(
                    Self.single(#"{"method": "GET", "url": "{{base_url}}/slow", "timeout_ms": 200}"#), target, runner: runner)
                #expect(slow[0].steps[0].error?.kind == .timeout, "\(slow)")
                let refused = try await Self.run(Self.single(#"{"method": "GET", "url": "http://127.0.0.1:1/"}"#), target, runner: runner)
                #expect(refused[0].steps[0].error?.kind == .connectionRefused, "\(refused)")
                let large = try await Self.run(Self.single(#"{"method": "GET", "url": "{{base_url}}/large"}"#), target, runner: runner)
                let response = try #require(large[0].steps[0].response)
                #expect(response.truncated && response.body.utf8.count == 1024 && response.size == 200_000)
            }
        }
    }

    @Test func redirectsFollowedUpToTheLimitOrNotAtAll() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let chain = Self.single(
                    #"{"method": "GET", "url": "{{base_url}}/redirect/3"}"#,
                    assert: #"[{"type": "json", "path": "$.done", "op": "eq", "value": true}]"#)
                let followed = try await Self.run(chain, target, runner: runner)
                #expect(followed[0].status == .passed)
                let limited = try await Self.run(chain, target, runner: runner, environment: Self.environment(target) { $0.maxRedirects = 2 })
                #expect(limited[0].steps[0].error?.kind == .egressRefused && limited[0].steps[0].error?.message == "more than 2 redirects")
                let loop = try await Self.run(Self.single(#"{"method": "GET", "url": "{{base_url}}/loop"}"#), target, runner: runner)
                #expect(loop[0].steps[0].error?.message == "more than 5 redirects")
                let unfollowed = try await Self.run(
                    chain, target, runner: runner, environment: Self.environment(target) { $0.followRedirects = false })
                #expect(unfollowed[0].steps[0].response?.status == 302)
                #expect(unfollowed[0].steps[0].response?.headers.contains(HeaderField(name: "Location", value: "/redirect/2")) == true)
            }
        }
    }

    @Test func cancellationStopsAnInFlightRequest() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let definition = try Self.definition(Self.single(#"{"method": "GET", "url": "{{base_url}}/slow", "timeout_ms": 60000}"#))
                let environment = Self.environment(target)
                let run = Task { await runner.run(definition, named: "case", environment: environment) }
                while target.state.withLock({ $0.slowRequestsStarted }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
                run.cancel()
                let results = await run.value
                #expect(results[0].status == .cancelled)
                #expect(results[0].steps[0].error?.kind == .cancelled)
            }
        }
    }

    @Test func productionPolicyRefusesMetadataAndLoopback() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner(internalAddresses: .refused) { runner in
                let metadata = try await Self.run(
                    Self.single(#"{"method": "GET", "url": "http://169.254.169.254/latest/meta-data/"}"#), target, runner: runner)
                #expect(metadata[0].steps[0].error?.kind == .egressRefused)
                #expect(metadata[0].steps[0].error?.message.contains("cloud metadata") == true)
                let loopback = try await Self.run(Self.single(#"{"method": "GET", "url": "{{base_url}}/echo"}"#), target, runner: runner)
                #expect(loopback[0].steps[0].error?.kind == .egressRefused)
                #expect(loopback[0].steps[0].error?.message.contains("loopback") == true)
                // A name that resolves to loopback is refused on connection.
                let named = try await Self.run(
                    Self.single(#"{"method": "GET", "url": "http://localhost:\#(target.port)/echo"}"#), target, runner: runner)
                #expect(named[0].steps[0].error?.kind == .egressRefused)
            }
        }
    }

    @Test func oauthTokensAreCachedAndRefreshedOnceOn401() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let environment = Self.environment(target) {
                    $0.auth = RequestAuth(
                        type: .oauth2ClientCredentials, tokenURL: "\(target.baseURL)/oauth/token", clientID: TestTarget.clientID,
                        clientSecret: TestTarget.clientSecret, scope: "read write")
                }
                let step =
                    #"{"name": "r", "request": {"method": "GET", "url": "{{base_url}}/oauth/resource"}, "assert": [{"type": "status", "equals": 200}]}"#
                let json = #"{"steps": [\#(step), \#(step)]}"#
                let first = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(first[0].status == .passed, "\(first)")
                #expect(target.state.withLock { $0.tokenRequests } == 1)
                #expect(target.state.withLock { $0.tokenRequestBodies } == ["grant_type=client_credentials&scope=read%20write"])
                target.revokeTokens()
                let afterRevocation = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(afterRevocation[0].status == .passed)
                #expect(target.state.withLock { $0.tokenRequests } == 2)
                // Credentials in the form body instead; a token that expires at once is fetched for every request.
                target.state.withLock { $0.tokenLifetime = 0 }
                var inBody = environment
                inBody.auth.clientAuth = .body
                inBody.auth.scope = "read"
                let expiring = try await Self.run(json, target, runner: runner, environment: inBody)
                #expect(expiring[0].status == .passed)
                #expect(target.state.withLock { $0.tokenRequests } == 4)
                #expect(target.state.withLock { $0.tokenAuthorizations.last } == "")
            }
        }
    }

    @Test func secretsNeverReachTheEvidence() async throws {
        try await TestTarget.with { target in
            try await Self.withRunner { runner in
                let environment = Self.environment(target) {
                    $0.variables = ["api_secret": "env-secret-value-77"]
                    $0.secretValues = ["env-secret-value-77"]
                }
                let json = #"""
                    {"steps": [
                      {"name": "login", "request": {"method": "POST", "url": "{{base_url}}/auth/login",
                        "body": {"type": "json", "json": {"username": "alice", "password": "pw-alice"}}},
                       "extract": [{"var": "token", "from": "json", "path": "$.access_token", "secret": true}]},
                      {"name": "bearer", "request": {"method": "POST", "url": "{{base_url}}/echo?s={{api_secret}}",
                        "headers": {"X-Custom": "{{api_secret}}"}, "auth": {"type": "bearer", "token": "{{token}}"},
                        "body": {"type": "json", "json": {"secret": "{{api_secret}}", "t": "{{token}}"}}},
                       "assert": [{"type": "body", "op": "contains", "value": "{{api_secret}}"}]},
                      {"name": "basic", "request": {"method": "GET", "url": "{{base_url}}/echo",
                        "auth": {"type": "basic", "username": "ann", "password": "basic-pass-word-5"}}},
                      {"name": "oauth", "request": {"method": "GET", "url": "{{base_url}}/echo",
                        "auth": {"type": "oauth2_client_credentials", "token_url": "{{base_url}}/oauth/token", "client_id": "client-1",
                                 "client_secret": "client-secret-value-9"}}}]}
                    """#
                let results = try await Self.run(json, target, runner: runner, environment: environment)
                #expect(results[0].status == .passed, "\(results)")
                let encoded = String(decoding: try JSONEncoder().encode(results), as: UTF8.self)
                let oauthToken = try #require(target.state.withLock { $0.validTokens.first })
                let basic = Data("ann:basic-pass-word-5".utf8).base64EncodedString()
                for secret in ["env-secret-value-77", "token-of-alice-5x9z", "basic-pass-word-5", basic, oauthToken, "client-secret-value-9"] {
                    #expect(!encoded.contains(secret), "\(secret) leaked")
                }
                #expect(results[0].steps[0].extracted["token"] == "***")
                #expect(results[0].steps[1].request?.url == "\(target.baseURL)/echo?s=***")
                #expect(results[0].steps[1].curl?.contains("-H 'Authorization: ***'") == true)
            }
        }
    }
}
