import FluentKit
import Foundation
import SQLKit

/// A project's schedules and their firings.
struct ScheduleRepository: Sendable {
    let database: DatabaseService

    func list(in project: Project, _ page: ListQuery) async throws -> (items: [TestSchedule], total: Int) {
        try await TestSchedule.query(on: database.database).filter(\.$projectID == project.requireID()).sort(\.$createdAt).sort(\.$id)
            .paginate(page)
    }

    /// One of the project's schedules; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> TestSchedule {
        try await TestSchedule.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "schedule")
    }

    func save(_ schedule: TestSchedule) async throws {
        try await schedule.save(on: database.database)
    }

    func delete(_ schedule: TestSchedule) async throws {
        let id = try schedule.requireID()
        try await database.database.transaction { database in
            // Children first: SQLite may run without foreign-key cascades.
            try await ScheduleFiring.query(on: database).filter(\.$scheduleID == id).delete()
            try await schedule.delete(on: database)
        }
    }

    /// Newest fire time first.
    func firings(of schedule: TestSchedule, _ page: ListQuery) async throws -> (items: [ScheduleFiring], total: Int) {
        try await ScheduleFiring.query(on: database.database).filter(\.$scheduleID == schedule.requireID()).sort(\.$fireTime, .descending)
            .paginate(page)
    }

    /// The soonest next fire time of the enabled schedules.
    func earliestFireTime() async throws -> Date? {
        try await TestSchedule.query(on: database.database).filter(\.$enabled == true).filter(\.$nextFireAt != nil).sort(\.$nextFireAt)
            .first()?.nextFireAt
    }

    /// Enabled schedules whose next fire time has come, the most overdue first.
    func due(at now: Date, limit: Int) async throws -> [TestSchedule] {
        try await TestSchedule.query(on: database.database).filter(\.$enabled == true).filter(\.$nextFireAt <= now).sort(\.$nextFireAt)
            .limit(limit).all()
    }
}
