import Foundation
import Synchronization
import VectorKernels

/// How a knowledge base's vectors are searched. One backend serves the process; its name is
/// logged at start and shown by `/health`.
protocol VectorSearchBackend: Sendable {
    var name: String { get }
    /// Why this backend serves, for `/health`.
    var reason: String { get }
    /// The chunks nearest to `query` (cosine similarity, best first).
    func search(_ query: [Float], in base: KnowledgeBase, limit: Int) async throws -> [(id: UUID, score: Double)]
}

/// Vectors as stored: float32, little-endian, normalised to length 1 so cosine similarity is a dot product.
enum VectorBlob {
    static func data(normalizing vector: [Float]) -> Data {
        let normalized = normalize(vector)
        return normalized.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func normalize(_ vector: [Float]) -> [Float] {
        let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return length > 0 ? vector.map { $0 / length } : vector
    }
}

/// Exact search in process, on SQLite and PostgreSQL alike: a base's vectors are read once
/// into one contiguous float32 matrix (reloaded when its `index_version` moves), and queries
/// scan that memory in place with SIMD dot products, copying nothing, several at a time
/// (`ExactVectorIndex.shared`).
final class ExactVectorSearch: VectorSearchBackend {
    let name = "exact"
    let reason = "float32 vectors searched exactly in process"
    let repository: KnowledgeRepository
    private let loaded = Mutex<[UUID: ExactVectorIndex]>([:])

    init(repository: KnowledgeRepository) {
        self.repository = repository
    }

    func search(_ query: [Float], in base: KnowledgeBase, limit: Int) async throws -> [(id: UUID, score: Double)] {
        let id = try base.requireID()
        var index = loaded.withLock { $0[id] }
        if index?.version != base.indexVersion || index?.dimension != query.count {
            let fresh = ExactVectorIndex(version: base.indexVersion, dimension: query.count, rows: try await repository.vectors(of: id))
            loaded.withLock { $0[id] = fresh }
            index = fresh
        }
        guard let index, index.dimension == query.count else { return [] }
        return await index.shared(VectorBlob.normalize(query), limit: limit).map { (index.ids[$0.row], Double($0.score)) }
    }
}

/// One base's vectors of one dimension, row after row. `package` for `VectorSearchBenchmark`.
package final class ExactVectorIndex: Sendable {
    private struct Waiting {
        let query: [Float]
        let limit: Int
        let answer: CheckedContinuation<[(row: Int, score: Float)], Never>
    }

    let version: Int
    let dimension: Int
    let ids: [UUID]
    let matrix: [Float]
    /// Queries waiting for the next scan, and whether one runs.
    private let queue = Mutex<(waiting: [Waiting], scanning: Bool)>(([], false))

    /// Rows of another dimension (left by an earlier model, until re-indexed) are skipped.
    package init(version: Int, dimension: Int, rows: [(id: UUID, blob: Data)]) {
        self.version = version
        self.dimension = dimension
        let width = dimension * MemoryLayout<Float>.size
        let kept = rows.filter { $0.blob.count == width }
        ids = kept.map(\.id)
        var matrix = [Float](repeating: 0, count: kept.count * dimension)
        matrix.withUnsafeMutableBytes { target in
            for (row, entry) in kept.enumerated() {
                entry.blob.withUnsafeBytes { target.baseAddress!.advanced(by: row * width).copyMemory(from: $0.baseAddress!, byteCount: width) }
            }
        }
        self.matrix = matrix
    }

    /// The `limit` rows with the highest dot product with `query`, best first. Concurrent
    /// queries share scans: one arriving while a scan runs waits for the next, which serves every
    /// query waiting then. Scanning is bound by memory bandwidth, so 16 queries read the matrix
    /// once or twice instead of 16 times.
    func shared(_ query: [Float], limit: Int) async -> [(row: Int, score: Float)] {
        await withCheckedContinuation { answer in
            let starts = queue.withLock { queue in
                queue.waiting.append(Waiting(query: query, limit: limit, answer: answer))
                defer { queue.scanning = true }
                return !queue.scanning
            }
            // Off the cooperative pool: a scan holds its threads for milliseconds.
            if starts { DispatchQueue.global().async { self.scanWhileWaiting() } }
        }
    }

    private func scanWhileWaiting() {
        while true {
            let batch = queue.withLock { queue in
                defer { queue.waiting = [] }
                if queue.waiting.isEmpty { queue.scanning = false }
                return queue.waiting
            }
            guard !batch.isEmpty else { return }
            let results = nearest(to: batch.map(\.query), limit: batch.map(\.limit).max()!)
            for (waiting, best) in zip(batch, results) { waiting.answer.resume(returning: Array(best.prefix(waiting.limit))) }
        }
    }

    /// The `limit` rows with the highest dot product with `query`, best first.
    package func nearest(to query: [Float], limit: Int) -> [(row: Int, score: Float)] {
        nearest(to: [query], limit: limit)[0]
    }

    /// The best rows of each query in one pass: each row, read once from memory, is multiplied
    /// with every query while it sits in the CPU cache. The rows are split across the cores.
    package func nearest(to queries: [[Float]], limit: Int) -> [[(row: Int, score: Float)]] {
        guard limit > 0, !ids.isEmpty else { return queries.map { _ in [] } }
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, max(1, ids.count / 1024))
        let found = Mutex([[TopRows]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let rows = (ids.count * part / parts)..<(ids.count * (part + 1) / parts)
            let best = scan(rows, queries, limit: limit)
            found.withLock { $0[part] = best }
        }
        let results = found.withLock { $0 }
        return queries.indices.map { query in
            var merged = TopRows(limit: limit)
            for part in results { for hit in part[query].best { merged.offer(hit.row, hit.score) } }
            return merged.best
        }
    }

    /// Rows in blocks whose scores (every query's) fit in the L1 cache, scored by the SIMD
    /// kernel of `VectorKernels` (AVX2 and FMA where the CPU has them).
    private func scan(_ rows: Range<Int>, _ queries: [[Float]], limit: Int) -> [TopRows] {
        var best = queries.map { _ in TopRows(limit: limit) }
        let packed = queries.flatMap { $0 }
        let block = max(1, 2048 / queries.count)
        var scores = [Float](repeating: 0, count: block * queries.count)
        matrix.withUnsafeBufferPointer { matrix in
            packed.withUnsafeBufferPointer { packed in
                scores.withUnsafeMutableBufferPointer { scores in
                    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
                        let count = min(block, rows.upperBound - start)
                        vector_dot_rows(
                            matrix.baseAddress! + start * dimension, count, dimension, packed.baseAddress!, queries.count, scores.baseAddress!)
                        for offset in 0..<count {
                            for number in best.indices { best[number].offer(start + offset, scores[offset * queries.count + number]) }
                        }
                    }
                }
            }
        }
        return best
    }
}

/// The best `limit` rows seen, best first.
struct TopRows {
    let limit: Int
    private(set) var best: [(row: Int, score: Float)] = []

    init(limit: Int) {
        self.limit = limit
        best.reserveCapacity(limit + 1)
    }

    mutating func offer(_ row: Int, _ score: Float) {
        guard best.count < limit || score > best[best.count - 1].score else { return }
        let position = best.firstIndex { $0.score < score } ?? best.count
        best.insert((row, score), at: position)
        if best.count > limit { best.removeLast() }
    }
}
