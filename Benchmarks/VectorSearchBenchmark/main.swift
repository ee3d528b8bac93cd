import AIAgentBackend
import Foundation

// Exact vector search in process, one query at a time, for scripts/bench-knowledge: reads a
// matrix of float32 rows (little-endian, normalised) and a file of queries in the same format,
// builds an `ExactVectorIndex` from the rows as the repository returns them, runs every query
// ROUNDS times, and prints JSON: the median and minimum latency, and the best rows of the first
// query (so the script can check them against numpy's).
//
// Usage: VectorSearchBenchmark MATRIX_FILE QUERIES_FILE DIMENSION [ROUNDS]

let arguments = CommandLine.arguments
guard arguments.count >= 4, let dimension = Int(arguments[3]), dimension > 0 else {
    FileHandle.standardError.write(Data("usage: VectorSearchBenchmark MATRIX_FILE QUERIES_FILE DIMENSION [ROUNDS]\n".utf8))
    exit(2)
}
let rounds = arguments.count > 4 ? Int(arguments[4]) ?? 1 : 1
let width = dimension * MemoryLayout<Float>.size
let clock = ContinuousClock()

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

let matrix = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
let queryData = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
let rows = (0..<(matrix.count / width)).map { (id: UUID(), blob: matrix[($0 * width)..<(($0 + 1) * width)]) }
let queries = (0..<(queryData.count / width)).map { query in
    queryData[(query * width)..<((query + 1) * width)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

let loadStart = clock.now
let index = ExactVectorIndex(version: 0, dimension: dimension, rows: rows)
let loadTime = clock.now - loadStart

var latencies: [Double] = []
var firstHits: [(row: Int, score: Float)] = []
for _ in 0..<rounds {
    for (number, query) in queries.enumerated() {
        let start = clock.now
        let hits = index.nearest(to: query, limit: 5)
        latencies.append(milliseconds(clock.now - start))
        if number == 0 { firstHits = hits }
    }
}
latencies.sort()
let result: [String: Any] = [
    "rows": rows.count, "dimension": dimension, "searches": latencies.count,
    "median_ms": latencies[latencies.count / 2], "min_ms": latencies[0], "index_build_ms": milliseconds(loadTime),
    "first_query_rows": firstHits.map(\.row), "first_query_scores": firstHits.map { Double($0.score) },
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
