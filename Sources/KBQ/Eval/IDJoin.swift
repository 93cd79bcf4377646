#if canImport(Glibc)
import Glibc
#endif
/// Conjunctive queries (patterns and filters, the shape of most questions) evaluated over
/// term ids: bindings are machine words, a candidate is checked by comparing integers from
/// the store's columns, and `Value`s are made only for a filter's operands and for each
/// answer. Candidates come from the same index lists, in the same order, as in the general
/// evaluator (`Execution.solve`), so answers and their order are the same; IDJoinTests
/// checks that on every golden query.
final class IDJoin {
    /// A position of a pattern.
    struct Position {
        enum Kind { case wildcard, constant, variable }
        var kind: Kind
        /// An encoded constant (see `encode`), or the variable's number.
        var value: UInt64
        var variable: Int
    }

    /// A class: a step is read at every candidate, and a struct of arrays would be
    /// retained field by field each time.
    final class PatternStep {
        let subject: Position
        let object: Position
        let qualifiers: [(key: Int32, position: Position)]
        /// The predicates a statement may have (with their sub-predicates), or nil for any.
        let predicates: [PredicateID]?
        let allowed: [Bool]?
        let predicateVariable: Int?
        let statementVariable: Int?
        let quoted: Bool
        /// A constant the store does not hold: nothing matches.
        let impossible: Bool
        let hasQualifiers: Bool
        /// The one predicate, when the step asks nothing else of a statement (asserted, no
        /// qualifier, no predicate variable): it may be looked up in an edge index.
        let edgePredicate: PredicateID?

        init(subject: Position, object: Position, qualifiers: [(key: Int32, position: Position)], predicates: [PredicateID]?, allowed: [Bool]?, predicateVariable: Int?, statementVariable: Int?, quoted: Bool, impossible: Bool) {
            self.subject = subject
            self.object = object
            self.qualifiers = qualifiers
            self.predicates = predicates
            self.allowed = allowed
            self.predicateVariable = predicateVariable
            self.statementVariable = statementVariable
            self.quoted = quoted
            self.impossible = impossible
            hasQualifiers = !qualifiers.isEmpty
            edgePredicate = !quoted && qualifiers.isEmpty && predicateVariable == nil && predicates?.count == 1 ? predicates![0] : nil
        }
    }

    /// `?x is_a T`, `?x is_a ?t`: entity numbers against the type lists of the entity
    /// table, in the order the general evaluator meets them (`Execution.solveIsA`).
    final class IsAStep {
        let subject: Position
        /// A constant is `typeTag | t`.
        let type: Position

        init(subject: Position, type: Position) {
            self.subject = subject
            self.type = type
        }
    }

    /// One predicate's asserted statements by (subject term, object term).
    struct EdgeIndex {
        /// Checks of a predicate before its index is built (`KBQ_EDGE_PROBES` sets it: the
        /// random tests build every index at once on one of their two runs).
        static let minimumProbes: Int = getenv("KBQ_EDGE_PROBES").flatMap { Int(String(cString: $0)) } ?? 1024
        var statement: [UInt64: StatementID] = [:]
        /// False when some pair is stated twice: then the scan, which gives each of the
        /// statements, is used.
        var usable = true

        init(_ predicate: PredicateID, _ store: FactStore) {
            let ids = store.statements(withPredicate: predicate)
            statement.reserveCapacity(ids.count)
            let table = store.table
            for sid in ids where table.asserted[Int(sid)] {
                let key = UInt64(table.subject[Int(sid)].raw) << 32 | UInt64(table.object[Int(sid)].raw)
                if statement.updateValue(sid, forKey: key) != nil {
                    usable = false
                    statement = [:]
                    return
                }
            }
        }
    }

    indirect enum Step {
        case pattern(PatternStep)
        case isA(IsAStep)
        /// A filter, the variables it reads, and for a filter of one variable the number of
        /// its memo (its truth depends on that binding alone).
        case filter(CompiledExpr, [Int], memo: Int?, quick: QuickComparison?)
        case not([Step])
        case optional([Step])
        case or([[Step]])
    }

