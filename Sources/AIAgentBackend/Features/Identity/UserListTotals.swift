/// Totals of the users list, by filter: counting every row costs more than the page itself.
/// Kept for ``ttl`` (another replica's changes); this replica's changes clear them all.
final class UserListTotals: Sendable {
    static let ttl: Duration = .seconds(5)
    private let totals = ExpiringMap<UserQueries.Filter, Int>(maxEntries: 1_000)

    subscript(filter: UserQueries.Filter) -> Int? { totals[filter] }

    func set(_ total: Int, for filter: UserQueries.Filter) {
        totals.set(total, for: filter, ttl: Self.ttl)
    }

    /// After any change to users: any filter's total may have moved.
    func invalidateAll() {
        totals.removeAll()
    }
}
