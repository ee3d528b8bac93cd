import Foundation
import HTTPTypes
import Hummingbird

/// A `text/event-stream` response: each send is written, and so flushed, at once.
/// A send fails once the client has gone, which is how producers learn to stop.
enum EventStreamResponse {
    typealias Send = (_ event: String, _ data: JSONValue) async throws -> Void
    /// Several events in one write: a busy stream (a run's thousands of events) flushes once per batch, not per event.
    typealias SendBatch = (_ events: [(event: String, data: JSONValue)]) async throws -> Void

    static func make(_ produce: @escaping @Sendable (Send) async throws -> Void) -> Response {
        make(batched: { sendBatch in try await produce { event, data in try await sendBatch([(event, data)]) } })
    }

    static func make(batched produce: @escaping @Sendable (SendBatch) async throws -> Void) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await produce { events in
                    guard !events.isEmpty else { return }
                    var buffer = ByteBuffer()
                    for (event, data) in events { buffer.writeString("event: \(event)\ndata: \(data.jsonString)\n\n") }
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
