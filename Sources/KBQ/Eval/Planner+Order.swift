/// The order of a conjunction's patterns by estimated work: every order of up to
/// `maxOrdered` patterns is weighed (by dynamic programming over the sets of patterns
/// planned so far), each step costed from the store's counts (PredicateStatistics) and the
/// way the executor will run it (BatchJoin: an index lookup per row, or one hash build when
/// that is cheaper). Filters and negations thin the rows as soon as their variables are
/// bound, as the planner places them.
///
/// The model, per step reached by `rows` rows with the variables `bound`:
/// - matches per row (`fanout`): the pattern's statements over its distinct subjects when
///   the subject is bound, over its distinct objects when the object is, over both when
///   both are, all of them when neither; `is_a T` with a bound subject passes T's share of
///   the entities. Each qualifier thins by the share of statements that have its key.
/// - work: `rows × (seek + 3 × list)` by index (a list's statements lie far apart in the
///   table), the shortest list (predicate, qualifier key, constant) read in order when no
///   end is bound, or `4 × statements + rows` by hash when a variable bound in every row
///   names an end; plus the rows made.
extension Planner {
    /// Above this many patterns in one conjunction, the greedy order alone (2^n sets).
    static let maxOrdered = 10
    /// A lookup's seek, in statements read: it lands somewhere new in memory.
    static let seekCost = 8.0

    /// What a pattern is, for the model: counted once per plan.
    struct PatternFacts {
        enum Kind {
            /// `squares`: the sums of squared counts per subject and per object
            /// (`PredicateStatistics.Counts`), for one predicate; nil for several.
            case statements(count: Double, subjects: Double, objects: Double, squares: (subject: Double, object: Double)?)
            case isA(members: Double)
            case isAny
        }
        var kind: Kind
        /// The share of the statements its qualifiers let through (constants and keys).
        var qualifierShare: Double
        /// The share that a bound qualifier variable lets through, per such variable.
        var qualifierVariables: [Int]
        var subject: Slot
        var object: Slot
        /// The exact lists of a constant subject or object, when there is one.
        var subjectRun: Double?
        var objectRun: Double?
        /// The shortest list the pattern can be read from with no end bound: its
        /// predicates', a qualifier key's, a constant's.
        var list: Double
        var variables: Set<Int>
    }

