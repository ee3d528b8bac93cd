import FluentKit
import Foundation

/// Each user's chat sessions and their messages. Sessions' routes are cached (``SessionRoutes``).
struct ChatSessionRepository: Sendable {
    let database: DatabaseService
    let routes: SessionRoutes

    init(database: DatabaseService, invalidations: InvalidationBus) {
        self.database = database
        routes = SessionRoutes(invalidations: invalidations)
    }

    /// The user's sessions, latest conversation first.
    func list(ownedBy userID: UUID, _ page: ListQuery) async throws -> (items: [ChatSession], total: Int) {
        try await ChatSession.query(on: database.database).filter(\.$userID == userID).sort(\.$updatedAt, .descending).paginate(page)
    }

    /// The user's session; another user's is a 404 like a missing one.
    func find(_ id: UUID, ownedBy userID: UUID) async throws -> ChatSession {
        try await ChatSession.query(on: database.database).filter(\.$userID == userID).find(id, or404: "chat session")
    }

    /// The user's session's route, from memory when it was seen lately.
    func route(_ sessionID: UUID, ownedBy userID: UUID) async throws -> SessionRoute {
        if let route = routes[sessionID] {
            guard route.userID == userID else { throw APIError.notFound("no chat session \(sessionID)") }
            return route
        }
        let route = SessionRoute(try await find(sessionID, ownedBy: userID))
        routes.remember(route, for: sessionID)
        return route
    }

    func create(_ session: ChatSession) async throws {
        try await session.create(on: database.database)
        // Its first message usually follows at once, on this replica.
        routes.remember(SessionRoute(session), for: try session.requireID())
    }

    func save(_ session: ChatSession) async throws {
        try await session.save(on: database.database)
    }

    func delete(_ session: ChatSession) async throws {
        try await session.delete(on: database.database)
        await routes.forget(try session.requireID())
    }

    // MARK: - Messages

    /// In order.
    func messages(ofSession id: UUID) async throws -> [ChatMessageRecord] {
        try await ChatMessageRecord.query(on: database.database).filter(\.$session.$id == id).sort(\.$position).all()
    }

    func deleteMessages(ofSession id: UUID, after position: Int) async throws {
        try await ChatMessageRecord.query(on: database.database).filter(\.$session.$id == id).filter(\.$position > position).delete()
    }

    /// Stores the message and touches its session's `updated_at`, so the session list shows
    /// the latest conversations first; `title` replaces the session's default title.
    func add(_ message: ChatMessageRecord, title: String?) async throws {
        let sessionID = message.$session.id
        try await database.database.transaction { db in
            try await message.create(on: db)
            if let title {
                try await ChatSession.query(on: db).filter(\.$id == sessionID).filter(\.$title == ChatSession.defaultTitle)
                    .set(\.$title, to: title).update()
            }
            try await ChatSession.query(on: db).filter(\.$id == sessionID).set(\.$updatedAt, to: Date()).update()
        }
    }
}
