import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import AIAgentBackend

@Suite struct PGVectorTests {
    static let base = UUID(uuidString: "0A1B2C3D-0000-4000-8000-00000000000F")!

    @Test func indexAndSearchSQLShareTheCastAndPredicate() {
        let name = "knowledge_chunks_hnsw_0a1b2c3d00004000800000000000000f_768"
        #expect(PGVectorSQL.indexName(base: Self.base, dimension: 768) == name)
        #expect(name.utf8.count <= 63, "PostgreSQL cuts longer names")
        let predicate = "knowledge_base_id = '0a1b2c3d-0000-4000-8000-00000000000f' AND vector_dims(embedding_vector) = 768"
        #expect(
            PGVectorSQL.createIndex(base: Self.base, dimension: 768)
                == "CREATE INDEX IF NOT EXISTS \(name) ON knowledge_chunks USING hnsw ((embedding_vector::vector(768)) vector_cosine_ops) WHERE \(predicate)"
        )
        let distance = "embedding_vector::vector(768) <=> $1::text::vector(768)"
        #expect(
            PGVectorSQL.search(base: Self.base, dimension: 768)
                == "SELECT id, 1 - (\(distance)) AS score FROM knowledge_chunks WHERE \(predicate) ORDER BY \(distance) LIMIT $2")
        #expect(PGVectorSQL.literal([0.6, -0.8, 1e-5]) == "[0.6,-0.8,1e-05]")
        #expect(PGVectorSQL.efSearch(limit: 20) == "SET LOCAL hnsw.ef_search = 40")
        #expect(PGVectorSQL.efSearch(limit: 200) == "SET LOCAL hnsw.ef_search = 200")
    }

    @Test func choiceFollowsWhatTheDatabaseOffers() {
        #expect(VectorSearchChoice.choose(isPostgres: true, available: true, column: true) == .pgvector)
        let sqlite = VectorSearchChoice.choose(isPostgres: false, available: false, column: false)
        #expect(sqlite.name == "exact" && sqlite.reason.hasPrefix("SQLite"))
        let missing = VectorSearchChoice.choose(isPostgres: true, available: false, column: false)
        #expect(missing.name == "exact" && missing.reason.contains("without the vector extension"))
        let notInstalled = VectorSearchChoice.choose(isPostgres: true, available: true, column: false)
        #expect(notInstalled.name == "exact" && notInstalled.reason.contains("not installed"))
    }

    /// What this machine's databases offer decides the backend, and `/health` says which and why.
    @Test(arguments: DatabaseKind.allCases)
    func healthReportsTheBackendTheDatabaseAllows(_ kind: DatabaseKind) async throws {
        try await withServices(try await knowledgeSettings(kind)) { services, client in
            let repository = KnowledgeRepository(database: services.database)
            let expected = VectorSearchChoice.choose(
                isPostgres: services.database.isPostgres, available: try await repository.vectorExtensionAvailable(),
                column: try await repository.hasVectorColumn())
            let health = try await client.call(.get, "/health", token: nil) { try $0.json() }
            #expect(health[path: "checks", "vector_search", "backend"]?.string == expected.name)
            #expect(health[path: "checks", "vector_search", "reason"]?.string == expected.reason)
            #expect(services.vectorSearch.name == expected.name)
        }
    }

    /// PostgreSQL at `TEST_POSTGRES_URL` offers pgvector (this machine's Debian has no package for it).
    static func pgvectorAvailable() async -> Bool {
        guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty, let parsed = try? DatabaseURL(parsing: url) else {
            return false
        }
        var settings = Settings()
        settings.database = parsed
        return (try? await withDatabase(settings) { try await KnowledgeRepository(database: $0).vectorExtensionAvailable() }) ?? false
    }

    @Test(.enabled("skipped: no pgvector on the test PostgreSQL") { await pgvectorAvailable() })
    func pgvectorIndexesAndSearchesLikeTheExactPath() async throws {
        let settings = try await knowledgeSettings(.postgres)
        try await FakeLLMProvider.with { fake in
            fake.respond { FakeEmbeddings.reply(to: $0, batchLimit: 16) }
            try await withServices(settings) { services, client in
                #expect(services.vectorSearch.name == "pgvector")
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, kind: .openaiCompatible, name: "embedder", token: token)
                let baseID = try await client.createKnowledgeBase(
                    ["name": "Handbook", "embedding_model_id": model, "chunking": "markdown", "chunk_size": 40, "chunk_overlap": 0], token: token)
                for (text, name) in [(KnowledgeTests.guide, "guide.md"), ("Invoices are archived for seven years.", "policy.txt")] {
                    let id = try await client.addDocument(text, filename: name, to: baseID, token: token)
                    #expect(try await client.waitForDocument(id, in: baseID, token: token)["status"]?.string == "ready")
                }
                let index = PGVectorSQL.indexName(base: UUID(uuidString: baseID)!, dimension: FakeEmbeddings.dimension)
                let indexes: SQLQueryString = "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'knowledge_chunks_hnsw_%'"
                #expect(try await services.database.sql.raw(indexes).all().map { try $0.decode(column: "indexname", as: String.self) } == [index])

                let found = try await client.search(baseID, ["query": "archived invoices", "mode": "vector", "top_k": 1], token: token)
                #expect(found["items"]?.array?.first?["document_name"]?.string == "policy.txt")
                // On so few rows HNSW is exact: the same order and scores as the in-process scan.
                let repository = KnowledgeRepository(database: services.database)
                let base = try await repository.find(UUID(uuidString: baseID)!)
                let query = FakeEmbeddings.vector("rotate the keys")
                let viaIndex = try await PGVectorSearch(database: services.database).search(query, in: base, limit: 5)
                let exact = try await ExactVectorSearch(repository: repository).search(query, in: base, limit: 5)
                #expect(viaIndex.map(\.id) == exact.map(\.id))
                #expect(zip(viaIndex, exact).allSatisfy { abs($0.score - $1.score) < 1e-5 })

                try await client.call(.delete, "/api/v1/knowledge-bases/\(baseID)", token: token) { #expect($0.status == .noContent) }
                #expect(try await services.database.sql.raw(indexes).all().isEmpty)
            }
        }
    }
}
