import Synchronization

/// Per predicate: its asserted statements and their distinct subjects and objects, counted
/// from the predicate's index list the first time a plan asks (a pass over that list, a bit
/// per entity), then kept. Kept with the store's version they were counted at: a store
/// changed in place (a load adding to its own copy) counts again.
final class PredicateStatistics: Sendable {
    struct Counts: Sendable {
        var statements: Int
        var subjects: Int
        var objects: Int
        /// The sums of the squares of each subject's and each object's statement counts:
        /// a join of the predicate with itself on its subjects (objects) makes that many
        /// pairs, where the mean count per value says far fewer when a few values have
        /// most statements (a large organisation's members).
        var subjectSquares: Double = 0
        var objectSquares: Double = 0
    }

    private let cache = Mutex<(version: Int, counts: [PredicateID: Counts])>((-1, [:]))

    func counts(_ p: PredicateID, _ store: FactStore) -> Counts {
        let version = store.version
        if let known = cache.withLock({ $0.version == version ? $0.counts[p] : nil }) { return known }
        let counted = PredicateStatistics.count(p, store)
        cache.withLock {
            if $0.version != version { $0 = (version, [:]) }
            $0.counts[p] = counted
        }
        return counted
    }

    static func count(_ p: PredicateID, _ store: FactStore) -> Counts {
        let table = store.table
        let entityCount = store.entities.count
        // Statements per entity at each end (others, literals at the object, apart).
        var subjectCounts = [Int32](repeating: 0, count: entityCount)
        var objectCounts = subjectCounts
        var otherSubjects: [UInt32: Int] = [:]
        var otherObjects: [UInt32: Int] = [:]
        var counts = Counts(statements: 0, subjects: 0, objects: 0)
        /// Counts `t`; its count before.
        func note(_ t: Term, _ entities: inout [Int32], _ others: inout [UInt32: Int]) -> Int {
            guard t.kind == Term.entityKind, t.index < entityCount else {
                defer { others[t.raw, default: 0] += 1 }
                return others[t.raw] ?? 0
            }
            defer { entities[t.index] += 1 }
            return Int(entities[t.index])
        }
        for sid in store.statements(withPredicate: p) where table.asserted[Int(sid)] {
            counts.statements += 1
            // (n + 1)² - n² = 2n + 1: the squares summed as the counts grow.
            let s = note(table.subject[Int(sid)], &subjectCounts, &otherSubjects)
            if s == 0 { counts.subjects += 1 }
            counts.subjectSquares += Double(2 * s + 1)
            let o = note(table.object[Int(sid)], &objectCounts, &otherObjects)
            if o == 0 { counts.objects += 1 }
            counts.objectSquares += Double(2 * o + 1)
        }
        return counts
    }
}
