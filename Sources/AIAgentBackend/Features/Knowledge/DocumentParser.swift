import Foundation
import Synchronization
import ZIPFoundation

/// The formats a document may have; the parsed text of each is what gets chunked.
enum DocumentFormat: String, Codable, Sendable, CaseIterable {
    case text, markdown, html, csv, json, docx, pdf

    /// From the file name's extension, else the media type, else the first bytes.
    static func detect(filename: String?, contentType: String?, bytes: some Collection<UInt8>) -> DocumentFormat? {
        let byExtension: [String: DocumentFormat] = [
            "txt": .text, "text": .text, "log": .text, "md": .markdown, "markdown": .markdown, "htm": .html, "html": .html,
            "csv": .csv, "json": .json, "docx": .docx, "pdf": .pdf,
        ]
        if let ext = filename?.split(separator: ".").last.map({ $0.lowercased() }), filename?.contains(".") == true,
            let format = byExtension[ext]
        {
            return format
        }
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let byMediaType: [String: DocumentFormat] = [
            "text/plain": .text, "text/markdown": .markdown, "text/html": .html, "application/xhtml+xml": .html, "text/csv": .csv,
            "application/json": .json, "application/pdf": .pdf,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": .docx,
        ]
        if let format = byMediaType[mediaType] { return format }
        if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .docx }
        // Anything else without NUL bytes is read as plain text.
        return bytes.prefix(4_096).contains(0) ? nil : .text
    }
}

/// Turns a stored file into the text that is chunked. HTML and DOCX headings become Markdown
/// headings, so the `markdown` strategy keeps their structure.
enum DocumentParser {
    static let pdftotext = "pdftotext"

    static func parse(_ data: Data, format: DocumentFormat) async throws -> String {
        switch format {
        case .text, .markdown: try utf8(data)
        case .html: HTMLText.extract(try utf8(data))
        case .csv: try csv(try utf8(data))
        case .json: try json(data)
        case .docx: try docx(data)
        case .pdf: try await pdf(data)
        }
    }

