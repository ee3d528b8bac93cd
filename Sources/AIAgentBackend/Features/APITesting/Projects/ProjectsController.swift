import Foundation
import Hummingbird

/// `/api/v1/projects`: API-testing projects, their members and project-wide variables.
/// Members are set with `member_ids` in the body (the whole list; the owner is always in).
struct ProjectsController {
    let projects: ProjectRepository
    let secrets: SecretValues

    func register(on routes: SecuredRoutes) {
        let projects = routes.group("projects")
        projects.get(
            .permission(.projectRead),
            RouteContract(
                "List the projects you own or are a member of", description: "Superusers see every project.",
                query: QueryParameter.paging + [.string("search", "Part of the name, any case")], returns: ListPage<ProjectResponse>.self),
            use: list)
        projects.post(
            .permission(.projectCreate),
            RouteContract(
                "Create a project", description: "The caller becomes its owner.", body: ProjectInput.self, as: "ProjectCreate",
                requiring: ["name"], returns: ProjectResponse.self, status: .created, errors: [.conflict]),
            use: create)
        projects.get(":id", .permission(.projectRead), RouteContract("Get a project", returns: ProjectResponse.self), use: get)
        projects.put(
            ":id", .permission(.projectUpdate),
            RouteContract(
                "Update a project", description: "`member_ids` replaces the members; a secret variable sent as `***` keeps its value.",
                body: ProjectInput.self, returns: ProjectResponse.self, errors: [.conflict]), use: update)
        projects.delete(
            ":id", .permission(.projectDelete),
            RouteContract(
                "Delete a project with everything in it", description: "A project with test runs needs `force=true`.",
                query: [QueryParameter(name: "force", schema: .boolean, description: "Delete even when it has test runs")],
                errors: [.conflict]), use: delete)
    }

    struct ProjectInput: Decodable {
        var name: String?
        var description: String?
        var memberIDs: [UUID]?
        var variables: [Variable]?

        enum CodingKeys: String, CodingKey {
            case name, description, variables
            case memberIDs = "member_ids"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ProjectResponse> {
        let page = try ListQuery(request)
        let search = request.uri.queryParameters["search"].map(String.init)
        let (items, total) = try await projects.list(visibleTo: try context.requirePrincipal(), search: search, page)
        let members = try await projects.memberIDs(ofProjects: items.map { try $0.requireID() })
        return ListPage(items: try items.map { try ProjectResponse($0, memberIDs: members[try $0.requireID()] ?? []) }, total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> ProjectResponse {
        let project = try await projects.visible(context.parameters.require("id", as: UUID.self), to: context.requirePrincipal())
        return try ProjectResponse(project, memberIDs: try await projects.memberIDs(of: project))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ProjectResponse> {
        let input = try await request.decodeJSON(as: ProjectInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        let project = Project()
        project.ownerID = try context.requirePrincipal().userID
        project.variablesJSON = "[]"
        let members = try await apply(input, to: project)
        try await projects.save(project, members: members ?? [])
        context.audit?.resourceID = project.id?.uuidString
        return EditedResponse(status: .created, response: try ProjectResponse(project, memberIDs: try await projects.memberIDs(of: project)))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> ProjectResponse {
        let project = try await projects.visible(context.parameters.require("id", as: UUID.self), to: context.requirePrincipal())
        let members = try await apply(try await request.decodeJSON(as: ProjectInput.self, context: context), to: project)
        try await projects.save(project, members: members)
        return try ProjectResponse(project, memberIDs: try await projects.memberIDs(of: project))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let project = try await projects.visible(context.parameters.require("id", as: UUID.self), to: context.requirePrincipal())
        if request.uri.queryParameters["force"] != "true", try await projects.hasRuns(project) {
            throw APIError.conflict("the project '\(project.name)' has test runs; delete with force=true to remove them too")
        }
        try await projects.delete(project)
        return Response(status: .noContent)
    }

    /// Applies the fields present; returns the members to store, nil to leave them.
    private func apply(_ input: ProjectInput, to project: Project) async throws -> [UUID]? {
        if let name = input.name {
            let trimmed = try TrimmedText.checked(name, field: "name", length: 1...100)
            if try await projects.isTaken(name: trimmed, byOtherThan: project) { throw APIError.conflict("a project named '\(trimmed)' exists") }
            project.name = trimmed
        }
        if let description = input.description { project.description = description.isEmpty ? nil : description }
        if let variables = input.variables {
            project.variablesJSON = JSONColumn.encode(try secrets.seal(variables, keeping: try project.variables, field: "variables"))
        }
        guard let memberIDs = input.memberIDs else { return nil }
        if let unknown = try await projects.unknownUsers(memberIDs).first {
            throw APIError.missingReference(field: "member_ids", "no user \(unknown)")
        }
        return memberIDs.filter { $0 != project.ownerID }
    }
}

extension ProjectsController.ProjectInput: LongTextInput {
    static let maxLengths = ["description": 2_000]
}

extension ProjectsController.ProjectInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "member_ids": .array(of: .uuid, maxItems: 500),
    ]
}
