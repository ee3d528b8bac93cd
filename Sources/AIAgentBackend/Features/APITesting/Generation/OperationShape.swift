import Foundation

/// An endpoint's OpenAPI parts as the generation checks cases against them: its path, its
/// declared parameters and its JSON request schema. These are the fixed oracles; the
/// model's opinion of its own cases is never one.
struct OperationShape: Sendable {
    struct Parameter: Sendable {
        var name: String
        var location: String
        var required: Bool
    }

    let endpointID: UUID?
    let key: String
    let method: String
    let pathSegments: [Substring]
    let parameters: [Parameter]
    let bodySchema: JSONValue?
    let endpoint: APIEndpoint

    init(_ endpoint: APIEndpoint) throws {
        self.endpoint = endpoint
        endpointID = endpoint.id
        key = endpoint.operationKey
        method = endpoint.method.rawValue
        pathSegments = endpoint.path.split(separator: "/")
        let parameters = (try JSONColumn.decode(endpoint.parametersJSON, as: JSONValue.self))?.listValue ?? []
        self.parameters = parameters.compactMap { parameter in
            guard let name = parameter["name"]?.stringValue, let location = parameter["in"]?.stringValue else { return nil }
            return Parameter(name: name, location: location, required: parameter["required"]?.boolValue ?? false)
        }
        let body = try JSONColumn.decode(endpoint.requestBodyJSON, as: JSONValue.self)
        let isJSON = body?["content_type"]?.stringValue.map { $0.contains("json") } ?? false
        bodySchema = isJSON ? body?["schema"] : nil
    }

    /// Names a test point may cite: parameters, and properties anywhere in the request schema.
    var fieldNames: Set<String> {
        var names = Set(parameters.map(\.name))
        func collect(_ schema: JSONValue, depth: Int) {
            guard depth < 16 else { return }
            switch schema {
            case .object(let members):
                for (key, value) in members {
                    if key == "properties", case .object(let properties) = value { names.formUnion(properties.keys) }
                    collect(value, depth: depth + 1)
                }
            case .array(let items): for item in items { collect(item, depth: depth + 1) }
            default: break
            }
        }
        if let bodySchema { collect(bodySchema, depth: 0) }
        return names
    }

    /// What is wrong with a designed case of `kind` for this operation; empty when nothing is.
    func problems(of definition: TestCaseDefinition, kind: GeneratedCaseKind) -> [String] {
        guard let step = definition.steps.first(where: { $0.request.map(calls) ?? false }), let request = step.request else {
            return ["no step calls \(key)"]
        }
        var problems: [String] = []
        let query = request.query ?? [:]
        if kind != .security {
            let declared = Set(parameters.filter { $0.location == "query" }.map(\.name))
            for name in query.keys.sorted() where !declared.contains(name) {
                problems.append("step '\(step.name)': query parameter '\(name)' is not declared by \(key)")
            }
        }
        if kind == .positive {
            for parameter in parameters where parameter.required && parameter.location == "query" && query[parameter.name] == nil {
                problems.append("step '\(step.name)': the required query parameter '\(parameter.name)' is missing")
            }
        }
        guard let bodySchema, let schema = try? JSONSchema(json: bodySchema) else { return problems }
        // Not a ternary: `nil` there would become JSON `null` (`JSONValue` is nil-literal expressible).
        var body: JSONValue?
        if let sent = request.body, sent.type == .json { body = sent.json ?? .null }
        switch kind {
        case .positive:
            guard let body else {
                problems.append("step '\(step.name)': \(key) takes a JSON body and the step sends none")
                break
            }
            if let violation = SchemaValidator(components: [:]).violation(of: body, against: schema) {
                problems.append("step '\(step.name)': the body does not match the request schema: \(violation)")
            }
        case .negative:
            // A missing body breaks a schema that wants one; a body that matches breaks nothing.
            if let body, SchemaValidator(components: [:]).violation(of: body, against: schema) == nil {
                problems.append("step '\(step.name)': a negative case's body must break the request schema, and this one matches it")
            }
        case .boundary, .auth, .security:
            break
        }
        return problems
    }

    /// Whether `request` is a call of this operation: the method, and the URL's path after
    /// its base matching the template segment by segment (`{id}` matches any segment).
    func calls(_ request: StepRequest) -> Bool {
        guard request.method.uppercased() == method else { return false }
        var url = Substring(request.url)
        if url.hasPrefix("{{"), let end = url.range(of: "}}") {
            url = url[end.upperBound...]
        } else if let scheme = url.range(of: "://") {
            url = url[scheme.upperBound...].drop { $0 != "/" }
        }
        if let query = url.firstIndex(where: { $0 == "?" || $0 == "#" }) { url = url[..<query] }
        let segments = url.split(separator: "/")
        guard segments.count == pathSegments.count else { return false }
        return zip(segments, pathSegments).allSatisfy { actual, expected in
            expected.hasPrefix("{") && expected.hasSuffix("}") ? !actual.isEmpty : actual == expected
        }
    }
}

extension TestCaseDefinition {
    /// What makes two cases the same test: their requests and their assertions, whatever their names.
    var duplicateKey: String {
        JSONValue.array(
            steps.map { step in
                ["request": JSONValue(encoding: step.request), "assert": JSONValue(encoding: step.assertions ?? [])]
            }
        ).jsonString
    }
}
