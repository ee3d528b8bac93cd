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
    /// A body type shared by several routes, narrowed for this one: named `name`, with
    /// `requiring` present and not null, and `omitting` absent (fields the route refuses).
    var bodyVariant: (name: String, requiring: [String], omitting: [String])?
    /// Rules across fields of the body (one of two ids; a key unless the provider needs none).
    var bodyAnyOf: [JSONSchema]?
    var bodyOneOf: [JSONSchema]?
    var success: Success
    /// Beyond those every route of its kind may give (401, 403, 404, 422, 413: see `errorStatuses`).
    var errors: [HTTPResponse.Status] = []
    /// Other statuses answered with the success body (a failing health report is still a report).
    var alsoFor: [HTTPResponse.Status] = []
    /// The `RateLimiter` count this route's requests go to, if any.
    var rateLimit: RateLimiter.Kind?

    enum Success: Sendable {
        /// A JSON body of the given type.
        case json(HTTPResponse.Status, SchemaType)
        case noContent
        /// JSON, or with `"stream": true` server-sent events (name → what its `data` holds).
        case jsonOrEventStream(SchemaType, events: [String: String])
        /// A body of another media type (a download, a page, metrics).
        case media(String, description: String)
        /// JSON of the given type, or, as the query chooses, other media types (type → description).
        case jsonOrMedia(SchemaType, others: [String: String])
    }

    init(
        _ summary: String, description: String? = nil, query: [QueryParameter] = [], path: [String: JSONSchema] = [:],
        body: (any Decodable.Type)? = nil, as variant: String? = nil, requiring: [String] = [], omitting: [String] = [],
        returns: (any Decodable.Type)? = nil, status: HTTPResponse.Status = .ok,
        alsoFor: [HTTPResponse.Status] = [], errors: [HTTPResponse.Status] = []
    ) {
        self.alsoFor = alsoFor
        self.bodyVariant = variant.map { ($0, requiring, omitting) }
        self.summary = summary
        self.description = description
        self.query = query
        self.pathParameters = path
        self.body = body.map(SchemaType.init)
        self.success = returns.map { .json(status, SchemaType($0)) } ?? .noContent
        self.errors = errors
    }

    init(
        _ summary: String, description: String? = nil, query: [QueryParameter] = [], path: [String: JSONSchema] = [:],
        body: (any Decodable.Type)? = nil, as variant: String? = nil, requiring: [String] = [], omitting: [String] = [],
        success: Success, errors: [HTTPResponse.Status] = []
    ) {
        self.bodyVariant = variant.map { ($0, requiring, omitting) }
        self.summary = summary
        self.description = description
        self.query = query
        self.pathParameters = path
        self.body = body.map(SchemaType.init)
        self.success = success
        self.errors = errors
    }
}

extension RouteContract {
    /// The body must also match at least one of `schemas`.
    func bodyMatching(anyOf schemas: [JSONSchema]) -> RouteContract {
        var contract = self
        contract.bodyAnyOf = schemas
        return contract
    }

    /// An expensive route: counted per user and per access token, 429 past the limit.
    func rateLimited(_ kind: RateLimiter.Kind) -> RouteContract {
        var contract = self
        contract.rateLimit = kind
        contract.errors.append(.tooManyRequests)
        return contract
    }

    /// The body must also match exactly one of `schemas`.
    func bodyMatching(oneOf schemas: [JSONSchema]) -> RouteContract {
        var contract = self
        contract.bodyOneOf = schemas
        return contract
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
            if schema.format == "date-time", ISO8601Timestamp.parse(value) == nil {
                return "must be an ISO 8601 timestamp such as 2026-01-31T00:00:00Z"
            }
            if let maximum = schema.maxLength, value.count > maximum { return "must be at most \(maximum) characters" }
        }
        return nil
    }
}

/// RFC 3339 timestamps (`2026-01-31T00:00:00Z`, `…T08:00:00.5+08:00`): any year from 0000,
/// fractional seconds, any offset up to ±23:59, a leap second read as :59.
enum ISO8601Timestamp {
    static func parse(_ text: String) -> Date? {
        let shape = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/
        guard let match = text.wholeMatch(of: shape) else { return nil }
        let (year, month, day) = (Int(match.1)!, Int(match.2)!, Int(match.3)!)
        let (hour, minute, second) = (Int(match.4)!, Int(match.5)!, Int(match.6)!)
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var offset = 0
        if let sign = match.9, let offsetHours = Int(match.10 ?? ""), let offsetMinutes = Int(match.11 ?? "") {
            guard (0...23).contains(offsetHours), (0...59).contains(offsetMinutes) else { return nil }
            offset = (sign == "-" ? -1 : 1) * (offsetHours * 3_600 + offsetMinutes * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day  // 31 February does not roll over
        else { return nil }
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        return date.addingTimeInterval(fraction - Double(offset))
    }
}
