import FluentKit
import Foundation
import Hummingbird

/// A personal access token: a bearer token for CI, limited to `permissions` and to what its
/// owner currently holds. The token itself is shown once; only its SHA-256 is stored.
final class AccessToken: Model, @unchecked Sendable {
    static let schema = "access_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    /// The token's first characters, for recognising it in a list or a CI setting.
    @Field(key: "prefix") var prefix: String
    @Field(key: "permissions") var permissions: [String]
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// What authenticating with a token needs of its row, kept in memory between uses.
struct AccessTokenGrant: Sendable {
    let id: UUID
    let userID: UUID
    let prefix: String
    let permissions: Set<String>
    let expiresAt: Date
    let revokedAt: Date?

    init(_ token: AccessToken) throws {
        id = try token.requireID()
        userID = token.$user.id
        prefix = token.prefix
        permissions = Set(token.permissions)
        expiresAt = token.expiresAt
        revokedAt = token.revokedAt
    }
}

struct AccessTokenResponse: Codable, ResponseEncodable, Sendable {
    let id: UUID
    let userID: UUID
    let name: String
    let prefix: String
    let permissions: [Permission]
    let createdAt: Date?
    let expiresAt: Date
    let lastUsedAt: Date?
    let revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, permissions
        case userID = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    init(_ token: AccessToken) throws {
        id = try token.requireID()
        userID = token.$user.id
        name = token.name
        prefix = token.prefix
        // Codes retired from `Permission` since the token was made grant nothing, so they are not shown.
        permissions = token.permissions.compactMap(Permission.init(rawValue:)).sorted { $0.rawValue < $1.rawValue }
        createdAt = token.createdAt
        expiresAt = token.expiresAt
        lastUsedAt = token.lastUsedAt
        revokedAt = token.revokedAt
    }
}

/// The answer to creating a token: the only time the token is shown.
struct CreatedAccessToken: Codable, ResponseEncodable, Sendable {
    let token: String
    let metadata: AccessTokenResponse
}
