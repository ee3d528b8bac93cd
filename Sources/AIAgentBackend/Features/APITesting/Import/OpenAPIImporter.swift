import Foundation

/// Reads OpenAPI 3.0/3.1 and Swagger 2.0 documents. The two share paths, operations and
/// `$ref`s; they differ in where servers, bodies, parameter schemas and media types live.
struct OpenAPIImporter {
    private let root: JSONValue
    private let swagger: Bool
    private var builder = CatalogBuilder()
    private var operationIDs: [String: String] = [:]
    /// Schema nodes inlined so far: past the budget, `$ref`s are kept as they are.
    private var inlineBudget = 200_000
    private static let pathItemKeys: Set<String> = ["parameters", "summary", "description", "servers", "$ref"]

    static func importCatalog(_ root: JSONValue, swagger: Bool) throws(APIError) -> ImportedCatalog {
        var importer = OpenAPIImporter(root: root, swagger: swagger)
        return try importer.run()
    }

    private init(root: JSONValue, swagger: Bool) {
        self.root = root
        self.swagger = swagger
    }

    private mutating func run() throws(APIError) -> ImportedCatalog {
        guard let paths = root["paths"]?.objectValue else { throw .importRefused(pointer: "/paths", "an object of paths is required") }
        let operationCount = paths.values.reduce(0) { count, item in
            count + (item.objectValue?.keys.filter { EndpointShape.methods.contains($0.lowercased()) }.count ?? 0)
        }
        guard operationCount <= ImportLimits.maxOperations else {
            throw .importRefused(pointer: "/paths", "more than \(ImportLimits.maxOperations) operations")
        }
        if swagger { readSwaggerBaseURL() } else { readServers() }
        for (path, rawItem) in paths.sorted(by: { $0.key < $1.key }) {
            let pointer = JSONPointer.join("", "paths", path)
            guard let item = deref(rawItem, at: pointer)?.objectValue else {
                if rawItem["$ref"] == nil { builder.warn(pointer, "a path item must be an object") }
                continue
            }
            let pathParameters = readParameters(item["parameters"], at: JSONPointer.join(pointer, "parameters"))
            for (key, operation) in item.sorted(by: { $0.key < $1.key }) where !Self.pathItemKeys.contains(key) {
                let operationPointer = JSONPointer.join(pointer, key)
                guard EndpointShape.methods.contains(key.lowercased()) else {
                    if !key.hasPrefix("x-") { builder.warn(operationPointer, "unsupported method '\(key)' skipped") }
                    continue
                }
                guard let operation = operation.objectValue else {
                    builder.warn(operationPointer, "an operation must be an object")
                    continue
                }
                readOperation(operation, method: key.uppercased(), path: path, pathParameters: pathParameters, pointer: operationPointer)
            }
        }
        return builder.catalog(format: swagger ? .swagger : .openapi, title: root["info"]?["title"]?.stringValue)
    }

    // MARK: Servers

