import Foundation

/// Reads one or more cURL commands (separated by newlines, `;`, `&&` or blank lines).
/// Unknown options become warnings; credentials become secret variables.
struct CurlImporter {
    private var builder = CatalogBuilder()

    static func importCatalog(_ text: String) throws(APIError) -> ImportedCatalog {
        var tokenizer = CurlTokenizer()
        let commands = tokenizer.commands(in: text)
        var importer = CurlImporter()
        for warning in tokenizer.warnings { importer.builder.warn(warning.location, warning.message) }
        let curls = commands.filter { $0.first?.text == "curl" }
        guard !curls.isEmpty else { throw .importRefused(pointer: "", "no curl command found") }
        guard curls.count <= ImportLimits.maxOperations else {
            throw .importRefused(pointer: "", "more than \(ImportLimits.maxOperations) commands")
        }
        for command in commands where command.first?.text != "curl" {
            importer.builder.warn("line \(command[0].line)", "'\(command[0].text.prefix(40))' is not a curl command; skipped")
        }
        for command in curls { importer.read(command) }
        return importer.builder.catalog(format: .curl, title: nil)
    }

    private static let valued: [String: String] = [
        "-X": "request", "-H": "header", "-d": "data", "-u": "user", "-F": "form", "-A": "user-agent", "-e": "referer",
        "-b": "cookie", "-o": "output", "-m": "max-time", "-T": "upload-file", "-x": "proxy", "-w": "write-out", "-c": "cookie-jar",
        "-E": "cert", "-r": "range",
    ]
    private static let flags: [String: String] = [
        "-G": "get", "-I": "head", "-k": "insecure", "-L": "location", "-s": "silent", "-S": "show-error", "-v": "verbose",
        "-i": "include", "-f": "fail", "-g": "globoff", "-N": "no-buffer", "-0": "http1.0",
    ]
    private static let valuedLong: Set<String> = [
        "request", "header", "data", "data-raw", "data-binary", "data-ascii", "data-urlencode", "json", "user", "form",
        "form-string", "url", "user-agent", "referer", "cookie", "output", "max-time", "connect-timeout", "upload-file", "proxy",
        "write-out", "cookie-jar", "cert", "key", "cacert", "resolve", "retry", "range", "oauth2-bearer", "limit-rate",
    ]
    private static let flagLong: Set<String> = [
        "get", "head", "insecure", "location", "silent", "show-error", "verbose", "include", "fail", "globoff", "no-buffer",
        "compressed", "http1.0", "http1.1", "http2", "http2-prior-knowledge", "fail-with-body", "no-progress-meter", "raw",
    ]

    private struct Options {
        var values: [(option: String, value: String)] = []
        var flags: Set<String> = []
        var urls: [String] = []
        func all(_ names: String...) -> [String] { values.filter { names.contains($0.option) }.map(\.value) }
    }

    private mutating func read(_ command: [CurlTokenizer.Token]) {
        let location = "line \(command[0].line)"
        let options = parseOptions(command.dropFirst(), location: location)
        guard let rawURL = (options.all("url") + options.urls).first else {
            builder.warn(location, "a curl command without a URL; skipped")
            return
        }
        let url = SplitURL(rawURL)
        var request = ConcreteRequest(name: "", method: "GET", url: "", path: url.path, query: url.query)
        for header in options.all("header") {
            guard let colon = header.firstIndex(of: ":") else { continue }
            let name = header[..<colon].trimmingCharacters(in: .whitespaces)
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            addHeader(name: name, value: value, to: &request, location: location)
        }
        for (option, value) in [("user-agent", "User-Agent"), ("referer", "Referer")] {
            if let given = options.all(option).first { request.headers.append((value, given)) }
        }
        if !options.all("cookie").isEmpty { builder.warn(location, "cookies are not imported") }
        if let user = options.all("user").first {
            let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let password = parts.count > 1 ? builder.secret("password", value: String(parts[1]), location: location) : nil
            request.auth = RequestAuth(type: .basic, username: String(parts[0]), password: password)
        }
        if let token = options.all("oauth2-bearer").first {
            request.auth = RequestAuth(type: .bearer, token: builder.secret("token", value: token, location: location))
        }
        if let seconds = options.all("max-time").first.flatMap(Double.init), seconds > 0, seconds < 86_400 {
            request.timeoutMs = Int(seconds * 1000)
        }
        if !options.all("upload-file").isEmpty { builder.warn(location, "uploaded files are not imported") }
        readBody(options, into: &request, location: location)
        if options.flags.contains("head") { request.method = "HEAD" }
        if let method = options.all("request").last { request.method = method.uppercased() }
        guard EndpointShape.methods.contains(request.method.lowercased()) else {
            builder.warn(location, "unsupported method '\(request.method)'; skipped")
            return
        }
        request.url = builder.caseBase(for: url.base) + url.path
        request.name = "\(request.method) \(url.path)"
        let before = builder.endpoints.count
        builder.add(request.endpoint)
        if builder.endpoints.count == before { builder.warn(location, "\(request.name) repeats an earlier command; the first is kept") }
    }