    let exec: Execution
    let store: FactStore
    let steps: [Step]
    /// Set in a worker of `runInParallel`: its part of the first step's candidates.
    var topPart: (index: Int, of: Int)? = nil
    /// From how many candidates of the first step `runBindings` uses every core.
    var parallelThreshold = IDJoin.defaultParallelThreshold
    // As Execution's state: one join per thread, no overlapping access (see there).
    @exclusivity(unchecked) var bindings: [UInt64]
    @exclusivity(unchecked) var trail: [Int] = []
    @exclusivity(unchecked) var statements: [StatementID] = []
    let variableCount: Int
    /// Per one-variable filter, its truth by binding: a date or name filter meets the same
    /// few values again and again, and its evaluation makes Values.
    @exclusivity(unchecked) var memos: [TermMemo]
    /// Per predicate, how often a step with both ends bound has checked it, and once that
    /// pays, its asserted statements by (subject, object) (see `edgeLookup`).
    @exclusivity(unchecked) var edgeProbes: [PredicateID: Int] = [:]
    @exclusivity(unchecked) var edges: [PredicateID: EdgeIndex] = [:]
    // Qualifier columns, read without going through the store at every candidate.
    let qualifierStart: Column<UInt32>
    let qualifierKeys: Column<Int32>
    let qualifierValues: Column<Term>

    // Encoded bindings: 0 unbound; a stored term, a predicate or a statement, tagged.
    static let termTag: UInt64 = 1 << 32
    static let predicateTag: UInt64 = 2 << 32
    static let statementTag: UInt64 = 3 << 32
    /// A type (the object of `is_a`); 4 << 32 is Answers' tag for boxed values.
    static let typeTag: UInt64 = 5 << 32

    /// The evidence `.typeOf(e, t)` in the statement list of an answer, as a negative
    /// StatementID: the sign bit, seven bits of type and 24 of entity. An `is_a` step whose
    /// entities or types do not fit is left to the general evaluator (see `plan`).
    static func typeEvidence(_ e: EntityID, _ t: Int32) -> StatementID {
        StatementID(bitPattern: 0x8000_0000 | UInt32(t) << 24 | UInt32(e))
    }
    static let maxEvidenceEntities = 1 << 24
    static let maxEvidenceTypes = 1 << 7

    /// A statement id of a join's evidence list as Evidence (see `typeEvidence`).
    static func evidence(_ s: StatementID) -> Evidence {
        guard s < 0 else { return .statement(s) }
        let bits = UInt32(bitPattern: s)
        return .typeOf(EntityID(bits & 0xFF_FFFF), Int32(bits >> 24 & 0x7F))
    }

    /// A query's goals as join steps, made once per prepared query.
    struct Program {
        let steps: [Step]
        let memoCount: Int

        init(steps: [Step], memoCount: Int) {
            self.steps = steps
            self.memoCount = memoCount
        }

        /// nil when a goal is a rule call, a path or a type test: the general evaluator
        /// takes those.
        init?(_ goals: [Goal], _ store: FactStore) {
            var memoCount = 0
            guard let steps = IDJoin.plan(goals, store, &memoCount) else { return nil }
            self.steps = steps
            self.memoCount = memoCount
        }
    }

    init(_ program: Program, _ exec: Execution, variableCount: Int) {
        let store = exec.store
        steps = program.steps
        memos = Array(repeating: TermMemo(), count: program.memoCount)
        qualifierStart = store.table.qualifierStart
        qualifierKeys = store.table.qualifierKeys
        qualifierValues = store.table.qualifierValues
        self.exec = exec
        self.store = store
        self.variableCount = variableCount
        bindings = Array(repeating: 0, count: variableCount)
    }

