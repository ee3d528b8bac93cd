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
    /// What a stream reads: events are waiting in its subscription, or a tick telling it to look at the stored state.
    enum Signal: Sendable {
        case events
        case tick
    }

    /// One stream's undelivered events. The stream takes all that arrived while it was
    /// writing the last ones, and writes them at once.
    final class Subscription: Sendable {
        let signals: AsyncStream<Signal>
        fileprivate let continuation: AsyncStream<Signal>.Continuation
        /// The event names the stream asked for; nil for all.
        fileprivate let names: Set<String>?
        private let waiting = Mutex<[RunEvent]>([])

        fileprivate init(names: Set<String>?) {
            self.names = names
            (signals, continuation) = AsyncStream<Signal>.makeStream()
        }

        fileprivate func wants(_ name: String) -> Bool { names?.contains(name) ?? true }

        /// A stream that does not read keeps the latest events only; `run_finished`, the last, is never lost.
        fileprivate func post(_ event: RunEvent) {
            let wake = waiting.withLock { waiting in
                waiting.append(event)
                if waiting.count > 2 * RunEvents.bufferedEvents { waiting.removeFirst(waiting.count - RunEvents.bufferedEvents) }
                return waiting.count == 1
            }
            if wake { continuation.yield(.events) }
        }

        func take() -> [RunEvent] {
            waiting.withLock { waiting in
                defer { waiting = [] }
                return waiting
            }
        }
    }

    private struct State {
        var subscribers: [UUID: [UUID: Subscription]] = [:]
        var runningHere: [UUID: Int] = [:]
    }

    static let bufferedEvents = 1_000

    private let state = Mutex(State())

    /// The event is only built when a stream wants it: most runs have none following them.
    func publish(_ runID: UUID, _ name: String, seq: Int? = nil, _ data: @autoclosure () -> JSONValue) {
        let subscriptions = state.withLock { ($0.subscribers[runID] ?? [:]).values.filter { $0.wants(name) } }
        guard !subscriptions.isEmpty else { return }
        let event = RunEvent(name: name, data: data(), seq: seq)
        for subscription in subscriptions { subscription.post(event) }
    }

    /// Events of `runID` from now on (those named in `names`, or all), with a tick every `tick`, until the stream is dropped.
    func subscribe(_ runID: UUID, names: Set<String>? = nil, tick: Duration) -> Subscription {
        let subscription = Subscription(names: names)
        let id = UUID()
        state.withLock { $0.subscribers[runID, default: [:]][id] = subscription }
        let ticker = Task { [continuation = subscription.continuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                continuation.yield(.tick)
            }
        }
        subscription.continuation.onTermination = { [weak self] _ in
            ticker.cancel()
            self?.state.withLock { state in
                state.subscribers[runID]?[id] = nil
                if state.subscribers[runID]?.isEmpty == true { state.subscribers[runID] = nil }
            }
        }
        return subscription
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