    private static func utf8(_ data: Data) throws(APIError) -> String {
        guard var text = String(validating: data, as: UTF8.self) else { throw APIError.validation(field: "file", "is not UTF-8 text") }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// One paragraph per row: `column: value` lines.
    private static func csv(_ text: String) throws -> String {
        let table = try CSVTable.parse(text)
        return table.rows.map { row in
            zip(table.columns, row).map { "\($0): \($1.stringValue ?? $1.jsonString)" }.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// `path: value` lines; each item of a top-level array its own paragraph.
    private static func json(_ data: Data) throws -> String {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError.validation(field: "file", "is not valid JSON")
        }
        func lines(_ value: JSONValue, path: String) -> [String] {
            switch value {
            case .object(let object):
                object.keys.sorted().flatMap { lines(object[$0]!, path: path.isEmpty ? $0 : "\(path).\($0)") }
            case .array(let items): items.enumerated().flatMap { lines($1, path: "\(path)[\($0)]") }
            case .string(let text): ["\(path): \(text)"]
            default: ["\(path): \(value.jsonString)"]
            }
        }
        if case .array(let items) = value {
            return items.enumerated().map { lines($1, path: "[\($0)]").joined(separator: "\n") }.joined(separator: "\n\n")
        }
        return lines(value, path: "").joined(separator: "\n")
    }

    /// The most of `word/document.xml` a DOCX may unpack to: a small upload must not inflate
    /// into gigabytes (a ZIP bomb). The entry's declared size is checked, then the bytes as they come.
    static let maxDocumentXMLBytes = 128 << 20

    /// `word/document.xml` of the package: paragraphs in order, `Heading n` and `Title` styles as headings.
    static func docx(_ data: Data, maxXMLBytes: Int = maxDocumentXMLBytes) throws -> String {
        let tooLarge = APIError.validation(field: "file", "unpacks to more than \(maxXMLBytes) bytes of document XML")
        let xml: Data
        do {
            let archive = try Archive(data: data, accessMode: .read)
            guard let entry = archive["word/document.xml"] else {
                throw APIError.validation(field: "file", "is not a DOCX document (no word/document.xml)")
            }
            guard entry.uncompressedSize <= UInt64(maxXMLBytes) else { throw tooLarge }
            var content = Data()
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard content.count + chunk.count <= maxXMLBytes else { throw tooLarge }
                content.append(chunk)
            }
            xml = content
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.validation(field: "file", "is not a readable DOCX (ZIP) file")
        }
        var paragraphs: [String] = []
        var paragraph = ""
        var level: Int?
        var inText = false
        for token in MarkupScanner(String(decoding: xml, as: UTF8.self)) {
            switch token {
            case .open(let name, let attributes, let selfClosing):
                switch name {
                case "w:p" where !selfClosing: (paragraph, level) = ("", nil)
                case "w:pstyle": level = headingLevel(style: attributes["w:val"] ?? "")
                case "w:t": inText = !selfClosing
                case "w:tab": paragraph += "\t"
                case "w:br", "w:cr": paragraph += "\n"
                default: break
                }
            case .close(let name):
                if name == "w:t" { inText = false }
                if name == "w:p" {
                    let text = paragraph.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !text.isEmpty { paragraphs.append(level.map { String(repeating: "#", count: $0) + " " + text } ?? text) }
                }
            case .text(let text): if inText { paragraph += text }
            }
        }
        return paragraphs.joined(separator: "\n\n")
    }

    private static func headingLevel(style: String) -> Int? {
        let lowered = style.lowercased()
        if lowered == "title" { return 1 }
        guard lowered.hasPrefix("heading"), let level = Int(lowered.dropFirst("heading".count)), (1...6).contains(level) else { return nil }
        return level
    }

    /// Whether poppler's `pdftotext` is on the PATH.
    static var canReadPDF: Bool { executablePath(pdftotext) != nil }

    static let missingPDFTool = APIError.validation(
        field: "file", "PDF documents need poppler's pdftotext, which is not installed (Debian package poppler-utils)")

    private static func pdf(_ data: Data) async throws -> String {
        guard let tool = executablePath(pdftotext) else { throw missingPDFTool }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.pdf")
        let output = directory.appendingPathComponent("out.txt")
        try data.write(to: input)
        let status = try await run(tool, ["-enc", "UTF-8", "-q", input.path, output.path], timeout: pdfTimeout)
        guard status == 0, let text = try? String(contentsOf: output, encoding: .utf8) else {
            throw APIError.validation(field: "file", "is not a readable PDF (pdftotext exited with \(status))")
        }
        // pdftotext ends each page with a form feed.
        return text.replacingOccurrences(of: "\u{0C}", with: "\n\n")
    }

    /// How long `pdftotext` may take over one document: a crafted PDF must not hold an ingestion job forever.
    static let pdfTimeout: Duration = .seconds(120)

    /// Runs `tool` and returns its exit status; past `timeout`, or when the task is cancelled,
    /// the process is terminated and the call fails.
    static func run(_ tool: String, _ arguments: [String], timeout: Duration) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let child = RunningChild()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            child.stop()
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { process in
                    child.finished()
                    continuation.resume(returning: process.terminationStatus)
                }
                do {
                    try process.run()
                    child.started(process.processIdentifier)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            child.stop()
        }
        try Task.checkCancellation()
        guard !child.wasStopped else {
            throw APIError.validation(field: "file", "could not be read: \((tool as NSString).lastPathComponent) took longer than \(timeout)")
        }
        return status
    }

    private static func executablePath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A child process that may be killed from another task, but never after it was reaped.
private final class RunningChild: Sendable {
    private struct State {
        var pid: Int32 = 0
        var finished = false
        var stopped = false
    }
    private let state = Mutex(State())

    func started(_ pid: Int32) {
        let stopNow = state.withLock { state in
            state.pid = pid
            return state.stopped
        }
        if stopNow { kill(pid, SIGKILL) }
    }

    func finished() { state.withLock { $0.finished = true } }

    func stop() {
        let pid = state.withLock { state -> Int32 in
            guard !state.finished, !state.stopped else { return 0 }
            state.stopped = true
            return state.pid
        }
        if pid > 0 { kill(pid, SIGKILL) }
    }

    var wasStopped: Bool { state.withLock { $0.stopped } }
}

/// The text of an HTML page: headings as Markdown headings, block elements as line breaks,
/// scripts, styles and the head left out.
enum HTMLText {
    private static let skipped: Set<String> = ["script", "style", "head", "noscript", "template", "svg"]
    private static let blocks: Set<String> = [
        "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "ul", "ol", "table", "tr", "blockquote", "pre",
        "form", "figure", "dl", "dt", "dd", "hr",
    ]

