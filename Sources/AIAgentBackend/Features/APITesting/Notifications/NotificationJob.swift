import FluentKit
import Foundation

/// The `notification` job: one delivery attempt of one run's notification to one channel.
enum NotificationJob {
    static let kind = "notification"

    struct Payload: Codable, Sendable {
        let channelID: UUID
        let event: NotificationEvent
        let runID: UUID
        /// 1 for the first attempt.
        let attempt: Int

        enum CodingKeys: String, CodingKey {
            case event, attempt
            case channelID = "channel_id"
            case runID = "run_id"
        }
    }
}

/// Decides which channels hear of a run's end, and delivers: one `notification` job per
/// channel, each attempt written to the delivery log; a failed attempt is tried again after
/// the next of `retryDelays` (`Settings.notificationRetryDelays`: 10 s, then 60 s), then given up.
struct RunNotifier: Sendable {
    let notifications: NotificationRepository
    let jobs: JobQueue
    let secrets: ChannelSecrets
    let sender: NotificationSender
    /// The wait before each retry; attempts are one more than its count.
    let retryDelays: [Duration]

    /// Queues one job per enabled channel of the run's project that listens to an event the
    /// run's end raises; a channel listening to several gets the most specific one.
    func runEnded(_ run: TestRun) async throws {
        let channels = try await notifications.enabled(in: run.projectID)
        guard !channels.isEmpty else { return }
        var raised: [NotificationEvent] = [.runFinished]
        if [.failed, .error].contains(run.status) { raised.append(.runFailed) }
        if run.status == .passed, let previous = try await notifications.previousVerdict(before: run), previous != .passed {
            raised.append(.runRecovered)
        }
        for channel in channels {
            let listened = Set(try channel.events)
            guard let event = raised.last(where: listened.contains) else { continue }
            try await jobs.enqueue(
                kind: NotificationJob.kind,
                payload: NotificationJob.Payload(channelID: try channel.requireID(), event: event, runID: try run.requireID(), attempt: 1))
        }
    }

    /// Runs a `notification` job. A channel deleted or disabled meanwhile, or a run deleted, ends it quietly.
    func handle(_ context: JobContext) async throws {
        let payload = try context.payload(as: NotificationJob.Payload.self)
        let database = notifications.database.database
        guard let channel = try await notifications.find(payload.channelID), channel.enabled,
            let run = try await TestRun.find(payload.runID, on: database), let project = try await Project.find(run.projectID, on: database)
        else { return }
        var suiteName: String?
        if let suiteID = run.suiteID { suiteName = try await TestSuite.find(suiteID, on: database)?.name }
        let totals: RunTotals = try JSONColumn.decode(run.totalsJSON) ?? RunTotals()
        let message = try NotificationMessage.run(run, event: payload.event, project: project, suiteName: suiteName, totals: totals, sentAt: Date())
        let result = try await deliver(message, to: channel)
        try await notifications.record(
            NotificationDelivery(
                channelID: try channel.requireID(), event: payload.event.rawValue, runID: payload.runID, attempt: payload.attempt, result: result))
        guard let error = result.error else { return }
        guard payload.attempt <= retryDelays.count else {
            throw APIError.badRequest("notification not delivered after \(payload.attempt) attempts: \(error)")
        }
        let delay = retryDelays[payload.attempt - 1]
        try await jobs.enqueue(
            kind: NotificationJob.kind,
            payload: NotificationJob.Payload(channelID: payload.channelID, event: payload.event, runID: payload.runID, attempt: payload.attempt + 1),
            runAfter: Date().addingTimeInterval(delay.secondsDouble))
    }

    /// Sends the test button's message now and logs it as a `test` delivery.
    func test(_ channel: NotificationChannel, in project: Project) async throws -> NotificationDelivery {
        let result = try await deliver(try NotificationMessage.test(channel: channel, project: project, sentAt: Date()), to: channel)
        let delivery = NotificationDelivery(channelID: try channel.requireID(), event: "test", runID: nil, attempt: 1, result: result)
        try await notifications.record(delivery)
        return delivery
    }

    private func deliver(_ message: NotificationMessage, to channel: NotificationChannel) async throws -> DeliveryResult {
        let (config, plainSecrets) = try secrets.open(try channel.config)
        return await sender.send(message, type: channel.type, config: config, secrets: plainSecrets)
    }
}
