import FluentKit
import Foundation

/// A retrieved passage as a grounded answer cites it: `[index]`.
struct Citation: Codable, Sendable, Equatable {
    let index: Int
    let knowledgeBaseID: UUID
    let documentID: UUID
    let documentName: String
    let chunkID: UUID
    let headingPath: [String]
    /// Unicode scalar offsets of the passage in the document's parsed text, end exclusive.
    let startOffset: Int
    let endOffset: Int
    let text: String
    let score: Double

    enum CodingKeys: String, CodingKey {
        case index, text, score
        case knowledgeBaseID = "knowledge_base_id"
        case documentID = "document_id"
        case documentName = "document_name"
        case chunkID = "chunk_id"
        case headingPath = "heading_path"
        case startOffset = "start_offset"
        case endOffset = "end_offset"
    }
}

/// Retrieval for chat, agents and test generation: the same hybrid search as the search
/// route, over one or more bases, the best passages numbered for citation.
struct KnowledgeGrounding: Sendable {
    static let defaultTopK = 5
    static let maxBases = 10

    let repository: KnowledgeRepository
    let search: KnowledgeSearch

    /// The bases named by `ids`; a missing one is a 422 naming `field`.
    func bases(_ ids: [UUID], field: String) async throws -> [KnowledgeBase] {
        guard ids.count <= Self.maxBases else { throw APIError.validation(field: field, "names at most \(Self.maxBases) knowledge bases") }
        var bases: [KnowledgeBase] = []
        for id in Set(ids).sorted(by: { $0.uuidString < $1.uuidString }) {
            guard let base = try? await repository.find(id) else { throw APIError.validation(field: field, "no knowledge base \(id)") }
            bases.append(base)
        }
        return bases
    }

    /// Every base, the first `maxBases` by name: what an agent searches when it names none.
    func allBases() async throws -> [KnowledgeBase] {
        try await KnowledgeBase.query(on: repository.database.database).sort(\.$name).limit(Self.maxBases).all()
    }

    /// The `topK` best passages for `query` over `bases`: each base searched in hybrid mode
    /// (keyword where it has no embedding model), the bases' hits taken rank by rank, since
    /// scores of different modes do not compare.
    func retrieve(_ query: String, from bases: [KnowledgeBase], topK: Int = defaultTopK, userID: UUID?) async throws -> [Citation] {
        var hits: [(base: UUID, rank: Int, hit: SearchHit)] = []
        for base in bases {
            let results = try await search.search(query, in: base, topK: topK, mode: .hybrid, userID: userID)
            let id = try base.requireID()
            hits += results.items.enumerated().map { (id, $0.offset, $0.element) }
        }
        let best = hits.sorted { ($0.rank, -$0.hit.score) < ($1.rank, -$1.hit.score) }.prefix(topK)
        return best.enumerated().map { index, entry in
            Citation(
                index: index + 1, knowledgeBaseID: entry.base, documentID: entry.hit.documentID, documentName: entry.hit.documentName,
                chunkID: entry.hit.chunkID, headingPath: entry.hit.headingPath, startOffset: entry.hit.startOffset,
                endOffset: entry.hit.endOffset, text: entry.hit.text, score: entry.hit.score)
        }
    }

    /// The passages as a model reads them: `[n] document › heading` then the text.
    static func context(_ citations: [Citation]) -> String {
        citations.map { citation in
            let place = ([citation.documentName] + citation.headingPath).joined(separator: " › ")
            return "[\(citation.index)] \(place)\n\(citation.text)"
        }.joined(separator: "\n\n")
    }
}
