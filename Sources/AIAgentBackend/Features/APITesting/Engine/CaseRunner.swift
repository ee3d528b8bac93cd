import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What a run reports while it goes, for progress events.
enum CaseRunEvent: Sendable {
    case iterationStarted(name: String)
    case stepFinished(iteration: String, StepResult)
    case iterationFinished(CaseResult)
}

/// Runs one test case: one iteration per data row (or one without data), steps in order, each
/// iteration in its own variable scope. A failed assertion that is not soft, or an error,
/// ends the iteration. Evidence is masked before it is returned or reported.
struct CaseRunner: Sendable {
    let egress: EgressClient
    let tokens: OAuthTokenCache
    /// `TESTING_MAX_BODY_BYTES`: stored bodies are cut here.
    let maxBodyBytes: Int
    var schemas: SchemaSource = .none
    /// Tells apart OAuth tokens of environments sharing a client.
    var environmentKey: String = ""

    func run(
        _ definition: TestCaseDefinition, named name: String, environment: ResolvedEnvironment,
        onEvent: @Sendable (CaseRunEvent) async -> Void = { _ in }
    ) async -> [CaseResult] {
        var iterations: [(name: String, row: [String: JSONValue])] = []
        if let data = definition.data, !data.rows.isEmpty {
            for (index, row) in data.rows.enumerated() {
                let values = Dictionary(zip(data.columns, row), uniquingKeysWith: { first, _ in first })
                iterations.append((row.first.map(Template.text(of:)) ?? "row \(index + 1)", values))
            }
        } else {
            iterations.append((name, [:]))
        }
        guard !definition.steps.isEmpty else {
            let error = StepError(kind: .invalidRequest, message: "the case has no steps")
            let step = StepResult(name: "steps", kind: .set, assertions: [], extracted: [:], error: error, passed: false)
            return [CaseResult(name: name, status: .error, steps: [step], durationMs: 0)]
        }
        var results: [CaseResult] = []
        for iteration in iterations {
            await onEvent(.iterationStarted(name: iteration.name))
            let result = await runIteration(definition, name: iteration.name, row: iteration.row, environment: environment, onEvent: onEvent)
            results.append(result)
            await onEvent(.iterationFinished(result))
            if result.status == .cancelled { break }
        }
        return results
    }

    private func runIteration(
        _ definition: TestCaseDefinition, name: String, row: [String: JSONValue], environment: ResolvedEnvironment,
        onEvent: @Sendable (CaseRunEvent) async -> Void
    ) async -> CaseResult {
        let start = ContinuousClock.now
        var mask = SecretMask(environment.secretValues)
        var steps: [StepResult] = []
        var status = CaseResult.Status.passed
        // Lowest precedence first, each level over the one below.
        var scope = VariableScope(values: environment.variables, baseURLs: environment.baseURLs)
        do throws(StepError) {
            for (key, value) in definition.variables ?? [:] {
                do { scope.values[key] = try Template.render(value, in: scope) } catch {
                    throw StepError(kind: .template, message: "variables.\(key): \(error.description)")
                }
            }
        } catch {
            let elapsed = Self.milliseconds(.now - start)
            let result = StepResult(
                name: "variables", kind: .set, assertions: [], extracted: [:], error: error, passed: false, durationMs: elapsed)
            return CaseResult(name: name, status: .error, steps: [result], durationMs: elapsed)
        }
        scope.values.merge(row) { _, rowValue in rowValue }

        for step in definition.steps {
            let stepStart = ContinuousClock.now
            var result: StepResult
            if Task.isCancelled {
                result = StepResult(
                    name: step.name, kind: step.request != nil ? .request : step.wait != nil ? .wait : .set, assertions: [], extracted: [:],
                    error: StepError(kind: .cancelled, message: "the run was cancelled"), passed: false)
            } else if let request = step.request {
                result = await runRequest(step, request, environment: environment, scope: &scope, mask: &mask)
            } else if let wait = step.wait {
                result = await runWait(step.name, wait)
            } else {
                result = runSet(step, scope: &scope, mask: mask)
            }
            result.durationMs = Self.milliseconds(.now - stepStart)
            steps.append(result)
            await onEvent(.stepFinished(iteration: name, result))
            if let error = result.error {
                status = error.kind == .cancelled ? .cancelled : .error
                break
            }
            if !result.passed {
                status = .failed
                if result.assertions.contains(where: { !$0.passed && !$0.soft }) { break }
            }
        }
        return CaseResult(name: name, status: status, steps: steps, durationMs: Self.milliseconds(.now - start))
    }

