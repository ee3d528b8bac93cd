import FluentKit
import Foundation

/// Personal access tokens.
struct AccessTokenRepository: Sendable {
    let database: DatabaseService

    /// A user's tokens, newest first, revoked and expired ones included.
    func list(ownedBy userID: UUID, _ page: ListQuery) async throws -> (items: [AccessToken], total: Int) {
        try await AccessToken.query(on: database.database).filter(\.$user.$id == userID).sort(\.$createdAt, .descending).paginate(page)
    }

    func find(_ id: UUID) async throws -> AccessToken {
        try await AccessToken.find(id, on: database.database, or404: "access token")
    }

    func token(withHash hash: String) async throws -> AccessToken? {
        try await AccessToken.query(on: database.database).filter(\.$tokenHash == hash).first()
    }

    func create(_ token: AccessToken) async throws {
        try await token.create(on: database.database)
    }

    func save(_ token: AccessToken) async throws {
        try await token.save(on: database.database)
    }

    /// For the audit trail: the owner's name, even when the account was deleted since.
    func ownerName(_ userID: UUID) async throws -> String? {
        try await User.query(on: database.database).withDeleted().filter(\.$id == userID).first()?.username
    }

    func recordUse(of id: UUID, at date: Date) async throws {
        try await AccessToken.query(on: database.database).filter(\.$id == id).set(\.$lastUsedAt, to: date).update()
    }
}
