import FluentKit
import Foundation
import Logging
import ServiceLifecycle
import SQLKit
import Synchronization

/// Fires schedules, in every replica: every `interval` it takes the enabled schedules whose
/// `next_fire_at` has come and handles each due fire time in one transaction, which writes
/// the firing, the run and its job together, and moves `next_fire_at` on.
///
/// Exactly one replica handles a fire time: `(schedule_id, fire_time)` is unique, and a
/// replica whose firing insert finds the row there rolls its run back. A firing while the
/// schedule's previous run is queued or running is recorded as `skipped_overlap`.
///
/// A fire time older than `missedAfter` was missed (no replica ran): it and every missed one
/// after it become one firing, `skipped_missed` or a single run as `on_missed` says.
final class Scheduler: Service, Sendable {
    /// How late a fire time may be handled before it counts as missed.
    static let missedAfter: TimeInterval = 60
    /// Missed fire times counted into one firing, at most; further ones are passed over uncounted.
    static let maxMissedCounted = 10_000
    /// Schedules handled per tick; the rest wait for the next.
    static let batchSize = 100

    private struct Lost: Error {}

    let schedules: ScheduleRepository
    let runs: RunRepository
    let jobs: JobQueue
    let interval: Duration
    /// The time the scheduler acts on; tests drive it with a clock of their own.
    let now: @Sendable () -> Date
    private let logger: Logger
    /// Set by `startFiring()`: before it, the schema may not hold the schedules yet.
    private let started = Atomic<Bool>(false)

    init(database: DatabaseService, jobs: JobQueue, interval: Duration, now: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        schedules = ScheduleRepository(database: database)
        runs = RunRepository(database: database)
        self.jobs = jobs
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var wait = self.interval
                if self.started.load(ordering: .relaxed) {
                    do {
                        try await self.tick()
                        // Wakes at the next fire time it knows of when that comes sooner: a firing
                        // waits for no poll. Schedules edited on other replicas wait one interval at most.
                        if let next = try await self.schedules.earliestFireTime() {
                            let untilNext = next.timeIntervalSince(self.now())
                            if untilNext > 0 { wait = min(wait, .milliseconds(Int64((untilNext * 1000).rounded(.up)))) }
                        }
                    } catch {
                        if !Task.isCancelled { self.logger.error("scheduler tick failed", metadata: ["error": "\(error)"]) }
                    }
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Lets the loop fire; the application calls it once the schema is at head.
    func startFiring() {
        started.store(true, ordering: .relaxed)
    }

    /// Handles every fire time due at `now()`. Returns the firings this replica wrote.
    @discardableResult
    func tick() async throws -> [ScheduleFiring] {
        let now = now()
        var written: [ScheduleFiring] = []
        for schedule in try await schedules.due(at: now, limit: Self.batchSize) {
            do {
                written += try await fire(schedule, now: now)
            } catch {
                logger.error("schedule firing failed", metadata: ["schedule_id": "\(schedule.id?.uuidString ?? "")", "error": "\(error)"])
            }
        }
        return written
    }

    /// The schedule's due fire times, oldest first, until none is due or another replica
    /// (or an edit of the schedule) got there first.
    private func fire(_ schedule: TestSchedule, now: Date) async throws -> [ScheduleFiring] {
        let (expression, zone) = (try schedule.expression, schedule.zone)
        let missedBefore = now.addingTimeInterval(-Self.missedAfter)
        var written: [ScheduleFiring] = []
        var due = schedule.nextFireAt
        while let fireTime = due, fireTime <= now {
            var missed = 0
            var next = expression.next(after: fireTime, in: zone)
            if fireTime <= missedBefore {
                missed = 1
                while let later = next, later <= missedBefore, missed < Self.maxMissedCounted {
                    missed += 1
                    next = expression.next(after: later, in: zone)
                }
                if let later = next, later <= missedBefore { next = expression.next(after: missedBefore, in: zone) }
            }
            guard let firing = try await record(try schedule.requireID(), at: fireTime, missed: missed, next: next) else { break }
            written.append(firing)
            due = next
        }
        return written
    }

    /// Writes the firing at `fireTime` and what it starts, and moves the schedule on to
    /// `next`, in one transaction; nil when another replica wrote it, or the schedule changed.
    private func record(_ scheduleID: UUID, at fireTime: Date, missed: Int, next: Date?) async throws -> ScheduleFiring? {
        let (runs, jobs) = (runs, jobs)
        do {
            return try await jobs.transaction { database in
                let sql = database as! any SQLDatabase
                guard let schedule = try await TestSchedule.find(scheduleID, on: database), schedule.enabled, schedule.nextFireAt == fireTime
                else { throw Lost() }
                let firing = ScheduleFiring()
                firing.id = UUID()
                firing.scheduleID = scheduleID
                firing.fireTime = fireTime
                firing.missed = max(missed, 1)
                if missed > 0, schedule.onMissed == .skip {
                    firing.status = .skippedMissed
                } else if let previous = schedule.lastRunID, let run = try await TestRun.find(previous, on: database), !run.status.isFinished {
                    firing.status = .skippedOverlap
                } else {
                    let run = TestRun()
                    run.projectID = schedule.projectID
                    run.environmentID = schedule.environmentID
                    run.suiteID = schedule.suiteID
                    run.status = .queued
                    run.createdBy = schedule.createdBy
                    // A deleted suite leaves the count unknown; the run then ends in error, saying so.
                    run.plannedCases = try await TestSuite.find(schedule.suiteID, on: database).map { try $0.plannedCases }
                    try await runs.create(run, queue: jobs, on: database)
                    firing.status = .started
                    firing.runID = run.id
                }
                let inserted = try await sql.insert(into: ScheduleFiring.schema)
                    .columns("id", "schedule_id", "fire_time", "status", "run_id", "missed", "created_at")
                    .values(
                        SQLBind(firing.id), SQLBind(scheduleID), SQLBind(fireTime), SQLBind(firing.status.rawValue), SQLBind(firing.runID),
                        SQLBind(firing.missed), SQLBind(Date())
                    )
                    .ignoringConflicts(with: ["schedule_id", "fire_time"]).returning("id").first()
                // Another replica wrote this fire time: its run stands, this one is rolled back.
                guard inserted != nil else { throw Lost() }
                let moved = try await sql.update(TestSchedule.schema).set("next_fire_at", to: SQLBind(next))
                    .set("last_run_id", to: SQLBind(firing.runID ?? schedule.lastRunID)).set("updated_at", to: SQLBind(Date()))
                    .where("id", .equal, SQLBind(scheduleID)).where("next_fire_at", .equal, SQLBind(fireTime)).returning("id").first()
                guard moved != nil else { throw Lost() }
                return firing
            }
        } catch is Lost {
            return nil
        }
    }
}
