import FluentKit
import Foundation
import SQLKit

/// The durable job queue over the `jobs` table, on SQLite and PostgreSQL.
///
/// A worker claims a job under a lease (`lease_owner`, `lease_expires_at`) and keeps it with
/// heartbeats; a job whose lease expired is claimed again by any worker (attempts + 1), so
/// work survives a killed process. PostgreSQL reads the time from the database, one clock
/// for every replica; SQLite serves one process, whose clock it uses.
public final class JobQueue: Sendable {
    public static let defaultMaxAttempts = 3
    static let abandonedMessage = "abandoned: the worker stopped renewing its lease on the last allowed attempt"

    let database: DatabaseService
    /// Wakes this process's idle workers when it enqueues, so they need not wait for a poll.
    let wakeups = WakeSignal()

    public init(database: DatabaseService) {
        self.database = database
    }

    /// Queues a job and wakes an idle worker of this process. `runAfter` delays it.
    @discardableResult
    public func enqueue(
        kind: String, payload: some Encodable & Sendable, runAfter: Date? = nil, maxAttempts: Int = JobQueue.defaultMaxAttempts
    ) async throws -> UUID {
        try await enqueue(kind: kind, payload: payload, runAfter: runAfter, maxAttempts: maxAttempts, on: database.database)
    }

    /// Queues a job on `database`, which may be a caller's transaction: the job is then
    /// written with the caller's rows or not at all. Run that transaction through
    /// ``transaction(_:)`` so the workers are woken once it commits.
    @discardableResult
    public func enqueue(
        kind: String, payload: some Encodable & Sendable, runAfter: Date? = nil, maxAttempts: Int = JobQueue.defaultMaxAttempts,
        on database: any Database
    ) async throws -> UUID {
        guard !kind.isEmpty else { throw APIError.validation(field: "kind", "must not be empty") }
        guard maxAttempts >= 1 else { throw APIError.validation(field: "max_attempts", "must be at least 1") }
        let id = UUID()
        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        let now = currentTime()
        let runAt: any SQLExpression = if let runAfter { SQLBind(runAfter) } else { now }
        try await (database as! any SQLDatabase).raw(
            """
            INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, cancel_requested, run_after, created_at, updated_at)
            VALUES (\(bind: id), \(bind: kind), \(bind: json), 'queued', 0, \(bind: maxAttempts), false, \(runAt), \(now), \(now))
            """
        ).run()
        wakeups.wake()
        return id
    }

    /// Runs `body` in a transaction, then wakes the workers for the jobs it enqueued.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let result = try await database.database.transaction(body)
        wakeups.wake()
        return result
    }

    /// Takes the next due job of one of `kinds` for `owner`, or a running job whose lease
    /// expired (attempts + 1), holding it for `lease`. Jobs whose lease expired on their last
    /// attempt are failed first (or cancelled, when that was asked).
    public func claim(owner: String, kinds: [String], lease: Duration) async throws -> Job? {
        guard !kinds.isEmpty else { return nil }
        let now = currentTime()
        try await database.sql.raw(
            """
            UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
              error = CASE WHEN cancel_requested THEN NULL ELSE \(bind: Self.abandonedMessage) END,
              lease_expires_at = NULL, finished_at = \(now), updated_at = \(now)
            WHERE status = 'running' AND lease_expires_at < \(now) AND (attempts >= max_attempts OR cancel_requested)
            """
        ).run()
        // PostgreSQL: concurrent claimers skip each other's locked candidate instead of
        // queueing behind it. SQLite runs one statement at a time on its one connection.
        let skipLocked: SQLQueryString = database.isPostgres ? "FOR UPDATE SKIP LOCKED" : ""
        return try await database.sql.raw(
            """
            UPDATE jobs SET status = 'running', lease_owner = \(bind: owner), lease_expires_at = \(currentTime(plus: lease)),
              attempts = attempts + 1, started_at = \(now), updated_at = \(now)
            WHERE id = (
              SELECT id FROM jobs
              WHERE kind IN (\(binds: kinds))
                AND ((status = 'queued' AND run_after <= \(now))
                  OR (status = 'running' AND lease_expires_at < \(now) AND attempts < max_attempts AND NOT cancel_requested))
              ORDER BY run_after, created_at
              LIMIT 1 \(skipLocked))
            RETURNING *
            """
        ).first(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Extends `owner`'s lease on a running job; `.lost` when it no longer holds it.
    public func heartbeat(id: UUID, owner: String, lease: Duration) async throws -> HeartbeatResult {
        let now = currentTime()
        let row = try await database.sql.raw(
            """
            UPDATE jobs SET lease_expires_at = \(currentTime(plus: lease)), updated_at = \(now)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND status = 'running'
            RETURNING cancel_requested
            """
        ).first()
        guard let row else { return .lost }
        return try row.decode(column: "cancel_requested", as: Bool.self) ? .cancelRequested : .held
    }

    /// Ends a running job held by `owner`; false when it no longer holds it.
    @discardableResult
    public func complete(id: UUID, owner: String, outcome: JobOutcome) async throws -> Bool {
        let (status, error): (JobStatus, String?) =
            switch outcome {
            case .succeeded: (.succeeded, nil)
            case .failed(let message): (.failed, message)
            case .cancelled: (.cancelled, nil)
            }
        let now = currentTime()
        return try await database.sql.raw(
            """
            UPDATE jobs SET status = \(bind: status.rawValue), error = \(bind: error), lease_expires_at = NULL,
              finished_at = \(now), updated_at = \(now)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND status = 'running'
            RETURNING id
            """
        ).first() != nil
    }

    /// Hands a running job back at shutdown: queued again for any worker at once (cancelled
    /// if that was asked meanwhile), the attempt given back since the job did not fail.
    @discardableResult
    public func release(id: UUID, owner: String) async throws -> Bool {
        let now = currentTime()
        return try await database.sql.raw(
            """
            UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
              finished_at = CASE WHEN cancel_requested THEN \(now) ELSE NULL END,
              attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND status = 'running'
            RETURNING id
            """
        ).first() != nil
    }

    /// A queued job is cancelled at once; a running one is marked, and its worker stops it
    /// at its next heartbeat. Returns the job as it now stands, nil when there is none.
    public func requestCancel(id: UUID) async throws -> Job? {
        let now = currentTime()
        try await database.sql.raw(
            "UPDATE jobs SET status = 'cancelled', finished_at = \(now), updated_at = \(now) WHERE id = \(bind: id) AND status = 'queued'"
        ).run()
        try await database.sql.raw(
            "UPDATE jobs SET cancel_requested = true, updated_at = \(now) WHERE id = \(bind: id) AND status = 'running'"
        ).run()
        return try await get(id: id)
    }

    public func get(id: UUID) async throws -> Job? {
        try await database.sql.raw("SELECT * FROM jobs WHERE id = \(bind: id)")
            .first(decoding: Job.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    private func currentTime() -> any SQLExpression {
        database.isPostgres ? SQLRaw("now()") : SQLBind(Date())
    }

    private func currentTime(plus duration: Duration) -> any SQLExpression {
        let later: SQLQueryString = "now() + make_interval(secs => \(bind: duration.secondsDouble))"
        return database.isPostgres ? later : SQLBind(Date().addingTimeInterval(duration.secondsDouble))
    }
}
