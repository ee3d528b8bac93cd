import Foundation

/// Reads a HAR 1.2 recording: each entry is a call to an endpoint; the same method and
/// path (numbers and UUIDs templated as `{id}`) is one endpoint. Cookies and credentials
/// are dropped with a warning, never stored.
struct HARImporter {
    private var builder = CatalogBuilder()
    private static let droppedHeaders: Set<String> = ["host", "content-length", "connection"]
    private static let credentialHeaders: Set<String> = ["cookie", "set-cookie", "authorization", "proxy-authorization"]

    static func importCatalog(_ har: JSONValue) throws(APIError) -> ImportedCatalog {
        guard let entries = har["log"]?["entries"]?.listValue else {
            throw .importRefused(pointer: "/log/entries", "a HAR file needs a 'log.entries' array")
        }
        guard entries.count <= ImportLimits.maxOperations else {
            throw .importRefused(pointer: "/log/entries", "more than \(ImportLimits.maxOperations) entries")
        }
        var importer = HARImporter()
        for (index, entry) in entries.enumerated() { importer.read(entry, at: "/log/entries/\(index)") }
        let title = har["log"]?["creator"]?["name"]?.stringValue
        return importer.builder.catalog(format: .har, title: title)
    }

    private mutating func read(_ entry: JSONValue, at pointer: String) {
        guard let method = entry["request"]?["method"]?.stringValue?.uppercased(), let rawURL = entry["request"]?["url"]?.stringValue else {
            builder.warn(pointer, "an entry needs request.method and request.url; skipped")
            return
        }
        guard EndpointShape.methods.contains(method.lowercased()) else {
            builder.warn(pointer, "unsupported method '\(method)'; skipped")
            return
        }
        let request = entry["request"] ?? [:]
        let url = SplitURL(rawURL)
        let (path, variables) = SplitURL.templated(url.path)
        var concrete = ConcreteRequest(
            name: "\(method) \(path)", method: method,
            url: builder.caseBase(for: url.base) + EndpointShape.caseURL(for: path).dropFirst("{{base_url}}".count),
            path: path, pathVariables: variables)
        var dropped: [String] = []
        for header in request["headers"]?.listValue ?? [] {
            guard let name = header["name"]?.stringValue, !name.hasPrefix(":") else { continue }
            let lowered = name.lowercased()
            if Self.credentialHeaders.contains(lowered) {
                if !dropped.contains(lowered) { dropped.append(lowered) }
            } else if !Self.droppedHeaders.contains(lowered) {
                concrete.headers.append((name, header["value"].map(EndpointShape.text) ?? ""))
            }
        }
        if !(request["cookies"]?.listValue ?? []).isEmpty, !dropped.contains("cookie") { dropped.append("cookie") }
        if !dropped.isEmpty {
            builder.warn(pointer + "/request", "\(dropped.joined(separator: ", ")) not imported: recorded credentials are never stored")
        }
        concrete.query =
            request["queryString"]?.listValue?.compactMap { item in
                item["name"]?.stringValue.map { ($0, item["value"].map(EndpointShape.text) ?? "") }
            } ?? url.query
        concrete.body = body(request["postData"], at: pointer + "/request/postData")
        if concrete.body.map({ $0.type != .raw }) == true {
            concrete.headers.removeAll { $0.name.lowercased() == "content-type" }
        }
        concrete.status = entry["response"]?["status"]?.intValue.flatMap { (100...599).contains($0) ? $0 : nil }
        let endpoint = concrete.endpoint
        let before = builder.endpoints.count
        let index = builder.add(endpoint)
        guard builder.endpoints.count == before, let status = concrete.status else { return }
        // A repeated call adds its status; the starter case asserts the lowest success seen.
        builder.update(at: index) { kept in
            guard case .object(var responses) = kept.responses else { return }
            responses[String(status)] = responses[String(status)] ?? ["description": ""]
            kept.responses = .object(responses)
            if let success = EndpointShape.successStatus(responses.keys) {
                kept.starterCase.steps[0].assertions = [Assertion(type: .status, equals: success)]
            }
        }
    }

    private mutating func body(_ postData: JSONValue?, at pointer: String) -> RequestBody? {
        guard let postData else { return nil }
        let mimeType = postData["mimeType"]?.stringValue ?? "application/octet-stream"
        let text = postData["text"]?.stringValue ?? ""
        let params = postData["params"]?.listValue ?? []
        let lowered = mimeType.lowercased()
        if lowered.contains("json"), let json = try? JSONValue(parsing: text) {
            return RequestBody(type: .json, json: json)
        }
        if lowered.contains("x-www-form-urlencoded") {
            let pairs =
                params.isEmpty
                ? SplitURL("?" + text).query
                : params.compactMap { param in param["name"]?.stringValue.map { ($0, param["value"].map(EndpointShape.text) ?? "") } }
            return RequestBody(type: .form, form: Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { _, last in last }))
        }
        if lowered.hasPrefix("multipart/"), !params.isEmpty {
            let fields = params.compactMap { param -> MultipartField? in
                guard let name = param["name"]?.stringValue else { return nil }
                guard let file = param["fileName"]?.stringValue else {
                    return MultipartField(name: name, value: param["value"].map(EndpointShape.text) ?? "")
                }
                builder.warn(pointer, "the content of file '\(file)' for field '\(name)' is not imported")
                return MultipartField(name: name, filename: file, contentType: param["contentType"]?.stringValue, contentBase64: "")
            }
            return RequestBody(type: .multipart, multipart: fields)
        }
        return text.isEmpty ? nil : RequestBody(type: .raw, raw: text, contentType: mimeType)
    }
}
