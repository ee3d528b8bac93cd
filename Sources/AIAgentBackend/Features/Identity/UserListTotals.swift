/// Totals of the users list, by filter: counting every row costs more than the page itself.
/// A change clears them on every replica (`InvalidationBus`); without Redis, other
/// replicas' changes show within ``ttl``.
final class UserListTotals: Sendable {
    static let ttl: Duration = .seconds(5)
    private let totals = ExpiringMap<UserQueries.Filter, Int>(maxEntries: 1_000)
    private let invalidations: InvalidationBus

    init(invalidations: InvalidationBus) {
        self.invalidations = invalidations
        invalidations.subscribe(.userTotals) { [totals] _ in totals.removeAll() }
    }

    subscript(filter: UserQueries.Filter) -> Int? { totals[filter] }

    func set(_ total: Int, for filter: UserQueries.Filter) {
        totals.set(total, for: filter, ttl: Self.ttl)
    }

    /// After any change to users: any filter's total may have moved.
    func invalidateAll() async {
        await invalidations.publish(.userTotals)
    }
}