    private func runWait(_ name: String, _ wait: StepWait) async -> StepResult {
        var result = StepResult(name: name, kind: .wait, assertions: [], extracted: [:], passed: true)
        do {
            try await Task.sleep(for: .milliseconds(wait.ms))
        } catch {
            result.error = StepError(kind: .cancelled, message: "the run was cancelled")
            result.passed = false
        }
        return result
    }

    private func runSet(_ step: TestStep, scope: inout VariableScope, mask: SecretMask) -> StepResult {
        var result = StepResult(name: step.name, kind: .set, assertions: [], extracted: [:], passed: true)
        for (key, value) in (step.set ?? [:]).sorted(by: { $0.key < $1.key }) {
            do {
                let rendered = try Template.render(value, in: scope)
                scope.values[key] = rendered
                result.extracted[key] = mask.apply(rendered)
            } catch {
                result.error = StepError(kind: .template, message: "set.\(key): \(error.description)")
                result.passed = false
                return result
            }
        }
        return result
    }

    private func runRequest(
        _ step: TestStep, _ request: StepRequest, environment: ResolvedEnvironment, scope: inout VariableScope, mask: inout SecretMask
    ) async -> StepResult {
        var result = StepResult(name: step.name, kind: .request, assertions: [], extracted: [:], passed: false)
        let timeout = request.timeoutMs.map { Duration.milliseconds($0) } ?? environment.timeout
        var prepared: PreparedRequest?
        do throws(StepError) {
            let auth = request.auth ?? environment.auth
            var sending = try PreparedRequest(request, environment: environment, scope: scope)
            let oauth = try await applyAuth(auth, to: &sending, scope: scope, mask: &mask, environment: environment, timeout: timeout)
            prepared = sending
            var response = try await send(sending, environment: environment, timeout: timeout)
            // A token revoked or expired early: one new token, one retry.
            if response.status == .unauthorized, let oauth {
                await tokens.invalidate(oauth.key, token: oauth.token)
                sending = try PreparedRequest(request, environment: environment, scope: scope)
                _ = try await applyAuth(auth, to: &sending, scope: scope, mask: &mask, environment: environment, timeout: timeout)
                prepared = sending
                response = try await send(sending, environment: environment, timeout: timeout)
            }
            try check(step, response: response, scope: &scope, mask: &mask, into: &result)
        } catch {
            result.error = StepError(kind: error.kind, message: mask.apply(error.message))
        }
        if let prepared {
            result.request = SentRequest(
                method: prepared.method, url: mask.apply(prepared.url), headers: prepared.headers.map { mask.header(name: $0.name, value: $0.value) },
                body: prepared.bodyText.map { mask.apply(Self.cut($0, at: maxBodyBytes)) })
            result.curl = prepared.curl(mask: mask, environment: environment, timeout: timeout)
        }
        if var response = result.response {
            response.headers = response.headers.map { mask.header(name: $0.name, value: $0.value) }
            response.body = mask.apply(response.body)
            result.response = response
        }
        result.passed = result.error == nil && result.assertions.allSatisfy(\.passed)
        return result
    }