    static func plan(_ goals: [Goal], _ store: FactStore, _ memoCount: inout Int) -> [Step]? {
        var steps: [Step] = []
        for g in goals {
            switch g {
            case .filter(let e, _):
                let vars = Planner.uses(e).sorted()
                var memo: Int? = nil
                if vars.count == 1 {
                    memo = memoCount
                    memoCount += 1
                }
                steps.append(.filter(e, vars, memo: memo, quick: QuickComparison(e)))
            case .pattern(let p):
                if case .isA = p.path {
                    guard let step = IDJoin.planIsA(p, store) else { return nil }
                    steps.append(.isA(step))
                    continue
                }
                guard let step = IDJoin.plan(p, store) else { return nil }
                steps.append(.pattern(step))
            case .not(let inner, _):
                guard let s = plan(inner, store, &memoCount) else { return nil }
                steps.append(.not(s))
            case .optional(let inner, _):
                guard let s = plan(inner, store, &memoCount) else { return nil }
                steps.append(.optional(s))
            case .or(let branches):
                var planned: [[Step]] = []
                for b in branches {
                    guard let s = plan(b, store, &memoCount) else { return nil }
                    planned.append(s)
                }
                steps.append(.or(planned))
            case .call:
                return nil
            }
        }
        return steps
    }

    static func plan(_ p: CompiledPattern, _ store: FactStore) -> PatternStep? {
        var impossible = false
        func position(_ s: Slot) -> Position? {
            switch s {
            case .wildcard: return Position(kind: .wildcard, value: 0, variable: -1)
            case .variable(let v): return Position(kind: .variable, value: 0, variable: v)
            case .constant(let v):
                guard let t = store.term(for: v) else {
                    impossible = true
                    return Position(kind: .constant, value: 0, variable: -1)
                }
                return Position(kind: .constant, value: termTag | UInt64(t.raw), variable: -1)
            case .proposition: return nil
            }
        }
        guard let subject = position(p.subject), let object = position(p.object) else { return nil }
        var qualifiers: [(key: Int32, position: Position)] = []
        for q in p.qualifiers {
            guard let pos = position(q.slot) else { return nil }
            qualifiers.append((q.key, pos))
        }
        var predicates: [PredicateID]? = nil
        var allowed: [Bool]? = nil
        var predicateVariable: Int? = nil
        switch p.path {
        case .predicates(let ps):
            predicates = ps
            var table = Array(repeating: false, count: store.predicates.count)
            for x in ps where Int(x) < table.count { table[Int(x)] = true }
            allowed = table
        case .variable(let v): predicateVariable = v
        case .any: break
        default: return nil
        }
        return PatternStep(
            subject: subject, object: object, qualifiers: qualifiers, predicates: predicates, allowed: allowed,
            predicateVariable: predicateVariable, statementVariable: p.statementVar, quoted: p.quoted, impossible: impossible)
    }

    static func planIsA(_ p: CompiledPattern, _ store: FactStore) -> IsAStep? {
        guard store.entities.count < maxEvidenceEntities, store.types.count < maxEvidenceTypes else { return nil }
        let subject: Position
        switch p.subject {
        case .wildcard: subject = Position(kind: .wildcard, value: 0, variable: -1)
        case .variable(let v): subject = Position(kind: .variable, value: 0, variable: v)
        case .constant(.entity(let e)): subject = Position(kind: .constant, value: termTag | UInt64(Term(entity: e).raw), variable: -1)
        default: return nil
        }
        let type: Position
        switch p.object {
        case .variable(let v): type = Position(kind: .variable, value: 0, variable: v)
        case .constant(.type(let t)): type = Position(kind: .constant, value: typeTag | UInt64(UInt32(bitPattern: t)), variable: -1)
        default: return nil
        }
        return IsAStep(subject: subject, type: type)
    }

