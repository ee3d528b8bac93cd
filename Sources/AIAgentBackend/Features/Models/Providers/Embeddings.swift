import AsyncHTTPClient
import Foundation
import Logging

/// Vectors for texts, one HTTP call per batch.
protocol EmbeddingProvider: Sendable {
    /// One vector per text, in order, and the tokens the call used.
    func embedBatch(_ texts: [String]) async throws -> EmbeddingBatch
}

struct EmbeddingBatch: Sendable {
    var vectors: [[Float]]
    var usage: Usage
}

extension EmbeddingProvider {
    /// Embeds `texts` in batches of at most `batchSize`. A batch the server refuses as too large
    /// (413, as TEI answers above its `--max-client-batch-size`) is halved and sent again.
    /// `onBatch` hears how many texts are done after each batch.
    func embed(
        _ texts: [String], batchSize: Int = OpenAIEmbeddings.defaultBatchSize, onBatch: @Sendable (Int) async throws -> Void = { _ in }
    ) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var size = max(1, batchSize)
        while vectors.count < texts.count {
            let batch = Array(texts[vectors.count..<min(vectors.count + size, texts.count)])
            do {
                vectors += try await embedBatch(batch).vectors
            } catch LLMProviderError.badRequest(413, _) where size > 1 {
                size /= 2
                continue
            }
            try await onBatch(vectors.count)
        }
        return vectors
    }
}

/// OpenAI's `POST /v1/embeddings`, which vLLM, Ollama, Xinference and TEI also speak.
struct OpenAIEmbeddings: EmbeddingProvider {
    /// TEI's default client batch limit; OpenAI takes up to 2,048 inputs.
    static let defaultBatchSize = 32
    let transport: ProviderTransport<OpenAIWireFormat>

    init(configuration: ProviderConfiguration, httpClient: HTTPClient, logger: Logger) {
        transport = ProviderTransport(format: OpenAIWireFormat(configuration: configuration), httpClient: httpClient, logger: logger)
    }

    func embedBatch(_ texts: [String]) async throws -> EmbeddingBatch {
        let configuration = transport.format.configuration
        let body: JSONValue = ["model": .string(configuration.model), "input": .array(texts.map(JSONValue.string))]
        let data = try await transport.post(body, to: configuration.baseURL + "/embeddings", model: configuration.model)
        let response = try Self.decode(data)
        let vectors = response.data.sorted { ($0.index ?? 0) < ($1.index ?? 0) }.map(\.embedding)
        guard vectors.count == texts.count else {
            throw LLMProviderError.invalidResponse("\(vectors.count) embeddings for \(texts.count) inputs")
        }
        guard let dimension = vectors.first?.count, dimension > 0, vectors.allSatisfy({ $0.count == dimension }) else {
            throw LLMProviderError.invalidResponse("embeddings of differing or zero dimensions")
        }
        // Some compatible servers report no usage: the estimate stands in.
        let tokens = response.promptTokens ?? texts.reduce(0) { $0 + TokenEstimate.count($1) }
        return EmbeddingBatch(vectors: vectors, usage: Usage(inputTokens: tokens, outputTokens: 0))
    }

    struct Response {
        struct Item {
            var embedding: [Float]
            var index: Int?
        }
        var data: [Item]
        var promptTokens: Int?
    }

    /// Through our own JSON parser rather than `JSONDecoder`: a batch is tens of thousands of
    /// numbers, and decoding them was most of the ingestion's own time.
    static func decode(_ data: Data) throws -> Response {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw LLMProviderError.invalidResponse("undecodable embeddings: \(error)")
        }
        guard let items = json["data"]?.listValue else { throw LLMProviderError.invalidResponse("undecodable embeddings: no `data` list") }
        let decoded = try items.map { item -> Response.Item in
            guard let numbers = item["embedding"]?.listValue else {
                throw LLMProviderError.invalidResponse("undecodable embeddings: an item without an `embedding` list")
            }
            let embedding = try numbers.map { number -> Float in
                guard let value = number.numberValue else {
                    throw LLMProviderError.invalidResponse("undecodable embeddings: a value is not a number")
                }
                return Float(value)
            }
            return Response.Item(embedding: embedding, index: item["index"]?.numberValue.map { Int($0) })
        }
        return Response(data: decoded, promptTokens: json["usage"]?["prompt_tokens"]?.numberValue.map { Int($0) })
    }
}

/// Records the usage of every batch it embeds (`source=embedding`).
struct MeteredEmbeddings: EmbeddingProvider {
    let base: any EmbeddingProvider
    let recorder: UsageRecorder
    let context: UsageContext

    func embedBatch(_ texts: [String]) async throws -> EmbeddingBatch {
        let batch = try await base.embedBatch(texts)
        await recorder.record(batch.usage, context)
        return batch
    }
}
