import Foundation
import Testing
import TestSupport

/// Bad input made from good samples: random bytes, and samples truncated, flipped, spliced,
/// nested deeply, given huge numbers or invalid UTF-8. Deterministic for a seed
/// (`FUZZ_SEED`, else a fixed one).
struct Fuzzer {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_F0CA_CC1A_2026

    private var random: SplitMix64
    private let samples: [[UInt8]]
    /// Bytes the format gives meaning to, for insertions that reach deeper than noise does.
    private let tokens: [[UInt8]]

    init(samples: [String], tokens: [String], seed: UInt64 = Fuzzer.seed) {
        random = SplitMix64(seed: seed)
        self.samples = samples.map { Array($0.utf8) }
        self.tokens = (tokens + Self.hostileTokens).map { Array($0.utf8) }
    }

    /// Numbers no field expects, escapes and separators most parsers treat specially.
    private static let hostileTokens = [
        "99999999999999999999999999999999", "-9223372036854775809", "1e999999", "-0", "NaN", "0x", "%", "%zz", "%00", "\\", "\\u",
        "\\uD800", "\"", "'", "\n", "\r", "\r\n", "\t", ":", "=", "@", "/", "?", "#", "[", "{", "]", "}", ",", " ", "\u{0}", "\u{FEFF}",
    ]

    /// `count` inputs: the samples themselves, then mutants and some pure noise.
    mutating func inputs(_ count: Int) -> [[UInt8]] {
        var result = samples
        while result.count < count { result.append(nextInput()) }
        return result
    }

    private mutating func nextInput() -> [UInt8] {
        if int(20) == 0 { return bytes(int(512)) }
        var input = samples[int(samples.count)]
        for _ in 0...int(3) { mutate(&input) }
        // Long enough for every limit the parsers have, short enough to keep the run brief.
        return Array(input.prefix(64 * 1024))
    }

    private mutating func mutate(_ input: inout [UInt8]) {
        switch int(9) {
        case 0:  // truncation
            input = Array(input.prefix(int(input.count + 1)))
        case 1:  // byte flips
            guard !input.isEmpty else { return }
            for _ in 0...int(8) { input[int(input.count)] ^= UInt8(1 << int(8)) }
        case 2:  // random bytes inserted
            input.insert(contentsOf: bytes(1 + int(16)), at: int(input.count + 1))
        case 3:  // a token of the format or a hostile one
            input.insert(contentsOf: tokens[int(tokens.count)], at: int(input.count + 1))
        case 4:  // splice: a piece of any sample put somewhere else
            let donor = samples[int(samples.count)]
            let start = int(donor.count + 1)
            let piece = donor[start..<min(donor.count, start + int(200))]
            input.insert(contentsOf: piece, at: int(input.count + 1))
        case 5:  // a piece deleted
            guard !input.isEmpty else { return }
            let start = int(input.count)
            input.removeSubrange(start..<min(input.count, start + 1 + int(64)))
        case 6:  // deep nesting, by brackets and by indentation
            let opener = [Array("[".utf8), Array("{\"a\":".utf8), Array("a:\n ".utf8), Array("- ".utf8)][int(4)]
            let depth = [100, 1_000, 5_000][int(3)]
            input.insert(contentsOf: Array([[UInt8]](repeating: opener, count: depth).joined()), at: int(input.count + 1))
        case 7:  // invalid UTF-8: stray continuation, overlong NUL, surrogate, truncated sequence
            let bad: [[UInt8]] = [[0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F], [0xFF, 0xFE]]
            input.insert(contentsOf: bad[int(bad.count)], at: int(input.count + 1))
        default:  // a piece repeated, e.g. a line or a key many times
            guard !input.isEmpty else { return }
            let start = int(input.count)
            let piece = input[start..<min(input.count, start + 1 + int(32))]
            input.insert(contentsOf: Array([ArraySlice<UInt8>](repeating: piece, count: 2 + int(200)).joined()), at: start)
        }
    }

    private mutating func int(_ upperBound: Int) -> Int { Int.random(in: 0..<max(1, upperBound), using: &random) }

    private mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
}

/// Runs `check` on `count` fuzzed inputs; a crash fails the test run by itself, anything
/// else `check` reports names the seed and the input to reproduce it with.
func fuzz(
    _ name: String, samples: [String], tokens: [String] = [], count: Int, sourceLocation: SourceLocation = #_sourceLocation,
    _ check: ([UInt8]) -> String?
) {
    var fuzzer = Fuzzer(samples: samples, tokens: tokens)
    print("fuzz \(name): seed \(Fuzzer.seed) (FUZZ_SEED), \(count) inputs")
    for (index, input) in fuzzer.inputs(count).enumerated() {
        if let problem = check(input) {
            Issue.record(
                "\(name) input #\(index) (seed \(Fuzzer.seed)): \(problem); input: \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription)",
                sourceLocation: sourceLocation)
            return
        }
    }
}