    /// Extractions first (later steps need them even when a check fails), then assertions.
    private func check(
        _ step: TestStep, response: EgressClient.Response, scope: inout VariableScope, mask: inout SecretMask, into result: inout StepResult
    ) throws(StepError) {
        let body = String(buffer: response.body)
        let needsJSON =
            (step.extract ?? []).contains { $0.from == .json } || (step.assertions ?? []).contains { $0.type == .json || $0.type == .schema }
        let totalMs = Self.milliseconds(response.total)
        let view = ResponseView(status: Int(response.status.code), headers: response.headers, body: body, parseJSON: needsJSON, totalMs: totalMs)
        let size =
            response.truncated
            ? response.headers.first(name: "content-length").flatMap(Int.init) ?? response.body.readableBytes : response.body.readableBytes
        result.response = ReceivedResponse(
            status: view.status, headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) }, body: body,
            truncated: response.truncated, size: size)
        result.timings = Timings(ttfbMs: Self.milliseconds(response.timeToFirstByte), totalMs: totalMs)
        for extraction in step.extract ?? [] {
            let value: JSONValue?
            do { value = try ResponseChecks.extract(extraction, from: view) } catch {
                throw StepError(kind: .extraction, message: "extract '\(extraction.variable)': \(error)")
            }
            guard let value else {
                throw StepError(kind: .extraction, message: "extract '\(extraction.variable)' from the \(extraction.from.rawValue): nothing matched")
            }
            if extraction.secret == true { mask.add(Template.text(of: value)) }
            scope.values[extraction.variable] = value
            result.extracted[extraction.variable] = mask.apply(value)
        }
        for assertion in step.assertions ?? [] {
            var checked = ResponseChecks.evaluate(assertion, on: view, scope: scope, schemas: schemas)
            checked.expected = checked.expected.map(mask.apply)
            checked.actual = checked.actual.map(mask.apply)
            result.assertions.append(checked)
        }
    }

    /// Adds the credentials of `auth` to `request` and their values to `mask`; for OAuth, returns the token used.
    private func applyAuth(
        _ auth: RequestAuth, to request: inout PreparedRequest, scope: VariableScope, mask: inout SecretMask, environment: ResolvedEnvironment,
        timeout: Duration
    ) async throws(StepError) -> (key: OAuthTokenCache.Key, token: String)? {
        func render(_ text: String?) throws(StepError) -> String {
            do { return try Template.render(text ?? "", in: scope) } catch { throw StepError(kind: .template, message: "auth: \(error.description)") }
        }
        switch auth.type {
        case .none:
            return nil
        case .bearer:
            let token = try render(auth.token)
            mask.add(token)
            request.setHeader("Authorization", "Bearer \(token)")
        case .basic:
            let (username, password) = (try render(auth.username), try render(auth.password))
            let credentials = Data("\(username):\(password)".utf8).base64EncodedString()
            mask.add(password)
            mask.add(credentials)
            request.setHeader("Authorization", "Basic \(credentials)")
        case .apiKey:
            let (name, value) = (try render(auth.name), try render(auth.value))
            mask.add(value)
            if auth.in == .query { request.appendQuery([(name, value)]) } else { request.setHeader(name, value) }
        case .oauth2ClientCredentials:
            let tokenURL = try render(auth.tokenURL)
            let (clientID, clientSecret, scopeText) = (
                try render(auth.clientID), try render(auth.clientSecret), try auth.scope.map { text throws(StepError) in try render(text) }
            )
            mask.add(clientSecret)
            let key = OAuthTokenCache.Key(environment: environmentKey, tokenURL: tokenURL, clientID: clientID, scope: scopeText)
            let fetch: @Sendable () async throws -> (String, Duration?) = { [self] in
                try await fetchToken(
                    tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret, scope: scopeText, clientAuth: auth.clientAuth ?? .basic,
                    environment: environment, timeout: timeout)
            }
            let token: String
            do { token = try await tokens.token(for: key, fetch: fetch) } catch let error as StepError { throw error } catch {
                throw Self.stepError(error)
            }
            mask.add(token)
            request.setHeader("Authorization", "Bearer \(token)")
            return (key, token)
        }
        return nil
    }

    /// RFC 6749 §4.4: a form POST with `grant_type=client_credentials`.
    private func fetchToken(
        tokenURL: String, clientID: String, clientSecret: String, scope: String?, clientAuth: RequestAuth.ClientAuthentication,
        environment: ResolvedEnvironment, timeout: Duration
    ) async throws -> (String, Duration?) {
        var fields = [("grant_type", "client_credentials")]
        if let scope, !scope.isEmpty { fields.append(("scope", scope)) }
        var request = HTTPClientRequest(url: tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        switch clientAuth {
        case .basic:
            // §2.3.1: each part form-encoded before the basic encoding.
            let pair = PreparedRequest.encode(clientID) + ":" + PreparedRequest.encode(clientSecret)
            request.headers.add(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString())
        case .body:
            fields += [("client_id", clientID), ("client_secret", clientSecret)]
        }
        request.body = .bytes(
            ByteBuffer(string: fields.map { PreparedRequest.encode($0.0) + "=" + PreparedRequest.encode($0.1) }.joined(separator: "&")))
        let response = try await egress.execute(
            request, timeout: timeout, bodyLimit: 64 * 1024, followRedirects: false, verifyTLS: environment.verifyTLS)
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
        guard response.status.code / 100 == 2, let token = json?["access_token"]?.stringValue, !token.isEmpty else {
            let reason = json?["error"]?.stringValue.map { " (\($0))" } ?? ""
            throw StepError(kind: .auth, message: "the token endpoint answered \(response.status.code)\(reason) without an access_token")
        }
        return (token, json?["expires_in"]?.numberValue.map { .milliseconds(Int64($0 * 1000)) })
    }

    private func send(_ request: PreparedRequest, environment: ResolvedEnvironment, timeout: Duration) async throws(StepError)
        -> EgressClient.Response
    {
        do {
            return try await egress.execute(
                request.clientRequest, timeout: timeout, bodyLimit: maxBodyBytes, followRedirects: environment.followRedirects,
                redirectLimit: environment.maxRedirects, verifyTLS: environment.verifyTLS)
        } catch {
            throw Self.stepError(error, timeout: timeout)
        }
    }

    /// What went wrong, in words a tester acts on.
    static func stepError(_ error: any Error, timeout: Duration? = nil) -> StepError {
        if Task.isCancelled || error is CancellationError { return StepError(kind: .cancelled, message: "the run was cancelled") }
        switch error {
        case let refusal as EgressRefusal:
            return StepError(kind: .egressRefused, message: refusal.description)
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return StepError(kind: .timeout, message: "no complete response within \(timeout.map { "\($0)" } ?? "the timeout")")
            case .cancelled:
                return StepError(kind: .cancelled, message: "the run was cancelled")
            default:
                return StepError(kind: .network, message: "\(error)")
            }
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return StepError(kind: .dns, message: "the host '\(error.host)' could not be resolved")
            }
            return StepError(kind: .connectionRefused, message: "could not connect to \(error.host):\(error.port)")
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return StepError(kind: .connectionRefused, message: "the connection was refused")
        case let error as StepError:
            return error
        default:
            let typeName = String(reflecting: type(of: error))
            if typeName.contains("SSL") || typeName.contains("TLS") { return StepError(kind: .tls, message: "TLS failed: \(error)") }
            if typeName.contains("DNS") || "\(error)".contains("resolve") { return StepError(kind: .dns, message: "\(error)") }
            return StepError(kind: .network, message: "\(error)")
        }
    }

    private static func cut(_ text: String, at limit: Int) -> String {
        text.utf8.count > limit ? String(decoding: text.utf8.prefix(limit), as: UTF8.self) : text
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