    func decode(_ b: UInt64) -> Value {
        switch b & ~0xFFFF_FFFF {
        case IDJoin.typeTag: return .type(Int32(bitPattern: UInt32(truncatingIfNeeded: b)))
        case IDJoin.termTag: return store.value(Term(raw: UInt32(truncatingIfNeeded: b)))
        case IDJoin.predicateTag: return .predicate(PredicateID(bitPattern: UInt32(truncatingIfNeeded: b)))
        default: return .statement(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)))
        }
    }

    /// Runs the steps; at each answer, the execution's row and evidence hold it for `k`.
    /// `reading`: the variables `k` reads (nil: all); the others are not made into Values.
    func run(reading: [Int]? = nil, _ k: () throws -> Void) throws {
        let decoded = reading ?? Array(0..<variableCount)
        try solve(steps, 0) {
            for v in decoded { exec.row[v] = bindings[v] == 0 ? nil : decode(bindings[v]) }
            // Refilled in place: no new array an answer unless the last one was kept.
            exec.evidence.removeAll(keepingCapacity: true)
            for s in statements { exec.evidence.append(IDJoin.evidence(s)) }
            try k()
        }
    }

    /// Runs the steps and hands `k` each answer's bindings and statements, making no
    /// Values: for answers that only project variables (see PreparedQuery+Variables).
    /// `parallel: false` for a caller that folds each answer at once (grouping): the
    /// parallel form keeps every answer of the other cores until their turn, which cost a
    /// count over 240,000 answers ten times what it saved.
    func runBindings(parallel: Bool = true, _ k: ([UInt64], [StatementID]) throws -> Void) throws {
        if parallel, try runInParallel(k) { return }
        try solve(steps, 0) { try k(bindings, statements) }
    }

    /// Whether two step lists are one array (the query's own, not a branch's).
    static func same(_ a: [Step], _ b: [Step]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }


    /// An `is_a` step (see IsAStep), kept out of `solve`: inlined there, it made the
    /// pattern step's code slower (retains around `matchRest`).
    @inline(never)
    func solveIsA(_ a: IsAStep, _ next: () throws -> Void) throws {
        func emit(_ e: EntityID, _ t: Int32) throws {
            try exec.tick()
            let mark = trail.count
            if unify(a.subject, IDJoin.termTag | UInt64(Term(entity: e).raw)) && unify(a.type, IDJoin.typeTag | UInt64(UInt32(bitPattern: t))) {
                statements.append(IDJoin.typeEvidence(e, t))
                try next()
                statements.removeLast()
            }
            while trail.count > mark { bindings[trail.removeLast()] = 0 }
        }
        let type = bound(a.type).map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        if let b = bound(a.subject) {
            let term = Term(raw: UInt32(truncatingIfNeeded: b))
            guard b & ~0xFFFF_FFFF == IDJoin.termTag, term.kind == Term.entityKind else { return }
            let e = EntityID(term.index)
            if let t = type {
                if store.entity(e, isA: t) { try emit(e, t) }
            } else {
                for t in store.allTypes(of: e) { try emit(e, t) }
            }
        } else if let t = type {
            for e in store.members(of: t) { try emit(e, t) }
        } else {
            for e in store.entities.indices {
                for t in store.allTypes(of: EntityID(e)) { try emit(EntityID(e), t) }
            }
        }
    }

    /// As `Execution.solve`: steps from `i` on, then `k`.
    func solve(_ steps: [Step], _ i: Int, _ k: () throws -> Void) throws {
        guard i < steps.count else { return try k() }
        // After the last step, the answer itself: no call of `solve` per candidate (whose
        // entry retains its captured arrays).
        let last = i + 1 == steps.count
        func next() throws { if last { try k() } else { try solve(steps, i + 1, k) } }
        switch steps[i] {
        case .filter(let e, let vars, let memo, let quick):
            if let quick, let truth = quick.truth(bindings[quick.variable], store.literals) {
                if truth { try next() }
                return
            }
            if let m = memo {
                let b = bindings[vars[0]]
                if let known = memos[m].truth(of: b) {
                    if known { try next() }
                    return
                }
                exec.row[vars[0]] = b == 0 ? nil : decode(b)
                let truth = try exec.truth(e)
                memos[m].remember(b, truth)
                if truth { try next() }
                return
            }
            for v in vars { exec.row[v] = bindings[v] == 0 ? nil : decode(bindings[v]) }
            if try exec.truth(e) { try next() }
        case .not(let inner):
            let mark = trail.count
            let statementMark = statements.count
            var found = false
            do {
                try solve(inner, 0) { found = true; throw StopSearch() }
            } catch is StopSearch {}
            while trail.count > mark { bindings[trail.removeLast()] = 0 }
            statements.removeSubrange(statementMark...)
            if !found { try next() }
        case .optional(let inner):
            var any = false
            try solve(inner, 0) {
                any = true
                try next()
            }
            if !any { try next() }
        case .or(let branches):
            for b in branches {
                if last { try solve(b, 0, k) } else { try solve(b, 0) { try solve(steps, i + 1, k) } }
            }
        case .isA(let a):
            try solveIsA(a, next)
        case .pattern(let p):
            guard !p.impossible else { return }
            func visit(_ sid: StatementID) throws {
                try exec.tick()
                let mark = trail.count
                if match(p, Int(sid)) {
                    statements.append(sid)
                    try next()
                    statements.removeLast()
                }
                while trail.count > mark { bindings[trail.removeLast()] = 0 }
            }
            // Both ends bound, one predicate, nothing else asked of the statement: a lookup
            // in the predicate's edge index once it pays (a cycle's closing step, a `not`).
            // (Never for a worker's share of the first step, which must stay its share.)
            if let predicate = p.edgePredicate, !(i == 0 && topPart != nil), let found = edgeLookup(p, predicate) {
                if let sid = found { try visit(sid) }
                return
            }
            var c = candidates(p)
            if i == 0, let part = topPart, IDJoin.same(steps, self.steps) {
                // One worker's share of the first step (see runInParallel).
                c = c.part(part)
            }
            if c.everything {
                for n in 0..<store.statementCount { try visit(StatementID(n)) }
            } else if c.hasBeside {
                // The predicates beside the list (and whether each statement is asserted)
                // rule out most candidates unread, and the position the list was chosen by
                // needs no check.
                let list = c.ids
                let predicates = c.predicates
                let otherEnds = c.otherEnds
                let allowed = p.allowed
                let quoted = p.quoted
                for j in list.indices {
                    let tag = PredicateID(predicates[j])
                    guard (tag < 0) == quoted else { continue }
                    let predicate = tag < 0 ? -tag - 1 : tag
                    if let allowed, !allowed[Int(predicate)] { continue }
                    try exec.tick()
                    let mark = trail.count
                    if matchRest(p, Int(list[j]), predicate, c.known, otherEnds[j]) {
                        statements.append(list[j])
                        try next()
                        statements.removeLast()
                    }
                    while trail.count > mark { bindings[trail.removeLast()] = 0 }
                }
            } else {
                // In batches: a tight first pass over the columns (asserted, predicate, the
                // stored qualifier keys the step needs) whose reads do not wait on each
                // other, then the full match on the survivors.
                let asserted = exec.asserted
                let predicates = exec.predicates
                let needed = p.qualifiers.first { $0.key != StatementTable.sourceKey && $0.key != StatementTable.paraKey }?.key
                var batch: [StatementID] = []
                batch.reserveCapacity(256)
                var start = c.ids.startIndex
                while start < c.ids.endIndex {
                    let end = min(start + 256, c.ids.endIndex)
                    batch.removeAll(keepingCapacity: true)
                    for sid in c.ids[start..<end] {
                        let n = Int(sid)
                        guard asserted[n] != p.quoted else { continue }
                        if let allowed = p.allowed {
                            let predicate = Int(predicates[n])
                            guard predicate < allowed.count, allowed[predicate] else { continue }
                        }
                        if let key = needed {
                            var has = false
                            for q in Int(qualifierStart[n])..<Int(qualifierStart[n + 1]) where qualifierKeys[q] == key { has = true }
                            guard has else { continue }
                        }
                        batch.append(sid)
                    }
                    for sid in batch { try visit(sid) }
                    start = end
                }
            }
        }
    }

    /// The bound value of a position as a stored term, or nil when it is free; a bound
    /// value that is not a stored term gives an empty list.
    @inline(__always) private func bound(_ pos: Position) -> UInt64? {
        switch pos.kind {
        case .constant: return pos.value
        case .variable: return bindings[pos.variable] == 0 ? nil : bindings[pos.variable]
        case .wildcard: return nil
        }
    }

    /// A position every statement of a candidate list already has (the one its index is by).
    enum Known { case none, subject, object }

    /// The statements a pattern step reads: a list from an index (with the predicates and
    /// other ends beside it, for subject and object lists), or every statement.
    struct Candidates {
        var ids: ColumnSlice<StatementID> = .empty
        var predicates: ColumnSlice<Int16> = .empty
        var otherEnds: ColumnSlice<Term> = .empty
        var hasBeside = false
        var known = Known.none
        var everything = false

        var count: Int { everything ? -1 : ids.count }

        /// Part `index` of `of` equal parts, in order (every statement, when `everything`,
        /// is not split).
        func part(_ p: (index: Int, of: Int)) -> Candidates {
            guard !everything else { return p.index == 0 ? self : Candidates(ids: .empty) }
            let lo = ids.startIndex + ids.count * p.index / p.of
            let hi = ids.startIndex + ids.count * (p.index + 1) / p.of
            var c = self
            c.ids = ids[lo..<hi]
            if hasBeside {
                c.predicates = predicates[lo..<hi]
                c.otherEnds = otherEnds[lo..<hi]
            }
            return c
        }
    }

    /// As `Execution.candidateStatements`: the smallest list the bound positions select.
    /// For a step whose subject and object are bound terms, with one predicate (no
    /// sub-predicates), asserted, and no qualifier (`edgePredicate`): the one statement
    /// that matches, found in the predicate's (subject, object) index, or `.some(nil)` when
    /// none does; nil when the index does not apply (it is built for a predicate only after
    /// enough checks of it to pay for itself, and not at all when a (subject, object) pair
    /// is stated twice, whose two statements the scan gives as two answers).
    /// Kept out of `solve` (inlined there, it slowed the pattern step's own code).
    @inline(never)
    func edgeLookup(_ p: PatternStep, _ predicate: PredicateID) -> StatementID?? {
        guard let s = bound(p.subject), let o = bound(p.object),
            s & ~0xFFFF_FFFF == IDJoin.termTag, o & ~0xFFFF_FFFF == IDJoin.termTag
        else { return nil }
        if let index = edges[predicate] {
            guard index.usable else { return nil }
            return .some(index.statement[(s & 0xFFFF_FFFF) << 32 | (o & 0xFFFF_FFFF)])
        }
        let probes = edgeProbes[predicate, default: 0] + 1
        edgeProbes[predicate] = probes
        let size = store.statements(withPredicate: predicate).count
        guard probes >= max(EdgeIndex.minimumProbes, size / 16) else { return nil }
        edges[predicate] = EdgeIndex(predicate, store)
        return edgeLookup(p, predicate)
    }

    func candidates(_ p: PatternStep) -> Candidates {
        var best = Candidates(everything: true)
        func consider(_ ids: ColumnSlice<StatementID>) {
            if best.everything || ids.count < best.ids.count { best = Candidates(ids: ids) }
        }
        func consider(_ b: UInt64, _ known: Known) {
            guard b & ~0xFFFF_FFFF == IDJoin.termTag else { return consider(.empty) }
            let term = Term(raw: UInt32(truncatingIfNeeded: b))
            let run = known == .subject ? store.bySubject.withBeside(term) : store.byObject.withBeside(term)
            guard best.everything || run.ids.count < best.ids.count else { return }
            best = Candidates(ids: run.ids, predicates: run.predicates, otherEnds: run.otherEnds, hasBeside: run.hasBeside, known: known)
        }
        if let b = bound(p.subject) { consider(b, .subject) }
        if let b = bound(p.object) { consider(b, .object) }
        for q in p.qualifiers {
            if let b = bound(q.position) {
                guard b & ~0xFFFF_FFFF == IDJoin.termTag else {
                    consider(.empty)
                    continue
                }
                let term = Term(raw: UInt32(truncatingIfNeeded: b))
                if !FactStore.isProvenanceKey(q.key) {
                    consider(Int(q.key) < store.byQualifier.count ? store.byQualifier[Int(q.key)][term] : .empty)
                } else if best.everything || store.statementCount(withQualifier: q.key, term: term) < best.ids.count {
                    // Spelled out only when it is the shortest list so far.
                    consider(store.statements(withQualifier: q.key, term: term))
                }
            } else if let l = store.statements(withKey: q.key) {
                consider(l)
            }
        }
        if let ps = p.predicates {
            if ps.count == 1 { consider(store.statements(withPredicate: ps[0])) } else if best.everything || best.ids.count > 64 {
                var all: [StatementID] = []
                for x in ps { all += store.statements(withPredicate: x) }
                consider(Column(all)[...])
            }
        }
        return best
    }

    @inline(__always) private func unify(_ pos: Position, _ value: UInt64) -> Bool {
        switch pos.kind {
        case .wildcard: return true
        case .constant: return pos.value == value
        case .variable:
            let current = bindings[pos.variable]
            if current != 0 { return current == value }
            bindings[pos.variable] = value
            trail.append(pos.variable)
            return true
        }
    }

    /// As `FactStore.qualifierTerm`, reading the columns directly for a stored key.
    @inline(__always) private func qualifierTerm(_ i: Int, _ key: Int32) -> Term? {
        if key == StatementTable.sourceKey || key == StatementTable.paraKey { return store.qualifierTerm(i, key) }
        for q in Int(qualifierStart[i])..<Int(qualifierStart[i + 1]) where qualifierKeys[q] == key { return qualifierValues[q] }
        return nil
    }

    /// As `Execution.match`, over terms.
    private func match(_ p: PatternStep, _ i: Int) -> Bool {
        guard exec.asserted[i] != p.quoted else { return false }
        let predicate = exec.predicates[i]
        if let allowed = p.allowed {
            guard Int(predicate) < allowed.count, allowed[Int(predicate)] else { return false }
        }
        return matchRest(p, i, predicate, .none)
    }

    /// The rest of a match once the predicate is allowed: the predicate variable, the
    /// positions (but the one known to match), qualifiers and the statement variable.
    private func matchRest(_ p: PatternStep, _ i: Int, _ predicate: PredicateID, _ known: Known, _ otherEnd: Term? = nil) -> Bool {
        // Qualifiers first: most statements have none, and a missing one fails at once.
        if p.hasQualifiers { for q in p.qualifiers {
            guard let t = qualifierTerm(i, q.key), unify(q.position, IDJoin.termTag | UInt64(t.raw)) else { return false }
        } }
        if let v = p.predicateVariable {
            guard unify(Position(kind: .variable, value: 0, variable: v), IDJoin.predicateTag | UInt64(UInt32(bitPattern: predicate))) else { return false }
        }
        // The other end of a subject or object list is read beside it, not from the row.
        if known != .subject {
            let subject = known == .object ? otherEnd! : exec.subjects[i]
            if !unify(p.subject, IDJoin.termTag | UInt64(subject.raw)) { return false }
        }
        if known != .object {
            let object = known == .subject ? otherEnd! : exec.objects[i]
            if !unify(p.object, IDJoin.termTag | UInt64(object.raw)) { return false }
        }
        if let s = p.statementVariable {
            guard unify(Position(kind: .variable, value: 0, variable: s), IDJoin.statementTag | UInt64(UInt32(i))) else { return false }
        }
        return true
    }
}

