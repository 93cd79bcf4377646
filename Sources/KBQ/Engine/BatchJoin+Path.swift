/// A path step (`JoinPlan.PathStep`) on a batch: for each row, the nodes the path reaches
/// from the row's bound end (walked by `Execution.termReach` over term ids, closures of one
/// step included), or from every node the path's predicates touch when neither end is
/// bound (and every entity first, for a path of zero steps); each reached node a row, with
/// its chain of statements as evidence.
///
/// Invariant: the rows, their order and their chains are the general evaluator's
/// (`Execution.solvePath`): a bound subject walks forwards, else a bound object backwards,
/// else every start of `startTerms` forwards; the other end is then unified like a
/// pattern's. A row's evidence is the marker `JoinPlan.pathMarker(n)` in the step's first
/// slot, the chain's n statements in the next n, and `noStatement` in the rest, so that an
/// answer's statement list reads back as one `.path` (`JoinPlan.evidence(list:rules:)`).
extension BatchJoin {
    final class PathOp {
        let step: JoinPlan.PathStep
        /// The marker's slot; the chain's slots follow it.
        let slot: Int
        let variables: [Int]
        var rowsOut = 0
        /// With neither end bound: the start nodes, found once a run, and the forward
        /// levels as tables (`Execution.levelTable`), found with them.
        var starts: [Term]? = nil
        var forwardTables: [KeyedStatements]? = nil
        // Read and written at every node reached, by the one thread that runs the join:
        // no run-time exclusivity checks (they cost more than the walk's own work).
        @exclusivity(unchecked) var walk = Execution.TermWalk()
        // The rows being made: input row, the step's variables, and the evidence slots
        // (marker, then the chain), `slotCount` a row. Flat, row by row: an array per slot
        // was two uniqueness checks and a retain at every statement of every answer.
        @exclusivity(unchecked) var parents: [Int32] = []
        @exclusivity(unchecked) var made: [UInt64] = []
        @exclusivity(unchecked) var chains: [StatementID] = []
        @exclusivity(unchecked) var reached: [Int32] = []
        /// With neither end bound and levels to walk: the start of each of `reached`, an
        /// index into the chunk of starts walked together.
        @exclusivity(unchecked) var reachedStart: [Int32] = []
        /// Walks from a bound end in this run, and the backward levels' and the prefix's
        /// tables (`Execution.levelTable`) once they have been many: a walk from each of
        /// tens of thousands of rows read each node's whole index run for the step's
        /// predicates; a level's table holds its statements alone, kept with the store.
        var boundWalks = 0
        var backwardTables: [KeyedStatements]? = nil
        var prefixTables: [KeyedStatements]? = nil

        enum Levels { case forwards, backwards, prefix }

        /// The tables of the levels `which` (of `forwards`, `backwards` or `prefixSteps`,
        /// kept in `forwardTables`, `backwardTables` or `prefixTables`) once this run has
        /// walked from more than `tablesAfter` bound ends; nil before, or for a path
        /// without such levels. (A switch, not key paths: a key path was made, retained
        /// and released at every walk.)
        func tables(_ which: Levels, _ exec: Execution) -> [KeyedStatements]? {
            let (steps, known) = switch which {
            case .forwards: (forwards, forwardTables)
            case .backwards: (backwards, backwardTables)
            case .prefix: (prefixSteps, prefixTables)
            }
            guard let steps else { return nil }
            if let known { return known }
            boundWalks += 1
            guard boundWalks > PathOp.tablesAfter else { return nil }
            let made = steps.levels.map(exec.levelTable)
            switch which {
            case .forwards: forwardTables = made
            case .backwards: backwardTables = made
            case .prefix: prefixTables = made
            }
            return made
        }

        /// (Tests make it 0, so that every walk reads the tables.)
        nonisolated(unsafe) static var tablesAfter = 64
        /// The walk `walk` and `reached` hold: from which start, which way, and (once a row
        /// with the same start and its far end bound has come) its nodes by term. Rows
        /// with the same start come together (a join's rows keep their input's order), and
        /// a walk from the same start reaches the same nodes with the same chains, so they
        /// share one walk. Cleared when a run starts.
        @exclusivity(unchecked) var walked: (start: UInt32, inverse: Bool, byEnd: [UInt32: [Int32]]?)? = nil
        /// For `walkToBoundEnd` read from the far end: that end, and the node before the
        /// last step that each of its statements links it to (the first statement). Cleared
        /// when a run starts.
        @exclusivity(unchecked) var linksTo: (end: UInt32, links: [UInt32: StatementID])? = nil

