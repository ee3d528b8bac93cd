import Foundation
import Hummingbird

/// An error a client may see: `{"error": {"code", "message", "details"}}` with a real
/// HTTP status. Anything else thrown by a handler becomes a generic 500.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [String: String]?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String: String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func notFound(_ message: String = "not found") -> APIError { .init(.notFound, code: "not_found", message: message) }
    public static func badRequest(_ message: String) -> APIError { .init(.badRequest, code: "bad_request", message: message) }
    public static func conflict(_ message: String) -> APIError { .init(.conflict, code: "conflict", message: message) }
    public static func validation(field: String, _ message: String) -> APIError {
        .init(.unprocessableContent, code: "validation_failed", message: "\(field): \(message)", details: ["field": field])
    }
    /// A field that names something that does not exist: well-formed, so not a 422.
    static func missingReference(field: String, _ message: String) -> APIError {
        .init(.notFound, code: "not_found", message: "\(field): \(message)", details: ["field": field])
    }
    /// `value` when it lies in `range`, else a 422 naming `field` and the range.
    static func checked<T: Comparable>(_ value: T, field: String, in range: ClosedRange<T>) throws(APIError) -> T {
        guard range.contains(value) else { throw validation(field: field, "must be from \(range.lowerBound) to \(range.upperBound)") }
        return value
    }
    static func payloadTooLarge(limit: Int) -> APIError {
        .init(.contentTooLarge, code: "payload_too_large", message: "the request body is larger than MAX_BODY_SIZE (\(limit) bytes)")
    }
    public static let `internal` = APIError(.internalServerError, code: "internal_error", message: "an unexpected error occurred")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONCoding.encoder.encode(ErrorBody(error: .init(code: code, message: message, details: details)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The wire shape of every error response.
struct ErrorBody: Codable {
    struct Content: Codable {
        let code: String
        let message: String
        let details: [String: String]?
    }
    let error: Content
}

extension APIError {
    init(decoding error: DecodingError) {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            self = .validation(field: field(context.codingPath, key), "is required")
        case .valueNotFound(_, let context):
            self = .validation(field: field(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            self = .validation(field: field(context.codingPath), "must be of type \(Self.jsonTypeName(type))")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            self = .validation(field: field(context.codingPath), context.debugDescription)
        default:
            self = .init(.badRequest, code: "invalid_json", message: "the request body is not valid JSON")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        default: String(describing: type).hasPrefix("Array") ? "array" : "object"
        }
    }
}
