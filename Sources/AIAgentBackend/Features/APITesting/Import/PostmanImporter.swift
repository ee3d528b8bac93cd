import Foundation

/// Reads a Postman Collection v2.1 (and v2.0) with an optional environment: folders become
/// tags, `{{variables}}` stay templates, auth presets become `RequestAuth`.
struct PostmanImporter {
    private var builder = CatalogBuilder()
    private var reportedHostVariables: Set<String> = []

    static func importCatalog(_ collection: JSONValue, environment: JSONValue?) throws(APIError) -> ImportedCatalog {
        guard let items = collection["item"]?.listValue else { throw .importRefused(pointer: "/item", "a Postman collection needs an 'item' array") }
        guard count(items) <= ImportLimits.maxOperations else {
            throw .importRefused(pointer: "/item", "more than \(ImportLimits.maxOperations) requests")
        }
        var importer = PostmanImporter()
        importer.readVariables(collection["variable"]?.listValue ?? [], enabledKey: "disabled")
        importer.readVariables(environment?["values"]?.listValue ?? [], enabledKey: "enabled")
        let auth = importer.auth(collection["auth"], at: "/auth")
        importer.walk(items, at: "/item", tags: [], auth: auth)
        return importer.builder.catalog(format: .postman, title: collection["info"]?["name"]?.stringValue)
    }

    private static func count(_ items: [JSONValue]) -> Int {
        items.reduce(0) { $0 + 1 + count($1["item"]?.listValue ?? []) }
    }

    /// Collection `variable` (`disabled: true` skips) or environment `values` (`enabled: false` skips).
    private mutating func readVariables(_ list: [JSONValue], enabledKey: String) {
        for variable in list {
            guard let key = variable["key"]?.stringValue else { continue }
            let skip = enabledKey == "enabled" ? variable["enabled"]?.boolValue == false : variable["disabled"]?.boolValue == true
            if skip { continue }
            builder.variables[key] = variable["value"] ?? ""
            if variable["type"]?.stringValue == "secret" { builder.markSecret(key) }
        }
    }

    private mutating func walk(_ items: [JSONValue], at pointer: String, tags: [String], auth: RequestAuth?) {
        for (index, item) in items.enumerated() {
            let itemPointer = "\(pointer)/\(index)"
            let name = item["name"]?.stringValue ?? "Request \(index + 1)"
            let itemAuth = self.auth(item["auth"], at: itemPointer + "/auth") ?? auth
            if let children = item["item"]?.listValue {
                walk(children, at: itemPointer + "/item", tags: tags + [name], auth: itemAuth)
            } else if let request = item["request"] {
                readRequest(request, item: item, name: name, at: itemPointer + "/request", tags: tags, auth: itemAuth)
            } else {
                builder.warn(itemPointer, "an item needs a 'request' or an 'item' array; skipped")
            }
        }
    }