        /// For a sequence whose last step is one predicate (or its inverse): the steps
        /// before it, and the last step's predicates and direction (see `walkToBoundEnd`).
        let lastStep: (prefix: CompiledPath, last: [PredicateID], inverse: Bool)?
        /// The path, and `lastStep`'s prefix, as levels when they are (`TermSteps`), each way.
        let forwards: Execution.TermSteps?
        let backwards: Execution.TermSteps?
        let prefixSteps: Execution.TermSteps?

        init(_ step: JoinPlan.PathStep, slot: Int) {
            self.step = step
            self.slot = slot
            if case .sequence(let parts) = step.path, parts.count >= 2 {
                switch parts.last! {
                case .predicates(let ps): lastStep = (.sequence(Array(parts.dropLast())), ps, false)
                case .inverse(.predicates(let ps)): lastStep = (.sequence(Array(parts.dropLast())), ps, true)
                default: lastStep = nil
                }
            } else {
                lastStep = nil
            }
            variables = step.variables
            forwards = Execution.TermSteps(step.path)
            backwards = Execution.TermSteps(step.path, inverse: true)
            prefixSteps = lastStep.flatMap { Execution.TermSteps($0.prefix) }
        }

        var slotCount: Int { step.chainSlots + 1 }
        /// Rows without their chains (evidence slots left empty), for a caller that only
        /// counts them (`FactorizedCount`): a chain cost more than the walk that found it.
        var chainless = false
        /// The terms the path reaches something from (`startsReaching`), once a `not` of
        /// it has asked; the join reads one store, so they hold as long as it does.
        var reaching: TermSet? = nil

        func reset() {
            parents.removeAll(keepingCapacity: true)
            made.removeAll(keepingCapacity: true)
            chains.removeAll(keepingCapacity: true)
        }
    }

