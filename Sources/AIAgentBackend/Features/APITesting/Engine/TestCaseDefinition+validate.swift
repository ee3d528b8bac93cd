import Foundation

extension TestCaseDefinition {
    static let maxSteps = 100
    static let maxDataRows = 1000
    static let maxWaitMs = 300_000
    static let maxTimeoutMs = 300_000
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    /// Everything that can be checked before a run: a 422 naming the first bad field by its
    /// path (`steps[1].assert[0].op`).
    func validate() throws(APIError) {
        // No steps is a draft: it may be saved, and a run records it as an error.
        guard steps.count <= Self.maxSteps else { throw .validation(field: "steps", "must hold at most \(Self.maxSteps) steps") }
        for (name, value) in variables ?? [:] {
            try Self.checkVariableName(name, field: "variables")
            try Self.checkTemplates(in: value, field: "variables.\(name)")
        }
        if let data { try Self.validate(data) }
        for (index, step) in steps.enumerated() { try step.validate(field: "steps[\(index)]") }
    }

    private static func validate(_ data: DataTable) throws(APIError) {
        guard !data.columns.isEmpty else { throw .validation(field: "data.columns", "must name at least one column") }
        for (index, column) in data.columns.enumerated() { try checkVariableName(column, field: "data.columns[\(index)]") }
        guard Set(data.columns).count == data.columns.count else { throw .validation(field: "data.columns", "must not repeat a name") }
        guard data.rows.count <= maxDataRows else { throw .validation(field: "data.rows", "must hold at most \(maxDataRows) rows") }
        for (index, row) in data.rows.enumerated() where row.count != data.columns.count {
            throw .validation(field: "data.rows[\(index)]", "has \(row.count) values for \(data.columns.count) columns")
        }
    }

    static func checkVariableName(_ name: String, field: String) throws(APIError) {
        guard !name.isEmpty, name.count <= 128, !name.hasPrefix("$"), !name.contains("{"), !name.contains("}"),
            !name.contains(where: \.isWhitespace)
        else { throw .validation(field: field, "'\(name)' is not a variable name (1 to 128 characters, no spaces, braces or leading $)") }
    }

    static func checkTemplate(_ text: String, field: String) throws(APIError) {
        if let problem = Template.problem(in: text) { throw .validation(field: field, problem) }
    }

    static func checkTemplates(in value: JSONValue, field: String) throws(APIError) {
        switch value {
        case .string(let text): try checkTemplate(text, field: field)
        case .array(let items): for (index, item) in items.enumerated() { try checkTemplates(in: item, field: "\(field)[\(index)]") }
        case .object(let object): for (key, member) in object { try checkTemplates(in: member, field: "\(field).\(key)") }
        default: break
        }
    }

    static func checkRegex(_ pattern: String?, field: String) throws(APIError) {
        guard let pattern else { return }
        do { _ = try PatternCache.expression(pattern) } catch { throw .validation(field: field, "is not a valid regular expression") }
    }

    static func checkPath(_ path: String?, field: String) throws(APIError) {
        guard let path else { throw .validation(field: field, "is required") }
        do { _ = try JSONPath.cached(path) } catch { throw .validation(field: field, "is not a valid JSONPath: \(error.description)") }
    }
}

extension TestStep {
    func validate(field: String) throws(APIError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200 else {
            throw .validation(field: "\(field).name", "must be 1 to 200 characters")
        }
        let kinds = [request != nil, wait != nil, set != nil].filter { $0 }.count
        guard kinds == 1 else { throw .validation(field: field, "must have exactly one of request, wait or set") }
        if let wait {
            _ = try APIError.checked(wait.ms, field: "\(field).wait.ms", in: 0...TestCaseDefinition.maxWaitMs)
        }
        for (name, value) in set ?? [:] {
            try TestCaseDefinition.checkVariableName(name, field: "\(field).set")
            try TestCaseDefinition.checkTemplates(in: value, field: "\(field).set.\(name)")
        }
        if request == nil, extract?.isEmpty == false || assertions?.isEmpty == false {
            throw .validation(field: field, "only a request step can extract or assert")
        }
        if let request { try request.validate(field: "\(field).request") }
        for (index, extraction) in (extract ?? []).enumerated() { try extraction.validate(field: "\(field).extract[\(index)]") }
        for (index, assertion) in (assertions ?? []).enumerated() { try assertion.validate(field: "\(field).assert[\(index)]") }
    }
}