    private mutating func readRequest(_ request: JSONValue, item: JSONValue, name: String, at pointer: String, tags: [String], auth: RequestAuth?) {
        let method = (request["method"]?.stringValue ?? "GET").uppercased()
        guard EndpointShape.methods.contains(method.lowercased()) else {
            builder.warn(pointer + "/method", "unsupported method '\(method)'; skipped")
            return
        }
        let urlValue = request.stringValue.map(JSONValue.string) ?? request["url"]
        guard let raw = Self.rawURL(urlValue) else {
            builder.warn(pointer + "/url", "a request needs a URL; skipped")
            return
        }
        let url = SplitURL(raw)
        reportHostVariable(url.base, at: pointer + "/url")
        var pathVariables: [String: JSONValue] = [:]
        for variable in urlValue?["variable"]?.listValue ?? [] {
            if let key = variable["key"]?.stringValue { pathVariables[key] = variable["value"] ?? "" }
        }
        // The origin stays as written: `{{base_url}}` already means the collection's variable.
        // `:id` and `{{id}}` path segments are the endpoint's templates; the case writes both `{{id}}`.
        let segments = url.path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> (path: String, url: String) in
            if segment.hasPrefix(":"), segment.count > 1 { return ("{\(segment.dropFirst())}", "{{\(segment.dropFirst())}}") }
            if segment.hasPrefix("{{"), segment.hasSuffix("}}"), segment.count > 4 {
                return ("{\(segment.dropFirst(2).dropLast(2))}", String(segment))
            }
            return (String(segment), String(segment))
        }
        let path = segments.map(\.path).joined(separator: "/")
        // v2.1 keeps a request's own auth inside `request`; folders and the collection keep theirs beside `item`.
        let auth = self.auth(request["auth"], at: pointer + "/auth") ?? auth
        var concrete = ConcreteRequest(
            name: name, method: method, url: url.base + segments.map(\.url).joined(separator: "/"), path: path,
            pathVariables: pathVariables, auth: auth, summary: name, tags: tags)
        let query = urlValue?["query"]?.listValue.map(Self.pairs) ?? url.query
        concrete.query = query
        concrete.headers = Self.pairs(request["header"]?.listValue ?? [])
        concrete.body = body(request["body"], at: pointer + "/body", headers: &concrete.headers)
        let codes = (item["response"]?.listValue ?? []).compactMap { $0["code"]?.intValue }
        concrete.status = EndpointShape.successStatus(codes.map(String.init))
        var endpoint = concrete.endpoint
        var responses: [String: JSONValue] = [:]
        for response in item["response"]?.listValue ?? [] {
            if let code = response["code"]?.intValue { responses[String(code)] = ["description": response["name"] ?? ""] }
        }
        endpoint.responses = .object(responses)
        let before = builder.endpoints.count
        builder.add(endpoint)
        if builder.endpoints.count == before { builder.warn(pointer, "\(endpoint.key) repeats an earlier request; the first is kept") }
    }

    private static func rawURL(_ url: JSONValue?) -> String? {
        guard let url else { return nil }
        if let text = url.stringValue { return text }
        if let raw = url["raw"]?.stringValue { return raw }
        let host = url["host"]?.listValue?.map(EndpointShape.text).joined(separator: ".") ?? url["host"]?.stringValue
        let path = url["path"]?.listValue?.map(EndpointShape.text).joined(separator: "/") ?? url["path"]?.stringValue
        guard let host else { return nil }
        let scheme = url["protocol"]?.stringValue.map { "\($0)://" } ?? ""
        return scheme + host + (path.map { "/" + $0 } ?? "")
    }

    private mutating func reportHostVariable(_ base: String, at pointer: String) {
        guard base.hasPrefix("{{"), base.hasSuffix("}}") else { return }
        let name = String(base.dropFirst(2).dropLast(2))
        if let value = builder.variables[name] {
            builder.baseURLs[name] = EndpointShape.text(value)
        } else if reportedHostVariables.insert(name).inserted {
            builder.warn(pointer, "the URL starts with {{\(name)}}, which has no value here; set it in the environment")
        }
    }

    /// `[{key, value, disabled}]` without the disabled ones.
    private static func pairs(_ list: [JSONValue]) -> [(name: String, value: String)] {
        list.compactMap { entry in
            guard entry["disabled"]?.boolValue != true, let key = entry["key"]?.stringValue else { return nil }
            return (key, entry["value"].map(EndpointShape.text) ?? "")
        }
    }

    private mutating func body(_ body: JSONValue?, at pointer: String, headers: inout [(name: String, value: String)]) -> RequestBody? {
        guard let body, let mode = body["mode"]?.stringValue else { return nil }
        let typeIndex = headers.firstIndex { $0.name.lowercased() == "content-type" }
        let contentType = typeIndex.map { headers[$0].value }
        var result: RequestBody
        switch mode {
        case "raw":
            let text = body["raw"].map(EndpointShape.text) ?? ""
            let isJSON = body["options"]?["raw"]?["language"]?.stringValue == "json" || contentType?.lowercased().contains("json") == true
            if isJSON, let json = try? JSONValue(parsing: text) {
                result = RequestBody(type: .json, json: json)
            } else {
                // JSON with unquoted `{{variables}}` is not JSON yet: it is sent as text.
                result = RequestBody(type: .raw, raw: text, contentType: contentType ?? (isJSON ? "application/json" : "text/plain"))
            }
        case "urlencoded":
            let pairs = Self.pairs(body["urlencoded"]?.listValue ?? [])
            result = RequestBody(type: .form, form: Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }))
        case "formdata":
            let fields = (body["formdata"]?.listValue ?? []).compactMap { field -> MultipartField? in
                guard field["disabled"]?.boolValue != true, let key = field["key"]?.stringValue else { return nil }
                guard field["type"]?.stringValue == "file" else {
                    return MultipartField(name: key, value: field["value"].map(EndpointShape.text) ?? "")
                }
                let source = field["src"]?.stringValue ?? field["src"]?.listValue?.first?.stringValue ?? "file"
                builder.warn(pointer, "the content of file '\(source)' for field '\(key)' is not imported")
                return MultipartField(name: key, filename: (source as NSString).lastPathComponent, contentBase64: "")
            }
            result = RequestBody(type: .multipart, multipart: fields)
        case "graphql":
            var json: [String: JSONValue] = ["query": body["graphql"]?["query"] ?? ""]
            if let variables = body["graphql"]?["variables"]?.stringValue, let parsed = try? JSONValue(parsing: variables) {
                json["variables"] = parsed
            }
            result = RequestBody(type: .json, json: .object(json))
        default:
            builder.warn(pointer, "body mode '\(mode)' is not imported")
            return nil
        }
        if let typeIndex, result.type != .raw { headers.remove(at: typeIndex) }
        if let typeIndex, result.type == .raw, result.contentType == contentType { headers.remove(at: typeIndex) }
        return result
    }

    /// A Postman auth block; `nil` for `inherit` or no block, so the parent's applies.
    private mutating func auth(_ auth: JSONValue?, at pointer: String) -> RequestAuth? {
        guard let auth, let type = auth["type"]?.stringValue else { return nil }
        // v2.1 lists `[{key, value}]`; v2.0 used an object.
        let block = auth[type]
        let values =
            block?.listValue.map { Dictionary(Self.pairs($0).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }) }
            ?? block?.objectValue?.mapValues(EndpointShape.text) ?? [:]
        switch type {
        case "noauth": return RequestAuth(type: .none)
        case "inherit": return nil
        case "bearer": return RequestAuth(type: .bearer, token: values["token"] ?? "")
        case "basic": return RequestAuth(type: .basic, username: values["username"] ?? "", password: values["password"] ?? "")
        case "apikey":
            return RequestAuth(
                type: .apiKey, name: values["key"] ?? "", value: values["value"] ?? "", in: values["in"] == "query" ? .query : .header)
        default:
            builder.warn(pointer, "auth type '\(type)' is not imported")
            return nil
        }
    }
}
