import Foundation
@testable import AIAgentBackend

/// OpenAI `/v1/embeddings` for `FakeLLMProvider`'s responder: deterministic vectors in which
/// similar texts get similar vectors (hashed character bigrams and trigrams, signed, normalised).
enum FakeEmbeddings {
    static let dimension = 256

    static func vector(_ text: String, dimension: Int = dimension) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let scalars = Array(" \(text.lowercased()) ".unicodeScalars)
        for length in 2...3 where scalars.count >= length {
            for start in 0...(scalars.count - length) {
                // FNV-1a: stable across runs, unlike Hasher.
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for scalar in scalars[start..<(start + length)] {
                    hash = (hash ^ UInt64(scalar.value)) &* 0x100_0000_01b3
                }
                vector[Int(hash % UInt64(dimension))] += hash & (1 << 40) == 0 ? 1 : -1
            }
        }
        let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return length > 0 ? vector.map { $0 / length } : vector
    }

    /// The inputs of an embeddings request.
    static func inputs(of request: FakeLLMProvider.RecordedRequest) -> [String] {
        switch request.json["input"] {
        case .array(let items)?: items.compactMap(\.stringValue)
        case .string(let text)?: [text]
        default: []
        }
    }

    /// The embeddings of the request's inputs; more than `batchLimit` inputs get a 413, as TEI answers.
    static func reply(
        to request: FakeLLMProvider.RecordedRequest, batchLimit: Int = 32, dimension: Int = dimension
    ) -> FakeLLMProvider.Reply {
        let inputs = inputs(of: request)
        guard request.path.hasSuffix("/embeddings") else {
            return .json(OpenAIWire.error("FakeEmbeddings: \(request.path) is not an embeddings path"), status: 404)
        }
        guard inputs.count <= batchLimit else {
            return .json(OpenAIWire.error("batch size \(inputs.count) > maximum allowed batch size \(batchLimit)"), status: 413)
        }
        let data: [JSONValue] = inputs.enumerated().map { index, text in
            [
                "object": "embedding", "index": .number(Double(index)),
                "embedding": .array(vector(text, dimension: dimension).map { .number(Double($0)) }),
            ]
        }
        let tokens = inputs.reduce(0) { $0 + max(1, $1.count / 4) }
        return .json([
            "object": "list", "model": "fake-embedding", "data": .array(data),
            "usage": ["prompt_tokens": .number(Double(tokens)), "total_tokens": .number(Double(tokens))],
        ])
    }
}
