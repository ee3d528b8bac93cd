import Foundation
import Hummingbird

/// `/api/v1/projects/{id}/environments`. Reading needs `project:read`, changing `project:update`.
struct EnvironmentsController {
    let projects: ProjectRepository
    let environments: EnvironmentRepository
    let secrets: SecretValues

    static let timeouts = 1...300_000
    static let redirects = 0...20

    func register(on routes: SecuredRoutes) {
        let environments = routes.group("projects/:id/environments")
        environments.get(
            .permission(.projectRead),
            RouteContract("List a project's environments", query: QueryParameter.paging, returns: ListPage<EnvironmentResponse>.self),
            use: list)
        environments.post(
            .permission(.projectUpdate),
            RouteContract(
                "Create an environment", description: "Secret variables and auth credentials are stored encrypted and shown as `***`.",
                body: EnvironmentInput.self, as: "EnvironmentCreate", requiring: ["name"], returns: EnvironmentResponse.self,
                status: .created, errors: [.conflict]),
            use: create)
        environments.get(
            ":environment_id", .permission(.projectRead), RouteContract("Get an environment", returns: EnvironmentResponse.self), use: get)
        environments.put(
            ":environment_id", .permission(.projectUpdate),
            RouteContract(
                "Update an environment", description: "A secret sent as `***`, or without a value, keeps what is stored.",
                body: EnvironmentInput.self, returns: EnvironmentResponse.self, errors: [.conflict]), use: update)
        environments.delete(":environment_id", .permission(.projectUpdate), RouteContract("Delete an environment"), use: delete)
    }

    struct EnvironmentInput: Decodable {
        var name: String?
        var baseURLs: [String: String]?
        var variables: [Variable]?
        var headers: [String: String]?
        var auth: RequestAuth?
        var verifyTLS: Bool?
        var timeoutMs: Int?
        var followRedirects: Bool?
        var maxRedirects: Int?

        enum CodingKeys: String, CodingKey {
            case name, variables, headers, auth
            case baseURLs = "base_urls"
            case verifyTLS = "verify_tls"
            case timeoutMs = "timeout_ms"
            case followRedirects = "follow_redirects"
            case maxRedirects = "max_redirects"
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<EnvironmentResponse> {
        let project = try await projects.visible(from: context)
        let page = try ListQuery(request)
        let (items, total) = try await environments.list(in: project, page)
        return ListPage(items: try items.map(EnvironmentResponse.init), total: total, request: page)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> EnvironmentResponse {
        let project = try await projects.visible(from: context)
        return try EnvironmentResponse(try await environments.find(context.parameters.require("environment_id", as: UUID.self), in: project))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<EnvironmentResponse> {
        let project = try await projects.visible(from: context)
        let input = try await request.decodeJSON(as: EnvironmentInput.self, context: context)
        guard input.name != nil else { throw APIError.validation(field: "name", "is required") }
        // The name is checked and set by `apply`.
        let environment = TestEnvironment(projectID: try project.requireID(), name: "")
        try await apply(input, to: environment, in: project)
        try await environments.save(environment)
        context.audit?.resourceID = environment.id?.uuidString
        return EditedResponse(status: .created, response: try EnvironmentResponse(environment))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> EnvironmentResponse {
        let project = try await projects.visible(from: context)
        let environment = try await environments.find(context.parameters.require("environment_id", as: UUID.self), in: project)
        try await apply(try await request.decodeJSON(as: EnvironmentInput.self, context: context), to: environment, in: project)
        try await environments.save(environment)
        return try EnvironmentResponse(environment)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let project = try await projects.visible(from: context)
        try await environments.delete(try await environments.find(context.parameters.require("environment_id", as: UUID.self), in: project))
        return Response(status: .noContent)
    }

    private func apply(_ input: EnvironmentInput, to environment: TestEnvironment, in project: Project) async throws {
        if let name = input.name {
            let trimmed = try TrimmedText.checked(name, field: "name", length: 1...100)
            if try await environments.isTaken(name: trimmed, in: project, byOtherThan: environment) {
                throw APIError.conflict("the project has an environment named '\(trimmed)'")
            }
            environment.name = trimmed
        }
        if let baseURLs = input.baseURLs {
            try Self.check(baseURLs: baseURLs)
            environment.baseURLsJSON = JSONColumn.encode(baseURLs)
        }
        if let variables = input.variables {
            environment.variablesJSON = JSONColumn.encode(try secrets.seal(variables, keeping: try environment.variables, field: "variables"))
        }
        if let headers = input.headers {
            try Self.check(headers: headers)
            environment.headersJSON = JSONColumn.encode(headers)
        }
        if let auth = input.auth { environment.authJSON = JSONColumn.encode(try secrets.seal(auth, keeping: try environment.auth)) }
        if let verifyTLS = input.verifyTLS { environment.verifyTLS = verifyTLS }
        if let timeout = input.timeoutMs { environment.timeoutMs = try APIError.checked(timeout, field: "timeout_ms", in: Self.timeouts) }
        if let follow = input.followRedirects { environment.followRedirects = follow }
        if let maxRedirects = input.maxRedirects {
            environment.maxRedirects = try APIError.checked(maxRedirects, field: "max_redirects", in: Self.redirects)
        }
    }
}

extension EnvironmentsController {
    /// Service names usable in `{{base_url.NAME}}`, each with an absolute http(s) URL.
    static func check(baseURLs: [String: String]) throws(APIError) {
        for (service, url) in baseURLs {
            guard SecretValues.isName(service) else {
                throw APIError.validation(field: "base_urls.\(service)", "a service name holds only letters, digits, _ . -")
            }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased()), parsed.host?.isEmpty == false else {
                throw APIError.validation(field: "base_urls.\(service)", "must be an absolute http(s) URL")
            }
        }
    }

    static func check(headers: [String: String]) throws(APIError) {
        if let bad = headers.keys.first(where: { !RequestHeaders.isName($0) }) {
            throw APIError.validation(field: "headers.\(bad)", "is not a valid header name")
        }
    }
}

/// Header names as HTTP allows them: visible ASCII without a colon.
enum RequestHeaders {
    static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) && $0 != ":" }
    }
    static let nameSchema = JSONSchema.string(minLength: 1, maxLength: InputLimits.defaultMaxLength, pattern: "^[!-9;-~]+$")
}

extension EnvironmentsController.EnvironmentInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "base_urls": .map(
            of: .string(format: "uri", maxLength: InputLimits.defaultMaxLength, pattern: "^[hH][tT][tT][pP][sS]?://[^/?#]"),
            keys: SecretValues.nameSchema),
        "headers": .map(of: .string(maxLength: 8_000, pattern: #"^[^\x00]*$"#), keys: RequestHeaders.nameSchema),
        "timeout_ms": .integer(minimum: EnvironmentsController.timeouts.lowerBound, maximum: EnvironmentsController.timeouts.upperBound),
        "max_redirects": .integer(minimum: EnvironmentsController.redirects.lowerBound, maximum: EnvironmentsController.redirects.upperBound),
    ]
}
