import FluentKit
import Foundation
import Hummingbird

/// A collection of documents searched together (table `knowledge_bases`).
final class KnowledgeBase: Model, @unchecked Sendable {
    static let schema = "knowledge_bases"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    /// Nil: keyword search only.
    @OptionalField(key: "embedding_model_id") var embeddingModelID: UUID?
    /// Learned from the model's first answer, fixed until the model changes.
    @OptionalField(key: "embedding_dimension") var embeddingDimension: Int?
    @Enum(key: "chunking") var chunking: ChunkingStrategy
    /// In estimated tokens (`TokenEstimate`).
    @Field(key: "chunk_size") var chunkSize: Int
    @Field(key: "chunk_overlap") var chunkOverlap: Int
    /// Bumped whenever the indexed chunks change, so every replica reloads its vectors.
    @Field(key: "index_version") var indexVersion: Int
    @OptionalField(key: "owner_id") var ownerID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var chunker: Chunker { Chunker(strategy: chunking, size: chunkSize, overlap: chunkOverlap) }
}

enum DocumentStatus: String, Codable, Sendable, CaseIterable {
    case queued, processing, ready, failed
}

/// An uploaded or fetched file of a knowledge base (table `knowledge_documents`); the file
/// itself is under `UPLOAD_DIR/knowledge/`, named by its SHA-256.
final class KnowledgeDocument: Model, @unchecked Sendable {
    static let schema = "knowledge_documents"

    @ID(key: .id) var id: UUID?
    @Field(key: "knowledge_base_id") var knowledgeBaseID: UUID
    @Field(key: "name") var name: String
    @Enum(key: "format") var format: DocumentFormat
    @OptionalField(key: "source_url") var sourceURL: String?
    @Field(key: "content_hash") var contentHash: String
    @Field(key: "size_bytes") var sizeBytes: Int
    @Enum(key: "status") var status: DocumentStatus
    /// 0 to 1 while it is being ingested.
    @Field(key: "progress") var progress: Double
    @OptionalField(key: "error") var error: String?
    @Field(key: "chunk_count") var chunkCount: Int
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

struct KnowledgeBaseResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let name: String
    let description: String?
    let embeddingModelID: UUID?
    let embeddingDimension: Int?
    let chunking: ChunkingStrategy
    let chunkSize: Int
    let chunkOverlap: Int
    /// `hybrid`, `vector` and `keyword` with an embedding model; `keyword` only without.
    let searchModes: [SearchMode]
    let documentCount: Int
    let ownerID: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, chunking
        case embeddingModelID = "embedding_model_id"
        case embeddingDimension = "embedding_dimension"
        case chunkSize = "chunk_size"
        case chunkOverlap = "chunk_overlap"
        case searchModes = "search_modes"
        case documentCount = "document_count"
        case ownerID = "owner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ base: KnowledgeBase, documentCount: Int) throws {
        id = try base.requireID()
        name = base.name
        description = base.description
        embeddingModelID = base.embeddingModelID
        embeddingDimension = base.embeddingDimension
        chunking = base.chunking
        chunkSize = base.chunkSize
        chunkOverlap = base.chunkOverlap
        searchModes = base.embeddingModelID == nil ? [.keyword] : SearchMode.allCases
        self.documentCount = documentCount
        ownerID = base.ownerID
        createdAt = base.createdAt
        updatedAt = base.updatedAt
    }
}

struct KnowledgeDocumentResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let knowledgeBaseID: UUID
    let name: String
    let format: DocumentFormat
    let sourceURL: String?
    let contentHash: String
    let sizeBytes: Int
    let status: DocumentStatus
    let progress: Double
    let error: String?
    let chunkCount: Int
    let createdBy: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, format, status, progress, error
        case knowledgeBaseID = "knowledge_base_id"
        case sourceURL = "source_url"
        case contentHash = "content_hash"
        case sizeBytes = "size_bytes"
        case chunkCount = "chunk_count"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ document: KnowledgeDocument) throws {
        id = try document.requireID()
        knowledgeBaseID = document.knowledgeBaseID
        name = document.name
        format = document.format
        sourceURL = document.sourceURL
        contentHash = document.contentHash
        sizeBytes = document.sizeBytes
        status = document.status
        progress = document.progress
        error = document.error
        chunkCount = document.chunkCount
        createdBy = document.createdBy
        createdAt = document.createdAt
        updatedAt = document.updatedAt
    }
}

/// A chunk with its neighbours in its document, in document order.
struct ChunkContext: Codable, ResponseEncodable, Sendable {
    let chunkID: UUID
    let chunks: [StoredChunk]

    enum CodingKeys: String, CodingKey {
        case chunks
        case chunkID = "chunk_id"
    }
}
