/// Parser for `.env` files: `KEY=value` lines, `#` comments, optional `export `,
/// single- or double-quoted values (double quotes understand \n, \" and \\).
enum DotEnv {
    static func parse(_ text: String, source: String) throws(SettingsError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw SettingsError(variable: "\(source):\(index + 1)", message: "expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw SettingsError(variable: "\(source):\(index + 1)", message: "'\(key)' is not a variable name")
            }
            values[key] = unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        return values
    }

    private static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
            return String(value.dropFirst().dropLast())
        }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            var result = ""
            var escaping = false
            for character in value.dropFirst().dropLast() {
                if escaping {
                    result.append(character == "n" ? "\n" : character)
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else {
                    result.append(character)
                }
            }
            return result
        }
        // An unquoted value ends at an inline comment.
        if let hash = value.range(of: " #") { return value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces) }
        return value
    }
}
