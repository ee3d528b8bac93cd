import Foundation
import Hummingbird
import ServiceLifecycle

/// `GET /api/v1/system/logs`: the service's WARNING-and-above records, newest first, with
/// filters; `GET /api/v1/system/logs/stream`: the records as they are written (SSE).
struct SystemLogsController {
    let logs: SystemLogRepository
    let writer: SystemLogWriter
    /// A comment-free keep-alive: a `ping` event when nothing was written for this long,
    /// which is also how a tail learns its client has gone.
    static let keepAlive: Duration = .seconds(15)

    static let filters: [QueryParameter] = [
        .oneOf("level", SystemLogLevel.self), .string("module"), .string("text", "Within the message, case-insensitive"),
        .dateTime("from", "Inclusive"), .dateTime("to", "Exclusive"),
    ]

    func register(on routes: SecuredRoutes) {
        let group = routes.group("system/logs")
        group.get(
            .permission(.logRead),
            RouteContract(
                "List system log records, newest first", query: QueryParameter.paging + Self.filters, returns: ListPage<SystemLogResponse>.self),
            use: list)
        group.get(
            "stream", .permission(.logRead),
            RouteContract(
                "Follow system log records as they are written",
                description: "Server-sent events: a `log` event for each record this replica writes that matches the filters, `ping` every 15 s.",
                query: Self.filters, success: .media("text/event-stream", description: "`log`: a record; `ping`: keep-alive")),
            use: stream)
    }

    static func filter(_ request: Request) throws -> SystemLogRepository.Filter {
        let parameters = request.uri.queryParameters
        return SystemLogRepository.Filter(
            level: try request.enumParameter("level", as: SystemLogLevel.self), module: parameters["module"].map(String.init),
            text: parameters["text"].map(String.init), from: try request.timestampParameter("from"), to: try request.timestampParameter("to"))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<SystemLogResponse> {
        let page = try ListQuery(request)
        let (items, total) = try await logs.list(try Self.filter(request), page)
        return ListPage(items: try items.map(SystemLogResponse.init), total: total, request: page)
    }

    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let filter = try Self.filter(request)
        let writer = self.writer
        // Subscribed before the answer starts: a record written once the client has the headers is not missed.
        let (batches, continuation) = AsyncStream.makeStream(of: [SystemLog].self, bufferingPolicy: .bufferingNewest(100))
        let subscription = writer.subscribe { continuation.yield($0) }
        return EventStreamResponse.make(batched: { send in
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: Self.keepAlive)
                    continuation.yield([])
                }
            }
            defer {
                ticker.cancel()
                writer.unsubscribe(subscription)
            }
            // Ends when the client goes (a send fails) or the service stops.
            try await withGracefulShutdownHandler {
                for await batch in batches {
                    if batch.isEmpty {
                        try await send([("ping", .object([:]))])
                        continue
                    }
                    let events = try batch.filter(filter.matches).map { (event: "log", data: JSONValue(encoding: try SystemLogResponse($0))) }
                    try await send(events)
                }
            } onGracefulShutdown: {
                continuation.finish()
            }
        })
    }
}
