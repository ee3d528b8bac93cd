import Foundation
import HTTPTypes
import Hummingbird

/// What a route takes and gives. Every route declares one; the OpenAPI document, the
/// reference at `/docs` and the response check of the test suite are all made from it.
struct RouteContract: Sendable {
    var summary: String
    var description: String?
    var query: [QueryParameter] = []
    /// Path parameters that are not UUIDs (the default for `:id` and `:*_id`).
    var pathParameters: [String: JSONSchema] = [:]
    var body: SchemaType?
    var success: Success
    /// Beyond those every route of its kind may give (401, 403, 404, 422, 413: see `errorStatuses`).
    var errors: [HTTPResponse.Status] = []
    /// Other statuses answered with the success body (a failing health report is still a report).
    var alsoFor: [HTTPResponse.Status] = []

    enum Success: Sendable {
        /// A JSON body of the given type.
        case json(HTTPResponse.Status, SchemaType)
        case noContent
        /// JSON, or with `"stream": true` server-sent events (name → what its `data` holds).
        case jsonOrEventStream(SchemaType, events: [String: String])
        /// A body of another media type (a download, a page, metrics).
        case media(String, description: String)
    }

    init(_ summary: String, description: String? = nil, query: [QueryParameter] = [], path: [String: JSONSchema] = [:],
         body: (any Decodable.Type)? = nil, returns: (any Decodable.Type)? = nil, status: HTTPResponse.Status = .ok,
         alsoFor: [HTTPResponse.Status] = [], errors: [HTTPResponse.Status] = []) {
        self.alsoFor = alsoFor
        self.summary = summary
        self.description = description
        self.query = query
        self.pathParameters = path
        self.body = body.map(SchemaType.init)
        self.success = returns.map { .json(status, SchemaType($0)) } ?? .noContent
        self.errors = errors
    }

    init(_ summary: String, description: String? = nil, query: [QueryParameter] = [], path: [String: JSONSchema] = [:],
         body: (any Decodable.Type)? = nil, success: Success, errors: [HTTPResponse.Status] = []) {
        self.summary = summary
        self.description = description
        self.query = query
        self.pathParameters = path
        self.body = body.map(SchemaType.init)
        self.success = success
        self.errors = errors
    }
}

/// A DTO type, kept for reflection when the document is built.
/// `@unchecked`: metatypes are immutable.
struct SchemaType: @unchecked Sendable {
    let type: any Decodable.Type
    init(_ type: any Decodable.Type) { self.type = type }
}

/// A query parameter: its name, schema and whether it must be given.
struct QueryParameter: Sendable {
    let name: String
    let schema: JSONSchema
    var required = false
    var description: String?

    static func string(_ name: String, maxLength: Int = InputLimits.defaultMaxLength, _ description: String? = nil) -> QueryParameter {
        QueryParameter(name: name, schema: .string(maxLength: maxLength), description: description)
    }

    static func uuid(_ name: String, _ description: String? = nil) -> QueryParameter {
        QueryParameter(name: name, schema: .uuid, description: description)
    }

    static func dateTime(_ name: String, _ description: String? = nil) -> QueryParameter {
        QueryParameter(name: name, schema: .dateTime, description: description)
    }

    static func integer(_ name: String, in range: ClosedRange<Int>, _ description: String? = nil) -> QueryParameter {
        QueryParameter(name: name, schema: .integer(minimum: range.lowerBound, maximum: range.upperBound), description: description)
    }

    static func boolean(_ name: String, _ description: String? = nil) -> QueryParameter {
        QueryParameter(name: name, schema: .boolean, description: description)
    }

    static func oneOf<E: CaseIterable & RawRepresentable>(_ name: String, _ type: E.Type, _ description: String? = nil) -> QueryParameter
    where E.RawValue == String {
        QueryParameter(name: name, schema: .enumeration(E.allCases.map(\.rawValue)), description: description)
    }

    /// `page` and `page_size`, as `ListQuery` reads them.
    static let paging: [QueryParameter] = [
        .integer("page", in: 1...ListQuery.maxPage, "Page number, from 1"),
        .integer("page_size", in: 1...ListQuery.maxPageSize, "Items per page"),
    ]
}

/// A route as registered: method, template (`/api/v1/users/:id`), access and contract.
struct RouteDeclaration: Sendable {
    let method: HTTPRequest.Method
    let path: String
    let access: Access
    let contract: RouteContract

    /// The error answers this route can give, from its kind and its contract.
    var errorStatuses: [HTTPResponse.Status] {
        var statuses: [HTTPResponse.Status] = []
        if access != .anyone { statuses.append(.unauthorized) }
        if case .permission = access { statuses.append(.forbidden) }
        if path.contains("/:") { statuses.append(.notFound) }
        if contract.body != nil { statuses += [.contentTooLarge, .unprocessableContent] }
        if !contract.query.isEmpty || !contract.pathParameters.isEmpty { statuses.append(.unprocessableContent) }
        statuses += contract.errors
        var seen = Set<Int>()
        return statuses.filter { seen.insert($0.code).inserted }.sorted { $0.code < $1.code }
    }
}

extension RouteContract {
    /// Every declared query parameter the request carries must match its schema: the
    /// contract is enforced here once, before any handler reads the query.
    func checkQuery(of request: Request) throws(APIError) {
        let parameters = request.uri.queryParameters
        for parameter in query {
            for value in parameters.getAll(parameter.name) {
                if let problem = parameter.problem(with: value) { throw APIError.validation(field: parameter.name, problem) }
            }
        }
    }
}

extension QueryParameter {
    /// Why `value` does not fit the schema, or nil.
    func problem(with value: String) -> String? {
        if let allowed = schema.enumValues {
            return allowed.contains(value) ? nil : "must be one of \(allowed.compactMap { $0 }.joined(separator: ", "))"
        }
        switch schema.type?.first {
        case "integer":
            guard let number = Int(value) else { return "must be an integer" }
            if let minimum = schema.minimum, Double(number) < minimum { return "must be at least \(Int(minimum))" }
            if let maximum = schema.maximum, Double(number) > maximum { return "must be at most \(Int(maximum))" }
        case "boolean":
            guard value == "true" || value == "false" else { return "must be true or false" }
        default:
            if schema.format == "uuid", UUID(uuidString: value) == nil { return "must be a UUID" }
            if schema.format == "date-time", ISO8601Timestamp.parse(value) == nil { return "must be an ISO 8601 timestamp such as 2026-01-31T00:00:00Z" }
            if let maximum = schema.maxLength, value.count > maximum { return "must be at most \(maximum) characters" }
        }
        return nil
    }
}

/// RFC 3339 timestamps, with or without fractional seconds, in UTC or with an offset.
enum ISO8601Timestamp {
    static func parse(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text))
    }
}
