import Foundation

/// One recorded or written-out request (a cURL command, a HAR entry, a Postman request),
/// turned into an endpoint whose starter case replays it.
struct ConcreteRequest {
    var name: String
    var method: String
    /// The case's URL: a base (`{{base_url}}`, a Postman `{{host}}`, a literal origin) and the path.
    var url: String
    /// The endpoint's path, templates written `{name}`.
    var path: String
    var pathVariables: [String: JSONValue] = [:]
    var headers: [(name: String, value: String)] = []
    var query: [(name: String, value: String)] = []
    var body: RequestBody?
    var auth: RequestAuth?
    var timeoutMs: Int?
    var status: Int?
    var summary: String?
    var tags: [String] = []

    var endpoint: ImportedEndpoint {
        var parameters: [JSONValue] = pathVariables.keys.sorted().map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"], "example": pathVariables[name] ?? .null]
        }
        for (location, pairs) in [("query", query), ("header", headers)] {
            parameters += pairs.map {
                ["name": .string($0.name), "in": .string(location), "required": false, "schema": ["type": "string"], "example": .string($0.value)]
            }
        }
        let request = StepRequest(
            method: method, url: url, headers: Self.dictionary(headers), query: Self.dictionary(query), body: body, auth: auth,
            timeoutMs: timeoutMs)
        let responses: [String: JSONValue] = status.map { [String($0): ["description": ""]] } ?? [:]
        return ImportedEndpoint(
            key: EndpointShape.key(method: method, path: path), method: method, path: path, summary: summary, tags: tags,
            parameters: .array(parameters), requestBody: body.map(Self.describe), responses: .object(responses),
            deprecated: false, operationID: nil,
            starterCase: EndpointShape.starterCase(name: name, request: request, variables: pathVariables, status: status))
    }

    /// The first value of each name; `nil` when there are none.
    private static func dictionary(_ pairs: [(name: String, value: String)]) -> [String: String]? {
        pairs.isEmpty ? nil : Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// `{content_type, example}`: a recorded body documents its shape by example only.
    private static func describe(_ body: RequestBody) -> JSONValue {
        switch body.type {
        case .json: ["content_type": "application/json", "example": body.json ?? .null]
        case .form: ["content_type": "application/x-www-form-urlencoded", "example": .object((body.form ?? [:]).mapValues(JSONValue.string))]
        case .multipart:
            [
                "content_type": "multipart/form-data",
                "example": .object(
                    Dictionary(
                        (body.multipart ?? []).map { ($0.name, JSONValue.string($0.value ?? $0.filename ?? "")) },
                        uniquingKeysWith: { first, _ in first })),
            ]
        case .raw: ["content_type": .string(body.contentType ?? "text/plain"), "example": .string(body.raw ?? "")]
        case .none: ["content_type": .null]
        }
    }
}

/// A URL cut into its origin, path and query, tolerating `{{templates}}` that `URLComponents` refuses.
struct SplitURL {
    /// `https://api.example.com`, `{{base_url}}`, or empty for a relative URL.
    var base: String
    var path: String
    var query: [(name: String, value: String)]

    init(_ url: String) {
        var rest = Substring(url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        var queryText: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if rest.hasPrefix("{{"), let close = rest.range(of: "}}") {
            base = String(rest[..<close.upperBound])
            rest = rest[close.upperBound...]
        } else if let scheme = rest.range(of: "://") {
            let authorityEnd = rest[scheme.upperBound...].firstIndex(of: "/") ?? rest.endIndex
            base = String(rest[..<authorityEnd])
            rest = rest[authorityEnd...]
        } else if rest.hasPrefix("/") {
            base = ""
        } else {
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            base = "http://" + rest[..<authorityEnd]
            rest = rest[authorityEnd...]
        }
        path = rest.isEmpty ? "/" : String(rest)
        query = queryText.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// `/users/42/orders/3fa85f64-…` → `/users/{id}/orders/{id2}` with the values, for recorded traffic.
    static func templated(_ path: String) -> (path: String, variables: [String: JSONValue]) {
        var variables: [String: JSONValue] = [:]
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            let text = String(segment)
            let isNumber = !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber)
            guard isNumber || UUID(uuidString: text) != nil else { return text }
            let name = variables.isEmpty ? "id" : "id\(variables.count + 1)"
            variables[name] = .string(text)
            return "{\(name)}"
        }
        return (segments.joined(separator: "/"), variables)
    }
}