    private mutating func readServers() {
        for (index, server) in (root["servers"]?.listValue ?? []).enumerated() {
            guard var url = server["url"]?.stringValue else { continue }
            for (name, variable) in (server["variables"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let value = variable["default"].map(EndpointShape.text) else {
                    builder.warn(JSONPointer.join("/servers/\(index)/variables", name), "a server variable needs a default")
                    continue
                }
                url = url.replacingOccurrences(of: "{\(name)}", with: value)
                if builder.variables[name] == nil { builder.variables[name] = .string(value) }
            }
            let name = index == 0 ? "default" : (server["description"]?.stringValue ?? "server_\(index + 1)")
            if builder.baseURLs[name] == nil { builder.baseURLs[name] = url }
        }
    }

    private mutating func readSwaggerBaseURL() {
        let basePath = root["basePath"]?.stringValue ?? ""
        guard let host = root["host"]?.stringValue, !host.isEmpty else {
            if !basePath.isEmpty { builder.baseURLs["default"] = basePath }
            return
        }
        let schemes = root["schemes"]?.listValue?.compactMap(\.stringValue) ?? []
        let scheme = schemes.contains("https") ? "https" : (schemes.first ?? "https")
        builder.baseURLs["default"] = "\(scheme)://\(host)\(basePath == "/" ? "" : basePath)"
    }

    // MARK: Operations

    private mutating func readOperation(
        _ operation: [String: JSONValue], method: String, path: String, pathParameters: [(identity: Identity, parameter: Parameter)],
        pointer: String
    ) {
        let operationID = operation["operationId"]?.stringValue
        if let operationID {
            if let first = operationIDs[operationID] {
                builder.warn(pointer, "duplicate operationId '\(operationID)' (first at \(first))")
            } else {
                operationIDs[operationID] = pointer
            }
        } else {
            builder.warn(pointer, "missing operationId")
        }
        // Operation parameters override path-level ones of the same name and location.
        var parameters = pathParameters
        for (identity, parameter) in readParameters(operation["parameters"], at: JSONPointer.join(pointer, "parameters")) {
            parameters.removeAll { $0.identity == identity }
            parameters.append((identity, parameter))
        }
        checkPathTemplates(path: path, parameters: parameters, pointer: pointer)

        let sampler = SchemaSampler(resolve: { [root] ref in Self.lookUp(ref, in: root) })
        var variables: [String: JSONValue] = [:]
        var query: [String: String] = [:]
        var headers: [String: String] = [:]
        var bodyParameters: [BodyParameter] = []
        var storedParameters: [JSONValue] = []
        for (identity, parameter) in parameters {
            let schema = parameter.schema
            let required = parameter.required || identity.location == "path"
            let value = parameter.example ?? sampler.sample(schema)
            switch identity.location {
            case "path": variables[identity.name] = .string(EndpointShape.text(value))
            case "query" where required:
                // An array parameter is sent comma-separated, OpenAPI's default `form` style without `explode`.
                query[identity.name] = value.listValue.map { $0.map(EndpointShape.text).joined(separator: ",") } ?? EndpointShape.text(value)
            case "header" where required && !["content-type", "accept", "authorization"].contains(identity.name.lowercased()):
                headers[identity.name] = EndpointShape.text(value)
            case "formData", "body":
                bodyParameters.append(BodyParameter(name: identity.name, location: identity.location, schema: schema, required: required))
                continue
            default: break
            }
            var stored: [String: JSONValue] = [
                "name": .string(identity.name), "in": .string(identity.location), "required": .bool(required), "schema": schema,
            ]
            if let description = parameter.description { stored["description"] = .string(description) }
            if let example = parameter.example { stored["example"] = example }
            storedParameters.append(.object(stored))
        }
        for name in EndpointShape.templateNames(in: path) where variables[name] == nil { variables[name] = "1" }

        let requestBody =
            swagger
            ? swaggerBody(bodyParameters, operation: operation)
            : openAPIBody(operation["requestBody"], at: JSONPointer.join(pointer, "requestBody"))
        var body: RequestBody?
        var storedBody: JSONValue?
        if let requestBody {
            let value = requestBody.example ?? sampler.sample(requestBody.schema)
            body = EndpointShape.body(contentType: requestBody.contentType, value: value)
            var stored: [String: JSONValue] = ["content_type": .string(requestBody.contentType), "schema": requestBody.schema]
            if let example = requestBody.example { stored["example"] = example }
            storedBody = .object(stored)
        }
        let responses = readResponses(operation["responses"], operation: operation, at: JSONPointer.join(pointer, "responses"))
        let request = StepRequest(
            method: method, url: EndpointShape.caseURL(for: path), headers: headers.isEmpty ? nil : headers,
            query: query.isEmpty ? nil : query, body: body)
        let endpoint = ImportedEndpoint(
            key: EndpointShape.key(method: method, path: path), method: method, path: path,
            summary: operation["summary"]?.stringValue, tags: operation["tags"]?.listValue?.compactMap(\.stringValue) ?? [],
            parameters: .array(storedParameters), requestBody: storedBody, responses: .object(responses),
            deprecated: operation["deprecated"]?.boolValue ?? false, operationID: operationID,
            starterCase: EndpointShape.starterCase(
                name: operationID ?? "\(method) \(path)", request: request, variables: variables,
                status: EndpointShape.successStatus(responses.keys)))
        builder.add(endpoint)
    }

    private struct Parameter {
        var schema: JSONValue
        var required: Bool
        var description: String?
        var example: JSONValue?
    }
    private typealias Identity = (name: String, location: String)

    private mutating func readParameters(_ list: JSONValue?, at pointer: String) -> [(identity: Identity, parameter: Parameter)] {
        guard let list else { return [] }
        guard let items = list.listValue else {
            builder.warn(pointer, "parameters must be an array")
            return []
        }
        var result: [(identity: Identity, parameter: Parameter)] = []
        for (index, raw) in items.enumerated() {
            let itemPointer = "\(pointer)/\(index)"
            guard let parameter = deref(raw, at: itemPointer) else { continue }
            guard let name = parameter["name"]?.stringValue, let location = parameter["in"]?.stringValue else {
                builder.warn(itemPointer, "a parameter needs a name and an 'in'")
                continue
            }
            var schema = parameter["schema"] ?? parameter["content"]?.objectValue?.values.first?["schema"]
            if swagger, location != "body" { schema = Self.swaggerSchema(of: parameter) }
            let example = parameter["example"] ?? parameter["x-example"] ?? parameter["examples"]?.objectValue?.values.first?["value"]
            result.append(
                (
                    (name, location),
                    Parameter(
                        schema: inline(schema ?? [:], at: JSONPointer.join(itemPointer, "schema")),
                        required: parameter["required"]?.boolValue ?? false,
                        description: parameter["description"]?.stringValue, example: example)
                ))
        }
        return result
    }

    /// Swagger 2.0 keeps a non-body parameter's schema keywords on the parameter itself.
    private static func swaggerSchema(of parameter: JSONValue) -> JSONValue {
        let keywords = [
            "type", "format", "items", "enum", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "minLength", "maxLength", "pattern", "minItems", "maxItems",
        ]
        var schema: [String: JSONValue] = [:]
        for keyword in keywords { schema[keyword] = parameter[keyword] }
        if schema["type"]?.stringValue == "file" { schema["type"] = "string"; schema["format"] = "binary" }
        return .object(schema)
    }

    private mutating func checkPathTemplates(path: String, parameters: [(identity: Identity, parameter: Parameter)], pointer: String) {
        let templates = EndpointShape.templateNames(in: path)
        let declared = parameters.map(\.identity).filter { $0.location == "path" }.map(\.name)
        for name in declared where !templates.contains(name) {
            builder.warn(pointer, "path parameter '\(name)' is declared but not in the path template")
        }
        for name in templates where !declared.contains(name) {
            builder.warn(pointer, "path template '{\(name)}' has no declared parameter")
        }
    }

    // MARK: Bodies and responses

    private struct BodyParameter {
        var name: String
        var location: String
        var schema: JSONValue
        var required: Bool
    }

    private struct Body {
        var contentType: String
        var schema: JSONValue
        var example: JSONValue?
    }

    private mutating func openAPIBody(_ raw: JSONValue?, at pointer: String) -> Body? {
        guard let raw, let body = deref(raw, at: pointer), let content = body["content"]?.objectValue,
            let contentType = Self.preferredMediaType(content.keys)
        else { return nil }
        let media = content[contentType] ?? [:]
        let mediaPointer = JSONPointer.join(pointer, "content", contentType)
        var example = media["example"]
        if example == nil, let examples = media["examples"]?.objectValue, let first = examples.keys.sorted().first {
            example = deref(examples[first] ?? .null, at: JSONPointer.join(mediaPointer, "examples", first))?["value"]
        }
        return Body(
            contentType: contentType, schema: inline(media["schema"] ?? [:], at: JSONPointer.join(mediaPointer, "schema")),
            example: example)
    }

    private func swaggerBody(_ parameters: [BodyParameter], operation: [String: JSONValue]) -> Body? {
        let consumes = (operation["consumes"] ?? root["consumes"])?.listValue?.compactMap(\.stringValue) ?? []
        // An `in: body` parameter is the whole body; `formData` parameters are the fields of a form.
        if let body = parameters.first(where: { $0.location == "body" }) {
            return Body(contentType: Self.preferredMediaType(consumes) ?? "application/json", schema: body.schema)
        }
        guard !parameters.isEmpty else { return nil }
        let hasFile = parameters.contains { $0.schema["format"]?.stringValue == "binary" }
        let contentType =
            hasFile || consumes.contains("multipart/form-data") ? "multipart/form-data" : "application/x-www-form-urlencoded"
        let properties = Dictionary(parameters.map { ($0.name, $0.schema) }, uniquingKeysWith: { first, _ in first })
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        let required = parameters.filter(\.required).map { JSONValue.string($0.name) }
        if !required.isEmpty { schema["required"] = .array(required) }
        return Body(contentType: contentType, schema: .object(schema))
    }

    private mutating func readResponses(_ raw: JSONValue?, operation: [String: JSONValue], at pointer: String) -> [String: JSONValue] {
        guard let responses = raw?.objectValue else {
            builder.warn(pointer, "an operation needs a responses object")
            return [:]
        }
        let produces = (operation["produces"] ?? root["produces"])?.listValue?.compactMap(\.stringValue) ?? []
        var result: [String: JSONValue] = [:]
        for (status, rawResponse) in responses where !status.hasPrefix("x-") {
            let responsePointer = JSONPointer.join(pointer, status)
            guard let response = deref(rawResponse, at: responsePointer) else { continue }
            var stored: [String: JSONValue] = [:]
            stored["description"] = response["description"]
            if swagger {
                if let schema = response["schema"] {
                    stored["content_type"] = .string(Self.preferredMediaType(produces) ?? "application/json")
                    stored["schema"] = inline(schema, at: JSONPointer.join(responsePointer, "schema"))
                }
            } else if let content = response["content"]?.objectValue, let contentType = Self.preferredMediaType(content.keys) {
                stored["content_type"] = .string(contentType)
                if let schema = content[contentType]?["schema"] {
                    stored["schema"] = inline(schema, at: JSONPointer.join(responsePointer, "content", contentType, "schema"))
                }
            }
            result[status] = .object(stored)
        }
        return result
    }

    /// JSON first, then forms, then whatever sorts first.
    private static func preferredMediaType(_ types: some Collection<String>) -> String? {
        let sorted = types.sorted()
        return sorted.first { $0.hasPrefix("application/json") } ?? sorted.first { $0.contains("+json") }
            ?? sorted.first { $0.contains("x-www-form-urlencoded") } ?? sorted.first { $0.hasPrefix("multipart/") } ?? sorted.first
    }

    // MARK: References

    private static func lookUp(_ ref: String, in root: JSONValue) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        return JSONPointer.resolve(String(ref.dropFirst()), in: root)
    }

