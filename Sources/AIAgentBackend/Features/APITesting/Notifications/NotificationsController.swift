import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/notifications`: a project's channels, their test button and
/// delivery log. Reading needs `project:read`, changing and testing `project:update`.
struct NotificationsController {
    let projects: ProjectRepository
    let notifications: NotificationRepository
    let secrets: ChannelSecrets
    let notifier: RunNotifier

    func register(on routes: SecuredRoutes) {
        let channels = routes.group("projects/:id/notifications")
        channels.get(
            .permission(.projectRead),
            RouteContract(
                "List a project's notification channels", query: QueryParameter.paging, returns: ListPage<NotificationChannelResponse>.self),
            use: list)
        channels.post(
            .permission(.projectUpdate),
            RouteContract(
                "Create a notification channel",
                description: """
                    `webhook`, `dingtalk`, `feishu`, `wecom` and `slack` post to `config.url` in their service's format; \
                    `webhook`, `dingtalk` and `feishu` sign with `config.secret` when given. `email` sends through the SMTP server \
                    `config.host` (STARTTLS on unless `starttls` is false; credentials only over it). Secrets and the SMTP \
                    password are stored encrypted and shown as `***`. `events` defaults to `run_failed` and `run_recovered`.
                    """,
                body: ChannelInput.self, as: "NotificationChannelCreate", requiring: ["name", "type", "config"],
                returns: NotificationChannelResponse.self, status: .created, errors: [.conflict]),
            use: create)
        channels.get(
            ":notification_id", .permission(.projectRead), RouteContract("Get a notification channel", returns: NotificationChannelResponse.self),
            use: get)
        channels.put(
            ":notification_id", .permission(.projectUpdate),
            RouteContract(
                "Update a notification channel",
                description:
                    "A secret sent as `***`, or left out, keeps what is stored; an empty string removes it. A new `type` needs its `config`.",
                body: ChannelInput.self, returns: NotificationChannelResponse.self, errors: [.conflict]),
            use: update)
        channels.delete(":notification_id", .permission(.projectUpdate), RouteContract("Delete a notification channel"), use: delete)
        channels.post(
            ":notification_id/test", .permission(.projectUpdate),
            RouteContract(
                "Send a test message", description: "Sends now, logs the attempt, and answers how it went (a refusal is not an error of this call).",
                returns: DeliveryResponse.self),
            use: test)
        channels.get(
            ":notification_id/deliveries", .permission(.projectRead),
            RouteContract("List a channel's delivery attempts, newest first", query: QueryParameter.paging, returns: ListPage<DeliveryResponse>.self),
            use: deliveries)
    }

    struct ChannelInput: Decodable {
        var name: String?
        var type: ChannelType?
        var events: [NotificationEvent]?
        var enabled: Bool?
        var config: ChannelConfig?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<NotificationChannelResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await notifications.list(in: project, page)
        return ListPage(items: try items.map(NotificationChannelResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> NotificationChannelResponse {
        try NotificationChannelResponse(try await channel(context))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<NotificationChannelResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: ChannelInput.self, context: context)
        for (field, value) in [("name", input.name as Any?), ("type", input.type), ("config", input.config)] where value == nil {
            throw APIError.validation(field: field, "is required")
        }
        let channel = NotificationChannel(projectID: try project.requireID())
        try await apply(input, to: channel, in: project)
        try await notifications.save(channel)
        context.audit?.resourceID = channel.id?.uuidString
        return EditedResponse(status: .created, response: try NotificationChannelResponse(channel))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> NotificationChannelResponse {
        let project = try await projects.visible(from: context)
        let channel = try await notifications.find(context.parameters.require("notification_id", as: UUID.self), in: project)
        try await apply(try await request.decodeJSON(as: ChannelInput.self, context: context), to: channel, in: project)
        try await notifications.save(channel)
        return try NotificationChannelResponse(channel)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await notifications.delete(try await channel(context))
        return Response(status: .noContent)
    }

    @Sendable func test(_ request: Request, context: AppRequestContext) async throws -> DeliveryResponse {
        let project = try await projects.visible(from: context)
        let channel = try await notifications.find(context.parameters.require("notification_id", as: UUID.self), in: project)
        return try DeliveryResponse(try await notifier.test(channel, in: project))
    }

    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> ListPage<DeliveryResponse> {
        let channel = try await channel(context)
        let page = try ListQuery(request)
        let (items, total) = try await notifications.deliveries(of: channel, page)
        return ListPage(items: try items.map(DeliveryResponse.init), total: total, request: page)
    }

    private func channel(_ context: AppRequestContext) async throws -> NotificationChannel {
        let project = try await projects.visible(from: context)
        return try await notifications.find(context.parameters.require("notification_id", as: UUID.self), in: project)
    }

    private func apply(_ input: ChannelInput, to channel: NotificationChannel, in project: Project) async throws {
        if let name = input.name {
            let trimmed = try TrimmedText.checked(name, field: "name", length: 1...100)
            if try await notifications.isTaken(name: trimmed, in: project, byOtherThan: channel) {
                throw APIError.conflict("the project has a notification channel named '\(trimmed)'")
            }
            channel.name = trimmed
        }
        if let events = input.events {
            guard !events.isEmpty else { throw APIError.validation(field: "events", "must name at least one event") }
            channel.eventsJSON = JSONColumn.encode(NotificationEvent.allCases.filter(events.contains))
        }
        if let enabled = input.enabled { channel.enabled = enabled }
        let type = input.type ?? channel.type
        // Another type's secrets are not kept: they would be refused by the new type, or mean something else.
        let stored = type == channel.type && channel.id != nil ? try channel.config : nil
        if type != channel.type, input.config == nil, channel.id != nil {
            throw APIError.validation(field: "config", "is required when the type changes")
        }
        if let config = input.config {
            let sealed = try secrets.seal(config, keeping: stored)
            try sealed.validate(for: type)
            channel.configJSON = JSONColumn.encode(sealed)
        }
        channel.type = type
    }
}

extension NotificationsController.ChannelInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true)
    ]
}
