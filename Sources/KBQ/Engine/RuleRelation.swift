import CKBQPrefetch

/// A rule's relation as an id table: its tuples, `arity` words each in JoinPlan's encoding
/// (a value no stored term has, such as a head's string the knowledge base never states,
/// is a word of `RuleEngine.constantTag`), in the order they were derived, each once; and
/// for each the evidence of its first derivation.
///
/// Append-only: a tuple keeps its number, so a fixpoint round reads the tuples the last
/// round added as a range (`delta`), and an index made for a lookup is extended, never
/// rebuilt, as the relation grows. Nothing is appended while a join reads it (a round
/// gathers what it derives and adds it after).
final class RuleRelation {
    let name: String
    let number: Int
    let arity: Int
    // Written by one thread, never while a join reads them (see above): no run-time
    // exclusivity checks, which were a good part of a call's work.
    /// Tuple t is `words[t * arity ..< (t + 1) * arity]`.
    @exclusivity(unchecked) private(set) var words: [UInt64] = []
    /// Per tuple, its derivation's number (see `RuleEngine.derivationEvidence`).
    @exclusivity(unchecked) private(set) var derivations: [Int32] = []
    /// Per tuple, the end of its evidence in `statements` (a join's statement list, see
    /// `JoinPlan.evidence(list:rules:)`); a tuple the general evaluator derived has its
    /// evidence in `boxed` and none here.
    @exclusivity(unchecked) private(set) var evidenceEnds: [Int32] = []
    @exclusivity(unchecked) private(set) var statements: [StatementID] = []
    private(set) var boxed: [Int: [Evidence]] = [:]
    /// The tuples by their words, for the set: open addressing, each slot the tuple's hash's
    /// high half and its number plus one (0 empty), so that a probe reads a tuple's words
    /// only when the hashes' halves agree. At most half full.
    @exclusivity(unchecked) private var slots: [UInt64] = Array(repeating: 0, count: 16)
    /// Lookups by the columns a call binds (a bit per column), made on demand: over every
    /// tuple, and over the tuples from a round's first new one (a fixpoint's delta, whose
    /// chains would otherwise be walked through every older tuple of their key).
    private var indexes: [Int: ColumnIndex] = [:]
    private var deltaIndexes: [Int: ColumnIndex] = [:]
    /// How its fixpoint ran (`.explain` shows it): the rounds of its component, and their
    /// time.
    var rounds = 0
    var nanoseconds: UInt64 = 0

    init(name: String, number: Int, arity: Int) {
        (self.name, self.number, self.arity) = (name, number, arity)
    }

    var count: Int { derivations.count }

    /// The words of tuple `t`.
    func tuple(_ t: Int) -> ArraySlice<UInt64> { words[t * arity..<(t + 1) * arity] }

    /// Tuple `t`'s evidence as a join's statement list (empty for a boxed one).
    func statementList(_ t: Int) -> ArraySlice<StatementID> {
        statements[(t == 0 ? 0 : Int(evidenceEnds[t - 1]))..<Int(evidenceEnds[t])]
    }

    @inline(__always) static func hash<C: Collection>(_ words: C) -> UInt64 where C.Element == UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for w in words { h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
        return h
    }

    /// The number of the tuple with these words, if the relation holds it.
    func find(_ tuple: UnsafeBufferPointer<UInt64>) -> Int? { find(tuple, RuleRelation.hash(tuple)) }

    private func find(_ tuple: UnsafeBufferPointer<UInt64>, _ h: UInt64) -> Int? {
        words.withUnsafeBufferPointer { words in
            slots.withUnsafeBufferPointer { RuleRelation.find(tuple, h, words, arity, $0) }
        }
    }

    func find(_ tuple: [UInt64]) -> Int? { tuple.withUnsafeBufferPointer { find($0) } }

