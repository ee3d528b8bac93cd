import Foundation
import Testing
import ZIPFoundation
@testable import AIAgentBackend

/// Real files made here: HTML, CSV, JSON, a DOCX assembled from its XML parts, a PDF written by fpdf2.
@Suite struct DocumentParserTests {
    @Test func htmlKeepsTextAndHeadingsWithoutScriptsOrStyles() async throws {
        let html = """
            <!DOCTYPE html><html><head><title>Ignored</title><style>.a { color: red }</style></head>
            <body><h1>Main</h1><p>Hello &amp; <b>welcome</b>&#33;</p><script>alert("no")</script>
            <h2 class="x">Sub</h2><ul><li>one</li><li>two</li></ul><!-- a comment --></body></html>
            """
        let text = try await DocumentParser.parse(Data(html.utf8), format: .html)
        #expect(text == "# Main\n\nHello & welcome!\n\n## Sub\n\n- one\n- two")
    }

    @Test func csvRowsBecomeParagraphs() async throws {
        let text = try await DocumentParser.parse(Data("name,role\nAda,engineer\n\"Lin, Y\",designer\n".utf8), format: .csv)
        #expect(text == "name: Ada\nrole: engineer\n\nname: Lin, Y\nrole: designer")
    }

    @Test func jsonBecomesPathLines() async throws {
        let text = try await DocumentParser.parse(Data(#"[{"b": 1, "a": {"c": "x"}}, {"tags": ["p", "q"]}]"#.utf8), format: .json)
        #expect(text == "[0].a.c: x\n[0].b: 1\n\n[1].tags[0]: p\n[1].tags[1]: q")
        await #expect(throws: APIError.self) { try await DocumentParser.parse(Data("{".utf8), format: .json) }
    }

    @Test func docxParagraphsAndHeadings() async throws {
        let data = try Self.docx(
            paragraphs: [
                ("Heading1", ["Overview"]), (nil, ["Hello ", "world &amp; more"]), ("Heading2", ["Details"]), (nil, ["知识库文档"]),
            ])
        #expect(DocumentFormat.detect(filename: nil, contentType: nil, bytes: data) == .docx)
        let text = try await DocumentParser.parse(data, format: .docx)
        #expect(text == "# Overview\n\nHello world & more\n\n## Details\n\n知识库文档")
        await #expect(throws: APIError.self) { try await DocumentParser.parse(Data("not a zip".utf8), format: .docx) }
    }

    @Test func aDocxUnpackingPastTheLimitIsRefused() throws {
        let data = try Self.docx(paragraphs: [(nil, [String(repeating: "unpacked ", count: 100)])])
        #expect(try DocumentParser.docx(data).contains("unpacked"))
        #expect(throws: APIError.self) { try DocumentParser.docx(data, maxXMLBytes: 200) }
    }

    @Test func aToolRunningPastItsTimeoutIsStopped() async throws {
        #expect(try await DocumentParser.run("/bin/true", [], timeout: .seconds(30)) == 0)
        let start = ContinuousClock.now
        await #expect(throws: APIError.self) { try await DocumentParser.run("/bin/sleep", ["30"], timeout: .milliseconds(200)) }
        // Stopped, not waited for: well inside the 30 s the tool would take.
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func pdfThroughPdftotext() async throws {
        let data = try Self.pdf(lines: ["Knowledge retrieval from PDF files", "Second line of the page"])
        #expect(DocumentFormat.detect(filename: "x", contentType: nil, bytes: data) == .pdf)
        let text = try await DocumentParser.parse(data, format: .pdf)
        #expect(text.contains("Knowledge retrieval from PDF files"))
        #expect(text.contains("Second line of the page"))
        await #expect(throws: APIError.self) { try await DocumentParser.parse(Data("%PDF-1.4 broken".utf8), format: .pdf) }
    }

    @Test func formatsAreDetected() {
        #expect(DocumentFormat.detect(filename: "Guide.MD", contentType: nil, bytes: Data()) == .markdown)
        #expect(DocumentFormat.detect(filename: "page", contentType: "text/html; charset=utf-8", bytes: Data()) == .html)
        #expect(DocumentFormat.detect(filename: nil, contentType: nil, bytes: Data("plain".utf8)) == .text)
        #expect(DocumentFormat.detect(filename: nil, contentType: nil, bytes: Data([0, 1, 2])) == nil)
    }

    /// A minimal WordprocessingML package: content types, relationships and the document part.
    static func docx(paragraphs: [(style: String?, runs: [String])]) throws -> Data {
        let body = paragraphs.map { style, runs in
            let properties = style.map { "<w:pPr><w:pStyle w:val=\"\($0)\"/></w:pPr>" } ?? ""
            return "<w:p>\(properties)" + runs.map { "<w:r><w:t xml:space=\"preserve\">\($0)</w:t></w:r>" }.joined() + "</w:p>"
        }.joined()
        let parts = [
            "[Content_Types].xml": """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
            </Types>
            """,
            "_rels/.rels": """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>\
            </Relationships>
            """,
            "word/document.xml": """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\(body)<w:sectPr/></w:body></w:document>
            """,
        ]
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, text) in parts.sorted(by: { $0.key < $1.key }) {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return try #require(archive.data)
    }

    /// A one-page PDF written by fpdf2 (installed by `scripts/test`).
    static func pdf(lines: [String]) throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.pdf")
        let script = """
            import sys
            from fpdf import FPDF
            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("Helvetica", size=14)
            for line in sys.argv[2:]:
                pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
            pdf.output(sys.argv[1])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, output.path] + lines
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with fpdf2 made no PDF: run ./scripts/test, which installs it")
        return try Data(contentsOf: output)
    }
}
