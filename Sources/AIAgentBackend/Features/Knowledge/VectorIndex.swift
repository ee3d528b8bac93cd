import Foundation
import Synchronization

/// How a knowledge base's vectors are searched. One backend serves the process; its name is
/// logged at start and shown by `/health`.
protocol VectorSearchBackend: Sendable {
    var name: String { get }
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
/// into one contiguous float32 matrix (reloaded when its `index_version` moves), and each
/// query scans that memory in place with SIMD dot products, copying nothing.
final class ExactVectorSearch: VectorSearchBackend {
    let name = "exact"
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
        return index.nearest(to: VectorBlob.normalize(query), limit: limit).map { (index.ids[$0.row], Double($0.score)) }
    }
}

/// One base's vectors of one dimension, row after row. `package` for `VectorSearchBenchmark`.
package final class ExactVectorIndex: Sendable {
    let version: Int
    let dimension: Int
    let ids: [UUID]
    let matrix: [Float]

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

    /// The `limit` rows with the highest dot product with `query`, best first.
    package func nearest(to query: [Float], limit: Int) -> [(row: Int, score: Float)] {
        guard limit > 0, !ids.isEmpty else { return [] }
        var best: [(row: Int, score: Float)] = []
        best.reserveCapacity(limit + 1)
        matrix.withUnsafeBytes { rows in
            query.withUnsafeBytes { query in
                for row in 0..<ids.count {
                    let score = Self.dot(rows.baseAddress! + row * dimension * 4, query.baseAddress!, count: dimension)
                    guard best.count < limit || score > best[best.count - 1].score else { continue }
                    let position = best.firstIndex { $0.score < score } ?? best.count
                    best.insert((row, score), at: position)
                    if best.count > limit { best.removeLast() }
                }
            }
        }
        return best
    }

    /// Sixteen lanes at a time in four accumulators (independent additions keep the CPU busy),
    /// the tail one by one. A multiply then an add, not `addProduct`: without FMA in the target
    /// CPU baseline that becomes a call to `fmaf` per lane, ten times slower.
    static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        func product(_ offset: Int) -> SIMD16<Float> {
            a.loadUnaligned(fromByteOffset: offset * 4, as: SIMD16<Float>.self) * b.loadUnaligned(fromByteOffset: offset * 4, as: SIMD16<Float>.self)
        }
        var offset = 0
        while offset + 64 <= count {
            sums.0 += product(offset)
            sums.1 += product(offset + 16)
            sums.2 += product(offset + 32)
            sums.3 += product(offset + 48)
            offset += 64
        }
        while offset + 16 <= count {
            sums.0 += product(offset)
            offset += 16
        }
        var sum = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
        while offset < count {
            sum += a.load(fromByteOffset: offset * 4, as: Float.self) * b.load(fromByteOffset: offset * 4, as: Float.self)
            offset += 1
        }
        return sum
    }
}
