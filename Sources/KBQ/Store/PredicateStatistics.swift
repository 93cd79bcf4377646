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
        var subjectBits = [UInt64](repeating: 0, count: (entityCount + 63) / 64)
        var objectBits = subjectBits
        var otherSubjects = Set<UInt32>()
        var otherObjects = Set<UInt32>()
        var counts = Counts(statements: 0, subjects: 0, objects: 0)
        func mark(_ t: Term, _ bits: inout [UInt64], _ others: inout Set<UInt32>) -> Bool {
            guard t.kind == Term.entityKind, t.index < entityCount else { return others.insert(t.raw).inserted }
            let (word, bit) = (t.index >> 6, UInt64(1) << UInt64(t.index & 63))
            defer { bits[word] |= bit }
            return bits[word] & bit == 0
        }
        for sid in store.statements(withPredicate: p) where table.asserted[Int(sid)] {
            counts.statements += 1
            if mark(table.subject[Int(sid)], &subjectBits, &otherSubjects) { counts.subjects += 1 }
            if mark(table.object[Int(sid)], &objectBits, &otherObjects) { counts.objects += 1 }
        }
        return counts
    }
}
