import Foundation
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct KnowledgeSearchIndexesTests {
    /// Revision 0021 on SQLite moves the indexed text that is not CJK to the word table and
    /// leaves the CJK runs in the `trigram` table; English then matches by stem.
    @Test func upgradeSplitsTheFullTextIndexByScript() async throws {
        let settings = try await TestDatabases.settings(.sqlite, autoMigrate: false)
        try await withDatabase(settings) { database in
            let migrator = SchemaMigrator(database: database, logger: TestDatabases.logger)
            try await migrator.upgrade(to: "0020")
            for (text, chunk) in [("Rotating keys: 向量检索。", "C1"), ("只有中文", "C2"), ("English only", "C3")] {
                try await database.sql.raw(
                    "INSERT INTO knowledge_chunks_fts (text, chunk_id, knowledge_base_id) VALUES (\(bind: text), \(bind: chunk), 'B')"
                ).run()
            }
            try await migrator.upgrade()

            func rows(_ table: String) async throws -> [String] {
                try await database.sql.raw("SELECT chunk_id || ':' || text AS row FROM \(ident: table) ORDER BY row").all()
                    .map { try $0.decode(column: "row", as: String.self) }
            }
            #expect(try await rows("knowledge_chunks_words") == ["C1:rotating keys", "C3:english only"])
            #expect(try await rows("knowledge_chunks_fts") == ["C1:向量检索", "C2:只有中文"])
            let stemmed = try await database.sql.raw("SELECT chunk_id FROM knowledge_chunks_words WHERE knowledge_chunks_words MATCH '\"rotate\"'")
                .all().map { try $0.decode(column: "chunk_id", as: String.self) }
            #expect(stemmed == ["C1"])

            try await migrator.downgrade(to: "0020")
            #expect(try await rows("knowledge_chunks_fts") == ["C1:rotating keys", "C1:向量检索", "C2:只有中文", "C3:english only"])
        }
    }
}