    /// `value`, or what its `$ref` chain leads to; `nil` (with a warning) when a reference is unknown.
    private mutating func deref(_ value: JSONValue, at pointer: String) -> JSONValue? {
        var current = value
        var seen: Set<String> = []
        while let ref = current["$ref"]?.stringValue {
            guard !seen.contains(ref), seen.count < 32 else {
                builder.warn(pointer, "circular $ref '\(ref)' skipped")
                return nil
            }
            seen.insert(ref)
            guard let target = Self.lookUp(ref, in: root) else {
                builder.warn(pointer, "unknown $ref '\(ref)' skipped")
                return nil
            }
            current = target
        }
        return current
    }

    /// `schema` with every local `$ref` replaced by its target, except a reference back into
    /// one being expanded (a recursive schema), which stays a `$ref`.
    private mutating func inline(_ schema: JSONValue, at pointer: String, expanding: [String] = []) -> JSONValue {
        inlineBudget -= 1
        switch schema {
        case .object(var members):
            if let ref = members["$ref"]?.stringValue {
                guard !expanding.contains(ref), inlineBudget > 0, expanding.count < ImportLimits.maxDepth else { return schema }
                guard let target = Self.lookUp(ref, in: root) else {
                    builder.warn(pointer, "unknown $ref '\(ref)' skipped")
                    members["$ref"] = nil
                    return inline(.object(members), at: pointer, expanding: expanding)
                }
                members["$ref"] = nil
                // 3.1 lets siblings such as `description` sit beside a `$ref`; they win.
                let expanded = inline(target, at: pointer, expanding: expanding + [ref])
                guard case .object(var result) = expanded else { return expanded }
                result.merge(members.mapValues { inline($0, at: pointer, expanding: expanding) }) { _, sibling in sibling }
                return .object(result)
            }
            var result: [String: JSONValue] = [:]
            for (key, value) in members {
                result[key] = inline(value, at: JSONPointer.join(pointer, key), expanding: expanding)
            }
            return .object(result)
        case .array(let items):
            return .array(items.enumerated().map { inline($1, at: "\(pointer)/\($0)", expanding: expanding) })
        default:
            return schema
        }
    }
}