extension StepRequest {
    func validate(field: String) throws(APIError) {
        guard TestCaseDefinition.methods.contains(method) else {
            throw .validation(field: "\(field).method", "must be one of \(TestCaseDefinition.methods.sorted().joined(separator: ", "))")
        }
        guard !url.trimmingCharacters(in: .whitespaces).isEmpty else { throw .validation(field: "\(field).url", "must not be empty") }
        try TestCaseDefinition.checkTemplate(url, field: "\(field).url")
        for (name, value) in headers ?? [:] {
            guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == ":" }) else {
                throw .validation(field: "\(field).headers", "'\(name)' is not a header name")
            }
            try TestCaseDefinition.checkTemplate(value, field: "\(field).headers.\(name)")
        }
        for (name, value) in query ?? [:] { try TestCaseDefinition.checkTemplate(value, field: "\(field).query.\(name)") }
        if let timeoutMs { _ = try APIError.checked(timeoutMs, field: "\(field).timeout_ms", in: 1...TestCaseDefinition.maxTimeoutMs) }
        if let body { try body.validate(field: "\(field).body") }
        if let auth { try auth.validate(field: "\(field).auth") }
    }
}

extension RequestBody {
    func validate(field: String) throws(APIError) {
        switch type {
        case .json:
            guard let json else { throw .validation(field: "\(field).json", "is required for a json body") }
            try TestCaseDefinition.checkTemplates(in: json, field: "\(field).json")
        case .form:
            guard let form else { throw .validation(field: "\(field).form", "is required for a form body") }
            for (name, value) in form { try TestCaseDefinition.checkTemplate(value, field: "\(field).form.\(name)") }
        case .multipart:
            guard let multipart, !multipart.isEmpty else { throw .validation(field: "\(field).multipart", "is required for a multipart body") }
            for (index, part) in multipart.enumerated() {
                let partField = "\(field).multipart[\(index)]"
                guard !part.name.isEmpty else { throw .validation(field: "\(partField).name", "must not be empty") }
                switch (part.value, part.contentBase64) {
                case (let value?, nil): try TestCaseDefinition.checkTemplate(value, field: "\(partField).value")
                case (nil, let content?):
                    guard Data(base64Encoded: content) != nil else { throw .validation(field: "\(partField).content_base64", "is not base64") }
                default: throw .validation(field: partField, "must have exactly one of value or content_base64")
                }
            }
        case .raw:
            guard let raw else { throw .validation(field: "\(field).raw", "is required for a raw body") }
            try TestCaseDefinition.checkTemplate(raw, field: "\(field).raw")
        case .none:
            break
        }
    }
}

extension RequestAuth {
    func validate(field: String) throws(APIError) {
        func required(_ value: String?, _ name: String) throws(APIError) {
            guard let value, !value.isEmpty else { throw .validation(field: "\(field).\(name)", "is required for \(type.rawValue) auth") }
            try TestCaseDefinition.checkTemplate(value, field: "\(field).\(name)")
        }
        switch type {
        case .none: break
        case .bearer: try required(token, "token")
        case .basic:
            try required(username, "username")
            try TestCaseDefinition.checkTemplate(password ?? "", field: "\(field).password")
        case .apiKey:
            try required(name, "name")
            try required(value, "value")
        case .oauth2ClientCredentials:
            try required(tokenURL, "token_url")
            try required(clientID, "client_id")
            try required(clientSecret, "client_secret")
        }
    }
}

