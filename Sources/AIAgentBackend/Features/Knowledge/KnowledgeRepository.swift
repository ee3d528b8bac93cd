import FluentKit
import Foundation
import SQLKit

/// Knowledge bases, their documents and the documents' indexed chunks.
struct KnowledgeRepository: Sendable {
    let database: DatabaseService

    private var db: any Database { database.database }

    // MARK: - Bases

    func list(_ page: ListQuery) async throws -> (items: [KnowledgeBase], total: Int) {
        try await KnowledgeBase.query(on: db).sort(\.$name).paginate(page)
    }

    func find(_ id: UUID) async throws -> KnowledgeBase {
        try await KnowledgeBase.find(id, on: db, or404: "knowledge base")
    }

    func isTaken(name: String, byOtherThan base: KnowledgeBase) async throws -> Bool {
        try await KnowledgeBase.query(on: db).filter(\.$name == name).all().contains { $0.id != base.id }
    }

    func save(_ base: KnowledgeBase) async throws {
        try await base.save(on: db)
    }

    /// Deletes the base with its documents and chunks; returns the content hashes its documents held.
    func delete(_ base: KnowledgeBase) async throws -> [String] {
        let id = try base.requireID()
        let hashes = try await KnowledgeDocument.query(on: db).filter(\.$knowledgeBaseID == id).all().map(\.contentHash)
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            if !database.isPostgres { try await sql.delete(from: "knowledge_chunks_fts").where("knowledge_base_id", .equal, id.uuidString).run() }
            try await sql.delete(from: "knowledge_chunks").where("knowledge_base_id", .equal, id).run()
            try await KnowledgeDocument.query(on: db).filter(\.$knowledgeBaseID == id).delete()
            try await base.delete(on: db)
        }
        return hashes
    }

    /// Document counts of these bases, by base id.
    func documentCounts(_ ids: [UUID]) async throws -> [UUID: Int] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.sql.select().column("knowledge_base_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(KnowledgeDocument.schema).where("knowledge_base_id", .in, ids).groupBy("knowledge_base_id").all()
        return try Dictionary(
            uniqueKeysWithValues: rows.map {
                (try $0.decode(column: "knowledge_base_id", as: UUID.self), try $0.decode(column: "count", as: Int.self))
            })
    }

    /// After the chunks changed outside `replaceChunks` (a document deleted).
    private func bumpIndexVersion(_ baseID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.update(KnowledgeBase.schema)
            .set(SQLColumn("index_version"), to: SQLBinaryExpression(SQLColumn("index_version"), .add, SQLLiteral.numeric("1")))
            .where("id", .equal, baseID).run()
    }

    // MARK: - Documents

    /// Newest first.
    func documents(in base: KnowledgeBase, _ page: ListQuery) async throws -> (items: [KnowledgeDocument], total: Int) {
        try await KnowledgeDocument.query(on: db).filter(\.$knowledgeBaseID == base.requireID()).sort(\.$createdAt, .descending)
            .paginate(page)
    }

    func allDocuments(in base: KnowledgeBase) async throws -> [KnowledgeDocument] {
        try await KnowledgeDocument.query(on: db).filter(\.$knowledgeBaseID == base.requireID()).all()
    }

    func document(_ id: UUID, in base: KnowledgeBase) async throws -> KnowledgeDocument {
        guard let document = try await KnowledgeDocument.query(on: db).filter(\.$id == id).filter(\.$knowledgeBaseID == base.requireID()).first()
        else { throw APIError.notFound("no document \(id) in this knowledge base") }
        return document
    }

    func document(withID id: UUID) async throws -> KnowledgeDocument? {
        try await KnowledgeDocument.find(id, on: db)
    }

    /// The document of `base` holding the same bytes, if any.
    func duplicate(of hash: String, in base: KnowledgeBase) async throws -> KnowledgeDocument? {
        try await KnowledgeDocument.query(on: db).filter(\.$knowledgeBaseID == base.requireID()).filter(\.$contentHash == hash).first()
    }

    func isReferenced(hash: String) async throws -> Bool {
        try await KnowledgeDocument.query(on: db).filter(\.$contentHash == hash).count() > 0
    }

    /// Stores the document and queues its ingestion in one transaction.
    func create(_ document: KnowledgeDocument, jobs: JobQueue) async throws {
        try await jobs.transaction { db in
            try await document.create(on: db)
            try await jobs.enqueue(kind: IngestionJob.kind, payload: IngestionJob.Payload(documentID: try document.requireID()), on: db)
        }
    }

    /// Marks every document of the base queued and queues their ingestion again.
    func reindex(_ base: KnowledgeBase, jobs: JobQueue) async throws {
        let documents = try await allDocuments(in: base)
        try await jobs.transaction { db in
            for document in documents {
                document.status = .queued
                document.progress = 0
                document.error = nil
                try await document.save(on: db)
                try await jobs.enqueue(kind: IngestionJob.kind, payload: IngestionJob.Payload(documentID: try document.requireID()), on: db)
            }
        }
    }

    func delete(_ document: KnowledgeDocument) async throws {
        let id = try document.requireID()
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            try await deleteChunks(of: id, on: sql)
            try await document.delete(on: db)
            try await bumpIndexVersion(document.knowledgeBaseID, on: sql)
        }
    }

    private func deleteChunks(of documentID: UUID, on sql: any SQLDatabase) async throws {
        if !database.isPostgres {
            try await sql.raw(
                "DELETE FROM knowledge_chunks_fts WHERE chunk_id IN (SELECT id FROM knowledge_chunks WHERE document_id = \(bind: documentID))"
            ).run()
        }
        try await sql.delete(from: "knowledge_chunks").where("document_id", .equal, documentID).run()
    }

    /// Status and progress while ingesting (nil keeps the progress reached); the document may
    /// have been deleted meanwhile.
    func setState(of documentID: UUID, status: DocumentStatus, progress: Double? = nil, error: String? = nil) async throws {
        let update = database.sql.update(KnowledgeDocument.schema)
            .set("status", to: status.rawValue).set("error", to: error).set("updated_at", to: Date())
        if let progress { update.set("progress", to: progress) }
        try await update.where("id", .equal, documentID).run()
    }

    // MARK: - Chunks

    /// Swaps the document's chunks for `chunks` in one transaction, so that a search sees the old
    /// set or the new one, never a part; fixes the base's dimension on its first vectors.
    /// False when the document was deleted meanwhile.
    func replaceChunks(of documentID: UUID, in baseID: UUID, with chunks: [TextChunk], vectors: [[Float]]?) async throws -> Bool {
        let isPostgres = database.isPostgres
        return try await db.transaction { db in
            let sql = db as! any SQLDatabase
            guard try await KnowledgeDocument.find(documentID, on: db) != nil, let base = try await KnowledgeBase.find(baseID, on: db) else {
                return false
            }
            if let dimension = vectors?.first?.count {
                if let fixed = base.embeddingDimension, fixed != dimension {
                    throw APIError.conflict(
                        "the embedding model answered with \(dimension) dimensions, the knowledge base holds \(fixed): re-index it")
                }
                base.embeddingDimension = dimension
            }
            try await deleteChunks(of: documentID, on: sql)
            // Rows in batches: SQLite allows 32,766 bound values a statement.
            let columns = [
                "id", "knowledge_base_id", "document_id", "position", "text", "heading_path", "start_offset", "end_offset", "token_count",
                "embedding",
            ]
            var ftsRows: [(UUID, String)] = []
            for batchStart in stride(from: 0, to: chunks.count, by: 200) {
                let insert = sql.insert(into: "knowledge_chunks").columns(columns + (isPostgres ? ["search_vector"] : []))
                for position in batchStart..<min(batchStart + 200, chunks.count) {
                    let chunk = chunks[position]
                    let id = UUID()
                    var values: [any SQLExpression] = [
                        SQLBind(id), SQLBind(baseID), SQLBind(documentID), SQLBind(position), SQLBind(chunk.text),
                        SQLBind(JSONValue.array(chunk.headingPath.map(JSONValue.string)).jsonString), SQLBind(chunk.start), SQLBind(chunk.end),
                        SQLBind(chunk.tokens), SQLBind(vectors.map { VectorBlob.data(normalizing: $0[position]) }),
                    ]
                    if isPostgres {
                        values.append(
                            SQLFunction(
                                "to_tsvector", args: SQLLiteral.string("simple"),
                                SQLBind(KeywordTerms.terms(chunk.indexedText).joined(separator: " "))))
                    } else {
                        ftsRows.append((id, chunk.indexedText))
                    }
                    insert.values(values)
                }
                try await insert.run()
            }
            for batchStart in stride(from: 0, to: ftsRows.count, by: 500) {
                let insert = sql.insert(into: "knowledge_chunks_fts").columns("text", "chunk_id", "knowledge_base_id")
                for (id, text) in ftsRows[batchStart..<min(batchStart + 500, ftsRows.count)] {
                    insert.values(SQLBind(text), SQLBind(id.uuidString), SQLBind(baseID.uuidString))
                }
                try await insert.run()
            }
            try await sql.update(KnowledgeDocument.schema)
                .set("status", to: DocumentStatus.ready.rawValue).set("progress", to: 1.0).set("error", to: SQLLiteral.null)
                .set("chunk_count", to: chunks.count).set("updated_at", to: Date())
                .where("id", .equal, documentID).run()
            base.indexVersion += 1
            try await base.save(on: db)
            return true
        }
    }

    /// Every vector of the base, as stored, with its chunk id.
    func vectors(of baseID: UUID) async throws -> [(id: UUID, blob: Data)] {
        try await database.sql.select().column("id").column("embedding").from("knowledge_chunks")
            .where("knowledge_base_id", .equal, baseID).where("embedding", .isNot, SQLLiteral.null).all()
            .map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "embedding", as: Data.self)) }
    }

    /// The best full-text matches, best first, with their score (higher is better).
    func keywordSearch(_ query: String, in baseID: UUID, limit: Int) async throws -> [(id: UUID, score: Double)] {
        if database.isPostgres {
            guard let tsQuery = KeywordTerms.tsQuery(query) else { return [] }
            return try await database.sql.raw(
                """
                SELECT id, ts_rank_cd(search_vector, q)::float8 AS score FROM knowledge_chunks, to_tsquery('simple', \(bind: tsQuery)) q
                WHERE knowledge_base_id = \(bind: baseID) AND search_vector @@ q ORDER BY score DESC, position LIMIT \(bind: limit)
                """
            ).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "score", as: Double.self)) }
        }
        guard let match = KeywordTerms.ftsQuery(query) else { return [] }
        // bm25() is lower for better matches.
        return try await database.sql.raw(
            """
            SELECT chunk_id, -bm25(knowledge_chunks_fts) AS score FROM knowledge_chunks_fts
            WHERE knowledge_chunks_fts MATCH \(bind: match) AND knowledge_base_id = \(bind: baseID.uuidString)
            ORDER BY bm25(knowledge_chunks_fts) LIMIT \(bind: limit)
            """
        ).all().compactMap { row in
            guard let id = UUID(uuidString: try row.decode(column: "chunk_id", as: String.self)) else { return nil }
            return (id, try row.decode(column: "score", as: Double.self))
        }
    }

    /// The chunks with these ids, with their document's name.
    func chunks(_ ids: [UUID]) async throws -> [UUID: StoredChunk] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.sql.raw(
            """
            SELECT c.id, c.document_id, d.name AS document_name, c.position, c.text, c.heading_path, c.start_offset, c.end_offset
            FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id WHERE c.id IN (\(binds: ids))
            """
        ).all()
        var chunks: [UUID: StoredChunk] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            let path = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "heading_path", as: String.self).utf8))
            chunks[id] = StoredChunk(
                id: id, documentID: try row.decode(column: "document_id", as: UUID.self),
                documentName: try row.decode(column: "document_name", as: String.self), position: try row.decode(column: "position", as: Int.self),
                text: try row.decode(column: "text", as: String.self), headingPath: path,
                start: try row.decode(column: "start_offset", as: Int.self), end: try row.decode(column: "end_offset", as: Int.self))
        }
        return chunks
    }
}

struct StoredChunk: Sendable {
    let id: UUID
    let documentID: UUID
    let documentName: String
    let position: Int
    let text: String
    let headingPath: [String]
    let start: Int
    let end: Int
}
