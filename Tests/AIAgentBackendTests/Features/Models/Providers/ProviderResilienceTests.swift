import Foundation
import Metrics
import MetricsTestKit
import Testing
@testable import AIAgentBackend

/// Failures, retries, timeouts and cancellation, the same for both wire formats.
@Suite struct ProviderResilienceTests {
    static let kinds: [ProviderConfiguration.Kind] = [.openai, .anthropic]

    @Test(arguments: kinds)
    func authenticationFailureCarriesTheProvidersMessageAndIsNotRetried(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            let message = kind == .anthropic ? "invalid x-api-key" : "Incorrect API key provided: sk-bad."
            fake.enqueue(Wire.failure(kind, status: 401, message: message), Wire.failure(kind, status: 401, message: message))
            let provider = fake.configuration(kind, apiKey: "sk-bad").makeProvider()

            await #expect(throws: LLMProviderError.authentication(status: 401, message: message)) {
                try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            }
            let streamed = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))
            #expect(streamed.providerError == .authentication(status: 401, message: message))
            #expect(streamed.events.isEmpty)
            #expect(fake.requests.count == 2)
        }
    }

    @Test(arguments: kinds)
    func rateLimitIsRetriedAfterRetryAfter(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                Wire.failure(kind, status: 429, message: "Slow down", headers: [("retry-after", "1")]),
                .sse(Wire.textStream(kind, ["Hello"])))
            let provider = fake.configuration(kind).makeProvider()
            let start = ContinuousClock.now
            let result = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))

            #expect(result.error == nil)
            #expect(result.text == "Hello")
            #expect(ContinuousClock.now - start >= .milliseconds(950))
            #expect(fake.requests.count == 2)
        }
    }

    @Test(arguments: kinds)
    func aRetryAfterLongerThanTheTimeoutIsNotWaitedFor(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                Wire.failure(kind, status: 429, message: "Quota exceeded", headers: [("retry-after", "120")]),
                Wire.completion(kind, text: "too late"))
            let provider = fake.configuration(kind).makeProvider()

            await #expect(throws: LLMProviderError.rateLimited(retryAfterSeconds: 120, message: "Quota exceeded")) {
                try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            }
            #expect(fake.requests.count == 1)
        }
    }

    @Test(arguments: kinds)
    func serverErrorsAreRetriedWithBackoff(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                Wire.failure(kind, status: 500, message: "boom"), Wire.failure(kind, status: 503, message: "busy"),
                Wire.completion(kind, text: "Recovered"),
                Wire.failure(kind, status: 500, message: "boom"), .sse(Wire.textStream(kind, ["Once", " only"])))
            let provider = fake.configuration(kind).makeProvider()

            let completed = try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            #expect(completed.text == "Recovered")
            let streamed = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))
            #expect(streamed.text == "Once only")
            #expect(streamed.events.filter { if case .done = $0 { true } else { false } }.count == 1)
            #expect(fake.requests.count == 5)
        }
    }

    @Test(arguments: kinds)
    func retriesStopAtTheConfiguredMaximum(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(
                Wire.failure(kind, status: 500, message: "down"), Wire.failure(kind, status: 500, message: "down"),
                Wire.failure(kind, status: 500, message: "still down"), Wire.completion(kind, text: "too late"))
            let provider = fake.configuration(kind, maxRetries: 2).makeProvider()

            await #expect(throws: LLMProviderError.serverError(status: 500, message: "still down")) {
                try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            }
            #expect(fake.requests.count == 3)
        }
    }

    @Test(arguments: kinds)
    func aConnectionDroppedMidStreamFailsWithoutRetrying(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            let steps = Wire.textStream(kind, ["Once upon", " a time", " there was"])
            fake.enqueue(.sse(Array(steps.prefix(4)) + [.pause(.milliseconds(50)), .drop]), .sse(steps))
            let provider = fake.configuration(kind).makeProvider()
            let result = await Collected(provider.stream(ChatRequest(messages: [.user("Tell me a story")])))

            #expect(result.text.hasPrefix("Once upon"))
            #expect(result.providerError == .connectionDropped)
            #expect(fake.requests.count == 1)
        }
    }

    @Test(arguments: kinds)
    func silenceLongerThanTheTimeoutTimesOut(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            var noHead = Wire.completion(kind, text: "late")
            noHead.headDelay = .seconds(5)
            let slowBody = FakeLLMProvider.Reply(
                status: 200, headers: [], parts: [.pause(.seconds(5))] + Wire.completion(kind, text: "late").parts)
            let slowFirstToken = FakeLLMProvider.Reply.sse([.pause(.seconds(5))] + Wire.textStream(kind, ["late"]))
            let early = Wire.textStream(kind, ["early", "late"]).prefix(Wire.stepsThroughFirstDelta(kind))
            let stallsMidStream = FakeLLMProvider.Reply.sse(Array(early) + [.pause(.seconds(5))])
            fake.enqueue(noHead, slowBody, slowFirstToken, stallsMidStream)
            let provider = fake.configuration(kind, timeout: .milliseconds(300), maxRetries: 0).makeProvider()
            let start = ContinuousClock.now

            // No status line at all, then a status line and no body.
            for _ in 0..<2 {
                await #expect(throws: LLMProviderError.timeout) {
                    try await provider.complete(ChatRequest(messages: [.user("Hi")]))
                }
            }
            #expect(await Collected(provider.stream(ChatRequest(messages: [.user("Hi")]))).providerError == .timeout)
            let stalled = await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))
            #expect(stalled.text == "early")
            #expect(stalled.providerError == .timeout)
            // Nominally 4 × 300 ms. Waiting out the four 5 s silences would take 20 s; the bound
            // leaves room for a loaded machine while still proving every timeout fired.
            #expect(ContinuousClock.now - start < .seconds(12))
        }
    }

    @Test func anUnreachableProviderFailsToConnect() async throws {
        let fake = try await FakeLLMProvider.start()
        await fake.stop()
        let provider = fake.configuration(.openai, timeout: .milliseconds(500)).makeProvider()

        await #expect(throws: LLMProviderError.self) {
            do {
                _ = try await provider.complete(ChatRequest(messages: [.user("Hi")]))
            } catch let error as LLMProviderError {
                guard case .connectionFailed(let detail) = error else { throw CancellationError() }
                #expect(detail.contains("refused"))
                throw error
            }
        }
        let check = await provider.testConnection()
        #expect(!check.ok)
        #expect(check.error?.hasPrefix("could not reach the provider") == true)
    }

    @Test(arguments: kinds)
    func aSlowFirstTokenWithinTheTimeoutIsMeasured(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(.sse([.pause(.milliseconds(400))] + Wire.textStream(kind, ["Finally"])))
            let provider = fake.configuration(kind, timeout: .seconds(5)).makeProvider()
            let metrics = TestMetrics()
            let result = await withMetricsFactory(metrics) {
                await Collected(provider.stream(ChatRequest(messages: [.user("Hi")])))
            }

            #expect(result.text == "Finally")
            let dimensions = [("provider", kind.rawValue), ("model", "test-model")]
            let firstToken = try metrics.expectTimer("llm_time_to_first_token_seconds", dimensions)
            #expect(try #require(firstToken.lastValue) >= 400_000_000)
        }
    }

    @Test(arguments: kinds)
    func cancellingTheConsumerCancelsTheUpstreamRequest(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            let steps = Wire.textStream(kind, ["First", " never"])
            // Everything up to the first delta, then a long silence.
            let firstDelta = Wire.stepsThroughFirstDelta(kind)
            fake.enqueue(.sse(Array(steps.prefix(firstDelta)) + [.pause(.seconds(30))] + steps.dropFirst(firstDelta)))
            let provider = fake.configuration(kind, timeout: .seconds(60)).makeProvider()
            let metrics = TestMetrics()
            let (received, receivedContinuation) = AsyncStream.makeStream(of: String.self)

            let consumer = Task {
                try await withMetricsFactory(metrics) {
                    for try await event in provider.stream(ChatRequest(messages: [.user("Hi")])) {
                        if case .delta(let text) = event { receivedContinuation.yield(text) }
                    }
                }
            }
            for await text in received {
                #expect(text == "First")
                break
            }
            consumer.cancel()

            let disconnected = try await fake.waitForClientDisconnect()
            #expect(disconnected)
            let cancelled = [("provider", kind.rawValue), ("model", "test-model"), ("status", "cancelled")]
            let recorded = try await eventually { (try? metrics.expectCounter("llm_requests_total", cancelled)) != nil }
            #expect(recorded)
        }
    }

    @Test(arguments: kinds)
    func cancellingACompletionCancelsTheUpstreamRequest(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            var slow = Wire.completion(kind, text: "never")
            slow.headDelay = .seconds(30)
            fake.enqueue(slow)
            let provider = fake.configuration(kind, timeout: .seconds(60)).makeProvider()

            let caller = Task { try await provider.complete(ChatRequest(messages: [.user("Hi")])) }
            let arrived = try await eventually { fake.requests.count == 1 }
            #expect(arrived)
            caller.cancel()

            let disconnected = try await fake.waitForClientDisconnect()
            #expect(disconnected)
            await #expect(throws: (any Error).self) { try await caller.value }
        }
    }

    @Test(arguments: kinds)
    func testConnectionMakesAOneTokenCall(kind: ProviderConfiguration.Kind) async throws {
        try await FakeLLMProvider.with { fake in
            fake.enqueue(Wire.completion(kind, text: "p"), Wire.failure(kind, status: 401, message: "bad key"))
            let provider = fake.configuration(kind).makeProvider()

            let ok = await provider.testConnection()
            #expect(ok.ok)
            #expect(ok.latencyMs > 0)
            #expect(ok.error == nil)
            let maxTokensKey = kind == .openai ? "max_completion_tokens" : "max_tokens"
            let sent = try #require(fake.requests.first)
            #expect(sent.json[maxTokensKey] == 1)

            let failed = await provider.testConnection()
            #expect(!failed.ok)
            #expect(failed.error?.contains("bad key") == true)
        }
    }
}