extension Execution {
    /// Solves a query's goals: over term ids by `program` (the prepared query's join steps)
    /// when there is one, by the general evaluator otherwise.
    func solveTop(_ goals: [Goal], allowIDJoin: Bool, program: IDJoin.Program?, reading: [Int]? = nil, _ k: () throws -> Void) throws {
        if allowIDJoin, let program {
            try IDJoin(program, self, variableCount: row.count).run(reading: reading, k)
        } else {
            try solve(goals, 0, k)
        }
    }
}

/// `?d >= 2018-01-01`, `?n < 5`: a variable ordered against a date or an integer, decided
/// from the literal's packed payload when the variable holds a stored date or integer (as
/// `ValueOps.compare` would decide it), without making Values; anything else returns nil.
struct QuickComparison {
    enum Constant { case date(DateValue), integer(Int) }
    let variable: Int
    /// The operator with the variable on the left.
    let op: CompareOp
    let constant: Constant

    init?(_ e: CompiledExpr) {
        guard case .compare(var op, let l, let r, _) = e, [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op) else { return nil }
        var variable: Int
        var constant: Value
        switch (l, r) {
        case (.slot(.variable(let v)), .slot(.constant(let c))): (variable, constant) = (v, c)
        case (.slot(.constant(let c)), .slot(.variable(let v))):
            (variable, constant) = (v, c)
            op = [.less: .greater, .lessOrEqual: .greaterOrEqual, .greater: .less, .greaterOrEqual: .lessOrEqual][op]!
        default: return nil
        }
        switch constant {
        case .date(let d): self.constant = .date(d)
        case .integer(let n): self.constant = .integer(n)
        default: return nil
        }
        self.variable = variable
        self.op = op
    }

