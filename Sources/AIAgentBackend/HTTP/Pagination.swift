import Foundation
import Hummingbird

/// `?page=1&page_size=20` (at most 100), validated.
public struct ListQuery: Sendable {
    public static let maxPageSize = 100
    public static let maxPage = 1_000_000
    public let page: Int
    public let pageSize: Int

    public init(_ request: Request) throws {
        let query = request.uri.queryParameters
        page = try Self.integer(query["page"].map(String.init), name: "page", default: 1, range: 1...Self.maxPage)
        pageSize = try Self.integer(query["page_size"].map(String.init), name: "page_size", default: 20, range: 1...Self.maxPageSize)
    }

    public var range: Range<Int> { ((page - 1) * pageSize)..<(page * pageSize) }

    private static func integer(_ raw: String?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError.validation(field: name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

/// The list envelope: `{"items", "total", "page", "page_size"}`.
public struct ListPage<Item: Codable & Sendable>: Codable, ResponseEncodable, Sendable {
    public let items: [Item]
    public let total: Int
    public let page: Int
    public let pageSize: Int

    enum CodingKeys: String, CodingKey {
        case items, total, page
        case pageSize = "page_size"
    }

    public init(items: [Item], total: Int, request: ListQuery) {
        self.items = items
        self.total = total
        self.page = request.page
        self.pageSize = request.pageSize
    }
}

extension Request {
    /// An ISO 8601 timestamp query parameter (`?from=2026-01-31T00:00:00Z`), nil when absent.
    func timestampParameter(_ name: String) throws -> Date? {
        guard let raw = uri.queryParameters[Substring(name)] else { return nil }
        guard let date = ISO8601Timestamp.parse(String(raw)) else {
            throw APIError.validation(field: name, "must be an ISO 8601 timestamp such as 2026-01-31T00:00:00Z")
        }
        return date
    }

    /// A UUID query parameter (`?user_id=…`), nil when absent.
    func uuidParameter(_ name: String) throws -> UUID? {
        guard let raw = uri.queryParameters[Substring(name)] else { return nil }
        guard let id = UUID(uuidString: String(raw)) else { throw APIError.validation(field: name, "must be a UUID") }
        return id
    }

    /// An enum-valued query parameter (`?type=chat`), nil when absent. Any other value is a
    /// 422 naming the parameter and the values allowed, never a silent default.
    func enumParameter<Value: RawRepresentable & CaseIterable>(_ name: String, as type: Value.Type = Value.self) throws -> Value?
    where Value.RawValue == String {
        guard let raw = uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Value(rawValue: String(raw)) else {
            throw APIError.validation(field: name, "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
