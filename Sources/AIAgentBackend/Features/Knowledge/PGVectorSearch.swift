import FluentKit
import Foundation
import Logging
import SQLKit
import Synchronization

/// The SQL of the pgvector path. Bases differ in dimension, so the `embedding_vector` column is
/// an untyped `vector` and each base gets a partial HNSW index on the column cast to its
/// dimension (pgvector's documented way to index vectors of several dimensions in one table);
/// a search repeats the index's cast and predicate so that the planner uses it.
enum PGVectorSQL {
    static let column = "embedding_vector"

    /// Ids and dimensions are ours (a UUID, an Int), never user text: safe to write into the SQL.
    static func indexName(base: UUID, dimension: Int) -> String {
        "\(indexPrefix(base: base))\(dimension)"
    }

    /// Every HNSW index of `base` starts with this.
    static func indexPrefix(base: UUID) -> String {
        "knowledge_chunks_hnsw_\(base.uuidString.lowercased().replacingOccurrences(of: "-", with: ""))_"
    }

    static func createIndex(base: UUID, dimension: Int) -> String {
        """
        CREATE INDEX IF NOT EXISTS \(indexName(base: base, dimension: dimension)) ON knowledge_chunks \
        USING hnsw ((\(column)::vector(\(dimension))) vector_cosine_ops) WHERE \(predicate(base: base, dimension: dimension))
        """
    }

    /// `$1`: the query vector as text (`literal`); `$2`: the limit. Cosine distance is
    /// 1 - cosine similarity.
    static func search(base: UUID, dimension: Int) -> String {
        let distance = "\(column)::vector(\(dimension)) <=> $1::text::vector(\(dimension))"
        return """
            SELECT id, 1 - (\(distance)) AS score FROM knowledge_chunks \
            WHERE \(predicate(base: base, dimension: dimension)) ORDER BY \(distance) LIMIT $2
            """
    }

    /// HNSW returns at most `ef_search` rows (40 by default): at least the rows asked for.
    static func efSearch(limit: Int) -> String {
        "SET LOCAL hnsw.ef_search = \(max(40, min(limit, 1000)))"
    }

    /// pgvector's text form, `[0.6,0.8]`.
    static func literal(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }

    private static func predicate(base: UUID, dimension: Int) -> String {
        "knowledge_base_id = '\(base.uuidString.lowercased())' AND vector_dims(\(column)) = \(dimension)"
    }
}

/// Nearest chunks through pgvector's HNSW index, one transaction a query (for `ef_search`).
struct PGVectorSearch: VectorSearchBackend {
    let name = "pgvector"
    var reason: String { VectorSearchChoice.pgvector.reason }
    let database: DatabaseService

    func search(_ query: [Float], in base: KnowledgeBase, limit: Int) async throws -> [(id: UUID, score: Double)] {
        let (baseID, dimension) = (try base.requireID(), query.count)
        guard limit > 0, dimension > 0 else { return [] }
        let literal = PGVectorSQL.literal(VectorBlob.normalize(query))
        return try await database.database.transaction { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("\(unsafeRaw: PGVectorSQL.efSearch(limit: limit))").run()
            let query = PGVectorQuery(text: PGVectorSQL.search(base: baseID, dimension: dimension), binds: [literal, limit])
            return try await sql.raw("\(query)").all()
                .map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "score", as: Double.self)) }
        }
    }
}

/// SQL text written with PostgreSQL's `$n` placeholders, and the values they stand for.
private struct PGVectorQuery: SQLExpression {
    let text: String
    let binds: [any Encodable & Sendable]

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(text)
        serializer.binds += binds
    }
}

/// Which vector search the database allows, decided once at start from what it reports.
enum VectorSearchChoice: Equatable {
    case exact(reason: String)
    case pgvector

    var name: String {
        switch self {
        case .exact: "exact"
        case .pgvector: "pgvector"
        }
    }

    var reason: String {
        switch self {
        case .exact(let reason): reason
        case .pgvector: "PostgreSQL with the vector extension: an HNSW index (cosine) per knowledge base"
        }
    }

    /// `available`: `vector` is in `pg_available_extensions`; `column`: revision 0021 installed
    /// it and added `knowledge_chunks.embedding_vector`.
    static func choose(isPostgres: Bool, available: Bool, column: Bool) -> VectorSearchChoice {
        guard isPostgres else { return .exact(reason: "SQLite: float32 vectors searched exactly in process") }
        guard available else { return .exact(reason: "PostgreSQL without the vector extension: float32 vectors searched exactly in process") }
        guard column else {
            return .exact(
                reason: "the vector extension is available but was not installed when the schema was migrated (no right to create it?): "
                    + "float32 vectors searched exactly in process")
        }
        return .pgvector
    }
}

/// The process's vector search: exact until `select` (at start, after the migrations) finds
/// pgvector ready. `/health` and the start log report `name` and `reason` from here.
final class VectorSearchSelection: VectorSearchBackend {
    private let exact: ExactVectorSearch
    private let database: DatabaseService
    private let choice: Mutex<(backend: any VectorSearchBackend, reason: String)>

    init(database: DatabaseService, repository: KnowledgeRepository) {
        let exact = ExactVectorSearch(repository: repository)
        self.exact = exact
        self.database = database
        choice = Mutex((exact, "not checked yet"))
    }

    var name: String { choice.withLock { $0.backend.name } }
    var reason: String { choice.withLock { $0.reason } }

    func search(_ query: [Float], in base: KnowledgeBase, limit: Int) async throws -> [(id: UUID, score: Double)] {
        try await choice.withLock { $0.backend }.search(query, in: base, limit: limit)
    }

    /// Reads what the database offers and logs the choice; a database that cannot be asked
    /// leaves the exact search, with the error as the reason.
    func select(logger: Logger) async {
        let selected: (backend: any VectorSearchBackend, reason: String)
        do {
            let repository = KnowledgeRepository(database: database)
            let decision = VectorSearchChoice.choose(
                isPostgres: database.isPostgres, available: try await repository.vectorExtensionAvailable(),
                column: try await repository.hasVectorColumn())
            selected = (decision == .pgvector ? PGVectorSearch(database: database) : exact, decision.reason)
        } catch {
            selected = (exact, "could not ask the database (\(error)): float32 vectors searched exactly in process")
        }
        choice.withLock { $0 = selected }
        logger.info("vector search", metadata: ["vector_search": "\(selected.backend.name)", "reason": "\(selected.reason)"])
    }
}
