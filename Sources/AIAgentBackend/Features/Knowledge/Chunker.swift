import Foundation

/// The token count of a text, estimated without a tokenizer: a CJK character counts one
/// token (BPE vocabularies give most of them one or two), other text one token per four
/// characters, spaces included (about what English gets from OpenAI's tokenizers).
enum TokenEstimate {
    static func count(_ text: String) -> Int {
        var cjk = 0
        var other = 0
        for scalar in text.unicodeScalars {
            if isCJK(scalar) { cjk += 1 } else { other += 1 }
        }
        return cjk + (other + 3) / 4
    }

    /// Han, kana, Hangul, and their punctuation and full-width forms.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3000...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0xFF00...0xFFEF, 0x20000...0x2FA1F: true
        default: false
        }
    }
}

enum ChunkingStrategy: String, Codable, Sendable, CaseIterable {
    /// Paragraphs, then sentences (Latin `.!?` and Chinese `。！？；`), then hard cuts.
    case recursive
    /// Heading sections, each chunk carrying its heading path; long sections split as `recursive`.
    case markdown
}

/// One piece of a document as indexed: its exact text in the source, and where it is.
struct TextChunk: Sendable, Equatable {
    var text: String
    var headingPath: [String]
    /// Unicode scalar (code point) offsets into the document's text, end exclusive.
    var start: Int
    var end: Int
    var tokens: Int

    /// What is embedded and indexed for full text: the heading path gives a chunk its context.
    var indexedText: String { headingPath.isEmpty ? text : headingPath.joined(separator: " > ") + "\n" + text }
}

/// Splits a document's text into chunks of at most `size` estimated tokens, consecutive
/// chunks of one section sharing up to `overlap` tokens of whole sentences or paragraphs.
struct Chunker {
    let strategy: ChunkingStrategy
    let size: Int
    let overlap: Int

    func chunks(of text: String) -> [TextChunk] {
        let source = Source(text)
        let sections: [(path: [String], range: Range<Int>)] =
            strategy == .markdown ? source.markdownSections() : [([], 0..<source.scalars.count)]
        var chunks: [TextChunk] = []
        for section in sections {
            for range in pack(source.pieces(in: section.range, maxTokens: size), source: source) {
                chunks.append(
                    TextChunk(
                        text: source.text(range), headingPath: section.path, start: range.lowerBound, end: range.upperBound,
                        tokens: source.tokens(range)))
            }
        }
        return chunks
    }

    /// Greedy packing of consecutive pieces; each new chunk starts with the last pieces of
    /// the previous one that fit in `overlap`.
    private func pack(_ pieces: [Range<Int>], source: Source) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var current: [Range<Int>] = []
        for piece in pieces {
            if let first = current.first, source.tokens(first.lowerBound..<piece.upperBound) > size {
                chunks.append(first.lowerBound..<current.last!.upperBound)
                var carried: [Range<Int>] = []
                for previous in current.reversed() {
                    guard source.tokens(previous.lowerBound..<current.last!.upperBound) <= overlap else { break }
                    carried.insert(previous, at: 0)
                }
                // The carried pieces give way when the next piece would not fit beside them.
                while let head = carried.first, source.tokens(head.lowerBound..<piece.upperBound) > size { carried.removeFirst() }
                current = carried
            }
            current.append(piece)
        }
        if let first = current.first { chunks.append(first.lowerBound..<current.last!.upperBound) }
        return chunks
    }
}

