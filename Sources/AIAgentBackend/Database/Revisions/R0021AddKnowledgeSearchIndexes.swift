import FluentKit
import Foundation
import SQLKit

/// Faster knowledge search. PostgreSQL with pgvector available: the extension, an untyped
/// `vector` column beside the float32 blobs (filled from them) and a partial HNSW index per
/// base (`PGVectorSQL`). SQLite: a word FTS5 table (`porter unicode61`) for the text that is
/// not CJK, the `trigram` table keeping the CJK runs only (`KeywordTerms.ftsTexts`).
struct AddKnowledgeSearchIndexes: SchemaMigration {
    let revision = "0021"
    let name = "add knowledge search indexes"

    func upgrade(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await addVectorColumn(sql)
        } else {
            try await splitFullText(sql)
        }
    }

    func downgrade(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            // Its HNSW indexes go with the column; the extension stays (other schemas may use it).
            try await sql.raw("ALTER TABLE knowledge_chunks DROP COLUMN IF EXISTS embedding_vector").run()
        } else {
            let rows = try await sql.raw("SELECT text, chunk_id, knowledge_base_id FROM knowledge_chunks_words").all()
            for row in rows {
                try await sql.raw(
                    """
                    INSERT INTO knowledge_chunks_fts (text, chunk_id, knowledge_base_id) VALUES \
                    (\(bind: try row.decode(column: "text", as: String.self)), \(bind: try row.decode(column: "chunk_id", as: String.self)), \
                    \(bind: try row.decode(column: "knowledge_base_id", as: String.self)))
                    """
                ).run()
            }
            try await sql.raw("DROP TABLE knowledge_chunks_words").run()
        }
    }

    /// Only where pgvector is installed or may be by this user: elsewhere the exact search stays.
    private func addVectorColumn(_ sql: any SQLDatabase) async throws {
        guard try await sql.raw("SELECT 1 AS one FROM pg_available_extensions WHERE name = 'vector'").first() != nil else { return }
        // A user without the right to create it gets a warning, not a failed migration (the
        // exception block keeps the transaction usable).
        try await sql.raw(
            """
            DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS vector; \
            EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING 'pgvector not installed: %', SQLERRM; END $$
            """
        ).run()
        guard try await sql.raw("SELECT 1 AS one FROM pg_extension WHERE extname = 'vector'").first() != nil else { return }
        try await sql.raw("ALTER TABLE knowledge_chunks ADD COLUMN \(ident: PGVectorSQL.column) vector").run()
        var last: UUID?
        while true {
            let page = sql.select().column("id").column("embedding").from("knowledge_chunks").where("embedding", .isNot, SQLLiteral.null)
            if let last { page.where("id", .greaterThan, last) }
            let rows = try await page.orderBy("id").limit(500).all()
            guard !rows.isEmpty else { break }
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self)
                let blob = try row.decode(column: "embedding", as: Data.self)
                guard blob.count >= 4, blob.count % 4 == 0 else { continue }
                let vector = blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                try await sql.raw(
                    "UPDATE knowledge_chunks SET \(ident: PGVectorSQL.column) = CAST(\(bind: PGVectorSQL.literal(vector)) AS vector) WHERE id = \(bind: id)"
                ).run()
            }
            last = try rows.last?.decode(column: "id", as: UUID.self)
        }
        let bases = try await sql.raw("SELECT id, embedding_dimension FROM knowledge_bases WHERE embedding_dimension IS NOT NULL").all()
        for base in bases {
            let (id, dimension) = (try base.decode(column: "id", as: UUID.self), try base.decode(column: "embedding_dimension", as: Int.self))
            try await sql.raw("\(unsafeRaw: PGVectorSQL.createIndex(base: id, dimension: dimension))").run()
        }
    }

    private func splitFullText(_ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            CREATE VIRTUAL TABLE knowledge_chunks_words USING fts5(text, chunk_id UNINDEXED, knowledge_base_id UNINDEXED, \
            tokenize = 'porter unicode61 remove_diacritics 2')
            """
        ).run()
        let rows = try await sql.raw("SELECT rowid, text, chunk_id, knowledge_base_id FROM knowledge_chunks_fts").all()
        for row in rows {
            let texts = KeywordTerms.ftsTexts(try row.decode(column: "text", as: String.self))
            let rowid = try row.decode(column: "rowid", as: Int.self)
            if !texts.words.isEmpty {
                try await sql.raw(
                    """
                    INSERT INTO knowledge_chunks_words (text, chunk_id, knowledge_base_id) VALUES (\(bind: texts.words), \
                    \(bind: try row.decode(column: "chunk_id", as: String.self)), \(bind: try row.decode(column: "knowledge_base_id", as: String.self)))
                    """
                ).run()
            }
            if texts.cjk.isEmpty {
                try await sql.raw("DELETE FROM knowledge_chunks_fts WHERE rowid = \(bind: rowid)").run()
            } else {
                try await sql.raw("UPDATE knowledge_chunks_fts SET text = \(bind: texts.cjk) WHERE rowid = \(bind: rowid)").run()
            }
        }
    }
}
