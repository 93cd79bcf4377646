/// A later pattern step's ends, checked where an earlier step makes its rows (sideways
/// information passing): `?x knows ?y, ?y knows ?z, ?z knows ?x` knows both ends of its
/// third pattern once the second has matched, so a match of the second whose `?z knows ?x`
/// is no statement is dropped there, not made into a row that the third step drops (a
/// triangle query made 127,000 such rows for 9 answers).
///
/// Invariant: a row is refused only when the later step would refuse every row made from
/// it. The later step is an inner pattern of the same sequence, which every row reaching it
/// must match with the ends the check reads (bindings never change once made); the check
/// holds the (subject, object) pairs of every statement of the step's predicates that is
/// asserted (or quoted) as the step is, so it refuses no pair the step could match. The
/// later step still runs: it makes the row's match, its statement and its multiplicity.
final class PairCheck {
    /// Where an end's value comes from as the earlier step checks a match.
    enum Source: Equatable {
        case constant(UInt64)
        /// The earlier step's variable at this place of its `variables`.
        case match(Int)
        /// A variable the input row binds.
        case row(Int)
    }

    let subject: Source
    let object: Source
    let predicates: [PredicateID]
    let quoted: Bool
    /// The statements building the pairs reads: they are built once the checks they would
    /// have made add up to a share of that, so a step that checks few rows builds nothing.
    /// Built, they are kept as long as the join (which reads one store, the one it was made
    /// with), as its hash sides are: a count that runs an atom's join once per batch of
    /// bound terms builds them once.
    let cost: Int
    /// Whether a pair is kept whole, so that `contains` is exact (an anti-join's decision);
    /// otherwise only a filter of the pairs is kept (`filter`).
    let exact: Bool
    private var waited = 0
    /// Exact: open addressing, each pair (subject << 32 | object) + 1, 0 empty; a power of
    /// two, at most half full. Nil until built.
    private var slots: UnsafeMutableBufferPointer<UInt64>? = nil
    /// Not exact: a blocked Bloom filter, a 64-bit word a pair with four of its bits set
    /// (some 12 to 24 bits a pair; a few pairs in a hundred that are not there pass). A
    /// check that lets a pair through only costs the later step a row to refuse, and the
    /// filter is a sixteenth of the table's size: a triangle's 37,000 pairs take 64 KB,
    /// which stays in a core's cache, where probes of the 1 MB table missed it.
    private var filter: UnsafeMutableBufferPointer<UInt64>? = nil

    init(subject: Source, object: Source, predicates: [PredicateID], quoted: Bool, cost: Int, exact: Bool = false) {
        (self.subject, self.object, self.predicates, self.quoted, self.cost, self.exact) = (subject, object, predicates, quoted, cost, exact)
    }

    deinit {
        slots?.deallocate()
        filter?.deallocate()
    }

    /// Counts `n` matches as good as waiting: a step that has grouped its statements for a
    /// hash join (`n` of them) will probe them row after row.
    func expect(_ n: Int) { if !isBuilt { waited += n } }

    /// Whether the pairs are built: from then on nothing here changes, and the check may
    /// be shared by the joins of one store on every core.
    var isBuilt: Bool { slots != nil || filter != nil }

    /// Whether the pairs are there to check `candidates` more matches against: built once
    /// enough have waited.
    @inline(__always)
    func ready(for candidates: Int, _ join: BatchJoin) -> Bool {
        if isBuilt { return true }
        waited += candidates
        guard waited * 16 >= cost else { return false }
        build(join)
        return true
    }

    /// Whether some statement may have these ends (tagged bindings; a value that is not a
    /// stored term, or an unbound one, is never refused here).
    @inline(__always)
    func mayHold(_ s: UInt64, _ o: UInt64) -> Bool {
        guard s & ~0xFFFF_FFFF == JoinPlan.termTag, o & ~0xFFFF_FFFF == JoinPlan.termTag else { return true }
        let key = (s & 0xFFFF_FFFF) << 32 | (o & 0xFFFF_FFFF)
        if let filter {
            let (word, bits) = PairCheck.place(key, filter.count)
            return filter[word] & bits == bits
        }
        guard let slots else { return true }
        let mask = slots.count - 1
        var i = PairCheck.home(key) & mask
        while slots[i] != 0 {
            if slots[i] == key &+ 1 { return true }
            i = (i + 1) & mask
        }
        return false
    }

    /// Whether some statement has these ends, once the pairs are built: exact for a pattern
    /// that reads nothing but its ends and predicate (`antiJoin`). Nil when not built, or
    /// when an end is unbound; false when an end is not a stored term (no statement has it).
    @inline(__always)
    func contains(_ s: UInt64, _ o: UInt64) -> Bool? {
        guard exact, slots != nil, s != 0, o != 0 else { return nil }
        guard s & ~0xFFFF_FFFF == JoinPlan.termTag, o & ~0xFFFF_FFFF == JoinPlan.termTag else { return false }
        return mayHold(s, o)
    }

