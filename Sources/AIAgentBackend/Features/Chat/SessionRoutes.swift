import Foundation

/// Who owns each chat session and what answers in it, fixed at creation: kept in process,
/// since checking them in the database cost a round trip before every answer. A delete
/// drops the entry on every replica at once (`InvalidationBus`; renaming changes nothing
/// here); without Redis, other replicas see it within ``ttl``.
final class SessionRoutes: Sendable {
    static let ttl: Duration = .seconds(30)
    private let routes = ExpiringMap<UUID, SessionRoute>()
    private let invalidations: InvalidationBus

    init(invalidations: InvalidationBus) {
        self.invalidations = invalidations
        invalidations.subscribe(.chatSessions, routes.invalidate)
    }

    subscript(sessionID: UUID) -> SessionRoute? { routes[sessionID] }

    func remember(_ route: SessionRoute, for sessionID: UUID) {
        routes.set(route, for: sessionID, ttl: Self.ttl)
    }

    /// After the session was deleted.
    func forget(_ sessionID: UUID) async {
        await invalidations.publish(.chatSession(sessionID))
    }
}
