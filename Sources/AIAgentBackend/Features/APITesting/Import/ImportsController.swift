import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/imports`: importing an API description into a project's catalogue,
/// and the reports of earlier imports.
struct ImportsController {
    let projects: ProjectRepository
    let imports: ImportRepository

    /// The body as a whole is bounded by `MAX_BODY_SIZE`; the document may fill it.
    static let maxContentLength = Int(Int32.max)

    func register(on routes: SecuredRoutes) {
        let imports = routes.group("projects/:id/imports")
        imports.get(
            .permission(.endpointRead),
            RouteContract(
                "List a project's imports", description: "Newest first.", query: QueryParameter.paging, returns: ListPage<ImportSummary>.self),
            use: list)
        imports.post(
            .permission(.endpointImport),
            RouteContract(
                "Import an API description into the catalogue",
                description: """
                    OpenAPI 3.x, Swagger 2.0, Postman v2.1, HAR 1.2 or cURL commands, as JSON (`content`) or as \
                    `multipart/form-data` (a `file` part, optional `format`, `postman_environment`, `create_cases` and `dry_run` parts). \
                    Operations are matched by operation key; an OpenAPI or Swagger import also removes the operations its \
                    document no longer has and flags their cases. Base URLs and variables go into the environment \
                    `Imported: <title>`, secrets sealed. All or nothing: a failed import writes nothing. With `dry_run` true \
                    the report says what the import would do (200) and nothing is written.
                    """,
                body: ImportInput.self, as: "ImportCreate", requiring: ["content"], returns: ImportReport.self, status: .created, alsoFor: [.ok],
                errors: [.conflict]
            ).rateLimited(.imports),
            use: create)
        imports.get(":import_id", .permission(.endpointRead), RouteContract("Get an import's report", returns: ImportReport.self), use: get)
    }

    struct ImportInput: Decodable {
        var format: ImportFormat?
        var content: String?
        var postmanEnvironment: String?
        var createCases: Bool?
        var filename: String?
        var dryRun: Bool?

        enum CodingKeys: String, CodingKey {
            case format, content, filename
            case postmanEnvironment = "postman_environment"
            case createCases = "create_cases"
            case dryRun = "dry_run"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<ImportSummary> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await imports.list(in: project, page)
        return ListPage(items: try items.map(ImportSummary.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> ImportReport {
        let project = try await projects.visible(from: context)
        return try await imports.report(context.parameters.require("import_id", as: UUID.self), in: project)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ImportReport> {
        let project = try await projects.visible(from: context)
        let input = try await Self.input(of: request, context: context)
        guard let content = input.content else { throw APIError.validation(field: "content", "is required") }
        let catalog = try CatalogImport.parse(content, format: input.format, postmanEnvironment: input.postmanEnvironment)
        let report = try await imports.run(
            .init(
                catalog: catalog, createCases: input.createCases ?? false, sourceFilename: input.filename,
                createdBy: context.requirePrincipal().userID, dryRun: input.dryRun ?? false),
            into: project)
        if input.dryRun == true { return EditedResponse(status: .ok, response: report) }
        context.audit?.resourceID = report.id.uuidString
        return EditedResponse(status: .created, response: report)
    }

    /// The JSON body, or the same fields sent as a form.
    private static func input(of request: Request, context: AppRequestContext) async throws -> ImportInput {
        guard request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true else {
            return try await request.decodeJSON(as: ImportInput.self, context: context)
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let parts = try Multipart.parts(in: Array(body.readableBytesView), contentType: request.headers[.contentType]) ?? []
        func text(_ name: String) throws(APIError) -> String? {
            guard let part = parts.first(where: { $0.name == name }) else { return nil }
            guard let text = String(validating: part.content, as: UTF8.self) else { throw APIError.validation(field: name, "is not UTF-8 text") }
            return text
        }
        var input = ImportInput()
        input.content = try text("file")
        input.filename = parts.first { $0.name == "file" }?.filename.map { String($0.prefix(255)) }
        input.postmanEnvironment = try text("postman_environment")
        if let format = try text("format")?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard let known = ImportFormat(rawValue: format) else {
                throw APIError.validation(field: "format", "must be one of \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            input.format = known
        }
        func flag(_ name: String) throws(APIError) -> Bool? {
            guard let value = try text(name)?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
            guard value == "true" || value == "false" else { throw APIError.validation(field: name, "must be true or false") }
            return value == "true"
        }
        input.createCases = try flag("create_cases")
        input.dryRun = try flag("dry_run")
        guard input.content != nil else { throw APIError.validation(field: "file", "the form needs a 'file' part") }
        return input
    }
}

extension ImportsController.ImportInput: LongTextInput {
    static let maxLengths = [
        "content": ImportsController.maxContentLength, "postman_environment": ImportsController.maxContentLength,
    ]
}