    private mutating func parseOptions(_ tokens: ArraySlice<CurlTokenizer.Token>, location: String) -> Options {
        var options = Options()
        var index = tokens.startIndex
        func next() -> String? {
            index += 1
            return index < tokens.endIndex ? tokens[index].text : nil
        }
        while index < tokens.endIndex {
            let token = tokens[index].text
            if token.hasPrefix("--"), token.count > 2 {
                let name = String(token.dropFirst(2))
                if Self.valuedLong.contains(name) {
                    if let value = next() { options.values.append((name, value)) }
                } else if Self.flagLong.contains(name) {
                    options.flags.insert(name)
                } else {
                    builder.warn(location, "unknown option '\(token)' ignored")
                }
            } else if token.hasPrefix("-"), token.count > 1 {
                // Short options cluster (`-sSL`); a valued one takes the rest of the token or the next one.
                var rest = Substring(token.dropFirst())
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    let short = "-\(letter)"
                    if let name = Self.valued[short] {
                        if let value = rest.isEmpty ? next() : String(rest) { options.values.append((name, value)) }
                        break
                    } else if let name = Self.flags[short] {
                        options.flags.insert(name)
                    } else {
                        builder.warn(location, "unknown option '\(short)' ignored")
                    }
                }
            } else {
                options.urls.append(token)
            }
            index += 1
        }
        if options.urls.count > 1 { builder.warn(location, "only the first URL of a command is imported") }
        return options
    }

    private mutating func addHeader(name: String, value: String, to request: inout ConcreteRequest, location: String) {
        switch name.lowercased() {
        case "authorization":
            if value.lowercased().hasPrefix("bearer ") {
                let token = String(value.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
                request.auth = RequestAuth(type: .bearer, token: builder.secret("token", value: token, location: location))
            } else {
                request.headers.append((name, builder.secret("authorization", value: value, location: location)))
            }
        case "cookie": builder.warn(location, "the Cookie header is not imported")
        default: request.headers.append((name, value))
        }
    }

    private mutating func readBody(_ options: Options, into request: inout ConcreteRequest, location: String) {
        var data = options.all("data", "data-binary", "data-ascii").compactMap { value -> String? in
            guard value.hasPrefix("@") else { return value }
            builder.warn(location, "file data '\(value)' is not imported")
            return nil
        }
        data += options.all("data-raw")
        let encoded = options.all("data-urlencode").map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count > 1 ? (String(parts[0]), String(parts[1])) : ("", pair)
        }
        let forms = options.all("form", "form-string")
        let json = options.all("json")
        if options.flags.contains("get") {
            request.query += data.flatMap { SplitURL("?" + $0).query } + encoded
            return
        }
        guard !data.isEmpty || !encoded.isEmpty || !forms.isEmpty || !json.isEmpty else { return }
        request.method = "POST"
        let typeIndex = request.headers.firstIndex { $0.name.lowercased() == "content-type" }
        let contentType = typeIndex.map { request.headers[$0].value }
        var kind: RequestBody.Kind = .raw
        if !forms.isEmpty {
            request.body = RequestBody(type: .multipart, multipart: forms.map { multipartField($0, location: location) })
            kind = .multipart
        } else {
            let text = (json + data).joined(separator: json.isEmpty ? "&" : "")
            let parsed = try? JSONValue(parsing: text)
            if let parsed,
                !json.isEmpty || contentType?.lowercased().contains("json") == true
                    || (contentType == nil && (parsed.objectValue != nil || parsed.listValue != nil))
            {
                request.body = RequestBody(type: .json, json: parsed)
                kind = .json
            } else if contentType == nil || contentType?.lowercased().contains("x-www-form-urlencoded") == true {
                let pairs = (text.isEmpty ? [] : SplitURL("?" + text).query) + encoded
                request.body = RequestBody(type: .form, form: Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }))
                kind = .form
            } else {
                request.body = RequestBody(type: .raw, raw: text, contentType: contentType)
            }
        }
        if let typeIndex, kind != .raw || request.body?.contentType != nil { request.headers.remove(at: typeIndex) }
    }

    /// `name=value`, or `name=@path;type=…` for a file whose content stays behind.
    private mutating func multipartField(_ text: String, location: String) -> MultipartField {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let value = parts.count > 1 ? String(parts[1]) : ""
        guard value.hasPrefix("@") || value.hasPrefix("<") else { return MultipartField(name: name, value: value) }
        let attributes = value.dropFirst().split(separator: ";")
        let path = attributes.first.map(String.init) ?? ""
        let type = attributes.dropFirst().first { $0.hasPrefix("type=") }.map { String($0.dropFirst("type=".count)) }
        builder.warn(location, "the content of file '\(path)' for field '\(name)' is not imported")
        return MultipartField(name: name, filename: (path as NSString).lastPathComponent, contentType: type, contentBase64: "")
    }
}