    static func extract(_ html: String) -> String {
        var out = ""
        var skipping: String?
        var preformatted = 0
        for token in MarkupScanner(html) {
            switch token {
            case .open(let name, _, let selfClosing):
                if skipping != nil { continue }
                if skipped.contains(name) && !selfClosing {
                    skipping = name
                } else if let level = headingLevel(name) {
                    out += "\n\n" + String(repeating: "#", count: level) + " "
                } else if name == "li" {
                    out += "\n- "
                } else if name == "br" {
                    out += "\n"
                } else if name == "td" || name == "th" {
                    out += " "
                } else if blocks.contains(name) {
                    out += "\n\n"
                    if name == "pre" && !selfClosing { preformatted += 1 }
                }
            case .close(let name):
                if let skipped = skipping {
                    if name == skipped { skipping = nil }
                    continue
                }
                if headingLevel(name) != nil || blocks.contains(name) { out += "\n\n" }
                if name == "pre" { preformatted = max(0, preformatted - 1) }
            case .text(let text):
                guard skipping == nil else { continue }
                out += preformatted > 0 ? text : text.collapsingWhitespace()
            }
        }
        // Lines trimmed, at most one empty line in a row.
        var lines: [String] = []
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func headingLevel(_ name: String) -> Int? {
        guard name.count == 2, name.first == "h", let level = Int(name.dropFirst()), (1...6).contains(level) else { return nil }
        return level
    }
}

extension String {
    /// Each run of whitespace as one space.
    fileprivate func collapsingWhitespace() -> String {
        var result = ""
        var afterSpace = false
        for character in self {
            if character.isWhitespace {
                if !afterSpace { result.append(" ") }
                afterSpace = true
            } else {
                result.append(character)
                afterSpace = false
            }
        }
        return result
    }
}

/// Tags and text of HTML or XML, in order: names lower-cased for HTML's sake, attributes
/// read, character references decoded; comments, doctypes and processing instructions dropped.
struct MarkupScanner: Sequence, IteratorProtocol {
    enum Token: Equatable {
        case open(String, attributes: [String: String], selfClosing: Bool)
        case close(String)
        case text(String)
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ markup: String) { scalars = Array(markup.unicodeScalars) }

    mutating func next() -> Token? {
        guard index < scalars.count else { return nil }
        if scalars[index] == "<" {
            if starts(with: "<!--") { return skip(until: "-->") }
            if starts(with: "<![CDATA[") {
                index += 9
                let start = index
                while index < scalars.count, !starts(with: "]]>") { index += 1 }
                defer { index = Swift.min(index + 3, scalars.count) }
                return .text(string(start..<index))
            }
            if starts(with: "<!") || starts(with: "<?") { return skip(until: ">") }
            if let tag = tag() { return tag }
        }
        let start = index
        index += 1
        while index < scalars.count, scalars[index] != "<" { index += 1 }
        return .text(Self.decodeEntities(string(start..<index)))
    }

    private func starts(with prefix: String) -> Bool {
        var position = index
        for scalar in prefix.unicodeScalars {
            guard position < scalars.count, scalars[position] == scalar else { return false }
            position += 1
        }
        return true
    }

    private mutating func skip(until end: String) -> Token? {
        while index < scalars.count, !starts(with: end) { index += 1 }
        index = Swift.min(index + end.unicodeScalars.count, scalars.count)
        return next()
    }

    private func string(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[range])) }

    /// `<name attr="value" ...>` or `</name>`; nil (the `<` read as text) when it is not one.
    private mutating func tag() -> Token? {
        var position = index + 1
        let closing = position < scalars.count && scalars[position] == "/"
        if closing { position += 1 }
        let nameStart = position
        while position < scalars.count, scalars[position].properties.isAlphabetic || "0123456789:-_.".unicodeScalars.contains(scalars[position]) {
            position += 1
        }
        guard position > nameStart else { return nil }
        let name = string(nameStart..<position).lowercased()
        var attributes: [String: String] = [:]
        var quote: Unicode.Scalar?
        let attributesStart = position
        while position < scalars.count {
            let scalar = scalars[position]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == ">" {
                break
            }
            position += 1
        }
        let inside = string(attributesStart..<Swift.min(position, scalars.count))
        index = Swift.min(position + 1, scalars.count)
        if closing { return .close(name) }
        for match in inside.matches(of: /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/) {
            attributes[String(match.1)] = Self.decodeEntities(String(match.2 ?? match.3 ?? ""))
        }
        return .open(name, attributes: attributes, selfClosing: inside.hasSuffix("/"))
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "]
        return text.replacing(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/) { match in
            let body = String(match.1)
            if body.hasPrefix("#") {
                let number = body.dropFirst().lowercased().hasPrefix("x") ? UInt32(body.dropFirst(2), radix: 16) : UInt32(body.dropFirst())
                return number.flatMap(Unicode.Scalar.init).map { String(Character($0)) } ?? String(match.0)
            }
            return named[body] ?? String(match.0)
        }
    }
}
