import Foundation
import Synchronization

/// What a handler gets: its job, and whether it should stop.
public struct JobContext: Sendable {
    public let job: Job

    public var id: UUID { job.id }

    public func payload<T: Decodable>(as type: T.Type = T.self) throws -> T { try job.decodePayload(as: type) }

    /// True once the job's cancellation was requested, its lease was lost, or the worker is
    /// stopping: the handler's task is cancelled and should throw soon (`try
    /// Task.checkCancellation()`, or any cancellation-aware await); returning means success.
    public var isCancelled: Bool { Task.isCancelled }
}

/// Runs one job. Throwing fails the job with the error's description (redacted).
public typealias JobHandler = @Sendable (JobContext) async throws -> Void

/// The handlers by job kind, filled by the features while the application is built and
/// read by the workers, which claim only the kinds registered here.
public final class JobHandlers: Sendable {
    private let handlers = Mutex<[String: JobHandler]>([:])

    public init() {}

    public func register(_ kind: String, _ handler: @escaping JobHandler) {
        handlers.withLock { $0[kind] = handler }
    }

    var kinds: [String] { handlers.withLock { Array($0.keys).sorted() } }

    func handler(for kind: String) -> JobHandler? { handlers.withLock { $0[kind] } }
}
