import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drains the buffer into `system_logs` off the request path, tells live tails about each
/// written batch, and deletes records past the retention once an hour.
final class SystemLogWriter: Service, Sendable {
    typealias Subscriber = @Sendable ([SystemLog]) -> Void
    static let pruneInterval: TimeInterval = 3600

    let buffer: SystemLogBuffer
    let repository: SystemLogRepository
    let retentionDays: Int
    /// Not the capturing logger: the writer's own failures must not feed the buffer again.
    let logger: Logger
    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    /// Finished by `startWriting`: records logged before the schema is ready wait in the buffer.
    private let start = AsyncStream.makeStream(of: Void.self)
    private let writing = Atomic<Bool>(false)

    init(buffer: SystemLogBuffer, repository: SystemLogRepository, retentionDays: Int, logger: Logger) {
        self.buffer = buffer
        self.repository = repository
        self.retentionDays = retentionDays
        self.logger = logger
    }

    /// Called once the schema is at head (the table exists).
    func startWriting() {
        writing.store(true, ordering: .releasing)
        start.continuation.finish()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.start.stream {}
            var lastPrune = Date.distantPast
            while !Task.isCancelled {
                await withTaskCancellationHandler {
                    await self.buffer.waitForRecords()
                } onCancel: {
                    self.buffer.close()
                }
                await self.writeBuffered()
                if Date().timeIntervalSince(lastPrune) > Self.pruneInterval {
                    lastPrune = Date()
                    await self.prune()
                }
            }
        }
        // Shutting down: what is still buffered is written before the database closes. Not
        // when cancelled (every service then stops at once and the database may be closed
        // already), nor after a start that never reached the schema (no table to write to).
        if writing.load(ordering: .acquiring), !Task.isCancelled { await writeBuffered() }
    }

    func writeBuffered() async {
        let (records, dropped) = buffer.take()
        if dropped > 0 { logger.warning("system log records dropped: the database fell behind", metadata: ["dropped": "\(dropped)"]) }
        guard !records.isEmpty else { return }
        let logs = records.map(Self.log)
        do {
            try await repository.insert(logs)
            let current = subscribers.withLock { Array($0.values) }
            for subscriber in current { subscriber(logs) }
        } catch {
            logger.error("could not write system log records", metadata: ["count": "\(logs.count)", "error": "\(error)"])
            // Give a failing database a moment instead of retrying at the rate records arrive.
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func prune() async {
        do {
            try await repository.prune(before: Date().addingTimeInterval(-Double(retentionDays) * 86_400))
        } catch {
            logger.error("could not prune system log records", metadata: ["error": "\(error)"])
        }
    }

    static func log(_ record: SystemLogBuffer.Record) -> SystemLog {
        let log = SystemLog()
        log.id = UUID()
        log.level = record.level.rawValue
        log.module = record.module
        log.logger = record.logger
        log.message = record.message
        log.metadata =
            record.metadata.isEmpty
            ? nil : (try? JSONEncoder().encode(record.metadata)).map { String(decoding: $0, as: UTF8.self) }
        log.createdAt = record.date
        return log
    }

    /// Calls `subscriber` with each batch written until the returned token is passed to `unsubscribe`.
    func subscribe(_ subscriber: @escaping Subscriber) -> UUID {
        let id = UUID()
        subscribers.withLock { $0[id] = subscriber }
        return id
    }

    func unsubscribe(_ id: UUID) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }
}
