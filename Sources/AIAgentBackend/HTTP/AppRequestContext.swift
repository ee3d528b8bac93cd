import Foundation
import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the body limit
/// from `MAX_BODY_SIZE` (set by `RequestObservationMiddleware`).
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int = 10 * 1024 * 1024
    /// Set by `SecuredRoutes` once the bearer token is verified.
    var principal: Principal?
    /// Set by `AuditMiddleware` on mutating API requests; handlers add what they know.
    var audit: AuditTrail?
    private let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The TCP peer; the client address may differ behind a trusted proxy.
    var peerAddress: String? { channel.remoteAddress?.ipAddress }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}

/// The one JSON configuration of the API: ISO 8601 UTC timestamps; snake_case keys come
/// from each type's `CodingKeys`, so free-form maps pass through untouched.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

extension Request {
    /// Decodes a JSON body: malformed JSON is a 400, a missing or mistyped field a 422
    /// naming the field, a body over `MAX_BODY_SIZE` a 413.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        try InputLimits.check(buffer.readableBytesView, against: RequestShape.of(T.self))
        do {
            return try JSONCoding.decoder.decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }
}

extension Response {
    /// A 200 with a body encoded as JSON beforehand, headed as Hummingbird heads encoded values.
    static func json(_ body: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(4)
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
