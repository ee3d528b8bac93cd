import FluentKit
import Foundation
import Hummingbird

enum ChannelType: String, Codable, Sendable, CaseIterable {
    case webhook, dingtalk, feishu, wecom, slack, email
}

/// When a channel is told about a run: at every end, when it failed or errored, or when it
/// passed after the previous finished run of the same suite (or of the project's loose cases) failed.
enum NotificationEvent: String, Codable, Sendable, CaseIterable {
    case runFinished = "run_finished"
    case runFailed = "run_failed"
    case runRecovered = "run_recovered"
}

/// Where a project's run notifications go. Its config's secrets are stored sealed.
final class NotificationChannel: Model, @unchecked Sendable {
    static let schema = "notification_channels"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "name") var name: String
    @Enum(key: "type") var type: ChannelType
    /// `[NotificationEvent]`
    @Field(key: "events") var eventsJSON: String
    @Field(key: "enabled") var enabled: Bool
    /// `ChannelConfig`, secrets sealed.
    @Field(key: "config") var configJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// A new channel of the project; `apply` sets the rest.
    init(projectID: UUID) {
        self.projectID = projectID
        name = ""
        type = .webhook
        eventsJSON = JSONColumn.encode(NotificationChannel.defaultEvents)
        enabled = true
        configJSON = "{}"
    }

    static let defaultEvents: [NotificationEvent] = [.runFailed, .runRecovered]

    var events: [NotificationEvent] { get throws { try JSONColumn.decode(eventsJSON) } }
    var config: ChannelConfig { get throws { try JSONColumn.decode(configJSON) } }
}

/// One attempt to deliver a notification (or a test message), as the delivery log shows it.
final class NotificationDelivery: Model, @unchecked Sendable {
    static let schema = "notification_deliveries"

    enum Status: String, Codable, Sendable, CaseIterable { case succeeded, failed }

    @ID(key: .id) var id: UUID?
    @Field(key: "channel_id") var channelID: UUID
    /// A `NotificationEvent`, or `test` for the test button.
    @Field(key: "event") var event: String
    @OptionalField(key: "run_id") var runID: UUID?
    @Field(key: "attempt") var attempt: Int
    @Enum(key: "status") var status: Status
    @OptionalField(key: "http_status") var httpStatus: Int?
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "latency_ms") var latencyMs: Double?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(channelID: UUID, event: String, runID: UUID?, attempt: Int, result: DeliveryResult) {
        self.channelID = channelID
        self.event = event
        self.runID = runID
        self.attempt = attempt
        status = result.error == nil ? .succeeded : .failed
        httpStatus = result.httpStatus
        error = result.error
        latencyMs = result.latencyMs
    }
}

struct NotificationChannelResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let projectID: UUID
    let name: String
    let type: ChannelType
    let events: [NotificationEvent]
    let enabled: Bool
    /// Secrets shown as `***`.
    let config: ChannelConfig
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, type, events, enabled, config
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ channel: NotificationChannel) throws {
        id = try channel.requireID()
        projectID = channel.projectID
        name = channel.name
        type = channel.type
        events = try channel.events
        enabled = channel.enabled
        config = ChannelSecrets.masked(try channel.config)
        createdAt = channel.createdAt
        updatedAt = channel.updatedAt
    }
}

struct DeliveryResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let channelID: UUID
    let event: String
    let runID: UUID?
    let attempt: Int
    let status: NotificationDelivery.Status
    let httpStatus: Int?
    let error: String?
    let latencyMs: Double?
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, event, attempt, status, error
        case channelID = "channel_id"
        case runID = "run_id"
        case httpStatus = "http_status"
        case latencyMs = "latency_ms"
        case createdAt = "created_at"
    }

    init(_ delivery: NotificationDelivery) throws {
        id = try delivery.requireID()
        channelID = delivery.channelID
        event = delivery.event
        runID = delivery.runID
        attempt = delivery.attempt
        status = delivery.status
        httpStatus = delivery.httpStatus
        error = delivery.error
        latencyMs = delivery.latencyMs
        createdAt = delivery.createdAt
    }
}