    dynamic func expandPath(_ op: PathOp, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        let exec = self.exec
        let step = op.step
        let vars = op.variables
        let rows = batch.rows(vars)
        op.reset()
        func flushPath() throws {
            guard !op.parents.isEmpty else { return }
            op.rowsOut += op.parents.count
            var out = batch.gathered(op.parents)
            let (rows, width, slots) = (op.parents.count, vars.count, op.slotCount)
            for (j, v) in vars.enumerated() { out.columns[v] = BindingBatch.column(op.made, j, stride: width, rows: rows) }
            if !op.chainless {
                for k in 0..<slots { out.evidence[op.slot + k] = BindingBatch.column(op.chains, k, stride: slots, rows: rows) }
            }
            op.reset()
            try next(out)
        }
        /// Walks from `start` (backwards when `inverse`) and makes a row of input row `row`
        /// for each node reached whose ends unify with the step's.
        func walk(from start: Term, inverse: Bool, _ row: Int) throws {
            // The far end first: `lastStep` holds arrays, retained at each copy, and most
            // walks (from every start node) have no far end bound.
            if !inverse, let far = bound(step.object), far & ~0xFFFF_FFFF == JoinPlan.termTag, let (prefix, last, lastInverse) = op.lastStep {
                try walkToBoundEnd(from: start, to: Term(raw: UInt32(truncatingIfNeeded: far)), prefix, last, lastInverse)
            } else if op.walked?.start != start.raw || op.walked?.inverse != inverse {
                let root = op.walk.restart(at: start)
                op.reached.removeAll(keepingCapacity: true)
                op.walked = nil
                let tables = op.tables(inverse ? .backwards : .forwards, exec)
                try exec.termReach(step.path, steps: inverse ? op.backwards : op.forwards, tables: tables,
                                   from: root, inverse: inverse, &op.walk, into: &op.reached)
                op.walked = (start.raw, inverse, nil)
            } else if op.walked?.byEnd == nil, let far = bound(inverse ? step.subject : step.object), far & ~0xFFFF_FFFF == JoinPlan.termTag {
                // The same start again, its far end bound: the walk's nodes by term, so this
                // row and the next with this start read only the nodes that can unify.
                var byEnd: [UInt32: [Int32]] = [:]
                for n in op.reached { byEnd[op.walk.nodes[Int(n)].raw, default: []].append(n) }
                op.walked!.byEnd = byEnd
            }
            guard !op.reached.isEmpty else { return }
            if let byEnd = op.walked?.byEnd, let far = bound(inverse ? step.subject : step.object) {
                guard far & ~0xFFFF_FFFF == JoinPlan.termTag, let nodes = byEnd[UInt32(truncatingIfNeeded: far)] else { return }
                try emit(nodes, nodes.indices, from: start, inverse: inverse, row)
            } else {
                try emit(op.reached, op.reached.indices, from: start, inverse: inverse, row)
            }
        }
        /// Makes a row of input row `row` for each of the walk's nodes `nodes[range]`,
        /// reached from `start` (backwards when `inverse`), whose ends unify with the step's.
        func emit(_ nodes: [Int32], _ range: Range<Int>, from start: Term, inverse: Bool, _ row: Int) throws {
            let from = JoinPlan.termTag | UInt64(start.raw)
            // The ends are checked as `unify` would bind them, with no trail: a bound
            // variable or a constant must be the value, a free one takes it (one variable
            // at both ends takes one value).
            let (subject, object) = (step.subject, step.object)
            let subjectFree = subject.kind == .variable && bindings[subject.variable] == 0
            let objectFree = object.kind == .variable && bindings[object.variable] == 0
            let sameFree = subjectFree && objectFree && subject.variable == object.variable
            let (subjectNeed, objectNeed) = (subjectFree ? 0 : bound(subject) ?? 0, objectFree ? 0 : bound(object) ?? 0)
            let slots = op.slotCount
            for n in nodes[range] {
                let to = JoinPlan.termTag | UInt64(op.walk.nodes[Int(n)].raw)
                let (s, o) = inverse ? (to, from) : (from, to)
                guard subjectNeed == 0 || subjectNeed == s, objectNeed == 0 || objectNeed == o, !sameFree || s == o else { continue }
                op.parents.append(Int32(row))
                for v in vars {
                    op.made.append(subjectFree && v == subject.variable ? s : objectFree && v == object.variable ? o : bindings[v])
                }
                if !op.chainless {
                    // The chain written slot by slot, walking up from the node: the path's
                    // order is the walk's for an inverse walk, its reverse otherwise.
                    let length = op.walk.length(n)
                    // A closure's chain is shortest, so within its graph's bound (`ClosureDepths`);
                    // were it not, the query stops with an error rather than write past its slots.
                    guard length < slots else { throw ChainPastSlots() }
                    let first = op.chains.count
                    op.chains.append(JoinPlan.pathMarker(length))
                    op.chains.append(contentsOf: repeatElement(BindingBatch.noStatement, count: slots - 1))
                    op.chains.withUnsafeMutableBufferPointer { chains in
                        var (at, k) = (Int(n), inverse ? 1 : length)
                        while op.walk.parent[at] >= 0 {
                            chains[first + k] = op.walk.via[at]
                            at = Int(op.walk.parent[at])
                            k += inverse ? 1 : -1
                        }
                    }
                }
                if op.parents.count >= BatchJoin.batchRows {
                    try flushPath()
                    load(vars, rows, row)
                }
            }
        }
        /// A sequence walked forwards to a bound far end `y`: the nodes before its last step
        /// as the walk reaches them, then the first of them (in that order) that the last
        /// step links to `y`, without the whole fan-out of the last step (`^citizen_of` from
        /// a country reaches thousands). The same node, statement and chain as the whole
        /// walk: a sequence keeps the first node to reach `y`, and both index lists are in
        /// statement order, so the first statement linking the two is the same from either
        /// side. `reached` holds `y`'s node, or nothing.
        func walkToBoundEnd(from start: Term, to y: Term, _ prefix: CompiledPath, _ last: [PredicateID], _ lastInverse: Bool) throws {
            op.walked = nil
            let root = op.walk.restart(at: start)
            op.reached.removeAll(keepingCapacity: true)
            try exec.termReach(prefix, steps: op.prefixSteps, tables: op.tables(.prefix, exec), from: root, inverse: false,
                               &op.walk, into: &op.reached)
            guard !op.reached.isEmpty else { return }
            let before = op.reached
            op.reached.removeAll(keepingCapacity: true)
            // The last step read from whichever side has the shorter lists: from `y` (the
            // node before it and the first statement linking the two, kept while `y` stays
            // the far end, as a constant does), or from each node before it in order,
            // stopping at the first that reaches `y`.
            let towards = lastInverse ? exec.objectLookup : exec.subjectLookup
            if op.linksTo?.end != y.raw {
                let fromY = (lastInverse ? exec.subjectLookup : exec.objectLookup).run(y).count
                var forwards = 0
                for n in before where forwards <= fromY { forwards += towards.run(op.walk.nodes[Int(n)]).count }
                if forwards <= fromY {
                    for n in before {
                        var link: StatementID? = nil
                        exec.step(last, from: op.walk.nodes[Int(n)], inverse: lastInverse) { node, sid in
                            if link == nil, node == y { link = sid }
                        }
                        if let link {
                            op.reached.append(op.walk.add(y, from: n, by: link))
                            return
                        }
                    }
                    return
                }
                var firstLink: [UInt32: StatementID] = [:]
                exec.step(last, from: y, inverse: !lastInverse) { node, sid in
                    if firstLink[node.raw] == nil { firstLink[node.raw] = sid }
                }
                op.linksTo = (y.raw, firstLink)
            }
            guard let links = op.linksTo?.links, !links.isEmpty else { return }
            for n in before {
                if let sid = links[op.walk.nodes[Int(n)].raw] {
                    op.reached.append(op.walk.add(y, from: n, by: sid))
                    return
                }
            }
        }
        for row in 0..<batch.count {
            load(vars, rows, row)
            if let s = bound(step.subject) {
                // A value that is not a stored term starts no chain.
                guard s & ~0xFFFF_FFFF == JoinPlan.termTag else { continue }
                try exec.tick()
                try walk(from: Term(raw: UInt32(truncatingIfNeeded: s)), inverse: false, row)
            } else if let o = bound(step.object) {
                guard o & ~0xFFFF_FFFF == JoinPlan.termTag else { continue }
                try exec.tick()
                try walk(from: Term(raw: UInt32(truncatingIfNeeded: o)), inverse: true, row)
            } else {
                if op.starts == nil {
                    // A walk from every start: each level read from a table of its own, and
                    // only the nodes the first level's table leaves from started from.
                    let tables = op.forwards.map { $0.levels.map(exec.levelTable) }
                    op.forwardTables = tables
                    op.starts = exec.startTerms(step.path, firstLevel: op.forwards.map { ($0.levels[0], tables![0]) })
                }
                if let tables = op.forwardTables {
                    // By levels: the starts walked together, a chunk at a time (which
                    // bounds the walk's lists), each start's nodes then made rows.
                    let starts = op.starts!
                    op.walked = nil
                    var at = 0
                    while at < starts.count {
                        let chunk = starts[at..<min(at + BatchJoin.pathStartChunk, starts.count)]
                        op.reached.removeAll(keepingCapacity: true)
                        op.reachedStart.removeAll(keepingCapacity: true)
                        try exec.termReach(levels: tables, from: chunk, &op.walk, into: &op.reached, startOf: &op.reachedStart)
                        var i = 0
                        while i < op.reached.count {
                            let k = op.reachedStart[i]
                            var end = i + 1
                            while end < op.reached.count && op.reachedStart[end] == k { end += 1 }
                            try emit(op.reached, i..<end, from: chunk[chunk.startIndex + Int(k)], inverse: false, row)
                            i = end
                        }
                        at += chunk.count
                    }
                    op.reached.removeAll(keepingCapacity: true)
                } else {
                    for start in op.starts! {
                        try exec.tick()
                        try walk(from: start, inverse: false, row)
                    }
                }
            }
        }
        try flushPath()
    }
}