extension Extraction {
    func validate(field: String) throws(APIError) {
        try TestCaseDefinition.checkVariableName(variable, field: "\(field).var")
        switch from {
        case .json: try TestCaseDefinition.checkPath(path, field: "\(field).path")
        case .header, .cookie:
            guard let name, !name.isEmpty else { throw .validation(field: "\(field).name", "is required to extract from a \(from.rawValue)") }
        case .status, .body: break
        }
        try TestCaseDefinition.checkRegex(regex, field: "\(field).regex")
    }
}

extension Assertion {
    static let statusClasses: Set<String> = ["1xx", "2xx", "3xx", "4xx", "5xx"]
    static let jsonTypes: Set<String> = ["string", "number", "integer", "boolean", "null", "array", "object"]

    /// The operators each type takes.
    static let operators: [Kind: Set<Operator>] = [
        .header: [.exists, .eq, .matches],
        .json: [.eq, .ne, .gt, .gte, .lt, .lte, .contains, .notContains, .in, .matches, .exists, .notExists, .type, .length],
        .body: [.contains, .matches],
    ]

    func validate(field: String) throws(APIError) {
        switch type {
        case .status:
            let given = [equals != nil, self.in != nil, self.class != nil].filter { $0 }.count
            guard given == 1 else { throw .validation(field: field, "a status assertion takes exactly one of equals, in or class") }
            if let equals { _ = try APIError.checked(equals, field: "\(field).equals", in: 100...599) }
            if let codes = self.in {
                guard !codes.isEmpty, codes.allSatisfy({ $0.numberValue.map { (100...599).contains($0) && $0.rounded() == $0 } ?? false }) else {
                    throw .validation(field: "\(field).in", "must list status codes from 100 to 599")
                }
            }
            if let statusClass = self.class, !Self.statusClasses.contains(statusClass) {
                throw .validation(field: "\(field).class", "must be one of 1xx, 2xx, 3xx, 4xx, 5xx")
            }
        case .header:
            guard let name, !name.isEmpty else { throw .validation(field: "\(field).name", "is required for a header assertion") }
            try checkOperator(field: field)
        case .json:
            try TestCaseDefinition.checkPath(path, field: "\(field).path")
            try checkOperator(field: field)
        case .body:
            try checkOperator(field: field)
        case .responseTime:
            guard let ltMs, ltMs > 0 else { throw .validation(field: "\(field).lt_ms", "must be a positive number of milliseconds") }
        case .schema:
            if let schema {
                guard case .object = schema, (try? JSONSchema(json: schema)) != nil else {
                    throw .validation(field: "\(field).schema", "is not a JSON Schema object")
                }
            }
        }
    }

    private func checkOperator(field: String) throws(APIError) {
        let allowed = Self.operators[type] ?? []
        guard let op, allowed.contains(op) else {
            throw .validation(field: "\(field).op", "must be one of \(allowed.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        let needsValue = ![.exists, .notExists].contains(op) && !(type == .header && op == .exists)
        guard let value else {
            if needsValue { throw .validation(field: "\(field).value", "is required for '\(op.rawValue)'") }
            return
        }
        try TestCaseDefinition.checkTemplates(in: value, field: "\(field).value")
        switch op {
        case .matches:
            guard let pattern = value.stringValue else { throw .validation(field: "\(field).value", "must be a regular expression string") }
            if !pattern.contains("{{") { try TestCaseDefinition.checkRegex(pattern, field: "\(field).value") }
        case .type:
            guard let name = value.stringValue, Self.jsonTypes.contains(name) else {
                throw .validation(field: "\(field).value", "must be one of \(Self.jsonTypes.sorted().joined(separator: ", "))")
            }
        case .length:
            guard let length = value.numberValue, length >= 0, length.rounded() == length else {
                throw .validation(field: "\(field).value", "must be a non-negative integer")
            }
        case .in:
            guard case .array = value else { throw .validation(field: "\(field).value", "must be an array") }
        case .eq, .contains:
            guard type == .json || value.stringValue != nil else { throw .validation(field: "\(field).value", "must be a string") }
        default:
            break
        }
    }
}
