import Synchronization

/// What the layers above the store compute from all of it and can use again for every
/// query over the same store (a path's level tables, its start nodes), by a key they
/// choose; kept with the store's version it was made at, and dropped when that changes
/// (as `PredicateStatistics` keeps its counts). The store knows nothing of what it holds.
final class DerivedCache: Sendable {
    private let cache = Mutex<(version: Int, values: [String: any Sendable])>((-1, [:]))

    /// The value kept for `key` at `version`, made by `make` (outside the lock: two
    /// threads may both make it, and either is kept) when there is none.
    func value<T: Sendable>(_ key: String, version: Int, _ make: () -> T) -> T {
        if let known = cache.withLock({ $0.version == version ? $0.values[key] : nil }) as? T { return known }
        let made = make()
        cache.withLock {
            if $0.version != version { $0 = (version, [:]) }
            $0.values[key] = made
        }
        return made
    }
}