extension BatchJoin {
    /// A path's chain longer than the evidence slots its plan gave it: never, while
    /// `ClosureDepths` bounds every closure's chains (its tests hold it to a search).
    struct ChainPastSlots: Error, CustomStringConvertible {
        var description: String { "internal error: a path's chain is longer than its plan allows (please report the query)" }
    }

    /// For a `not` of one path step whose far end is a wildcard (`not ?x employed_by/
    /// located_in _`), from a start every row binds: whether each row's start reaches
    /// anything. Only that decides the `not`, so the walk's nodes and chains are not made:
    /// the starts that reach something are found once, for every row (`startsReaching`).
    /// Nil for any other `not`, which runs its inner steps.
    func reachesAnything(_ inner: [Op], _ batch: BindingBatch) throws -> [Bool]? {
        guard inner.count == 1, case .path(let p) = inner[0] else { return nil }
        let subject = p.step.subject
        let starts: [UInt64]
        switch subject.kind {
        case .constant: starts = Array(repeating: subject.value, count: batch.count)
        case .variable:
            let column = batch.columns[subject.variable]
            // An unbound start walks from every node: left to the walk.
            guard !column.isEmpty, !column.contains(0) else { return nil }
            starts = column
        case .wildcard: return nil
        }
        guard let reaching = try reaching(p) else { return nil }
        return starts.map { reaching.contains(binding: $0) }
    }

