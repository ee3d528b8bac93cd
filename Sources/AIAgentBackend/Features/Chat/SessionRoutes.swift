import Foundation

/// Who owns each chat session and what answers in it, fixed at creation: kept in process,
/// since checking them in the database cost a round trip before every answer. A delete on
/// this replica forgets its entry at once; another replica's delete is seen within ``ttl``.
final class SessionRoutes: Sendable {
    static let ttl: Duration = .seconds(30)
    private let routes = ExpiringMap<UUID, SessionRoute>()

    subscript(sessionID: UUID) -> SessionRoute? { routes[sessionID] }

    func remember(_ route: SessionRoute, for sessionID: UUID) {
        routes.set(route, for: sessionID, ttl: Self.ttl)
    }

    /// After the session was deleted.
    func forget(_ sessionID: UUID) {
        routes.remove(sessionID)
    }
}
