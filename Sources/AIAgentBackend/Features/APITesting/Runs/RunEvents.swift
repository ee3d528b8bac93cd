import Foundation
import Synchronization

/// A progress event of a run, as the SSE endpoint sends it.
struct RunEvent: Sendable {
    static let names: [String: String] = [
        "snapshot": "first, the run's summary so far (as `GET /runs/{id}`)",
        "run_started": "the run began: {run_id, status, started_at}",
        "case_started": "a case (or a retry of it) began: {case_id, case_name, role, attempt}",
        "step_finished": "a step ended: {case_id, case_name, iteration, step, kind, passed, total_ms, error}",
        "case_finished": "an iteration's result was recorded: {seq, result_id, case_id, case_name, role, iteration, status, attempts, duration_ms}",
        "run_finished": "last: the final summary (as `GET /runs/{id}`)",
    ]

    let name: String
    let data: JSONValue
    /// The result's recording order, for `case_finished`: a stream skips what it sent already.
    var seq: Int?
}

/// This replica's run events: the job publishes, SSE streams subscribe. Runs executing here
/// are marked, so that a stream knows whether to wait for live events or to follow the
/// stored results of a run another replica executes.
final class RunEvents: Sendable {
    /// What a stream reads: an event, or a tick telling it to look at the stored state.
    enum Signal: Sendable {
        case event(RunEvent)
        case tick
    }

    private struct State {
        var subscribers: [UUID: [UUID: AsyncStream<Signal>.Continuation]] = [:]
        var runningHere: [UUID: Int] = [:]
    }

    /// A stream that does not read keeps the latest events only; `run_finished` is never lost.
    static let bufferedEvents = 1_000

    private let state = Mutex(State())

    func publish(_ runID: UUID, _ event: RunEvent) {
        for continuation in state.withLock({ Array(($0.subscribers[runID] ?? [:]).values) }) { continuation.yield(.event(event)) }
    }

    /// Events of `runID` from now on, with a tick every `tick`, until the stream is dropped.
    func subscribe(_ runID: UUID, tick: Duration) -> AsyncStream<Signal> {
        let (stream, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferedEvents))
        let id = UUID()
        state.withLock { $0.subscribers[runID, default: [:]][id] = continuation }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                continuation.yield(.tick)
            }
        }
        continuation.onTermination = { [weak self] _ in
            ticker.cancel()
            self?.state.withLock { state in
                state.subscribers[runID]?[id] = nil
                if state.subscribers[runID]?.isEmpty == true { state.subscribers[runID] = nil }
            }
        }
        return stream
    }

    func beganHere(_ runID: UUID) { state.withLock { $0.runningHere[runID, default: 0] += 1 } }

    func endedHere(_ runID: UUID) {
        state.withLock { state in
            state.runningHere[runID, default: 1] -= 1
            if state.runningHere[runID] == 0 { state.runningHere[runID] = nil }
        }
    }

    func isRunningHere(_ runID: UUID) -> Bool { state.withLock { $0.runningHere[runID] != nil } }
}

extension JSONValue {
    /// `value` as JSON: our own Codable types always encode.
    init(encoding value: some Encodable) {
        self = (try? JSONValue(parsing: JSONColumn.encode(value))) ?? .null
    }
}
