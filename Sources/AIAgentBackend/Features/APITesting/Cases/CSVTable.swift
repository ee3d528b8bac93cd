import Foundation

/// Reads CSV (RFC 4180: commas, fields optionally in double quotes, `""` for a quote inside
/// one, CRLF or LF line ends, line breaks inside quotes) into a `DataTable`: the first
/// record names the columns, every other record is a row of strings.
enum CSVTable {
    static let maxRows = 10_000
    static let maxColumns = 200

    /// A 422 naming the line of the first problem.
    static func parse(_ text: String) throws(APIError) -> DataTable {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false  // a quoted field ended: only a comma or a line end may follow
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var characters = Substring(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text).makeIterator()

        func fail(_ message: String) -> APIError { APIError.validation(field: "csv", "line \(line): \(message)") }

        func endRecord() {
            fields.append(field)
            // A blank line (one empty field) is no record.
            if fields != [""] { records.append((recordLine, fields)) }
            fields = []
            field = ""
            afterQuote = false
        }

        while let character = characters.next() {
            if inQuotes {
                if character == "\"" {
                    inQuotes = false
                    afterQuote = true
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where afterQuote:
                // `""` inside a quoted field: a literal quote.
                field.append("\"")
                inQuotes = true
                afterQuote = false
            case "\"":
                guard field.isEmpty else { throw fail("a quote inside an unquoted field") }
                inQuotes = true
                quoteLine = line
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                guard !afterQuote else { throw fail("text after a closing quote") }
                field.append(character)
            }
        }
        guard !inQuotes else { throw APIError.validation(field: "csv", "line \(quoteLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || afterQuote { endRecord() }

        guard let header = records.first else { throw APIError.validation(field: "csv", "line 1: the first line must name the columns") }
        guard header.fields.count <= maxColumns else { throw APIError.validation(field: "csv", "line 1: more than \(maxColumns) columns") }
        var seen = Set<String>()
        for column in header.fields {
            let name = column.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw APIError.validation(field: "csv", "line 1: a column has no name") }
            guard seen.insert(name).inserted else { throw APIError.validation(field: "csv", "line 1: the column '\(name)' is repeated") }
        }
        guard records.count - 1 <= maxRows else { throw APIError.validation(field: "csv", "more than \(maxRows) rows") }
        let rows = try records.dropFirst().map { (record) throws(APIError) -> [JSONValue] in
            guard record.fields.count == header.fields.count else {
                throw APIError.validation(
                    field: "csv", "line \(record.line): \(record.fields.count) fields where the header names \(header.fields.count)")
            }
            return record.fields.map { .string($0) }
        }
        return DataTable(columns: header.fields.map { $0.trimmingCharacters(in: .whitespaces) }, rows: rows)
    }
}