/// A document's text as Unicode scalars, with prefix sums of the token estimate's units
/// (4 per CJK character, 1 per other) so any range's estimate costs O(1).
private struct Source {
    let scalars: [Unicode.Scalar]
    let units: [Int]

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        var units = [0]
        units.reserveCapacity(scalars.count + 1)
        for scalar in scalars { units.append(units.last! + (TokenEstimate.isCJK(scalar) ? 4 : 1)) }
        self.units = units
    }

    func tokens(_ range: Range<Int>) -> Int { (units[range.upperBound] - units[range.lowerBound] + 3) / 4 }

    func text(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range])
        return String(view)
    }

    private func isSpace(_ index: Int) -> Bool {
        let scalar = scalars[index]
        // ASCII first: the Unicode property lookup is the slow path.
        return scalar.isASCII ? scalar == " " || ("\t"..."\r").contains(scalar) : scalar.properties.isWhitespace
    }

    /// `range` without its leading and trailing whitespace; nil when nothing else is left.
    private func trimmed(_ range: Range<Int>) -> Range<Int>? {
        var (start, end) = (range.lowerBound, range.upperBound)
        while start < end, isSpace(start) { start += 1 }
        while end > start, isSpace(end - 1) { end -= 1 }
        return start < end ? start..<end : nil
    }

    /// Paragraphs of `range`; a paragraph over `maxTokens` as its sentences, a sentence over
    /// it cut into pieces of `maxTokens`.
    func pieces(in range: Range<Int>, maxTokens: Int) -> [Range<Int>] {
        split(range, at: paragraphEnds).flatMap { paragraph in
            tokens(paragraph) <= maxTokens
                ? [paragraph]
                : split(paragraph, at: sentenceEnds).flatMap { tokens($0) <= maxTokens ? [$0] : cut($0, maxTokens: maxTokens) }
        }
    }

    /// Trimmed, non-empty parts of `range`, cut after each index `boundary` reports.
    private func split(_ range: Range<Int>, at boundary: (Int, Range<Int>) -> Bool) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where boundary(index, range) {
            if let part = trimmed(start..<(index + 1)) { parts.append(part) }
            start = index + 1
        }
        if let part = trimmed(start..<range.upperBound) { parts.append(part) }
        return parts
    }

    /// A line break followed by an empty line.
    private func paragraphEnds(_ index: Int, _ range: Range<Int>) -> Bool {
        guard scalars[index] == "\n" else { return false }
        var next = index + 1
        while next < range.upperBound, scalars[next] != "\n", isSpace(next) { next += 1 }
        return next < range.upperBound && scalars[next] == "\n"
    }

    /// `。！？；` anywhere; `.!?` before whitespace; a single line break.
    private func sentenceEnds(_ index: Int, _ range: Range<Int>) -> Bool {
        switch scalars[index] {
        case "。", "！", "？", "；", "\n": return true
        case ".", "!", "?": return index + 1 < range.upperBound && isSpace(index + 1)
        default: return false
        }
    }

    private func cut(_ range: Range<Int>, maxTokens: Int) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        var end = start
        while end < range.upperBound {
            end += 1
            if tokens(start..<end) > maxTokens, end - 1 > start {
                pieces.append(start..<(end - 1))
                start = end - 1
            }
        }
        pieces.append(start..<range.upperBound)
        return pieces.compactMap(trimmed)
    }

    /// ATX headings (`#` to `######`) outside code fences open sections; the text before the
    /// first heading is a section with an empty path.
    func markdownSections() -> [(path: [String], range: Range<Int>)] {
        var sections: [(path: [String], range: Range<Int>)] = []
        var stack: [(level: Int, title: String)] = []
        var sectionStart = 0
        var path: [String] = []
        var inFence = false
        var lineStart = 0
        while lineStart < scalars.count {
            var lineEnd = lineStart
            while lineEnd < scalars.count, scalars[lineEnd] != "\n" { lineEnd += 1 }
            let line = text(lineStart..<lineEnd).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                inFence.toggle()
            } else if !inFence, let heading = Self.heading(line) {
                if lineStart > sectionStart { sections.append((path, sectionStart..<lineStart)) }
                stack.removeAll { $0.level >= heading.level }
                stack.append(heading)
                path = stack.map(\.title)
                sectionStart = lineStart
            }
            lineStart = lineEnd + 1
        }
        if scalars.count > sectionStart { sections.append((path, sectionStart..<scalars.count)) }
        return sections
    }

    private static func heading(_ line: String) -> (level: Int, title: String)? {
        let level = line.prefix { $0 == "#" }.count
        guard (1...6).contains(level) else { return nil }
        let rest = line.dropFirst(level)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var title = rest.trimmingCharacters(in: .whitespaces)
        while title.hasSuffix("#") { title.removeLast() }
        title = title.trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : (level, title)
    }
}
