/// Matching one statement against a pattern step over term ids, and the statements a step
/// reads: the scratch row `bindings` holds the current row's values of the step's
/// variables; `unify` binds a free one and records it on `trail` to be undone.
extension BatchJoin {
    /// The bound value of a position as a stored term, or nil when it is free; a bound
    /// value that is not a stored term gives an empty list.
    @inline(__always) func bound(_ pos: JoinPlan.Position) -> UInt64? {
        switch pos.kind {
        case .constant: return pos.value
        case .variable: return bindings[pos.variable] == 0 ? nil : bindings[pos.variable]
        case .wildcard: return nil
        }
    }

    /// The statements a pattern step reads: a list from an index (with the predicates and
    /// other ends beside it, for subject and object lists), or every statement.
    ///
    /// Addresses, not slices: a row's lookup and every copy of a slice cost a retain and a
    /// release, more than the lookup. Invariant: the addresses are the store's indexes
    /// (which the join's `store` keeps alive and no one changes during a query) or the
    /// step's own list (`PatternOp.kept`), valid until the step's next `candidates`.
    struct Candidates {
        var ids = TermPostings.RawRun.nowhere
        var count = 0
        var predicates: UnsafePointer<Int16>? = nil
        var otherEnds: UnsafePointer<Term>? = nil
        /// A predicate's or a key's list: both ends beside each id.
        var subjects: UnsafePointer<Term>? = nil
        var objects: UnsafePointer<Term>? = nil
        /// A qualifier key's list: the key, whose value `otherEnds` holds beside each id.
        var valuesKey: Int32? = nil
        var known = Known.none
        var everything = false
        /// Every statement's part a worker reads (see `part`); nil: all of them.
        var statements: Range<Int>? = nil

        init(everything: Bool = false) { self.everything = everything }

        /// The statement that candidate `j` of an `everything` list is.
        @inline(__always) func statement(_ j: Int) -> Int { j + (statements?.lowerBound ?? 0) }

        /// A list that lives at least as long as the candidates (see the invariant).
        init(_ list: ColumnSlice<StatementID>) {
            ids = list.isEmpty ? TermPostings.RawRun.nowhere : list.unsafeAddress
            count = list.count
        }

        init(_ run: TermPostings.RawRun, known: Known) {
            ids = run.ids
            count = run.count
            predicates = run.predicates
            otherEnds = run.otherEnds
            subjects = run.subjects
            objects = run.objects
            self.known = known
        }

        /// Whether each statement's predicate and other end lie beside it.
        var hasBeside: Bool { predicates != nil }

        /// How many statements the step will read.
        /// (Given the count, not the store: a FactStore passed from the join's field is
        /// copied, a retain and a release of each of its columns at every row.)
        func size(_ statementCount: Int) -> Int { everything ? statements?.count ?? statementCount : count }
    }

    /// A position every statement of a candidate list already has (the one its index is by).
    enum Known { case none, subject, object }

