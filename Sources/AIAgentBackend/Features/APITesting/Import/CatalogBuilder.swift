import Foundation

/// Collects what an importer finds: endpoints (the first of a key wins), warnings, variables
/// and base URLs, then hands them out as one catalogue in a stable order.
struct CatalogBuilder {
    private(set) var endpoints: [ImportedEndpoint] = []
    private var indexByKey: [String: Int] = [:]
    private(set) var warnings: [ImportWarning] = []
    var variables: [String: JSONValue] = [:]
    private var secrets: Set<String> = []
    var baseURLs: [String: String] = [:]

    mutating func warn(_ location: String, _ message: String) {
        warnings.append(ImportWarning(location: location, message: message))
    }

    /// Adds `endpoint` unless one with its key is there; returns the index of the one kept.
    @discardableResult
    mutating func add(_ endpoint: ImportedEndpoint) -> Int {
        if let index = indexByKey[endpoint.key] { return index }
        endpoints.append(endpoint)
        indexByKey[endpoint.key] = endpoints.count - 1
        return endpoints.count - 1
    }

    mutating func update(at index: Int, _ change: (inout ImportedEndpoint) -> Void) {
        change(&endpoints[index])
    }

    /// Keeps a credential out of the cases: stores it as a secret variable and returns its template.
    mutating func secret(_ name: String, value: String, location: String) -> String {
        if let known = variables[name], known != .string(value) {
            warn(location, "another value for the secret variable '\(name)' was already imported; the first one is kept")
        } else {
            variables[name] = .string(value)
        }
        secrets.insert(name)
        return "{{\(name)}}"
    }

    mutating func markSecret(_ name: String) { secrets.insert(name) }

    /// What a case URL starts with for an origin: a `{{variable}}` as it is, `{{base_url}}` for
    /// the first origin seen (and relative URLs), the origin itself for the others, which are
    /// reported under their host name.
    mutating func caseBase(for origin: String) -> String {
        if origin.hasPrefix("{{") { return origin }
        if origin.isEmpty { return "{{base_url}}" }
        if baseURLs["default"] == nil { baseURLs["default"] = origin }
        if baseURLs["default"] == origin { return "{{base_url}}" }
        let host = origin.components(separatedBy: "://").last ?? origin
        if baseURLs[host] == nil { baseURLs[host] = origin }
        return origin
    }

    func catalog(format: ImportFormat, title: String?) -> ImportedCatalog {
        let methodOrder = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]
        let ordered = endpoints.sorted {
            ($0.path, methodOrder.firstIndex(of: $0.method) ?? 99) < ($1.path, methodOrder.firstIndex(of: $1.method) ?? 99)
        }
        return ImportedCatalog(
            format: format, title: title, endpoints: ordered, warnings: warnings, variables: variables,
            secretVariables: secrets.sorted(), baseURLs: baseURLs)
    }
}

/// Paths, keys and starter cases, the same for every format.
enum EndpointShape {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `GET /pets/{param}`: template names do not count, nor a trailing slash.
    static func key(method: String, path: String) -> String {
        var normalised = path.replacingOccurrences(of: #"\{[^}/]*\}"#, with: "{param}", options: .regularExpression)
        while normalised.contains("//") { normalised = normalised.replacingOccurrences(of: "//", with: "/") }
        if normalised.count > 1, normalised.hasSuffix("/") { normalised.removeLast() }
        return "\(method.uppercased()) \(normalised.isEmpty ? "/" : normalised)"
    }

    /// The `{name}` templates of an OpenAPI-style path, in order.
    static func templateNames(in path: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: #"\{([^}/]+)\}"#) else { return [] }
        let range = NSRange(path.startIndex..., in: path)
        return expression.matches(in: path, range: range).compactMap { match in
            Range(match.range(at: 1), in: path).map { String(path[$0]) }
        }
    }

    /// `{{base_url}}/pets/{{petId}}` for `/pets/{petId}`.
    static func caseURL(for path: String) -> String {
        "{{base_url}}" + path.replacingOccurrences(of: #"\{([^}/]+)\}"#, with: "{{$1}}", options: .regularExpression)
    }

    /// One request step asserting `status`, or any 2xx when none is documented.
    static func starterCase(
        name: String, request: StepRequest, variables: [String: JSONValue], status: Int?
    ) -> TestCaseDefinition {
        let assertion =
            status.map { Assertion(type: .status, equals: $0) } ?? Assertion(type: .status, class: "2xx")
        let step = TestStep(name: name, request: request, assertions: [assertion])
        return TestCaseDefinition(variables: variables.isEmpty ? nil : variables, steps: [step])
    }

    /// The lowest 2xx among `statuses`.
    static func successStatus(_ statuses: some Sequence<String>) -> Int? {
        statuses.compactMap { Int($0) }.filter { (200..<300).contains($0) }.min()
    }

    /// A request body of the kind `contentType` calls for, holding `value`.
    static func body(contentType: String, value: JSONValue) -> RequestBody {
        let type = contentType.lowercased()
        if type.contains("json") { return RequestBody(type: .json, json: value) }
        if type.contains("x-www-form-urlencoded") {
            return RequestBody(type: .form, form: (value.objectValue ?? [:]).mapValues(text))
        }
        if type.contains("multipart/") {
            let fields = (value.objectValue ?? [:]).sorted { $0.key < $1.key }.map { MultipartField(name: $0.key, value: text($0.value)) }
            return RequestBody(type: .multipart, multipart: fields)
        }
        return RequestBody(type: .raw, raw: text(value), contentType: contentType)
    }

    /// A JSON value as a form field or raw text: strings bare, everything else as JSON.
    static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return value.jsonString
    }
}