    func facts(_ p: CompiledPattern) -> PatternFacts? {
        guard !p.quoted else { return nil }
        let total = Double(max(1, store.statementCount))
        var kind: PatternFacts.Kind
        switch p.path {
        case .isA:
            if case .constant(.type(let t)) = p.object {
                var members = 0
                for sub in store.typeFamily(t) { members += store.typeMembers[Int(sub)].count }
                kind = .isA(members: Double(members))
            } else {
                kind = .isAny
            }
        case .predicates(let ps):
            var (c, s, o) = (0, 0, 0)
            var squares: (subject: Double, object: Double)? = nil
            for x in ps {
                let k = store.predicateCounts(x)
                (c, s, o) = (c + k.statements, s + k.subjects, o + k.objects)
                squares = ps.count == 1 ? (k.subjectSquares, k.objectSquares) : nil
            }
            kind = .statements(count: Double(c), subjects: Double(s), objects: Double(o), squares: squares)
        case .variable, .any:
            let entities = Double(max(1, store.entities.count))
            kind = .statements(count: total, subjects: entities, objects: entities + Double(store.literals.count), squares: nil)
        default:
            return nil
        }
        var share = 1.0
        var qualifierVariables: [Int] = []
        var list: Double
        switch kind {
        case .statements(let c, _, _, _): list = c
        case .isA(let members): list = members
        case .isAny: list = Double(store.entities.count) * 2
        }
        for q in p.qualifiers {
            switch q.slot {
            case .constant(let v):
                let n = Double(store.statements(withQualifier: q.key, value: v).count)
                share *= n / total
                list = min(list, n)
            case .variable(let v):
                qualifierVariables.append(v)
                if let withKey = store.statements(withKey: q.key) {
                    share *= Double(withKey.count) / total
                    list = min(list, Double(withKey.count))
                }
            case .wildcard:
                if let withKey = store.statements(withKey: q.key) {
                    share *= Double(withKey.count) / total
                    list = min(list, Double(withKey.count))
                }
            case .proposition: return nil
            }
        }
        var subjectRun: Double? = nil
        var objectRun: Double? = nil
        // A constant end's list, counted for the pattern's predicates when it has some (a
        // country is the object of a handful of predicates, each its own share).
        // Read from the predicates the index keeps beside each statement (negative when
        // quoted), not from the table, where each is a cache miss.
        let predicates = p.path.constantPredicates.map(Set.init)
        func matching(_ index: TermPostings, _ v: Value) -> Double {
            guard let term = store.term(for: v) else { return 0 }
            let run = index.withBeside(term)
            guard let predicates else { return Double(run.ids.count) }
            guard run.hasBeside else {
                let table = store.table
                return Double(run.ids.reduce(0) { $0 + (predicates.contains(table.predicate[Int($1)]) ? 1 : 0) })
            }
            return Double(run.predicates.reduce(0) { n, tag in n + (predicates.contains(tag < 0 ? -PredicateID(tag) - 1 : PredicateID(tag)) ? 1 : 0) })
        }
        if case .constant(let v) = p.subject { subjectRun = matching(store.bySubject, v) }
        if case .constant(let v) = p.object, case .statements = kind { objectRun = matching(store.byObject, v) }
        return PatternFacts(
            kind: kind, qualifierShare: share, qualifierVariables: qualifierVariables, subject: p.subject, object: p.object,
            subjectRun: subjectRun, objectRun: objectRun, list: list, variables: Planner.patternVars(p))
    }

    /// Matches per row, work per row by index, and work for a hash build (nil: no key).
    /// `sameEnds`: whether the bound subject (object) was bound at the subject (object) of
    /// a pattern of the same one predicate: the rows then reach its values as often as
    /// its own statements name them, and a value named often is met often (a self-join's
    /// matches per row are its squared counts over its statements, not its mean count).
    func estimate(_ f: PatternFacts, bound: Set<Int>, sameEnds: (subject: Bool, object: Bool) = (false, false)) -> (fanout: Double, lookup: Double, build: Double?) {
        let total = Double(max(1, store.statementCount))
        let entities = Double(max(1, store.entities.count))
        let s = isBound(f.subject, bound)
        let o = isBound(f.object, bound)
        // A variable bound in every row at an end: the key of a hash join.
        let keyed = { (slot: Slot) -> Bool in if case .variable(let v) = slot { return bound.contains(v) } else { return false } }
        let hasKey = keyed(f.subject) || keyed(f.object)
        switch f.kind {
        case .isA(let members):
            return s ? (members / entities, 1, nil) : (members, members, nil)
        case .isAny:
            return s ? (2, 2, nil) : (entities * 2, entities * 2, nil)
        case .statements(let c, let ds, let dO, let squares):
            var fanout: Double
            var lookup: Double
            let subjectList = f.subjectRun ?? total / entities
            let objectList = f.objectRun ?? total / entities
            // A looked-up list's statements are checked where they lie in the table, far
            // apart: each costs about three read in order (measured on 1M: 25,000 lookups
            // into 40-statement runs against one pass over 258,000 listed statements).
            switch (s, o) {
            case (true, true):
                fanout = c / max(1, ds) / max(1, dO)
                lookup = Planner.seekCost + 3 * min(subjectList, objectList)
            case (true, false):
                fanout = c / max(1, ds)
                if sameEnds.subject, let squares { fanout = max(fanout, squares.subject / max(1, c)) }
                lookup = Planner.seekCost + 3 * subjectList
            case (false, true):
                fanout = c / max(1, dO)
                if sameEnds.object, let squares { fanout = max(fanout, squares.object / max(1, c)) }
                lookup = Planner.seekCost + 3 * objectList
            case (false, false):
                fanout = c
                lookup = f.list
            }
            // A constant end's own list bounds the matches; alone, it is the estimate (the
            // average over all values misses skew: one country has a third of the places).
            switch (f.subjectRun, f.objectRun) {
            case (let r?, nil) where !o: fanout = min(r, c)
            case (nil, let r?) where !s: fanout = min(r, c)
            // The other end bound: the share of its values the constant's list reaches
            // (`?x citizen_of Q` after a step binding ?x: Q may have a third of the people).
            case (nil, let r?) where keyed(f.subject): fanout = min(r, c) / max(1, ds)
            case (let r?, nil) where keyed(f.object): fanout = min(r, c) / max(1, dO)
            default:
                if let r = f.subjectRun { fanout = min(fanout, r) }
                if let r = f.objectRun { fanout = min(fanout, r) }
            }
            fanout *= f.qualifierShare
            for v in f.qualifierVariables where bound.contains(v) { fanout *= 0.1 }
            return (fanout, lookup, hasKey ? 4 * c : nil)
        }
    }

