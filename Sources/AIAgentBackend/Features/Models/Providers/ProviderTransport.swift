import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// What differs between providers' wire formats.
protocol WireFormat: Sendable {
    associatedtype StreamDecoder: ChatStreamDecoder
    var configuration: ProviderConfiguration { get }
    func headers() -> HTTPHeaders
    func body(for request: ChatRequest, model: String, stream: Bool) -> JSONValue
    func decodeResponse(_ body: Data) throws -> ChatResponse
    func makeStreamDecoder() -> StreamDecoder
}

/// Turns a provider's server-sent events into provider-neutral stream events.
protocol ChatStreamDecoder {
    mutating func decode(_ event: ServerSentEvent) throws -> [ChatStreamEvent]
    /// Called when the body ended: the last events, or `.connectionDropped` if the provider never said it was done.
    mutating func finish() throws -> [ChatStreamEvent]
}

/// The HTTP side shared by every provider: requests, retries, timeouts, streaming, metrics.
struct ProviderTransport<Format: WireFormat>: Sendable {
    let format: Format
    let httpClient: HTTPClient
    let logger: Logger

    private var configuration: ProviderConfiguration { format.configuration }
    private static var maxBodyBytes: Int { 16 * 1024 * 1024 }

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let model = request.model ?? configuration.model
        let metrics = LLMMetrics.started(configuration: configuration, model: model)
        let start = ContinuousClock.now
        do {
            let httpRequest = try makeHTTPRequest(format.body(for: request, model: model, stream: false))
            let response = try await withRetries {
                try await withIdleTimeout { activity in
                    let response = try await send(httpRequest, activity: activity)
                    return try format.decodeResponse(try await readBody(response, activity: activity))
                }
            }
            if let usage = response.usage { metrics.used(usage) }
            metrics.finished(status: "success", after: .now - start)
            return response
        } catch {
            metrics.finished(status: Self.metricStatus(error), after: .now - start)
            throw error
        }
    }

    /// A JSON call to another endpoint of the provider (`/embeddings`), with the retries and
    /// timeouts of `complete`; returns the response body.
    func post(_ body: JSONValue, to url: String, model: String) async throws -> Data {
        let metrics = LLMMetrics.started(configuration: configuration, model: model)
        let start = ContinuousClock.now
        do {
            let httpRequest = try makeHTTPRequest(body, url: url)
            let data = try await withRetries {
                try await withIdleTimeout { activity in
                    try await readBody(try await send(httpRequest, activity: activity), activity: activity)
                }
            }
            metrics.finished(status: "success", after: .now - start)
            return data
        } catch {
            metrics.finished(status: Self.metricStatus(error), after: .now - start)
            throw error
        }
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatStreamEvent.self)
        let task = Task { await runStream(request, into: continuation) }
        // The consumer went away (cancelled or stopped iterating): stop the upstream request too.
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runStream(
        _ request: ChatRequest,
        into continuation: AsyncThrowingStream<ChatStreamEvent, Error>.Continuation
    ) async {
        let model = request.model ?? configuration.model
        let metrics = LLMMetrics.started(configuration: configuration, model: model)
        let start = ContinuousClock.now
        do {
            let httpRequest = try makeHTTPRequest(format.body(for: request, model: model, stream: true))
            try await withRetries {
                try await withIdleTimeout { activity in
                    let response = try await send(httpRequest, activity: activity)
                    var parser = ServerSentEventParser()
                    var decoder = format.makeStreamDecoder()
                    var sawContent = false
                    func emit(_ events: [ChatStreamEvent]) {
                        for event in events {
                            switch event {
                            case .delta, .toolCall:
                                if !sawContent { metrics.firstToken(after: .now - start) }
                                sawContent = true
                            case .usage(let usage): metrics.used(usage)
                            case .done: break
                            }
                            continuation.yield(event)
                        }
                    }
                    var body = response.body.makeAsyncIterator()
                    while let chunk = try await nextChunk(&body) {
                        activity.touch()
                        for event in parser.feed(chunk.readableBytesView) { emit(try decoder.decode(event)) }
                    }
                    for event in parser.finish() { emit(try decoder.decode(event)) }
                    emit(try decoder.finish())
                }
            }
            metrics.finished(status: "success", after: .now - start)
            continuation.finish()
        } catch {
            metrics.finished(status: Self.metricStatus(error), after: .now - start)
            continuation.finish(throwing: error)
        }
    }

    private func makeHTTPRequest(_ body: JSONValue, url: String? = nil) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url ?? configuration.endpoint)
        request.method = .POST
        request.headers = format.headers()
        request.headers.replaceOrAdd(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        return request
    }

    /// Posts the request; a non-2xx status becomes an error, retryable for 429 and 5xx. Retries happen
    /// only here, before any of the body was read, so never after a stream event was emitted.
    private func send(_ request: HTTPClientRequest, activity: Activity) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: TimeAmount(configuration.timeout), logger: logger)
        } catch {
            throw Self.transportError(error, orElse: .connectionFailed(String(describing: error)))
        }
        activity.touch()
        guard !(200..<300).contains(response.status.code) else { return response }

        let body = try await readBody(response, activity: activity)
        let retryAfter = Self.retryAfterSeconds(response.headers)
        let error = LLMProviderError.from(status: Int(response.status.code), body: body, retryAfterSeconds: retryAfter)
        throw error.isRetryable ? RetryableFailure(error: error, retryAfterSeconds: retryAfter) : error
    }

    /// `Retry-After` in seconds, clamped so that no value can overflow a `Duration`. The HTTP-date
    /// form, rare from APIs, falls back to the backoff.
    private static func retryAfterSeconds(_ headers: HTTPHeaders) -> Double? {
        guard let seconds = headers.first(name: "retry-after").flatMap(Double.init), seconds.isFinite else { return nil }
        return min(max(seconds, 0), 86_400)
    }

    private func readBody(_ response: HTTPClientResponse, activity: Activity) async throws -> Data {
        var data = Data()
        var body = response.body.makeAsyncIterator()
        while let chunk = try await nextChunk(&body) {
            activity.touch()
            data.append(contentsOf: chunk.readableBytesView)
            guard data.count <= Self.maxBodyBytes else { throw LLMProviderError.invalidResponse("body too large") }
        }
        return data
    }

    private func nextChunk(_ body: inout HTTPClientResponse.Body.AsyncIterator) async throws -> ByteBuffer? {
        do {
            return try await body.next()
        } catch {
            throw Self.transportError(error, orElse: .connectionDropped)
        }
    }

    private static func transportError(_ error: any Error, orElse fallback: LLMProviderError) -> any Error {
        if Task.isCancelled { return CancellationError() }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return LLMProviderError.timeout
        }
        return fallback
    }

    private func withRetries<T>(_ attempt: () async throws -> T) async throws -> T {
        var retries = 0
        while true {
            do {
                return try await attempt()
            } catch let failure as RetryableFailure {
                let delay =
                    failure.retryAfterSeconds.map { Duration.seconds($0) }
                    ?? configuration.retryBaseDelay * (1 << min(retries, 16))
                // A wait longer than the timeout is not worth making the caller sit through.
                guard retries < configuration.maxRetries, delay <= configuration.timeout else { throw failure.error }
                retries += 1
                logger.warning(
                    "LLM request failed, retrying",
                    metadata: [
                        "provider": "\(configuration.kind.rawValue)", "error": "\(failure.error)",
                        "retry": "\(retries)", "delay": "\(delay)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Runs `operation`, failing with `.timeout` once `configuration.timeout` passes without
    /// `activity.touch()`: bounds each gap in a response, not the length of a stream that keeps
    /// flowing. Until the first touch the wait is AsyncHTTPClient's, whose deadline error names
    /// the cause (e.g. connection refused).
    private func withIdleTimeout<T: Sendable>(
        _ operation: @escaping @Sendable (Activity) async throws -> T
    ) async throws -> T {
        let activity = Activity()
        let timeout = configuration.timeout
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation(activity) }
            group.addTask {
                while true {
                    guard let lastTouched = activity.lastTouched else {
                        try await Task.sleep(for: timeout)
                        continue
                    }
                    let deadline = lastTouched + timeout
                    if ContinuousClock.now >= deadline { throw LLMProviderError.timeout }
                    try await Task.sleep(until: deadline, clock: .continuous)
                }
            }
            defer { group.cancelAll() }
            // Either the operation's result or error, or the watchdog's timeout, whichever comes first.
            return try await group.next()!
        }
    }

    private static func metricStatus(_ error: any Error) -> String {
        if let error = error as? LLMProviderError { return error.metricStatus }
        return error is CancellationError ? "cancelled" : "error"
    }
}

/// A 429 or 5xx that may be retried, and how long the provider asked us to wait.
private struct RetryableFailure: Error {
    let error: LLMProviderError
    let retryAfterSeconds: Double?
}

/// When a request last showed signs of life.
private final class Activity: @unchecked Sendable {
    private let lock = NSLock()
    private var last: ContinuousClock.Instant?

    func touch() { lock.withLock { last = .now } }
    var lastTouched: ContinuousClock.Instant? { lock.withLock { last } }
}
