import FluentKit
import Foundation
import Synchronization

/// Ended sessions (token families), durable in the database and copied in each replica's
/// memory: the database is the source of truth, and the hot path never reads it. This
/// replica's copy is loaded on first use and grows with its own revocations; the other
/// replicas' reach it through the shared cache (``TokenService``).
final class RevocationStore: Sendable {
    private struct State {
        var loaded = false
        var families: [String: Date] = [:]
    }

    private let database: DatabaseService
    private let state = Mutex(State())

    init(database: DatabaseService) {
        self.database = database
    }

    /// Whether the session is revoked. The first call reads every unexpired revocation from
    /// the database (pruning expired rows); later calls answer from memory.
    func contains(_ family: String) async throws -> Bool {
        let known = state.withLock { state -> Bool? in
            guard state.loaded else { return nil }
            guard let expiry = state.families[family] else { return false }
            if expiry > Date() { return true }
            state.families[family] = nil
            return false
        }
        if let known { return known }
        try await load()
        return try await contains(family)
    }

    private func load() async throws {
        try await RevokedSession.query(on: database.database).filter(\.$expiresAt < Date()).delete()
        let rows = try await RevokedSession.query(on: database.database).all()
        state.withLock { state in
            for row in rows { if let family = row.id { state.families[family] = row.expiresAt } }
            state.loaded = true
        }
    }

    /// Durable once this returns.
    func revoke(_ family: String, until expiry: Date) async throws {
        state.withLock { $0.families[family] = expiry }
        let row = RevokedSession()
        row.id = family
        row.expiresAt = expiry
        do {
            try await row.create(on: database.database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Revoked already.
        }
    }

    /// What is still revoked, for copying into a cache that lost it.
    func unexpired() -> [(family: String, expiry: Date)] {
        let now = Date()
        return state.withLock { $0.families.filter { $0.value > now }.map { ($0.key, $0.value) } }
    }
}

final class RevokedSession: Model, @unchecked Sendable {
    static let schema = "revoked_sessions"

    @ID(custom: "family", generatedBy: .user) var id: String?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}