    /// The cheapest order of `patterns` (indexes into it), or nil when one of them is
    /// outside the model (a path, a quoted pattern) or there are too many to weigh.
    /// `thinners`: the filters and negations of the conjunction, as the variables each
    /// needs bound and the share of rows it lets through.
    func cheapestOrder(_ patterns: [CompiledPattern], thinners: [(needs: Set<Int>, share: Double)], bound: Set<Int>) -> [Int]? {
        let n = patterns.count
        guard n >= 2, n <= Planner.maxOrdered else { return nil }
        var all: [PatternFacts] = []
        for p in patterns {
            guard let f = facts(p) else { return nil }
            all.append(f)
        }
        // best[set]: the least work that plans `set`, the rows it leaves, its last pattern.
        let full = (1 << n) - 1
        var work = [Double](repeating: .infinity, count: full + 1)
        var rows = [Double](repeating: 0, count: full + 1)
        var last = [Int](repeating: -1, count: full + 1)
        work[0] = 0
        rows[0] = 1
        var boundOf = [Set<Int>](repeating: bound, count: full + 1)
        for set in 0..<full where work[set] < .infinity {
            let before = boundOf[set]
            for j in 0..<n where set & (1 << j) == 0 {
                let e = estimate(all[j], bound: before, sameEnds: sameEnds(patterns[j], planned: set, patterns))
                var stepWork = rows[set] * e.lookup
                if let build = e.build { stepWork = min(stepWork, build + rows[set]) }
                var out = rows[set] * e.fanout
                let after = before.union(all[j].variables)
                for t in thinners where t.needs.isSubset(of: after) && !t.needs.isSubset(of: before) { out *= t.share }
                let next = set | (1 << j)
                let total = work[set] + stepWork + out
                if total < work[next] {
                    work[next] = total
                    rows[next] = out
                    last[next] = j
                    boundOf[next] = after
                }
            }
        }
        var order: [Int] = []
        var set = full
        while set != 0 {
            let j = last[set]
            order.append(j)
            set &= ~(1 << j)
        }
        return order.reversed()
    }

    /// Whether `p`'s subject (object) variable is at the subject (object) of a planned
    /// pattern (in `planned`) of the same one predicate (see `estimate`).
    func sameEnds(_ p: CompiledPattern, planned: Int, _ patterns: [CompiledPattern]) -> (subject: Bool, object: Bool) {
        guard case .predicates(let ps) = p.path, ps.count == 1 else { return (false, false) }
        var result = (subject: false, object: false)
        for (i, q) in patterns.enumerated() where planned & (1 << i) != 0 {
            guard case .predicates(let qs) = q.path, qs == ps else { continue }
            if case .variable(let v) = p.subject, case .variable(v) = q.subject { result.subject = true }
            if case .variable(let v) = p.object, case .variable(v) = q.object { result.object = true }
        }
        return result
    }
}
