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
            if database.isPostgres {
                try await dropVectorIndexes(of: id, keeping: nil, on: sql)
            } else {
                for table in Self.ftsTables { try await sql.delete(from: table).where("knowledge_base_id", .equal, id.uuidString).run() }
            }
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
            for table in Self.ftsTables {
                try await sql.raw(
                    "DELETE FROM \(ident: table) WHERE chunk_id IN (SELECT id FROM knowledge_chunks WHERE document_id = \(bind: documentID))"
                ).run()
            }
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
        let vectorColumn = vectors == nil ? false : try await hasVectorColumn()
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
                if vectorColumn, base.embeddingDimension == nil {
                    try await dropVectorIndexes(of: baseID, keeping: dimension, on: sql)
                    try await sql.raw("\(unsafeRaw: PGVectorSQL.createIndex(base: baseID, dimension: dimension))").run()
                }
                base.embeddingDimension = dimension
            }
            try await deleteChunks(of: documentID, on: sql)
            // Rows in batches: SQLite allows 32,766 bound values a statement.
            let columns = [
                "id", "knowledge_base_id", "document_id", "position", "text", "heading_path", "start_offset", "end_offset", "token_count",
                "embedding",
            ]
            var ftsRows: [String: [(id: UUID, text: String)]] = [:]
            for batchStart in stride(from: 0, to: chunks.count, by: 200) {
                let insert = sql.insert(into: "knowledge_chunks").columns(
                    columns + (isPostgres ? ["search_vector"] : []) + (vectorColumn ? [PGVectorSQL.column] : []))
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
                        let texts = KeywordTerms.ftsTexts(chunk.indexedText)
                        for (table, text) in [(Self.wordTable, texts.words), (Self.cjkTable, texts.cjk)] where !text.isEmpty {
                            ftsRows[table, default: []].append((id, text))
                        }
                    }
                    if vectorColumn, let vectors {
                        values.append(SQLQueryString("CAST(\(bind: PGVectorSQL.literal(VectorBlob.normalize(vectors[position]))) AS vector)"))
                    }
                    insert.values(values)
                }
                try await insert.run()
            }
            for (table, rows) in ftsRows {
                for batchStart in stride(from: 0, to: rows.count, by: 500) {
                    let insert = sql.insert(into: table).columns("text", "chunk_id", "knowledge_base_id")
                    for row in rows[batchStart..<min(batchStart + 500, rows.count)] {
                        insert.values(SQLBind(row.text), SQLBind(row.id.uuidString), SQLBind(baseID.uuidString))
                    }
                    try await insert.run()
                }
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
        // A chunk matching in both tables (a query of English and Chinese) adds its scores.
        let terms = KeywordTerms.ftsTerms(query)
        var scores: [UUID: Double] = [:]
        for (table, terms) in [(Self.wordTable, terms.words), (Self.cjkTable, terms.cjk)] where !terms.isEmpty {
            let telling = try await tellingTerms(terms, in: table)
            var rows = try await ranked(telling, in: table, baseID: baseID, limit: limit)
            // Fewer hits than asked: the chunks holding only the left-out terms come after them.
            if telling.count < terms.count, rows.count < limit { rows = try await ranked(terms, in: table, baseID: baseID, limit: limit) }
            for row in rows { scores[row.id, default: 0] += row.score }
        }
        return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.uuidString < $1.key.uuidString }.prefix(limit)
            .map { ($0.key, $0.value) }
    }

    /// One FTS5 table's best chunks of a base for any of `terms`, by bm25.
    private func ranked(_ terms: [String], in table: String, baseID: UUID, limit: Int) async throws -> [(id: UUID, score: Double)] {
        // `rank` is bm25(), lower for better matches; ordering by it lets FTS5 rank as it
        // reads, several times faster than ORDER BY bm25(…) (measured on 100,000 chunks).
        try await database.readingSQL.raw(
            """
            SELECT chunk_id, -rank AS score FROM \(ident: table)
            WHERE \(ident: table) MATCH \(bind: KeywordTerms.ftsMatch(terms)) AND knowledge_base_id = \(bind: baseID.uuidString)
            ORDER BY rank LIMIT \(bind: limit)
            """
        ).all().compactMap { row in
            guard let id = UUID(uuidString: try row.decode(column: "chunk_id", as: String.self)) else { return nil }
            return (id, try row.decode(column: "score", as: Double.self))
        }
    }

    /// `terms` without those in half the table's rows or more, unless that leaves none. FTS5's
    /// bm25 gives such a term (a stop word) an idf of 1e-6, clamping log((N - n + 0.5) / (n + 0.5))
    /// at zero, so it changes no ranking, while ranking costs about a microsecond for every row a
    /// term is in: most of a search's time when a query holds one. Counting a term's rows, up to
    /// half the table, costs a few hundredths of that; a query of more than `maxCountedTerms`
    /// terms (a long chat message grounding its answer) is searched as it is, one count per term
    /// being no longer cheap.
    private func tellingTerms(_ terms: [String], in table: String) async throws -> [String] {
        guard terms.count > 1, terms.count <= Self.maxCountedTerms else { return terms }
        let sql = database.readingSQL
        let rows = try await sql.raw("SELECT count(*) AS n FROM \(ident: table + "_docsize")").first()?.decode(column: "n", as: Int.self) ?? 0
        let half = (rows + 1) / 2
        var telling: [String] = []
        for term in terms {
            let hits =
                try await sql.raw(
                    """
                    SELECT count(*) AS n FROM (SELECT 1 FROM \(ident: table) WHERE \(ident: table) MATCH \(bind: KeywordTerms.ftsMatch([term])) LIMIT \(bind: half))
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            if hits < half { telling.append(term) }
        }
        return telling.isEmpty ? terms : telling
    }

    static let maxCountedTerms = 16

    // MARK: - Index support

    /// SQLite's full-text tables (revision 0021): words, and CJK runs as trigrams.
    static let wordTable = "knowledge_chunks_words"
    static let cjkTable = "knowledge_chunks_fts"
    static let ftsTables = [wordTable, cjkTable]

    /// Whether PostgreSQL offers pgvector to install.
    func vectorExtensionAvailable() async throws -> Bool {
        guard database.isPostgres else { return false }
        return try await database.sql.raw("SELECT 1 AS one FROM pg_available_extensions WHERE name = 'vector'").first() != nil
    }

    /// Whether revision 0021 found pgvector and added `knowledge_chunks.embedding_vector`.
    func hasVectorColumn() async throws -> Bool {
        guard database.isPostgres else { return false }
        return try await database.sql.raw(
            """
            SELECT 1 AS one FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'knowledge_chunks' AND column_name = \(bind: PGVectorSQL.column)
            """
        ).first() != nil
    }

    /// Drops the base's HNSW indexes, but the one for `dimension`.
    private func dropVectorIndexes(of baseID: UUID, keeping dimension: Int?, on sql: any SQLDatabase) async throws {
        let kept = dimension.map { PGVectorSQL.indexName(base: baseID, dimension: $0) }
        let names = try await sql.raw(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE \(bind: PGVectorSQL.indexPrefix(base: baseID) + "%")"
        ).all().map { try $0.decode(column: "indexname", as: String.self) }
        for name in names where name != kept { try await sql.raw("DROP INDEX IF EXISTS \(ident: name)").run() }
    }

    /// The chunks with these ids, with their document's name.
    func chunks(_ ids: [UUID]) async throws -> [UUID: StoredChunk] {
        guard !ids.isEmpty else { return [:] }
        let chunks = try await storedChunks(where: "c.id IN (\(binds: ids))")
        return Dictionary(uniqueKeysWithValues: chunks.map { ($0.id, $0) })
    }

    /// A chunk of `base` with the `radius` chunks before and after it in its document, in
    /// document order: a citation in its context. Nil when the base has no such chunk.
    func chunkInContext(_ id: UUID, in base: KnowledgeBase, radius: Int) async throws -> [StoredChunk]? {
        guard let cited = try await storedChunks(where: "c.id = \(bind: id) AND c.knowledge_base_id = \(bind: base.requireID())").first
        else { return nil }
        return try await storedChunks(
            where: """
                c.document_id = \(bind: cited.documentID) AND c.position BETWEEN \(bind: cited.position - radius) AND \(bind: cited.position + radius)
                """
        ).sorted { $0.position < $1.position }
    }

    private func storedChunks(where condition: SQLQueryString) async throws -> [StoredChunk] {
        let rows = try await database.sql.raw(
            """
            SELECT c.id, c.document_id, d.name AS document_name, c.position, c.text, c.heading_path, c.start_offset, c.end_offset
            FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id WHERE \(condition)
            """
        ).all()
        return try rows.map { row in
            StoredChunk(
                id: try row.decode(column: "id", as: UUID.self), documentID: try row.decode(column: "document_id", as: UUID.self),
                documentName: try row.decode(column: "document_name", as: String.self), position: try row.decode(column: "position", as: Int.self),
                text: try row.decode(column: "text", as: String.self),
                headingPath: try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "heading_path", as: String.self).utf8)),
                start: try row.decode(column: "start_offset", as: Int.self), end: try row.decode(column: "end_offset", as: Int.self))
        }
    }
}

struct StoredChunk: Codable, Sendable {
    let id: UUID
    let documentID: UUID
    let documentName: String
    let position: Int
    let text: String
    let headingPath: [String]
    /// Unicode scalar offsets in the document's parsed text, end exclusive.
    let start: Int
    let end: Int

    enum CodingKeys: String, CodingKey {
        case id, position, text
        case documentID = "document_id"
        case documentName = "document_name"
        case headingPath = "heading_path"
        case start = "start_offset"
        case end = "end_offset"
    }
}
