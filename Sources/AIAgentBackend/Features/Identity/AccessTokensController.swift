import Foundation
import Hummingbird

/// `/api/v1/auth/tokens`: personal access tokens for CI, which work wherever a login's
/// token does (``AccessControl``).
struct AccessTokensController {
    let tokens: AccessTokenRepository
    let users: UserRepository
    let access: AccessControl
    static let defaultLifetime: TimeInterval = 90 * 86_400
    static let maxLifetime: TimeInterval = 365 * 86_400

    func register(on routes: SecuredRoutes) {
        let tokens = routes.group("auth/tokens")
        tokens.post(
            .authenticated,
            RouteContract(
                "Create a personal access token",
                description: """
                    The token is in this answer only; the service keeps its hash. `permissions` must be among your own (422 names \
                    the others); `expires_at` defaults to 90 days from now and may be at most a year away. A personal access token \
                    cannot create tokens (403).
                    """,
                body: TokenInput.self, returns: CreatedAccessToken.self, status: .created, errors: [.forbidden]), use: create)
        tokens.get(
            .authenticated,
            RouteContract(
                "List personal access tokens", description: "Your own; another user's with `user_id` and the permission user:read.",
                query: QueryParameter.paging + [.uuid("user_id", "Whose tokens")], returns: ListPage<AccessTokenResponse>.self,
                errors: [.forbidden]), use: list)
        tokens.delete(
            ":id", .authenticated,
            RouteContract(
                "Revoke a personal access token", description: "Your own; another user's with the permission user:update.",
                errors: [.forbidden]), use: revoke)
    }

    struct TokenInput: Decodable {
        let name: String
        let permissions: [Permission]
        /// ISO 8601; parsed here so that a bad one is a 422 naming the field.
        var expiresAt: String?

        enum CodingKeys: String, CodingKey {
            case name, permissions
            case expiresAt = "expires_at"
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        // A stolen CI token must not be able to mint more.
        guard principal.accessTokenID == nil else {
            throw APIError(.forbidden, code: "forbidden", message: "a personal access token cannot create tokens; sign in to create one")
        }
        let input = try await request.decodeJSON(as: TokenInput.self, context: context)
        let name = try TrimmedText.checked(input.name, field: "name", length: 1...100)
        let permissions = Set(input.permissions.map(\.rawValue))
        guard !permissions.isEmpty else { throw APIError.validation(field: "permissions", "must name at least one permission") }
        if !principal.isSuperuser {
            let refused = permissions.subtracting(principal.permissions).sorted()
            guard refused.isEmpty else {
                throw APIError(
                    .unprocessableContent, code: "validation_failed",
                    message: "permissions: you do not hold \(refused.joined(separator: ", "))",
                    details: ["field": "permissions", "refused": refused.joined(separator: ",")])
            }
        }
        let token = AccessToken()
        let secret = PersonalAccessTokens.generate()
        token.$user.id = principal.userID
        token.name = name
        token.tokenHash = PersonalAccessTokens.hash(secret)
        token.prefix = String(secret.prefix(PersonalAccessTokens.shownLength))
        token.permissions = permissions.sorted()
        token.expiresAt = try Self.expiry(input.expiresAt, now: Date())
        try await tokens.create(token)
        context.audit?.resourceID = token.id?.uuidString
        let body = CreatedAccessToken(token: secret, metadata: try AccessTokenResponse(token))
        var response = try EditedResponse(status: .created, response: body).response(from: request, context: context)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The requested expiry, in the future and at most ``maxLifetime`` away; ``defaultLifetime`` when absent.
    static func expiry(_ text: String?, now: Date) throws -> Date {
        guard let text else { return now.addingTimeInterval(defaultLifetime) }
        guard let date = ISO8601Timestamp.parse(text) else {
            throw APIError.validation(field: "expires_at", "must be an ISO 8601 timestamp such as 2026-01-31T00:00:00Z")
        }
        guard date > now else { throw APIError.validation(field: "expires_at", "must be in the future") }
        guard date <= now.addingTimeInterval(maxLifetime) else { throw APIError.validation(field: "expires_at", "must be at most a year away") }
        return date
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<AccessTokenResponse> {
        let principal = try context.requirePrincipal()
        let page = try ListQuery(request)
        let owner = try request.uuidParameter("user_id") ?? principal.userID
        if owner != principal.userID { try principal.require(.permission(.userRead)) }
        let (items, total) = try await tokens.list(ownedBy: owner, page)
        return ListPage(items: try items.map(AccessTokenResponse.init), total: total, request: page)
    }

    /// Revoked, not deleted: the list keeps it, and its later use is audited as such. Revoking twice changes nothing.
    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let token = try await tokens.find(context.parameters.require("id", as: UUID.self))
        if token.$user.id != principal.userID {
            // Whether someone else's token exists is not told to those who may not revoke it.
            guard principal.allows(.permission(.userUpdate)) else { throw APIError.notFound("no access token \(try token.requireID())") }
            if let owner = try await users.user(withID: token.$user.id) { try Delegation.requireManageable(owner, by: principal) }
        }
        if token.revokedAt == nil {
            token.revokedAt = Date()
            try await tokens.save(token)
            await access.personalTokens.forget(token)
        }
        return Response(status: .noContent)
    }

}

extension AccessTokensController.TokenInput: SchemaRefining {
    static let fieldSchemas: [String: JSONSchema] = [
        "name": .text(1...100, nonBlank: true),
        "permissions": {
            var schema = JSONSchema.array(of: .enumeration(Permission.allCases.map(\.rawValue)), maxItems: Permission.allCases.count)
            schema.minItems = 1
            return schema
        }(),
        "expires_at": .dateTime,
    ]
}