    @inline(__always) func truth(_ b: UInt64, _ literals: LiteralTable) -> Bool? {
        guard b & ~0xFFFF_FFFF == IDJoin.termTag else { return nil }
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        guard t.kind == Term.literalKind else { return nil }
        switch constant {
        case .date(let c):
            guard let x = literals.date(t.index) else { return nil }
            switch op {
            case .less: return x.isBefore(c)
            case .lessOrEqual: return !c.isBefore(x)
            case .greater: return c.isBefore(x)
            default: return !x.isBefore(c)
            }
        case .integer(let c):
            guard let x = literals.integer(t.index) else { return nil }
            switch op {
            case .less: return x < c
            case .lessOrEqual: return x <= c
            case .greater: return x > c
            default: return x >= c
            }
        }
    }
}

/// A filter's truth by binding: open addressing over 64-bit bindings, a power of two in
/// size and at most half full.
struct TermMemo {
    private var keys: [UInt64] = []
    private var truths: [Bool] = []
    private var count = 0

    @inline(__always) func truth(of b: UInt64) -> Bool? {
        guard !keys.isEmpty else { return nil }
        let key = b &+ 1
        var slot = TermMemo.hash(key) & (keys.count - 1)
        while keys[slot] != 0 {
            if keys[slot] == key { return truths[slot] }
            slot = (slot + 1) & (keys.count - 1)
        }
        return nil
    }

    mutating func remember(_ b: UInt64, _ truth: Bool) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = b &+ 1
        var slot = TermMemo.hash(key) & (keys.count - 1)
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
        if keys[slot] == 0 { count += 1 }
        keys[slot] = key
        truths[slot] = truth
    }

    private mutating func grow() {
        let (oldKeys, oldTruths) = (keys, truths)
        keys = Array(repeating: 0, count: max(256, keys.count * 2))
        truths = Array(repeating: false, count: keys.count)
        for (slot, k) in oldKeys.enumerated() where k != 0 {
            var to = TermMemo.hash(k) & (keys.count - 1)
            while keys[to] != 0 { to = (to + 1) & (keys.count - 1) }
            keys[to] = k
            truths[to] = oldTruths[slot]
        }
    }

    @inline(__always) private static func hash(_ k: UInt64) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }
}
