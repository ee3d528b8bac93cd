import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/schedules`: run a suite against an environment on a cron
/// schedule, with the history of its firings. Managed with the test-run permissions.
struct SchedulesController {
    let projects: ProjectRepository
    let schedules: ScheduleRepository
    let suites: SuiteRepository
    let environments: EnvironmentRepository

    func register(on routes: SecuredRoutes) {
        let schedules = routes.group("projects/:id/schedules")
        schedules.get(
            .permission(.testrunRead),
            RouteContract("List a project's schedules", query: QueryParameter.paging, returns: ListPage<TestScheduleResponse>.self), use: list)
        schedules.post(
            .permission(.testrunCreate),
            RouteContract(
                "Create a schedule",
                description:
                    "A five-field cron expression (names, lists, ranges and steps; `@daily` and the like) in an IANA time zone. The response lists the next five fire times.",
                body: ScheduleInput.self, as: "TestScheduleCreate", requiring: ["suite_id", "environment_id", "cron"],
                returns: TestScheduleResponse.self, status: .created), use: create)
        schedules.get(":schedule_id", .permission(.testrunRead), RouteContract("Get a schedule", returns: TestScheduleResponse.self), use: get)
        schedules.put(
            ":schedule_id", .permission(.testrunUpdate),
            RouteContract(
                "Update a schedule", description: "Fields left out keep their values. A new cron, time zone or `enabled: true` counts from now.",
                body: ScheduleInput.self, returns: TestScheduleResponse.self), use: update)
        schedules.delete(":schedule_id", .permission(.testrunDelete), RouteContract("Delete a schedule and its history"), use: delete)
        schedules.post(
            ":schedule_id/pause", .permission(.testrunUpdate),
            RouteContract("Pause a schedule", description: "Same as `enabled: false`.", returns: TestScheduleResponse.self), use: pause)
        schedules.post(
            ":schedule_id/resume", .permission(.testrunUpdate),
            RouteContract(
                "Resume a schedule", description: "Same as `enabled: true`: the fire times passed while paused are not run.",
                returns: TestScheduleResponse.self), use: resume)
        schedules.get(
            ":schedule_id/firings", .permission(.testrunRead),
            RouteContract(
                "List a schedule's firings", description: "Newest first: each fire time, whether it started a run (and which) or was skipped.",
                query: QueryParameter.paging, returns: ListPage<ScheduleFiringResponse>.self), use: firings)
    }

    struct ScheduleInput: Decodable {
        var suiteID: UUID?
        var environmentID: UUID?
        var cron: String?
        var timezone: String?
        var enabled: Bool?
        var onMissed: MissedFirings?

        enum CodingKeys: String, CodingKey {
            case cron, timezone, enabled
            case suiteID = "suite_id"
            case environmentID = "environment_id"
            case onMissed = "on_missed"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<TestScheduleResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await schedules.list(in: project, page)
        let now = Date()
        return ListPage(items: try items.map { try TestScheduleResponse($0, now: now) }, total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> TestScheduleResponse {
        try TestScheduleResponse(try await schedule(context).schedule)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TestScheduleResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: ScheduleInput.self, context: context)
        guard input.suiteID != nil else { throw APIError.validation(field: "suite_id", "is required") }
        guard input.environmentID != nil else { throw APIError.validation(field: "environment_id", "is required") }
        guard input.cron != nil else { throw APIError.validation(field: "cron", "is required") }
        let schedule = TestSchedule()
        schedule.projectID = try project.requireID()
        schedule.timezone = "UTC"
        schedule.enabled = true
        schedule.onMissed = .skip
        schedule.createdBy = try context.requirePrincipal().userID
        try await apply(input, to: schedule, in: project)
        try await schedules.save(schedule)
        context.audit?.resourceID = schedule.id?.uuidString
        return EditedResponse(status: .created, response: try TestScheduleResponse(schedule))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> TestScheduleResponse {
        let (project, schedule) = try await schedule(context)
        try await apply(try await request.decodeJSON(as: ScheduleInput.self, context: context), to: schedule, in: project)
        try await schedules.save(schedule)
        return try TestScheduleResponse(schedule)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await schedules.delete(try await schedule(context).schedule)
        return Response(status: .noContent)
    }

    @Sendable func pause(_ request: Request, context: AppRequestContext) async throws -> TestScheduleResponse {
        try await setEnabled(false, context)
    }

    @Sendable func resume(_ request: Request, context: AppRequestContext) async throws -> TestScheduleResponse {
        try await setEnabled(true, context)
    }

    @Sendable func firings(_ request: Request, context: AppRequestContext) async throws -> ListPage<ScheduleFiringResponse> {
        let schedule = try await schedule(context).schedule
        let page = try ListQuery(request)
        let (items, total) = try await schedules.firings(of: schedule, page)
        return ListPage(items: try items.map(ScheduleFiringResponse.init), total: total, request: page)
    }

    private func setEnabled(_ enabled: Bool, _ context: AppRequestContext) async throws -> TestScheduleResponse {
        let (project, schedule) = try await schedule(context)
        try await apply(ScheduleInput(enabled: enabled), to: schedule, in: project)
        try await schedules.save(schedule)
        return try TestScheduleResponse(schedule)
    }

    /// The schedule named by `:schedule_id` in the project named by `:id`, if the caller sees it.
    private func schedule(_ context: AppRequestContext) async throws -> (project: Project, schedule: TestSchedule) {
        let project = try await projects.visible(from: context)
        return (project, try await schedules.find(context.parameters.require("schedule_id", as: UUID.self), in: project))
    }

    private func apply(_ input: ScheduleInput, to schedule: TestSchedule, in project: Project) async throws {
        if let suiteID = input.suiteID {
            guard (try? await suites.find(suiteID, in: project)) != nil else {
                throw APIError.missingReference(field: "suite_id", "no suite \(suiteID) in this project")
            }
            schedule.suiteID = suiteID
        }
        if let environmentID = input.environmentID {
            guard (try? await environments.find(environmentID, in: project)) != nil else {
                throw APIError.missingReference(field: "environment_id", "no environment \(environmentID) in this project")
            }
            schedule.environmentID = environmentID
        }
        var restarts = schedule.nextFireAt == nil
        if let cron = input.cron {
            do { _ = try CronExpression(cron) } catch { throw APIError.validation(field: "cron", error.description) }
            schedule.cron = cron.trimmingCharacters(in: .whitespaces)
            restarts = true
        }
        if let timezone = input.timezone {
            // Region/City names (and UTC) only: abbreviations such as EST are ambiguous.
            let spelling = timezone.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }
            guard spelling, timezone.contains("/") || timezone == "UTC", TimeZone(identifier: timezone) != nil else {
                throw APIError.validation(field: "timezone", "'\(timezone)' is not an IANA time zone such as Europe/Berlin or UTC")
            }
            schedule.timezone = timezone
            restarts = true
        }
        if let enabled = input.enabled {
            restarts = restarts || (enabled && !schedule.enabled)
            schedule.enabled = enabled
        }
        if let onMissed = input.onMissed { schedule.onMissed = onMissed }
        // Counted from now: fire times before an edit or a resume are not owed.
        if restarts { schedule.nextFireAt = try schedule.expression.next(after: Date(), in: schedule.zone) }
    }
}

extension SchedulesController.ScheduleInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "cron": .text(1...200, nonBlank: true),
        "timezone": .text(1...64, nonBlank: true),
    ]
}
