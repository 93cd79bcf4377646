import Synchronization

/// Each entity's place among all entities ordered by id, or by label, as `EntityTable.compare`
/// orders them: an ordering of answers by entities (`order by ?x`, `?x.id`, `?x.label`)
/// compares two integers instead of two names, whose first eight bytes tie often (ids
/// numbered in sequence share all but their last digits). Entities with equal names have
/// the same rank, so ties stay ties. Ranked the first time an ordering asks (a sort of
/// every entity), then kept with the store's version they were ranked at, as
/// `PredicateStatistics` keeps its counts.
final class EntityNameRanks: Sendable {
    private let cache = Mutex<(version: Int, byID: [UInt32]?, byLabel: [UInt32]?)>((-1, nil, nil))

    func ranks(label: Bool, _ store: FactStore) -> [UInt32] {
        let version = store.version
        if let known = cache.withLock({ $0.version == version ? (label ? $0.byLabel : $0.byID) : nil }) { return known }
        let made = EntityNameRanks.rank(label: label, store.entities)
        cache.withLock {
            if $0.version != version { $0 = (version, nil, nil) }
            if label { $0.byLabel = made } else { $0.byID = made }
        }
        return made
    }

    static func rank(label: Bool, _ entities: EntityTable) -> [UInt32] {
        let n = entities.count
        let prefixes = (0..<n).map { entities.sortPrefix(label: label, $0) }
        /// -1, 0 or 1, as `compare`: two ASCII names whose prefixes differ sort as these do.
        func order(_ a: Int, _ b: Int) -> Int {
            let (x, y) = (prefixes[a], prefixes[b])
            if x != y, x != .max, y != .max { return x < y ? -1 : 1 }
            return entities.compare(label: label, a, b)
        }
        var sorted = Array(0..<n)
        sorted.sort { order($0, $1) < 0 }
        var ranks = [UInt32](repeating: 0, count: n)
        var rank: UInt32 = 0
        for (k, e) in sorted.enumerated() {
            if k > 0, order(sorted[k - 1], e) != 0 { rank = UInt32(k) }
            ranks[e] = rank
        }
        return ranks
    }
}
