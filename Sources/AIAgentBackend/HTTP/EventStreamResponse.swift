import Foundation
import HTTPTypes
import Hummingbird

/// A `text/event-stream` response: each event is written, and so flushed, as it is sent.
/// A send fails once the client has gone, which is how producers learn to stop.
enum EventStreamResponse {
    typealias Send = (_ event: String, _ data: JSONValue) async throws -> Void

    static func make(_ produce: @escaping @Sendable (Send) async throws -> Void) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await produce { event, data in
                    var buffer = ByteBuffer()
                    buffer.writeString("event: \(event)\ndata: \(data.jsonString)\n\n")
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            })
    }
}

extension HTTPField.Name {
    /// Tells nginx not to buffer the stream.
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
