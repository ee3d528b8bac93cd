import Foundation
import Hummingbird

enum SearchMode: String, Codable, Sendable, CaseIterable {
    case hybrid, vector, keyword
}

/// Retrieval over one knowledge base: vectors, full text, or both fused by reciprocal rank
/// fusion. Chat, agents and test generation call `search` the same way the route does.
struct KnowledgeSearch: Sendable {
    /// RRF: a hit's fused score is the sum over the modes of 1 / (k + its rank there), ranks
    /// from 1. 60 is the constant of the paper that introduced it (Cormack et al., 2009).
    static let rrfConstant = 60.0
    static let maxTopK = 50
    let repository: KnowledgeRepository
    let vectors: any VectorSearchBackend
    let gateway: LLMGateway

    /// `minScore` bounds the hit's `score`: cosine similarity in vector mode, the full-text
    /// rank in keyword mode, the RRF score in hybrid mode.
    func search(
        _ query: String, in base: KnowledgeBase, topK: Int, mode requested: SearchMode, minScore: Double? = nil, userID: UUID?
    ) async throws -> SearchResults {
        var mode = requested
        var notice: String?
        if base.embeddingModelID == nil, mode != .keyword {
            guard mode == .hybrid else {
                throw APIError.validation(field: "mode", "the knowledge base has no embedding model: only keyword search is available")
            }
            mode = .keyword
            notice = "the knowledge base has no embedding model: keyword search only"
        }
        let baseID = try base.requireID()
        let candidates = max(topK * 4, 20)
        // The full-text query runs while the query is embedded and the vectors scanned.
        let usesKeywords = mode != .vector
        async let keywordSearch = usesKeywords ? repository.keywordSearch(query, in: baseID, limit: candidates) : []
        var vectorHits: [(id: UUID, score: Double)] = []
        if mode != .keyword, let modelID = base.embeddingModelID {
            let model = try await gateway.activeModel(modelID, field: "embedding_model_id")
            let embedder = try gateway.embedder(for: model, context: UsageContext(userID: userID, source: .embedding), field: "embedding_model_id")
            let vector: [Float]
            do {
                vector = try await embedder.embedBatch([query]).vectors[0]
            } catch let error as LLMProviderError {
                throw APIError(.badGateway, code: "embedding_failed", message: "the embedding model failed: \(error)")
            }
            vectorHits = try await vectors.search(vector, in: base, limit: candidates)
        }
        let keywordHits = try await keywordSearch
        var scores: [UUID: SearchHit.Scores] = [:]
        for (rank, hit) in vectorHits.enumerated() {
            scores[hit.id, default: .init()].vector = hit.score
            scores[hit.id, default: .init()].rrf += 1 / (Self.rrfConstant + Double(rank + 1))
        }
        for (rank, hit) in keywordHits.enumerated() {
            scores[hit.id, default: .init()].keyword = hit.score
            scores[hit.id, default: .init()].rrf += 1 / (Self.rrfConstant + Double(rank + 1))
        }
        func score(_ scores: SearchHit.Scores) -> Double {
            switch mode {
            case .vector: scores.vector ?? 0
            case .keyword: scores.keyword ?? 0
            case .hybrid: scores.rrf
            }
        }
        let candidatesOfMode: [UUID] =
            switch mode {
            case .vector: vectorHits.map(\.id)
            case .keyword: keywordHits.map(\.id)
            case .hybrid: Array(scores.keys)
            }
        var ranked = candidatesOfMode.map { (id: $0, score: score(scores[$0]!)) }
        if let minScore { ranked.removeAll { $0.score < minScore } }
        // Ties (equal ranks in the two lists) in a fixed order.
        ranked.sort { $0.score != $1.score ? $0.score > $1.score : $0.id.uuidString < $1.id.uuidString }
        let order = ranked.prefix(topK)
        let chunks = try await repository.chunks(order.map(\.id))
        let terms = Highlighter(query)
        let hits = order.compactMap { id, value -> SearchHit? in
            guard let chunk = chunks[id] else { return nil }
            let perMode = scores[id]!
            return SearchHit(
                chunkID: id, documentID: chunk.documentID, documentName: chunk.documentName, position: chunk.position, text: chunk.text,
                score: value,
                scores: SearchHit.ModeScores(vector: perMode.vector, keyword: perMode.keyword, rrf: mode == .hybrid ? perMode.rrf : nil),
                headingPath: chunk.headingPath, startOffset: chunk.start, endOffset: chunk.end, highlights: terms.ranges(in: chunk.text))
        }
        return SearchResults(query: query, mode: mode, notice: notice, items: hits)
    }
}

struct SearchResults: Codable, ResponseEncodable, Sendable {
    let query: String
    /// The mode actually used: `keyword` when the base has no embedding model.
    let mode: SearchMode
    /// Why the mode differs from the one asked for.
    let notice: String?
    let items: [SearchHit]
}

struct SearchHit: Codable, Sendable {
    struct Scores {
        var vector: Double?
        var keyword: Double?
        var rrf = 0.0
    }

    struct ModeScores: Codable, Sendable {
        /// Cosine similarity.
        let vector: Double?
        /// SQLite: -bm25; PostgreSQL: ts_rank_cd.
        let keyword: Double?
        let rrf: Double?
    }

    /// A match in the chunk's text, Unicode scalar offsets, end exclusive.
    struct Highlight: Codable, Sendable, Equatable {
        let start: Int
        let end: Int
    }

    let chunkID: UUID
    let documentID: UUID
    let documentName: String
    let position: Int
    let text: String
    let score: Double
    let scores: ModeScores
    let headingPath: [String]
    /// Unicode scalar offsets of the chunk in the document's parsed text, end exclusive.
    let startOffset: Int
    let endOffset: Int
    let highlights: [Highlight]

    enum CodingKeys: String, CodingKey {
        case position, text, score, scores, highlights
        case chunkID = "chunk_id"
        case documentID = "document_id"
        case documentName = "document_name"
        case headingPath = "heading_path"
        case startOffset = "start_offset"
        case endOffset = "end_offset"
    }
}

/// Where a query's terms (words of two or more characters, CJK bigrams) occur in a text.
struct Highlighter {
    let terms: [[Unicode.Scalar]]

    init(_ query: String) {
        terms = Set(KeywordTerms.terms(query)).filter { $0.unicodeScalars.count >= 2 }.map { Array($0.unicodeScalars) }
    }

    /// Merged ranges, in order; none when lower-casing changes the text's length.
    func ranges(in text: String) -> [SearchHit.Highlight] {
        let scalars = Array(text.lowercased().unicodeScalars)
        guard scalars.count == text.unicodeScalars.count, !terms.isEmpty else { return [] }
        var marked: [Range<Int>] = []
        for term in terms where term.count <= scalars.count {
            for start in 0...(scalars.count - term.count) where scalars[start] == term[0] && scalars[start..<(start + term.count)].elementsEqual(term)
            {
                marked.append(start..<(start + term.count))
            }
        }
        var merged: [Range<Int>] = []
        for range in marked.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged.map { SearchHit.Highlight(start: $0.lowerBound, end: $0.upperBound) }
    }
}
