import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import Testing
@testable import AIAgentBackend

/// `/v1/embeddings` against the fake provider: batching, the server's batch limit, retries, failures.
@Suite struct EmbeddingsTests {
    static func embeddings(_ fake: FakeLLMProvider) -> OpenAIEmbeddings {
        OpenAIEmbeddings(configuration: fake.configuration(.openaiCompatible), httpClient: .shared, logger: Logger(label: "test"))
    }

    static let texts = (0..<70).map { "document number \($0) about topic \($0 % 7)" }

    @Test func batchesAreSplitAndHalvedBelowTheServersLimit() async throws {
        try await FakeLLMProvider.with { fake in
            fake.respond { FakeEmbeddings.reply(to: $0, batchLimit: 10) }
            let progress = ProgressLog()
            let vectors = try await Self.embeddings(fake).embed(Self.texts, batchSize: 32) { progress.append($0) }

            #expect(vectors == Self.texts.map { FakeEmbeddings.vector($0) })
            let sizes = fake.requests.map { FakeEmbeddings.inputs(of: $0).count }
            // 32 and 16 refused (413), then batches of 8 within the limit of 10.
            #expect(sizes == [32, 16, 8, 8, 8, 8, 8, 8, 8, 8, 6])
            #expect(fake.requests.allSatisfy { $0.path == "/v1/embeddings" && $0.json["model"]?.stringValue == "test-model" })
            #expect(progress.values == [8, 16, 24, 32, 40, 48, 56, 64, 70])
        }
    }

    @Test func rateLimitIsRetried() async throws {
        try await FakeLLMProvider.with { fake in
            let calls = ProgressLog()
            fake.respond { request in
                calls.append(1)
                return calls.values.count == 1
                    ? .json(OpenAIWire.error("Rate limit reached"), status: 429, headers: [("retry-after", "0")]) : FakeEmbeddings.reply(to: request)
            }
            let batch = try await Self.embeddings(fake).embedBatch(["hello world"])

            #expect(batch.vectors == [FakeEmbeddings.vector("hello world")])
            #expect(batch.usage.inputTokens == 2)
            #expect(fake.requests.count == 2)
        }
    }

    @Test func aFailureMidwayStopsWithTheProvidersError() async throws {
        try await FakeLLMProvider.with { fake in
            fake.respond { request in
                FakeEmbeddings.inputs(of: request).contains(Self.texts[40])
                    ? .json(OpenAIWire.error("input is not valid"), status: 400) : FakeEmbeddings.reply(to: request)
            }
            let progress = ProgressLog()
            await #expect(throws: LLMProviderError.badRequest(status: 400, message: "input is not valid")) {
                _ = try await Self.embeddings(fake).embed(Self.texts, batchSize: 20) { progress.append($0) }
            }
            #expect(progress.values == [20, 40])
            #expect(fake.requests.count == 3)
        }
    }
}

/// What a progress callback heard, in order.
final class ProgressLog: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
