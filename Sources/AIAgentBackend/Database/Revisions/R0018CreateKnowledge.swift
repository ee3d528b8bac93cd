import FluentKit
import SQLKit

/// Knowledge bases, their documents, and the documents' chunks with vectors and a full-text
/// index: an FTS5 `trigram` table on SQLite, a `tsvector` column on PostgreSQL.
struct CreateKnowledge: SchemaMigration {
    let revision = "0018"
    let name = "create knowledge"

    func upgrade(on database: any Database) async throws {
        try await database.schema("knowledge_bases")
            .id()
            .field("name", .string, .required)
            .field("description", .string)
            .field("embedding_model_id", .uuid, .references("model_configs", "id", onDelete: .setNull))
            .field("embedding_dimension", .int)
            .field("chunking", .string, .required)
            .field("chunk_size", .int, .required)
            .field("chunk_overlap", .int, .required)
            .field("index_version", .int, .required, .sql(.default(0)))
            .field("owner_id", .uuid)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "name")
            .create()
        try await database.schema("knowledge_documents")
            .id()
            .field("knowledge_base_id", .uuid, .required, .references("knowledge_bases", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("format", .string, .required)
            .field("source_url", .string)
            .field("content_hash", .string, .required)
            .field("size_bytes", .int, .required)
            .field("status", .string, .required)
            .field("progress", .double, .required)
            .field("error", .string)
            .field("chunk_count", .int, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "knowledge_base_id", "content_hash")
            .create()
        try await database.schema("knowledge_chunks")
            .id()
            .field("knowledge_base_id", .uuid, .required, .references("knowledge_bases", "id", onDelete: .cascade))
            .field("document_id", .uuid, .required, .references("knowledge_documents", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("text", .string, .required)
            .field("heading_path", .string, .required)
            .field("start_offset", .int, .required)
            .field("end_offset", .int, .required)
            .field("token_count", .int, .required)
            .field("embedding", .data)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "knowledge_chunks_base").on("knowledge_chunks").column("knowledge_base_id").run()
        try await sql.create(index: "knowledge_chunks_document").on("knowledge_chunks").column("document_id").run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw("ALTER TABLE knowledge_chunks ADD COLUMN search_vector tsvector").run()
            try await sql.raw("CREATE INDEX knowledge_chunks_search ON knowledge_chunks USING gin (search_vector)").run()
        } else {
            try await sql.raw(
                "CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(text, chunk_id UNINDEXED, knowledge_base_id UNINDEXED, tokenize = 'trigram')"
            ).run()
        }
    }

    func downgrade(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name != "postgresql" { try await sql.raw("DROP TABLE knowledge_chunks_fts").run() }
        try await database.schema("knowledge_chunks").delete()
        try await database.schema("knowledge_documents").delete()
        try await database.schema("knowledge_bases").delete()
    }
}
