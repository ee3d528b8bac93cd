import Synchronization

/// A small in-process map whose entries expire, for hot-path lookups that would otherwise
/// cost a round trip to the shared cache or the database on every request.
///
/// Bounded: when an insert finds it full, expired entries go, and if that is not enough,
/// everything goes (the entries are only ever a shortcut to the real source).
final class ExpiringMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var until: ContinuousClock.Instant
    }

    private let entries = Mutex<[Key: Entry]>([:])
    let maxEntries: Int

    init(maxEntries: Int = 10_000) {
        self.maxEntries = maxEntries
    }

    /// The value, unless it has expired.
    subscript(key: Key) -> Value? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[key], entry.until > now else { return nil }
            return entry.value
        }
    }

    func set(_ value: Value, for key: Key, until: ContinuousClock.Instant) {
        entries.withLock { entries in
            if entries.count >= maxEntries, entries[key] == nil {
                let now = ContinuousClock.now
                entries = entries.filter { $0.value.until > now }
                if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(value: value, until: until)
        }
    }

    func set(_ value: Value, for key: Key, ttl: Duration) {
        set(value, for: key, until: .now + ttl)
    }

    func remove(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    var count: Int { entries.withLock { $0.count } }
}
