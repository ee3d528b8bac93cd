import Foundation
import Hummingbird

/// A run's report (JSON, JUnit XML, HTML), the comparison of two runs, and a project's trends.
struct ReportsController {
    static let defaultDays = 30
    static let days = 1...365

    let projects: ProjectRepository
    let runs: RunRepository
    let reports: ReportRepository

    enum Format: String, CaseIterable {
        case json, junit, html
    }

    func register(on routes: SecuredRoutes) {
        routes.get(
            "runs/:id/report", .permission(.reportRead),
            RouteContract(
                "Download a run's report",
                description:
                    "The whole run with every case's steps, as JSON (the default), JUnit XML (the schema Jenkins and GitLab read) or one self-contained HTML page; an attachment named `run-<short id>-<date>.<ext>`.",
                query: [.oneOf("format", Format.self)],
                success: .jsonOrMedia(
                    SchemaType(RunReport.self),
                    others: [
                        "application/xml": "JUnit XML (format=junit)",
                        "text/html": "A self-contained HTML page (format=html): summary, filters, search, every step's evidence",
                    ])),
            use: report)
        routes.get(
            "runs/:id/compare/:other_id", .permission(.reportRead),
            RouteContract(
                "Compare a run with a baseline run",
                description:
                    "Cases (by id) newly failing, newly passing and still failing in the run `id` since the run `other_id`, and those added or removed. Both runs must be of one project (422 otherwise).",
                returns: RunComparison.self),
            use: compare)
        routes.get(
            "projects/:id/trends", .permission(.reportRead),
            RouteContract(
                "A project's trends",
                description:
                    "Over the last `days` (default \(Self.defaultDays)): pass rate and duration per finished run, flaky cases (both passed and failed), and each endpoint's p95 per run. At most the newest \(ReportRepository.maxTrendRuns) runs.",
                query: [.uuid("suite_id", "Only this suite's runs"), .integer("days", in: Self.days, "The window, in days back from now")],
                returns: RunTrends.self),
            use: trends)
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let format = try request.enumParameter("format", as: Format.self) ?? .json
        let (run, project) = try await visibleRun(context, parameter: "id")
        let report = try await reports.report(of: run, in: project)
        let (body, contentType, ext): (ByteBuffer, String, String)
        switch format {
        case .json: (body, contentType, ext) = (ByteBuffer(data: try JSONCoding.encoder.encode(report)), "application/json; charset=utf-8", "json")
        case .junit: (body, contentType, ext) = (ByteBuffer(string: JUnitReport.render(report)), "application/xml; charset=utf-8", "xml")
        case .html: (body, contentType, ext) = (ByteBuffer(string: try HTMLReport.render(report)), "text/html; charset=utf-8", "html")
        }
        return Response(
            status: .ok, headers: [.contentType: contentType, .contentDisposition: "attachment; filename=\"\(report.fileName(ext))\""],
            body: .init(byteBuffer: body))
    }

    @Sendable func compare(_ request: Request, context: AppRequestContext) async throws -> RunComparison {
        let (run, _) = try await visibleRun(context, parameter: "id")
        let (baseline, _) = try await visibleRun(context, parameter: "other_id")
        guard run.projectID == baseline.projectID else {
            throw APIError.validation(field: "other_id", "the run \(try baseline.requireID()) is of another project")
        }
        let (runID, baselineID) = (try run.requireID(), try baseline.requireID())
        return RunComparison(
            runID: runID, run: try await reports.outcomes(of: runID), baselineID: baselineID, baseline: try await reports.outcomes(of: baselineID))
    }

    @Sendable func trends(_ request: Request, context: AppRequestContext) async throws -> RunTrends {
        let project = try await projects.visible(from: context)
        let projectID = try project.requireID()
        let query = request.uri.queryParameters
        let suiteID = query["suite_id"].flatMap { UUID(uuidString: String($0)) }
        let days = query["days"].flatMap { Int($0) } ?? Self.defaultDays
        let from = Date().addingTimeInterval(-Double(days) * 86_400)
        let runs = try await reports.finishedRuns(in: projectID, suiteID: suiteID, since: from)
        return RunTrends(
            projectID: projectID, suiteID: suiteID, days: days, from: from, runs: try runs.map(RunTrends.RunPoint.init),
            flaky: try await reports.flakyCases(in: try runs.map { try $0.requireID() }), endpoints: try await reports.endpointTrends(of: runs))
    }

    /// The run named by `parameter` and its project, if the caller sees that project; a 404 otherwise.
    private func visibleRun(_ context: AppRequestContext, parameter: String) async throws -> (TestRun, Project) {
        try await runs.visible(context.parameters.require(parameter, as: UUID.self), to: context.requirePrincipal(), projects: projects)
    }
}
