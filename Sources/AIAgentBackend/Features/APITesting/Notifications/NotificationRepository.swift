import FluentKit
import Foundation

/// A project's notification channels and their delivery log.
struct NotificationRepository: Sendable {
    let database: DatabaseService

    func list(in project: Project, _ page: ListQuery) async throws -> (items: [NotificationChannel], total: Int) {
        try await NotificationChannel.query(on: database.database).filter(\.$projectID == project.requireID()).sort(\.$name).paginate(page)
    }

    /// One of the project's channels; another project's is a 404 too.
    func find(_ id: UUID, in project: Project) async throws -> NotificationChannel {
        try await NotificationChannel.query(on: database.database).filter(\.$projectID == project.requireID()).find(id, or404: "notification channel")
    }

    func find(_ id: UUID) async throws -> NotificationChannel? {
        try await NotificationChannel.find(id, on: database.database)
    }

    /// The project's enabled channels.
    func enabled(in projectID: UUID) async throws -> [NotificationChannel] {
        try await NotificationChannel.query(on: database.database).filter(\.$projectID == projectID).filter(\.$enabled == true).all()
    }

    func isTaken(name: String, in project: Project, byOtherThan channel: NotificationChannel) async throws -> Bool {
        try await NotificationChannel.query(on: database.database).filter(\.$projectID == project.requireID()).filter(\.$name == name).all()
            .contains { $0.id != channel.id }
    }

    func save(_ channel: NotificationChannel) async throws {
        try await channel.save(on: database.database)
    }

    func delete(_ channel: NotificationChannel) async throws {
        try await channel.delete(on: database.database)
    }

    func record(_ delivery: NotificationDelivery) async throws {
        try await delivery.create(on: database.database)
    }

    /// The channel's delivery attempts, newest first.
    func deliveries(of channel: NotificationChannel, _ page: ListQuery) async throws -> (items: [NotificationDelivery], total: Int) {
        try await NotificationDelivery.query(on: database.database).filter(\.$channelID == channel.requireID())
            .sort(\.$createdAt, .descending).sort(\.$attempt, .descending).paginate(page)
    }

    /// The last run of the same suite (or of the project's loose cases) that finished before
    /// `run` with a verdict: passed, failed or error (a cancelled run says nothing).
    func previousVerdict(before run: TestRun) async throws -> RunStatus? {
        guard let finishedAt = run.finishedAt else { return nil }
        let query = try TestRun.query(on: database.database).filter(\.$projectID == run.projectID).filter(\.$id != run.requireID())
            .filter(\.$status ~~ [.passed, .failed, .error]).filter(\.$finishedAt <= finishedAt)
        if let suiteID = run.suiteID { query.filter(\.$suiteID == suiteID) } else { query.filter(\.$suiteID == nil) }
        return try await query.sort(\.$finishedAt, .descending).first()?.status
    }
}
