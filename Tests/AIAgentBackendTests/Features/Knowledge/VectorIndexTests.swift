import Foundation
import Testing
@testable import AIAgentBackend

@Suite struct VectorIndexTests {
    /// Small integers, so that every order of summing gives the same exact result.
    static func vector(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * seed) % 7 - 3) }
    }

    @Test(arguments: [1, 15, 16, 17, 63, 64, 65, 100, 768, 1000])
    func dotMatchesAPlainSumForEveryLength(count: Int) {
        let a = Self.vector(count, seed: 3)
        let b = Self.vector(count, seed: 5)
        let expected = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let dot = a.withUnsafeBytes { a in b.withUnsafeBytes { b in ExactVectorIndex.dot(a.baseAddress!, b.baseAddress!, count: count) } }
        #expect(dot == expected)
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
}
