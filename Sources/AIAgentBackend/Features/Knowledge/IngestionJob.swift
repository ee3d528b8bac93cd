import Crypto
import Foundation
import Synchronization
import Logging

/// The `knowledge_ingest` job: parse → chunk → embed in batches → index, for one document.
enum IngestionJob {
    static let kind = "knowledge_ingest"

    struct Payload: Codable, Sendable {
        let documentID: UUID

        enum CodingKeys: String, CodingKey {
            case documentID = "document_id"
        }
    }
}

/// Runs ingestion jobs. Nothing is visible to search until the last step swaps the document's
/// chunks in one transaction; a failure leaves the document `failed` with the reason, and its
/// earlier chunks (from before a re-index) as they were.
struct Ingestor: Sendable {
    let repository: KnowledgeRepository
    let files: KnowledgeFiles
    let gateway: LLMGateway
    let logger: Logger

    func handle(_ context: JobContext) async throws {
        let payload = try context.payload(as: IngestionJob.Payload.self)
        // Deleted since it was queued: nothing to do.
        guard let document = try await repository.document(withID: payload.documentID) else { return }
        do {
            try await ingest(document)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try await repository.setState(of: payload.documentID, status: .failed, error: Self.reason(error))
            logger.warning(
                "document ingestion failed",
                metadata: ["document": "\(payload.documentID)", "error": "\(Redaction.redact(String(describing: error), key: nil))"])
            throw error
        }
    }

    /// What the document shows: our own errors and the provider's, redacted; nothing of the database's.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as LLMProviderError: Redaction.redact("the embedding model failed: \(error)", key: nil)
        default: "indexing failed unexpectedly (the server log has the cause)"
        }
    }

    private func ingest(_ document: KnowledgeDocument) async throws {
        let documentID = try document.requireID()
        let base = try await repository.find(document.knowledgeBaseID)
        try await repository.setState(of: documentID, status: .processing, progress: 0)
        let text = try await DocumentParser.parse(try files.read(document.contentHash), format: document.format)
        let chunks = base.chunker.chunks(of: text)
        guard !chunks.isEmpty else { throw APIError.validation(field: "file", "holds no text to index") }
        var vectors: [[Float]]?
        if let modelID = base.embeddingModelID {
            let model = try await gateway.activeModel(modelID, field: "embedding_model_id")
            let embedder = try gateway.embedder(
                for: model, context: UsageContext(userID: document.createdBy, source: .embedding), field: "embedding_model_id")
            let total = Double(chunks.count)
            let (repository, shown) = (repository, ProgressShown())
            vectors = try await embedder.embed(chunks.map(\.indexedText)) { done in
                // Embedding is most of the work: it fills the progress up to 95%, written
                // only when the percentage moves (a large document has hundreds of batches).
                let progress = (Double(done) / total * 0.95 * 100).rounded() / 100
                guard shown.advance(to: progress) else { return }
                try await repository.setState(of: documentID, status: .processing, progress: progress)
            }
        }
        _ = try await repository.replaceChunks(of: documentID, in: base.requireID(), with: chunks, vectors: vectors)
    }
}

/// The last progress written, so that an unchanged value is not written again.
private final class ProgressShown: Sendable {
    private let value = Mutex(-1.0)

    /// True when `progress` differs from the last one shown, which it then becomes.
    func advance(to progress: Double) -> Bool {
        value.withLock { shown in
            defer { shown = progress }
            return shown != progress
        }
    }
}

/// Document files under `UPLOAD_DIR/knowledge/`, named by the SHA-256 of their bytes.
struct KnowledgeFiles: Sendable {
    let directory: URL

    init(uploadDirectory: String) {
        directory = URL(fileURLWithPath: uploadDirectory, isDirectory: true).appendingPathComponent("knowledge", isDirectory: true)
    }

    static func hash(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Written once: a file of the same content is already the same file.
    func store(_ data: Data, hash: String) throws {
        let target = directory.appendingPathComponent(hash)
        guard !FileManager.default.fileExists(atPath: target.path) else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(hash).\(UUID().uuidString)")
        try data.write(to: temporary)
        // A rename is atomic: a concurrent reader sees no file or the whole of it.
        if rename(temporary.path, target.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    func read(_ hash: String) throws -> Data {
        do {
            return try Data(contentsOf: directory.appendingPathComponent(hash))
        } catch {
            throw APIError.conflict("the document's file is missing from UPLOAD_DIR")
        }
    }

    func remove(_ hash: String) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(hash))
    }
}