    /// The smallest list the bound positions of `op`'s step select (as
    /// `Execution.candidateStatements`).
    func candidates(_ op: PatternOp) -> Candidates {
        let p = op.step
        var best = Candidates(everything: true)
        func consider(_ ids: ColumnSlice<StatementID>) {
            if best.everything || ids.count < best.count { best = Candidates(ids) }
        }
        /// A list made for this call, kept by the step (see the invariant).
        func considerMade(_ ids: ColumnSlice<StatementID>) {
            guard best.everything || ids.count < best.count else { return }
            op.kept = ids
            best = Candidates(ids)
        }
        func consider(_ b: UInt64, _ known: Known) {
            guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return consider(.empty) }
            let term = Term(raw: UInt32(truncatingIfNeeded: b))
            let run = known == .subject ? subjectLookup.run(term) : objectLookup.run(term)
            guard best.everything || run.count < best.count else { return }
            best = Candidates(run, known: known)
        }
        if let b = bound(p.subject) { consider(b, .subject) }
        if let b = bound(p.object) { consider(b, .object) }
        for q in p.qualifiers {
            if let b = bound(q.position) {
                guard b & ~0xFFFF_FFFF == JoinPlan.termTag else {
                    consider(.empty)
                    continue
                }
                let term = Term(raw: UInt32(truncatingIfNeeded: b))
                if !FactStore.isProvenanceKey(q.key) {
                    consider(Int(q.key) < store.byQualifier.count ? store.byQualifier[Int(q.key)][term] : .empty)
                } else if best.everything || store.statementCount(withQualifier: q.key, term: term) < best.count {
                    // Spelled out only when it is the shortest list so far.
                    considerMade(store.statements(withQualifier: q.key, term: term))
                }
            } else if !FactStore.isProvenanceKey(q.key) {
                let run = keyLookup.run(Int(q.key))
                if best.everything || run.count < best.count {
                    best = Candidates(run, known: .none)
                    if run.otherEnds != nil { best.valuesKey = q.key }
                }
            }
        }
        if let ps = p.predicates {
            if ps.count == 1 {
                let run = predicateLookup.run(Int(ps[0]))
                if best.everything || run.count < best.count { best = Candidates(run, known: .none) }
            } else if best.everything || best.count > 64 {
                if op.predicateUnion == nil {
                    var all: [StatementID] = []
                    for x in ps { all += store.statements(withPredicate: x) }
                    op.predicateUnion = Column(all)
                }
                consider(op.predicateUnion![...])
            }
        }
        return best
    }

    @inline(__always) func unify(_ pos: JoinPlan.Position, _ value: UInt64) -> Bool {
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

    @inline(__always) func undo(to mark: Int) {
        while trail.count > mark { bindings[trail.removeLast()] = 0 }
    }

    /// As `FactStore.qualifierTerm`, reading the columns directly.
    @inline(__always) func qualifierTerm(_ i: Int, _ key: Int32) -> Term? {
        if isAsserted(i), key == StatementTable.sourceKey || key == StatementTable.paraKey {
            if !provenanceRange.contains(i) { findProvenance(i) }
            if let t = key == StatementTable.sourceKey ? provenanceDocumentTerm() : provenanceParagraphTerm() { return t }
        }
        for q in Int(qualifierStartAt[i])..<Int(qualifierStartAt[i + 1]) where qualifierKeyAt[q] == key { return qualifierValueAt[q] }
        return nil
    }

    /// The provenance run of statement `i`: the next run when `i` is just past this one
    /// (a scan in statement order, where a run may be a statement long), else searched.
    @inline(never) func findProvenance(_ i: Int) {
        let (starts, runs) = (runStarts, runCount)
        let next = provenanceRun + 1
        if i == provenanceRange.upperBound, next < runs, Int(starts[next]) == i {
            provenanceRun = next
        } else if i >= provenanceRange.upperBound {
            // Scans read statements in increasing order, often a few runs apart (statements
            // of many sources): the run is found forward from this one, by steps that
            // double, then halving (a search of all the runs missed the cache at each step).
            // Invariant: the run `low` starts at or before i.
            var low = provenanceRun
            var step = 1
            var high = low + 1
            while high < runs, Int(starts[high]) <= i {
                low = high
                step *= 2
                high = low + step
            }
            provenanceRun = StatementTable.run(i, startingAt: starts, from: low, below: min(high, runs))
        } else {
            provenanceRun = StatementTable.run(i, startingAt: starts, from: 0, below: runs)
        }
        provenanceRange = StatementTable.runRange(provenanceRun, startingAt: starts, runs: runs, count: statementCount)
        provenanceDocument = nil
        provenanceParagraph = nil
    }

    @inline(__always) func provenanceDocumentTerm() -> Term? {
        if let known = provenanceDocument { return known }
        let d = runDocuments[provenanceRun]
        let t: Term? = d >= 0 ? Term(entity: d) : nil
        provenanceDocument = .some(t)
        return t
    }

    @inline(__always) func provenanceParagraphTerm() -> Term? {
        if let known = provenanceParagraph { return known }
        let p = runParagraphs[provenanceRun]
        let t = p != StatementTable.noParagraph ? store.term(for: .integer(Int(p))) : nil
        provenanceParagraph = .some(t)
        return t
    }

    /// Whether `t` is a proposition whose quoted statement matches `inner` (binding its
    /// variables), as `Execution.unify` of a quoted pattern.
    @inline(never) func matchProposition(_ inner: JoinPlan.PatternStep, _ t: Term) -> Bool {
        guard t.kind == Term.propositionKind else { return false }
        return match(inner, t.index)
    }

    /// Whether statement `i` matches the step (as `Execution.match`, over terms).
    @inline(__always) func match(_ p: JoinPlan.PatternStep, _ i: Int) -> Bool {
        guard asserted[i] != p.quoted else { return false }
        let predicate = predicates[i]
        if let allowed = p.allowed {
            guard Int(predicate) < allowed.count, allowed[Int(predicate)] else { return false }
        }
        return matchRest(p, i, predicate, .none)
    }

    /// The rest of a match once the predicate is allowed: the predicate variable, the
    /// positions (but the one known to match), qualifiers and the statement variable.
    func matchRest(_ p: JoinPlan.PatternStep, _ i: Int, _ predicate: PredicateID, _ known: Known, _ otherEnd: Term? = nil) -> Bool {
        // Qualifiers first: most statements have none, and a missing one fails at once.
        if p.hasQualifiers { for q in p.qualifiers {
            guard let t = qualifierTerm(i, q.key), unify(q.position, JoinPlan.termTag | UInt64(t.raw)) else { return false }
        } }
        if let v = p.predicateVariable {
            guard unify(JoinPlan.Position(kind: .variable, value: 0, variable: v), JoinPlan.predicateTag | UInt64(UInt32(bitPattern: predicate))) else { return false }
        }
        // The other end of a subject or object list is read beside it, not from the row.
        if known != .subject {
            let subject = known == .object ? otherEnd! : subjects[i]
            if !unify(p.subject, JoinPlan.termTag | UInt64(subject.raw)) { return false }
            if let inner = p.subjectPattern, !matchProposition(inner, subject) { return false }
        }
        if known != .object {
            let object = known == .subject ? otherEnd! : objects[i]
            if !unify(p.object, JoinPlan.termTag | UInt64(object.raw)) { return false }
            if let inner = p.objectPattern, !matchProposition(inner, object) { return false }
        }
        if let s = p.statementVariable {
            guard unify(JoinPlan.Position(kind: .variable, value: 0, variable: s), JoinPlan.statementTag | UInt64(UInt32(i))) else { return false }
        }
        return true
    }
}