/// Splits shell text into words the way a POSIX shell would for a curl command line:
/// quotes, `$'…'`, backslash escapes and line continuations, `#` comments.
struct CurlTokenizer {
    struct Token {
        var text: String
        var line: Int
    }
    private(set) var warnings: [ImportWarning] = []

    mutating func commands(in text: String) -> [[Token]] {
        let characters = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))
        var commands: [[Token]] = []
        var current: [Token] = []
        var word = ""
        var inWord = false
        var line = 1
        var wordLine = 1
        var index = 0

        func endWord() {
            if inWord { current.append(Token(text: word, line: wordLine)) }
            word = ""
            inWord = false
        }
        func endCommand() {
            endWord()
            if !current.isEmpty { commands.append(current) }
            current = []
        }
        func startWord() {
            if !inWord { wordLine = line }
            inWord = true
        }

        while index < characters.count {
            let character = characters[index]
            let following: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "\\":
                if following == "\n" {
                    line += 1
                } else if let following {
                    startWord()
                    word.append(following)
                }
                index += 2
                continue
            case " ", "\t":
                endWord()
            case "\n":
                endCommand()
                line += 1
            case ";", "|", "&":
                endCommand()
            case "#" where !inWord:
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            case "'":
                startWord()
                index = readQuoted(until: "'", from: index + 1, in: characters, line: &line) { word += $0 }
            case "$" where following == "'":
                startWord()
                index = readQuoted(
                    until: "'", from: index + 2, in: characters, line: &line, escape: { Self.ansiEscape(at: $0, in: characters) }
                ) { word += $0 }
            case "\"":
                startWord()
                index = readQuoted(
                    until: "\"", from: index + 1, in: characters, line: &line, escape: { Self.doubleQuotedEscape(at: $0, in: characters) }
                ) { word += $0 }
            default:
                startWord()
                word.append(character)
            }
            index += 1
        }
        endCommand()
        return commands
    }

    /// Reads to the closing `end`, letting `escape` decode a backslash sequence (how many
    /// characters it takes and what they stand for); returns the index of the closing quote,
    /// or the end of the text with a warning.
    private mutating func readQuoted(
        until end: Character, from start: Int, in characters: [Character], line: inout Int,
        escape: (Int) -> (length: Int, text: String)? = { _ in nil }, append: (String) -> Void
    ) -> Int {
        var index = start
        while index < characters.count, characters[index] != end {
            if characters[index] == "\\", let (length, text) = escape(index) {
                line += characters[index..<min(index + length, characters.count)].filter { $0 == "\n" }.count
                append(text)
                index += length
                continue
            }
            if characters[index] == "\n" { line += 1 }
            append(String(characters[index]))
            index += 1
        }
        if index >= characters.count { warnings.append(ImportWarning(location: "line \(line)", message: "unterminated quote")) }
        return index
    }

    /// In double quotes a backslash escapes only `"`, `\`, `$`, a backquote and a newline (a continuation).
    private static func doubleQuotedEscape(at index: Int, in characters: [Character]) -> (length: Int, text: String)? {
        guard index + 1 < characters.count, "\"\\$`\n".contains(characters[index + 1]) else { return nil }
        return (2, characters[index + 1] == "\n" ? "" : String(characters[index + 1]))
    }

    /// `$'…'`: C escapes such as `\n`, `\t`, `\'` and `\xHH`.
    private static func ansiEscape(at index: Int, in characters: [Character]) -> (length: Int, text: String)? {
        guard index + 1 < characters.count else { return nil }
        let code = characters[index + 1]
        if code == "x", index + 3 < characters.count, let byte = UInt8(String(characters[index + 2...index + 3]), radix: 16) {
            return (4, String(Character(Unicode.Scalar(byte))))
        }
        let escapes: [Character: Character] = ["n": "\n", "t": "\t", "r": "\r", "0": "\0", "e": "\u{1B}"]
        return (2, String(escapes[code] ?? code))
    }
}
