import Foundation
import Logging
import Synchronization

/// Log records on their way to `system_logs`: the log handler appends without waiting, the
/// writer takes them in batches. Bounded: when the database falls behind, the oldest
/// records are dropped (and counted) rather than memory growing or a request waiting.
final class SystemLogBuffer: Sendable {
    struct Record: Sendable {
        let level: SystemLogLevel
        let module: String
        let logger: String
        let message: String
        let metadata: [String: String]
        let date: Date
    }

    private struct State {
        var records: [Record] = []
        var dropped = 0
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func append(_ record: Record) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.records.count >= capacity {
                state.records.removeFirst()
                state.dropped += 1
            }
            state.records.append(record)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Everything buffered, and how many records were dropped since the last call.
    func take() -> (records: [Record], dropped: Int) {
        state.withLock { state in
            defer { (state.records, state.dropped) = ([], 0) }
            return (state.records, state.dropped)
        }
    }

    /// Returns once a record is buffered (at once when one already is, or after `close`);
    /// one waiter at a time.
    func waitForRecords() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if !state.records.isEmpty || state.closed { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Ends waiting for good (at shutdown), whether the writer waits already or is about to.
    func close() {
        state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }
}

/// Sits beside the output handler (`MultiplexLogHandler`) and hands WARNING-and-above records
/// to the buffer, secrets masked; nothing is written on the logging thread.
struct SystemLogCapture: MetadataHoldingLogHandler {
    let label: String
    let buffer: SystemLogBuffer
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    func log(event: LogEvent) {
        guard let level = SystemLogLevel(event.level) else { return }
        var fields: [String: String] = [:]
        for (key, value) in metadata(of: event) { fields[key] = Redaction.redact("\(value)", key: key) }
        buffer.append(
            SystemLogBuffer.Record(
                level: level, module: event.source, logger: label, message: Redaction.redact("\(event.message)", key: nil), metadata: fields,
                date: Date()))
    }
}

extension Logger {
    /// This logger, also feeding `buffer` with its WARNING-and-above records.
    func capturing(into buffer: SystemLogBuffer) -> Logger {
        let output = handler
        var logger = Logger(label: label) { label in MultiplexLogHandler([output, SystemLogCapture(label: label, buffer: buffer)]) }
        logger.logLevel = logLevel
        return logger
    }
}
