import Foundation
import Synchronization

/// Regular expressions of assertions and extractions, compiled once per distinct pattern.
enum PatternCache {
    private static let expressions = Mutex<[String: NSRegularExpression]>([:])

    static func expression(_ pattern: String) throws -> NSRegularExpression {
        if let known = expressions.withLock({ $0[pattern] }) { return known }
        let compiled = try NSRegularExpression(pattern: pattern)
        expressions.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[pattern] = compiled
        }
        return compiled
    }

    /// The first group of the first match, else the whole match; nil without a match.
    static func firstMatch(_ pattern: String, in text: String) throws -> String? {
        let expression = try expression(pattern)
        guard let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        let range = match.numberOfRanges > 1 && match.range(at: 1).location != NSNotFound ? match.range(at: 1) : match.range
        return Range(range, in: text).map { String(text[$0]) }
    }
}
