import Foundation
import Testing
@testable import AIAgentBackend
import VectorKernels

@Suite struct VectorIndexTests {
    /// Small integers, so that every order of summing gives the same exact result.
    static func vector(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * seed) % 7 - 3) }
    }

    /// Every tile shape of the kernel (rows and queries in fours, and the ones left over) and
    /// every tail length, on both code paths (AVX2 and FMA where the CPU has them, portable C).
    @Test(arguments: [1, 7, 8, 9, 15, 16, 17, 64, 65, 768, 1000])
    func dotProductsMatchAPlainSumForEveryLength(dimension: Int) {
        for (rowCount, queryCount) in [(1, 1), (3, 1), (4, 4), (5, 3), (9, 7), (8, 9)] {
            let rows = (0..<rowCount).map { Self.vector(dimension, seed: 3 + $0) }
            let queries = (0..<queryCount).map { Self.vector(dimension, seed: 11 + $0) }
            let expected = rows.flatMap { row in queries.map { query in zip(row, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } } }
            let (matrix, packed) = (rows.flatMap { $0 }, queries.flatMap { $0 })
            for kernel in [vector_dot_rows, vector_dot_rows_portable] {
                var scores = [Float](repeating: .nan, count: rowCount * queryCount)
                kernel(matrix, rowCount, dimension, packed, queryCount, &scores)
                #expect(scores == expected, "\(rowCount) rows × \(queryCount) queries")
            }
        }
    }

    @Test func nearestReturnsTheBestRowsFirstAndSkipsOtherDimensions() {
        let rows: [[Float]] = [[1, 0, 0], [0.6, 0.8, 0], [0, 1, 0], [0.8, 0.6, 0], [0, 0, 1]]
        let entries = rows.map { (id: UUID(), blob: VectorBlob.data(normalizing: $0)) } + [(id: UUID(), blob: VectorBlob.data(normalizing: [1, 0]))]
        let index = ExactVectorIndex(version: 1, dimension: 3, rows: entries)
        #expect(index.ids == entries.prefix(5).map(\.id))
        let hits = index.nearest(to: [1, 0, 0], limit: 3)
        #expect(hits.map(\.row) == [0, 3, 1])
        #expect(abs(hits[1].score - 0.8) < 1e-6)
        #expect(index.nearest(to: [1, 0, 0], limit: 0).isEmpty)
        #expect(index.nearest(to: [0, 0, 1], limit: 10).count == 5)
    }

    /// Rows split across the cores and queries sharing a scan give what one query alone gets.
    /// Small integers again: every sum is exact, ties are broken by the lower row.
    @Test func sharedScansAnswerEachQueryAsAScanOfItsOwn() async {
        let dimension = 24
        let rows = (0..<5000).map { Self.mixed(dimension, seed: $0) }
        let index = ExactVectorIndex(
            version: 1, dimension: dimension, rows: rows.map { row in (UUID(), row.withUnsafeBufferPointer { Data(buffer: $0) }) })
        let queries = (0..<12).map { Self.mixed(dimension, seed: 10_000 + $0) }
        let expected: [[Int]] = queries.map { query in
            let scores: [Float] = rows.map { row in zip(row, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            return Array(order.prefix(7))
        }
        #expect(index.nearest(to: queries, limit: 7).map { $0.map(\.row) } == expected)
        let shared = await withTaskGroup(of: (Int, [Int]).self) { group in
            for (number, query) in queries.enumerated() {
                group.addTask { (number, await index.shared(query, limit: 3 + number % 5).map(\.row)) }
            }
            return await group.reduce(into: [Int: [Int]]()) { $0[$1.0] = $1.1 }
        }
        #expect(shared.count == queries.count)
        for (number, rows) in shared { #expect(rows == Array(expected[number].prefix(3 + number % 5))) }
    }

    /// Integers in -4...4, scrambled by a multiplicative hash.
    static func mixed(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { lane in
            let hash = UInt64(seed * 1000 + lane) &* 0x9E37_79B9_7F4A_7C15
            return Float(Int((hash ^ (hash >> 29)) % 9) - 4)
        }
    }
}
