import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/suites`: ordered groups of cases with their run options.
/// Suites are managed with the test-case permissions.
struct SuitesController {
    let projects: ProjectRepository
    let suites: SuiteRepository
    let cases: TestCaseRepository

    static let concurrencies = 1...64
    static let retryCounts = 0...5

    func register(on routes: SecuredRoutes) {
        let suites = routes.group("projects/:id/suites")
        suites.get(
            .permission(.testcaseRead),
            RouteContract(
                "List a project's suites", query: QueryParameter.paging + [.string("search", "Part of the name, any case")],
                returns: ListPage<TestSuiteResponse>.self), use: list)
        suites.post(
            .permission(.testcaseCreate),
            RouteContract(
                "Create a suite", body: SuiteInput.self, as: "TestSuiteCreate", requiring: ["name"], returns: TestSuiteResponse.self,
                status: .created, errors: [.conflict]),
            use: create)
        suites.get(":suite_id", .permission(.testcaseRead), RouteContract("Get a suite", returns: TestSuiteResponse.self), use: get)
        suites.put(
            ":suite_id", .permission(.testcaseUpdate),
            RouteContract(
                "Update a suite", description: "`setup_case_id: null` or `teardown_case_id: null` removes that case.", body: SuiteInput.self,
                returns: TestSuiteResponse.self, errors: [.conflict]), use: update)
        suites.delete(":suite_id", .permission(.testcaseDelete), RouteContract("Delete a suite"), use: delete)
    }

    struct SuiteInput: Decodable {
        var name: String?
        var description: String?
        var caseIDs: [UUID]?
        var mode: SuiteMode?
        var concurrency: Int?
        var setupCaseID: UUID??
        var teardownCaseID: UUID??
        var stopOnFailure: Bool?
        var retries: Int?

        enum CodingKeys: String, CodingKey {
            case name, description, mode, concurrency, retries
            case caseIDs = "case_ids"
            case setupCaseID = "setup_case_id"
            case teardownCaseID = "teardown_case_id"
            case stopOnFailure = "stop_on_failure"
        }

        /// A null setup or teardown id removes it; an absent key leaves it.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            caseIDs = try container.decodeIfPresent([UUID].self, forKey: .caseIDs)
            mode = try container.decodeIfPresent(SuiteMode.self, forKey: .mode)
            concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency)
            if container.contains(.setupCaseID) { setupCaseID = .some(try container.decodeIfPresent(UUID.self, forKey: .setupCaseID)) }
            if container.contains(.teardownCaseID) { teardownCaseID = .some(try container.decodeIfPresent(UUID.self, forKey: .teardownCaseID)) }
            stopOnFailure = try container.decodeIfPresent(Bool.self, forKey: .stopOnFailure)
            retries = try container.decodeIfPresent(Int.self, forKey: .retries)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<TestSuiteResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await suites.list(in: project, search: request.uri.queryParameters["search"].map(String.init), page)
        return ListPage(items: try items.map(TestSuiteResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> TestSuiteResponse {
        let project = try await projects.visible(from: context)
        return try TestSuiteResponse(try await suites.find(context.parameters.require("suite_id", as: UUID.self), in: project))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TestSuiteResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: SuiteInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        let suite = TestSuite()
        suite.projectID = try project.requireID()
        suite.caseIDsJSON = "[]"
        suite.mode = .sequential
        suite.concurrency = 1
        suite.stopOnFailure = false
        suite.retries = 0
        try await apply(input, to: suite, in: project)
        try await suites.save(suite)
        context.audit?.resourceID = suite.id?.uuidString
        return EditedResponse(status: .created, response: try TestSuiteResponse(suite))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> TestSuiteResponse {
        let project = try await projects.visible(from: context)
        let suite = try await suites.find(context.parameters.require("suite_id", as: UUID.self), in: project)
        try await apply(try await request.decodeJSON(as: SuiteInput.self, context: context), to: suite, in: project)
        try await suites.save(suite)
        return try TestSuiteResponse(suite)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let project = try await projects.visible(from: context)
        try await suites.delete(try await suites.find(context.parameters.require("suite_id", as: UUID.self), in: project))
        return Response(status: .noContent)
    }

    private func apply(_ input: SuiteInput, to suite: TestSuite, in project: Project) async throws {
        if let name = input.name {
            let trimmed = try TrimmedText.checked(name, field: "name", length: 1...100)
            if try await suites.isTaken(name: trimmed, in: project, byOtherThan: suite) {
                throw APIError.conflict("the project has a suite named '\(trimmed)'")
            }
            suite.name = trimmed
        }
        if let description = input.description { suite.description = description.isEmpty ? nil : description }
        if let caseIDs = input.caseIDs {
            try await requireCases(caseIDs, field: "case_ids", in: project)
            suite.caseIDsJSON = JSONColumn.encode(caseIDs)
        }
        if let mode = input.mode { suite.mode = mode }
        if let concurrency = input.concurrency { suite.concurrency = try APIError.checked(concurrency, field: "concurrency", in: Self.concurrencies) }
        if let setup = input.setupCaseID {
            if let setup { try await requireCases([setup], field: "setup_case_id", in: project) }
            suite.setupCaseID = setup
        }
        if let teardown = input.teardownCaseID {
            if let teardown { try await requireCases([teardown], field: "teardown_case_id", in: project) }
            suite.teardownCaseID = teardown
        }
        if let stop = input.stopOnFailure { suite.stopOnFailure = stop }
        if let retries = input.retries { suite.retries = try APIError.checked(retries, field: "retries", in: Self.retryCounts) }
    }

    private func requireCases(_ ids: [UUID], field: String, in project: Project) async throws {
        if let missing = try await cases.foreign(ids, in: project).first {
            throw APIError.missingReference(field: field, "no test case \(missing) in this project")
        }
    }
}

extension SuitesController.SuiteInput: LongTextInput {
    static let maxLengths = ["description": 2_000]
}

extension SuitesController.SuiteInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "case_ids": .array(of: .uuid, maxItems: 1_000),
        "concurrency": .integer(minimum: SuitesController.concurrencies.lowerBound, maximum: SuitesController.concurrencies.upperBound),
        "retries": .integer(minimum: SuitesController.retryCounts.lowerBound, maximum: SuitesController.retryCounts.upperBound),
    ]
}
