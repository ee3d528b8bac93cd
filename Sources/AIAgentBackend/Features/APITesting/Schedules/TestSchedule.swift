import FluentKit
import Foundation
import Hummingbird

/// What a schedule does with firings missed while no replica was running.
enum MissedFirings: String, Codable, Sendable, CaseIterable {
    /// Records them as skipped and waits for the next fire time.
    case skip
    /// Starts one run for all of them.
    case runOnce = "run_once"
}

/// Runs a project's suite against one of its environments at the times of a cron expression.
final class TestSchedule: Model, @unchecked Sendable {
    static let schema = "schedules"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "suite_id") var suiteID: UUID
    @Field(key: "environment_id") var environmentID: UUID
    @Field(key: "cron") var cron: String
    /// An IANA identifier, such as `Europe/Berlin`.
    @Field(key: "timezone") var timezone: String
    @Field(key: "enabled") var enabled: Bool
    @Enum(key: "on_missed") var onMissed: MissedFirings
    /// The next fire time not yet handled; the scheduler's due query reads it.
    @OptionalField(key: "next_fire_at") var nextFireAt: Date?
    /// The run of the latest started firing: a firing while it is unfinished is skipped.
    @OptionalField(key: "last_run_id") var lastRunID: UUID?
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// The stored expression and zone were validated when written.
    var expression: CronExpression { get throws { try CronExpression(cron) } }
    var zone: TimeZone { TimeZone(identifier: timezone) ?? .gmt }
}

/// One fire time of a schedule and what came of it. `(schedule_id, fire_time)` is unique:
/// of replicas handling the same fire time, one writes it, and only that one starts the run.
final class ScheduleFiring: Model, @unchecked Sendable {
    static let schema = "schedule_firings"

    enum Status: String, Codable, Sendable, CaseIterable {
        case started
        /// The schedule's previous run was still queued or running.
        case skippedOverlap = "skipped_overlap"
        /// Missed while no replica ran, and the schedule skips missed firings.
        case skippedMissed = "skipped_missed"
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "schedule_id") var scheduleID: UUID
    @Field(key: "fire_time") var fireTime: Date
    @Enum(key: "status") var status: Status
    @OptionalField(key: "run_id") var runID: UUID?
    /// Fire times the firing stands for: more than one when missed ones were gathered.
    @Field(key: "missed") var missed: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

struct TestScheduleResponse: Codable, ResponseEncodable, Sendable {
    static let shownFireTimes = 5

    let id: UUID
    let projectID: UUID
    let suiteID: UUID
    let environmentID: UUID
    let cron: String
    let timezone: String
    let enabled: Bool
    let onMissed: MissedFirings
    /// The next five, from now; empty while paused.
    let nextFireTimes: [Date]
    let lastRunID: UUID?
    let createdBy: UUID?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, cron, timezone, enabled
        case projectID = "project_id"
        case suiteID = "suite_id"
        case environmentID = "environment_id"
        case onMissed = "on_missed"
        case nextFireTimes = "next_fire_times"
        case lastRunID = "last_run_id"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ schedule: TestSchedule, now: Date = Date()) throws {
        id = try schedule.requireID()
        projectID = schedule.projectID
        suiteID = schedule.suiteID
        environmentID = schedule.environmentID
        cron = schedule.cron
        timezone = schedule.timezone
        enabled = schedule.enabled
        onMissed = schedule.onMissed
        nextFireTimes = schedule.enabled ? try schedule.expression.next(Self.shownFireTimes, after: now, in: schedule.zone) : []
        lastRunID = schedule.lastRunID
        createdBy = schedule.createdBy
        createdAt = schedule.createdAt
        updatedAt = schedule.updatedAt
    }
}

struct ScheduleFiringResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let scheduleID: UUID
    let fireTime: Date
    let status: ScheduleFiring.Status
    let runID: UUID?
    let missed: Int
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, status, missed
        case scheduleID = "schedule_id"
        case fireTime = "fire_time"
        case runID = "run_id"
        case createdAt = "created_at"
    }

    init(_ firing: ScheduleFiring) throws {
        id = try firing.requireID()
        scheduleID = firing.scheduleID
        fireTime = firing.fireTime
        status = firing.status
        runID = firing.runID
        missed = firing.missed
        createdAt = firing.createdAt
    }
}
