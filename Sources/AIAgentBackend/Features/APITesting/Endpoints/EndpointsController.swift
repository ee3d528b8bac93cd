import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/endpoints`: the catalogue of the API under test.
struct EndpointsController {
    let projects: ProjectRepository
    let endpoints: EndpointRepository

    func register(on routes: SecuredRoutes) {
        let endpoints = routes.group("projects/:id/endpoints")
        endpoints.get(
            .permission(.endpointRead),
            RouteContract(
                "List a project's endpoints",
                query: QueryParameter.paging + [
                    .string("tag", "Endpoints with this tag"), .oneOf("method", HTTPMethodName.self),
                    .string("search", "Part of the path or summary, any case"),
                    QueryParameter(name: "deprecated", schema: .boolean, description: "Only deprecated (true) or current (false) ones"),
                ], returns: ListPage<EndpointResponse>.self),
            use: list)
        endpoints.post(
            .permission(.endpointCreate),
            RouteContract(
                "Create an endpoint", description: "`METHOD /path` is unique in a project.", body: EndpointInput.self, as: "EndpointCreate",
                requiring: ["method", "path"], returns: EndpointResponse.self, status: .created, errors: [.conflict]),
            use: create)
        endpoints.get(":endpoint_id", .permission(.endpointRead), RouteContract("Get an endpoint", returns: EndpointResponse.self), use: get)
        endpoints.put(
            ":endpoint_id", .permission(.endpointUpdate),
            RouteContract("Update an endpoint", body: EndpointInput.self, returns: EndpointResponse.self, errors: [.conflict]), use: update)
        endpoints.delete(
            ":endpoint_id", .permission(.endpointDelete), RouteContract("Delete an endpoint", description: "Cases linked to it are unlinked."),
            use: delete)
    }

    struct EndpointInput: Decodable {
        var method: HTTPMethodName?
        var path: String?
        var summary: String?
        var tags: [String]?
        var parameters: JSONValue?
        var requestBody: JSONValue?
        var responses: JSONValue?
        var deprecated: Bool?

        enum CodingKeys: String, CodingKey {
            case method, path, summary, tags, parameters, responses, deprecated
            case requestBody = "request_body"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<EndpointResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let query = request.uri.queryParameters
        let filter = EndpointRepository.Filter(
            tag: query["tag"].map(String.init), method: try request.enumParameter("method"), search: query["search"].map(String.init),
            deprecated: query["deprecated"].map { $0 == "true" })
        let (items, total) = try await endpoints.list(in: project, filter, page)
        return ListPage(items: try items.map(EndpointResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> EndpointResponse {
        let project = try await projects.visible(from: context)
        return try EndpointResponse(try await endpoints.find(context.parameters.require("endpoint_id", as: UUID.self), in: project))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<EndpointResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: EndpointInput.self, context: context)
        guard input.method != nil else { throw APIError.validation(field: "method", "is required") }
        guard input.path != nil else { throw APIError.validation(field: "path", "is required") }
        let endpoint = APIEndpoint()
        endpoint.projectID = try project.requireID()
        endpoint.tagsJSON = "[]"
        endpoint.deprecated = false
        try await apply(input, to: endpoint)
        try await endpoints.save(endpoint)
        context.audit?.resourceID = endpoint.id?.uuidString
        return EditedResponse(status: .created, response: try EndpointResponse(endpoint))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> EndpointResponse {
        let project = try await projects.visible(from: context)
        let endpoint = try await endpoints.find(context.parameters.require("endpoint_id", as: UUID.self), in: project)
        try await apply(try await request.decodeJSON(as: EndpointInput.self, context: context), to: endpoint)
        try await endpoints.save(endpoint)
        return try EndpointResponse(endpoint)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let project = try await projects.visible(from: context)
        try await endpoints.delete(try await endpoints.find(context.parameters.require("endpoint_id", as: UUID.self), in: project))
        return Response(status: .noContent)
    }

    private func apply(_ input: EndpointInput, to endpoint: APIEndpoint) async throws {
        if let method = input.method { endpoint.method = method }
        if let path = input.path {
            guard path.hasPrefix("/"), !path.contains(where: \.isWhitespace) else {
                throw APIError.validation(field: "path", "must start with / and hold no spaces (a template such as /pets/{id})")
            }
            endpoint.path = path
        }
        let key = APIEndpoint.operationKey(endpoint.method, endpoint.path)
        if try await endpoints.isTaken(operationKey: key, in: endpoint.projectID, byOtherThan: endpoint) {
            throw APIError.conflict("the project has an endpoint '\(key)'")
        }
        endpoint.operationKey = key
        if let summary = input.summary { endpoint.summary = summary.isEmpty ? nil : summary }
        if let tags = input.tags { endpoint.tagsJSON = JSONColumn.encode(try Tags.checked(tags)) }
        if let parameters = input.parameters { endpoint.parametersJSON = JSONColumn.encode(parameters) }
        if let requestBody = input.requestBody { endpoint.requestBodyJSON = JSONColumn.encode(requestBody) }
        if let responses = input.responses { endpoint.responsesJSON = JSONColumn.encode(responses) }
        if let deprecated = input.deprecated { endpoint.deprecated = deprecated }
    }
}

/// Tags of endpoints and cases: 1 to 50 characters each, at most 50, repeats dropped.
enum Tags {
    static let schema = JSONSchema.array(of: .text(1...50, nonBlank: true), maxItems: 50)

    static func checked(_ tags: [String]) throws(APIError) -> [String] {
        guard tags.count <= 50 else { throw APIError.validation(field: "tags", "must hold at most 50 tags") }
        var kept: [String] = []
        for (index, tag) in tags.enumerated() {
            let trimmed = try TrimmedText.checked(tag, field: "tags[\(index)]", length: 1...50)
            if !kept.contains(trimmed) { kept.append(trimmed) }
        }
        return kept
    }
}

extension EndpointsController.EndpointInput: LongTextInput {
    // The OpenAPI parts hold descriptions and examples under arbitrary keys: those stay at the default.
    static let maxLengths = ["path": 2_000, "summary": 1_000, "description": 10_000]
}

extension EndpointsController.EndpointInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "path": .string(minLength: 1, maxLength: 2_000, pattern: "^/\\S*$"),
        "summary": .string(maxLength: 1_000),
        "tags": Tags.schema,
    ]
}