    @inline(__always) private static func find(_ tuple: UnsafeBufferPointer<UInt64>, _ h: UInt64, _ words: UnsafeBufferPointer<UInt64>, _ arity: Int, _ slots: UnsafeBufferPointer<UInt64>) -> Int? {
        let mask = slots.count - 1
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            if slots[i] & 0xFFFF_FFFF_0000_0000 == tag {
                let t = Int(slots[i] & 0xFFFF_FFFF) - 1
                var same = true
                for j in 0..<arity where words[t * arity + j] != tuple[j] {
                    same = false
                    break
                }
                if same { return t }
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds tuples `range` of a round's (tuple i: `words[i * arity ..< (i + 1) * arity]`,
    /// its evidence `statements[ends[i - 1] ..< ends[i]]`), each unless held already, in
    /// order; the first added is derivation `firstDerivation`, the next the one after. The
    /// set's slots are fetched some tuples ahead (see `prefetch`). Returns how many were added.
    func insert(words round: UnsafeBufferPointer<UInt64>, statements: UnsafeBufferPointer<StatementID>, ends: UnsafeBufferPointer<Int>, _ range: Range<Int>, firstDerivation: Int32) -> Int {
        reserve(range.count)
        let ahead = 16
        var hashes = [UInt64](repeating: 0, count: range.count)
        let arity = self.arity
        let before = count
        hashes.withUnsafeMutableBufferPointer { hashes in
            func tuple(_ i: Int) -> UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(rebasing: round[i * arity..<(i + 1) * arity]) }
            func fetch(_ i: Int) {
                let h = RuleRelation.hash(tuple(i))
                hashes[i - range.lowerBound] = h
                prefetch(h)
            }
            for i in range.prefix(ahead) { fetch(i) }
            for i in range {
                if i + ahead < range.upperBound { fetch(i + ahead) }
                let list = UnsafeBufferPointer(rebasing: statements[(i == 0 ? 0 : ends[i - 1])..<ends[i]])
                _ = insert(tuple(i), hash: hashes[i - range.lowerBound], statements: list, boxed: nil, derivation: firstDerivation + Int32(count - before))
            }
        }
        return count - before
    }

    /// Brings in the set's slot for a tuple of hash `h`, to be inserted a few tuples on: a
    /// relation of millions of tuples has a table far larger than the caches, and a probe
    /// waited on memory at every insert (nine tenths of adding a round's tuples).
    @inline(__always) func prefetch(_ h: UInt64) {
        slots.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + (Int(truncatingIfNeeded: h) & ($0.count - 1))) }
    }

    /// Makes room for `extra` more tuples: the set's table grown once, not doubling as they come.
    func reserve(_ extra: Int) {
        var size = slots.count
        while (count + extra + 1) * 2 > size { size *= 2 }
        if size > slots.count { rehash(size) }
        // Grown by doubling: reserving exactly what a batch adds copied the arrays whole at
        // every batch.
        func grow<T>(_ array: inout [T], to needed: Int) {
            if array.capacity < needed { array.reserveCapacity(max(needed, array.capacity * 2)) }
        }
        grow(&words, to: (count + extra) * arity)
        grow(&derivations, to: count + extra)
        grow(&evidenceEnds, to: count + extra)
    }

    /// Adds the tuple unless the relation holds it already; its evidence is `statements`
    /// (a join's list) or `boxed` (the general evaluator's). `derivation`: its number,
    /// given by the engine. False when it was there.
    /// `hash`: the tuple's `hash`, when the caller has it (see `prefetch`).
    func insert(_ tuple: UnsafeBufferPointer<UInt64>, hash: UInt64? = nil, statements list: UnsafeBufferPointer<StatementID>, boxed evidence: [Evidence]?, derivation: Int32) -> Bool {
        precondition(tuple.count == arity)
        let h = hash ?? RuleRelation.hash(tuple)
        guard find(tuple, h) == nil else { return false }
        let t = count
        words.append(contentsOf: tuple)
        derivations.append(derivation)
        if let evidence { boxed[t] = evidence } else { statements.append(contentsOf: list) }
        evidenceEnds.append(Int32(statements.count))
        if (count + 1) * 2 > slots.count {
            rehash(slots.count * 2)
        } else {
            slots.withUnsafeMutableBufferPointer { RuleRelation.place(t, h, $0) }
        }
        return true
    }

    @inline(__always) private static func place(_ t: Int, _ h: UInt64, _ slots: UnsafeMutableBufferPointer<UInt64>) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = h & 0xFFFF_FFFF_0000_0000 | UInt64(t + 1)
    }

    private func rehash(_ size: Int) {
        slots = Array(repeating: 0, count: size)
        let (count, arity) = (self.count, self.arity)
        words.withUnsafeBufferPointer { words in
            slots.withUnsafeMutableBufferPointer { slots in
                for t in 0..<count { RuleRelation.place(t, RuleRelation.hash(words[t * arity..<(t + 1) * arity]), slots) }
            }
        }
    }

    /// The tuples among `range` whose columns in `mask` hold `key` (those words in column
    /// order), in tuple order, handed to `visit`. The index of `mask` is made, or extended
    /// to the tuples added since, at the call.
    func lookup(mask: Int, key: [UInt64], in range: Range<Int>, _ visit: (Int) throws -> Void) rethrows {
        let index: ColumnIndex
        if range.lowerBound == 0 {
            index = indexes[mask] ?? ColumnIndex(mask: mask, arity: arity, start: 0)
            indexes[mask] = index
        } else {
            index = deltaIndexes[mask].flatMap { $0.start == range.lowerBound ? $0 : nil } ?? ColumnIndex(mask: mask, arity: arity, start: range.lowerBound)
            deltaIndexes[mask] = index
        }
        index.extend(self)
        try index.visit(key, in: range, visit)
    }

    /// Tuples from `start` on by the words of some of their columns: chains of tuple numbers
    /// in increasing order (`next`, by tuple number less `start`), their first and last by
    /// the key's hash in an open-addressed table.
    final class ColumnIndex {
        let columns: [Int]
        let start: Int
        /// Per slot: the key's hash (0: empty; a hash of 0 is stored as 1), first and last
        /// tuple of its chain.
        @exclusivity(unchecked) var hashes: [UInt64] = Array(repeating: 0, count: 16)
        @exclusivity(unchecked) var first: [Int32] = Array(repeating: -1, count: 16)
        @exclusivity(unchecked) var last: [Int32] = Array(repeating: -1, count: 16)
        @exclusivity(unchecked) var next: [Int32] = []
        var used = 0

        init(mask: Int, arity: Int, start: Int) {
            columns = (0..<arity).filter { mask >> $0 & 1 != 0 }
            self.start = start
        }

        /// `RuleRelation.hash` of a key, never 0 (an empty slot's).
        static func keyHash<C: Collection>(_ key: C) -> UInt64 where C.Element == UInt64 {
            let h = RuleRelation.hash(key)
            return h == 0 ? 1 : h
        }

        /// Files the tuples the relation added since the last call.
        func extend(_ relation: RuleRelation) {
            guard start + next.count < relation.count else { return }
            relation.words.withUnsafeBufferPointer { extend($0, relation.arity, relation.count) }
        }

        private func extend(_ words: UnsafeBufferPointer<UInt64>, _ arity: Int, _ count: Int) {
            while start + next.count < count {
                let t = start + next.count
                next.append(-1)
                let h = ColumnIndex.keyHash(columns.lazy.map { words[t * arity + $0] })
                let i = slot(h)
                if hashes[i] == 0 {
                    (hashes[i], first[i], last[i]) = (h, Int32(t), Int32(t))
                    used += 1
                    if used * 2 > hashes.count { grow() }
                } else {
                    next[Int(last[i]) - start] = Int32(t)
                    last[i] = Int32(t)
                }
            }
        }

        /// The slot of hash `h`: its own, or the empty one where it would go.
        private func slot(_ h: UInt64) -> Int {
            let mask = hashes.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while hashes[i] != 0 && hashes[i] != h { i = (i + 1) & mask }
            return i
        }

        private func grow() {
            let (oldHashes, oldFirst, oldLast) = (hashes, first, last)
            hashes = Array(repeating: 0, count: oldHashes.count * 2)
            first = Array(repeating: -1, count: hashes.count)
            last = Array(repeating: -1, count: hashes.count)
            for j in oldHashes.indices where oldHashes[j] != 0 {
                let i = slot(oldHashes[j])
                (hashes[i], first[i], last[i]) = (oldHashes[j], oldFirst[j], oldLast[j])
            }
        }

        func visit(_ key: [UInt64], in range: Range<Int>, _ body: (Int) throws -> Void) rethrows {
            let i = slot(ColumnIndex.keyHash(key))
            guard hashes[i] != 0 else { return }
            // Two keys of one hash share a chain: the caller's match checks every column.
            var t = Int(first[i])
            while t >= 0 && t < range.upperBound {
                if t >= range.lowerBound { try body(t) }
                t = Int(next[t - start])
            }
        }
    }
}
