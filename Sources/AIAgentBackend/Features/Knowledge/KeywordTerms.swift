/// How text is cut into terms for full-text search, the same at indexing and at query time:
/// lower-cased words of letters and digits, and CJK text (written without spaces) as
/// overlapping character bigrams, so that a Chinese query finds Chinese text on PostgreSQL's
/// `simple` configuration. SQLite's FTS5 tables need their own texts and query terms.
enum KeywordTerms {
    /// Words and CJK bigrams, in order, repeats kept.
    static func terms(_ text: String) -> [String] {
        runs(text).flatMap { run in run.isCJK ? grams(run.scalars, length: 2) : [String(String.UnicodeScalarView(run.scalars))] }
    }

    /// SQLite indexes a text in two FTS5 tables: its other words in a word table (`porter
    /// unicode61`: English queries hit a word index, not thousands of trigram postings), its CJK
    /// runs, one a line, in a `trigram` table (CJK has no spaces between words).
    static func ftsTexts(_ text: String) -> (words: String, cjk: String) {
        let runs = runs(text)
        func joined(_ isCJK: Bool, _ separator: String) -> String {
            runs.filter { $0.isCJK == isCJK }.map { String(String.UnicodeScalarView($0.scalars)) }.joined(separator: separator)
        }
        return (joined(false, " "), joined(true, "\n"))
    }

    /// FTS5 terms of `query`, each once: for the word table its words of two or more
    /// characters, for the `trigram` table its CJK trigrams.
    static func ftsTerms(_ query: String) -> (words: [String], cjk: [String]) {
        let runs = runs(query)
        let words = runs.filter { !$0.isCJK && $0.scalars.count >= 2 }.map { String(String.UnicodeScalarView($0.scalars)) }
        let trigrams = runs.filter(\.isCJK).flatMap { grams($0.scalars, length: 3) }.filter { $0.unicodeScalars.count == 3 }
        func unique(_ terms: [String]) -> [String] { terms.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
        return (unique(words), unique(trigrams))
    }

    /// An FTS5 MATCH expression matching any of `terms` (letters and digits only, so quoting is enough).
    static func ftsMatch(_ terms: [String]) -> String {
        terms.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// A tsquery for `query` matching any of its terms; nil when it has none.
    static func tsQuery(_ query: String) -> String? {
        let unique = terms(query).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return unique.isEmpty ? nil : unique.map { "'\($0)'" }.joined(separator: " | ")
    }

    /// Runs of word characters (letters and digits), CJK runs apart from the others, lower-cased.
    private static func runs(_ text: String) -> [(isCJK: Bool, scalars: [Unicode.Scalar])] {
        var runs: [(isCJK: Bool, scalars: [Unicode.Scalar])] = []
        var current: [Unicode.Scalar] = []
        var currentIsCJK = false
        func flush() {
            if !current.isEmpty { runs.append((currentIsCJK, current)) }
            current = []
        }
        for scalar in text.lowercased().unicodeScalars {
            let isWord =
                scalar.isASCII
                ? ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                : scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            let isCJK = isWord && TokenEstimate.isCJK(scalar)
            if !isWord || isCJK != currentIsCJK { flush() }
            if isWord {
                currentIsCJK = isCJK
                current.append(scalar)
            }
        }
        flush()
        return runs
    }

    /// Overlapping grams of `length`; a shorter run is one gram.
    private static func grams(_ scalars: [Unicode.Scalar], length: Int) -> [String] {
        guard scalars.count > length else { return [String(String.UnicodeScalarView(scalars))] }
        return (0...(scalars.count - length)).map { String(String.UnicodeScalarView(scalars[$0..<($0 + length)])) }
    }
}