    /// When this join is one path step from variable `v` to a wildcard: the terms it
    /// reaches something from (`startsReaching`); else nil. (A `not` of it, counted.)
    func reachingFrom(_ v: Int) throws -> TermSet? {
        guard ops.count == 1, case .path(let p) = ops[0], p.step.subject.kind == .variable, p.step.subject.variable == v else { return nil }
        return try reaching(p)
    }

    /// Path step `p`'s `startsReaching`, made once, when its far end is a wildcard and it
    /// walks by levels.
    private func reaching(_ p: PathOp) throws -> TermSet? {
        guard p.step.object.kind == .wildcard, let steps = p.forwards else { return nil }
        if p.reaching == nil { p.reaching = try startsReaching(steps) }
        return p.reaching
    }

    /// The terms from which a path of levels (`Execution.TermSteps`, read forwards) reaches
    /// some node: those a step of the last level leaves from, then, level by level
    /// backwards, those a step leaves from to land on the next level's set. A step crosses
    /// the asserted statements of its predicates, as the walk's (`Execution.step`) does.
    func startsReaching(_ steps: Execution.TermSteps) throws -> TermSet {
        var next: TermSet? = nil
        for level in steps.levels.reversed() {
            var here = TermSet(entityCount: entities.count)
            for s in level {
                for p in s.predicates {
                    let run = predicateLookup.run(Int(p))
                    try exec.tick(by: run.count)
                    for j in 0..<run.count {
                        let sid = Int(run.ids[j])
                        let quoted = run.predicates.map { $0[j] < 0 } ?? !isAsserted(sid)
                        guard !quoted else { continue }
                        let subject = run.subjects?[j] ?? subjectAt[sid]
                        let object = run.objects?[j] ?? objectAt[sid]
                        let (from, to) = s.inverse ? (object, subject) : (subject, object)
                        if next?.contains(to) ?? true { here.insert(from) }
                    }
                }
            }
            next = here
        }
        return next ?? TermSet(entityCount: 0)
    }
}

/// A set of terms: entities by bit, other terms hashed.
struct TermSet {
    private var bits: [UInt64]
    private var others = Set<UInt32>()

    init(entityCount: Int) { bits = [UInt64](repeating: 0, count: (entityCount + 63) / 64) }

    mutating func insert(_ t: Term) {
        if t.kind == Term.entityKind, t.index >> 6 < bits.count {
            bits[t.index >> 6] |= 1 << UInt64(t.index & 63)
        } else {
            others.insert(t.raw)
        }
    }

    func contains(_ t: Term) -> Bool {
        if t.kind == Term.entityKind, t.index >> 6 < bits.count { return bits[t.index >> 6] >> UInt64(t.index & 63) & 1 != 0 }
        return others.contains(t.raw)
    }

    /// Whether a join's binding is a term of the set (a value that is no stored term is not).
    func contains(binding b: UInt64) -> Bool {
        b & ~0xFFFF_FFFF == JoinPlan.termTag && contains(Term(raw: UInt32(truncatingIfNeeded: b)))
    }
}