    /// For an anti-join of one pattern that reads nothing but its two ends, both bound in
    /// every row (constants or variables bound before it), and its predicates: its pairs
    /// decide a row at once, a match being exactly a pair (`BatchJoin.expand`).
    static func antiJoin(_ step: JoinPlan.PatternStep, certain: Set<Int>, _ store: FactStore) -> PairCheck? {
        guard step.subjectPattern == nil, step.objectPattern == nil, step.qualifiers.isEmpty, step.predicateVariable == nil,
              step.statementVariable == nil, let predicates = step.predicates, !step.impossible else { return nil }
        func source(_ p: JoinPlan.Position) -> Source? {
            switch p.kind {
            case .wildcard: return nil
            case .constant: return .constant(p.value)
            case .variable: return certain.contains(p.variable) ? .row(p.variable) : nil
            }
        }
        guard let s = source(step.subject), let o = source(step.object) else { return nil }
        let cost = predicates.reduce(0) { $0 + store.byPredicate[Int($1)].count }
        return PairCheck(subject: s, object: o, predicates: predicates, quoted: step.quoted, cost: cost, exact: true)
    }

    @inline(__always) private static func home(_ key: UInt64) -> Int {
        let h = key &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h ^ h >> 29)
    }

    /// A pair's word in a filter of `words` words (a power of two, at most 2^24) and its
    /// four bits there: the word from the product's top 24 bits, the bits from the four
    /// six-bit fields below them (a product's low bits depend on the key's low bits only).
    @inline(__always) private static func place(_ key: UInt64, _ words: Int) -> (Int, UInt64) {
        let h = (key ^ key >> 29) &* 0x9E37_79B9_7F4A_7C15
        let word = Int(truncatingIfNeeded: h >> 40) & (words - 1)
        let bits: UInt64 = 1 << (h >> 16 & 63) | 1 << (h >> 22 & 63) | 1 << (h >> 28 & 63) | 1 << (h >> 34 & 63)
        return (word, bits)
    }

    private func build(_ join: BatchJoin) {
        if exact {
            buildTable(join)
            return
        }
        // At least 12 bits a pair, in a power of two of words (at most 2^24 words).
        var words = 16
        while words * 64 < cost * 12 && words < 1 << 24 { words *= 2 }
        let bits = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: words)
        bits.initialize(repeating: 0)
        forEachPair(join) { key in
            let (word, set) = PairCheck.place(key, words)
            bits[word] |= set
        }
        filter = bits
    }

    /// Calls `body` with each pair (subject << 32 | object) of the step's statements.
    private func forEachPair(_ join: BatchJoin, _ body: (UInt64) -> Void) {
        for p in predicates {
            let run = join.predicateLookup.run(Int(p))
            for j in 0..<run.count {
                let sid = Int(run.ids[j])
                let isQuoted = run.predicates.map { $0[j] < 0 } ?? !join.asserted[sid]
                guard isQuoted == quoted else { continue }
                let s = run.subjects?[j] ?? join.subjects[sid]
                let o = run.objects?[j] ?? join.objects[sid]
                body(UInt64(s.raw) << 32 | UInt64(o.raw))
            }
        }
    }

    private func buildTable(_ join: BatchJoin) {
        var size = 16
        while size < cost * 2 { size *= 2 }
        let table = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: size)
        table.initialize(repeating: 0)
        let mask = size - 1
        // A term's raw value keeps its top two bits for its kind (0...2): the pair plus one
        // never wraps to the empty slot.
        forEachPair(join) { key in
            var i = PairCheck.home(key) & mask
            while table[i] != 0 && table[i] != key &+ 1 { i = (i + 1) & mask }
            table[i] = key &+ 1
        }
        slots = table
    }
}

extension BatchJoin {
    /// Gives each inner pattern step of `ops` the checks of the later inner pattern steps
    /// of the same sequence whose ends it knows once it has matched (`PairCheck`): both
    /// ends constants, variables bound before it, or variables it binds, at least one the
    /// latter. `certain[i]`: the variables every row reaching step i binds.
    static func pushPairChecks(_ ops: [Op], certain: [Set<Int>], _ store: FactStore) {
        for (i, op) in ops.enumerated() {
            guard case .pattern(let host) = op, host.joining == .inner, !host.step.impossible else { continue }
            let binds = Set(host.variables).subtracting(certain[i])
            guard !binds.isEmpty else { continue }
            for later in ops[(i + 1)...] {
                guard case .pattern(let l) = later, l.joining == .inner else { continue }
                let step = l.step
                guard step.subjectPattern == nil, step.objectPattern == nil, !step.impossible else { continue }
                // A step of any predicate (`?y ?q ?x`, its predicate unbound or bound) checks
                // the pairs of every statement: a superset of what it can match, so the
                // invariant holds; a cycle over all predicates then refuses most rows at once.
                let predicates = step.predicates ?? (0..<store.predicates.count).map { PredicateID($0) }
                func source(_ p: JoinPlan.Position) -> PairCheck.Source? {
                    switch p.kind {
                    case .wildcard: return nil
                    case .constant: return .constant(p.value)
                    case .variable:
                        if binds.contains(p.variable) { return .match(host.variables.firstIndex(of: p.variable)!) }
                        return certain[i].contains(p.variable) ? .row(p.variable) : nil
                    }
                }
                guard let s = source(step.subject), let o = source(step.object) else { continue }
                guard [s, o].contains(where: { if case .match = $0 { return true } else { return false } }) else { continue }
                let cost = predicates.reduce(0) { $0 + store.byPredicate[Int($1)].count }
                host.pairChecks.append(PairCheck(subject: s, object: o, predicates: predicates, quoted: step.quoted, cost: cost))
            }
        }
    }
}
