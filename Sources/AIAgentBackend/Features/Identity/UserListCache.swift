import Synchronization

/// Pages of the users list and their totals, by filter: an administration console reads the
/// list far more often than anyone changes a user, and the query with its row decoding
/// costs more than everything else the request does. Any change to a user clears all of it
/// on every replica (`InvalidationBus`); without Redis, other replicas' changes show within ``ttl``.
final class UserListCache: Sendable {
    static let ttl: Duration = .seconds(5)
    struct PageKey: Hashable, Sendable {
        let filter: UserQueries.Filter
        let page: Int
        let pageSize: Int
    }
    private let pages = ExpiringMap<PageKey, [UserResponse]>(maxEntries: 256)
    private let totals = ExpiringMap<UserQueries.Filter, Int>(maxEntries: 1_000)
    /// Bumped by every change: a page read before a change is not stored after it.
    private let generation = Atomic<Int>(0)
    private let invalidations: InvalidationBus

    init(invalidations: InvalidationBus) {
        self.invalidations = invalidations
        invalidations.subscribe(.userList) { [weak self] _ in self?.clear() }
    }

    private func clear() {
        generation.add(1, ordering: .sequentiallyConsistent)
        pages.removeAll()
        totals.removeAll()
    }

    var currentGeneration: Int { generation.load(ordering: .sequentiallyConsistent) }

    subscript(key: PageKey) -> [UserResponse]? { pages[key] }
    subscript(filter: UserQueries.Filter) -> Int? { totals[filter] }

    /// Stores what was read, unless a change happened since `generation` was taken.
    func store(_ items: [UserResponse], for key: PageKey, total: Int, readAt generation: Int) {
        guard generation == currentGeneration else { return }
        pages.set(items, for: key, ttl: Self.ttl)
        totals.set(total, for: key.filter, ttl: Self.ttl)
    }

    /// After any change to users: any page and any total may have moved.
    func invalidateAll() async {
        await invalidations.publish(.userList)
    }
}
