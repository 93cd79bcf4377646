/// Counts of an atom that is one plain pattern, read straight from the indexes: most atoms
/// of a count along joins are a link (`?x knows ?y`) or a leaf (`?x ?p ?y, ?p != knows`),
/// and a BatchJoin run for them makes and hands over a row per match (its variables, its
/// statement, a filter's test) only for the row to be added to a count. Here a match is an
/// entry of an index list, whose predicate and other end lie beside it: it is tested and
/// counted in place.
///
/// Invariant: the counts are those `counts` makes by running the atom's join (tests hold
/// both to the general evaluator, on a case with quoted statements): an entry counts when the join would
/// match its statement, which is when its predicate is one the step allows and its filters
/// pass, it is asserted (or quoted, for a quoted step), and its other end is the step's
/// constant or passes the filters of its variable. Anything this cannot decide (a filter
/// it cannot read on a term, an index with nothing beside it) hands the atom back to the
/// join, whole.
extension FactorizedCount {
    /// How many atoms were counted this way (for tests that it was taken; racy across
    /// threads, which only makes it count low).
    nonisolated(unsafe) static var linksCounted = 0

    /// What an atom that is one plain pattern needs to be counted from the indexes.
    struct Link {
        let subject: JoinPlan.Position
        let object: JoinPlan.Position
        let quoted: Bool
        let predicateVariable: Int?
        /// By predicate number: whether a statement of it matches (the step's predicates
        /// and the filters of its predicate variable).
        let accepts: [Bool]
        /// The step's predicates when it names them (its lists to read whole).
        let predicates: [PredicateID]?
        /// Filters of each end's variable (tested on the entry's term).
        let subjectFilters: QuickChecks
        let objectFilters: QuickChecks
        /// A qualifier the pattern names (`{according_to: ?a}`, `{quote: _}`), and the
        /// filters of its variable: a statement without it does not match. A provenance
        /// key (`source`, `para`: kept apart from the stored qualifiers) is counted by its
        /// runs alone (`runCounts`).
        let qualifier: (key: Int32, position: JoinPlan.Position)?
        let qualifierFilters: QuickChecks

        /// Statement `n`'s value of the link's qualifier (its first, as the join reads it),
        /// or 0 when it has none; 0 and unread when the link names none.
        @inline(__always) func qualifierValue(_ n: Int, _ table: StatementTable) -> UInt64 {
            guard let key = qualifier?.key else { return 0 }
            for q in table.storedQualifiers(n) where table.qualifierKeys[q] == key { return JoinPlan.termTag | UInt64(table.qualifierValues[q].raw) }
            return 0
        }

        /// How many statements the lists of the predicates the step names hold (nil when it
        /// names none: every predicate's).
        func namedEntries(_ store: FactStore) -> Int? {
            predicates.map { Set($0).reduce(0) { $0 + store.byPredicate.rawRun(Int($1)).count } }
        }

        /// Where variable `x` is in the pattern: 0 subject, 1 object, 2 predicate, 3
        /// qualifier (nil: nowhere, or only as the statement).
        func place(of x: Int) -> Int? {
            if subject.kind == .variable, subject.variable == x { return 0 }
            if object.kind == .variable, object.variable == x { return 1 }
            if let q = qualifier, q.position.kind == .variable, q.position.variable == x { return 3 }
            return predicateVariable == x ? 2 : nil
        }
    }

    /// Whether the conjunction is one link whose matches per term of `v` are counted from
    /// the runs of `v`'s index (`runCounts`): a count per term then reads a run per term,
    /// not an entry per match.
    func countsByRuns(_ v: Int, _ store: FactStore) -> Bool {
        guard atoms.count == 1, atoms[0].kind == .plain, let link = atoms[0].link(store),
              let at = link.place(of: v) else { return false }
        return FactorizedCount.countsByRuns(link, at: at, store)
    }

    /// Atom `program` as a link, or nil when it is anything else: more than one pattern,
    /// more than one qualifier, a variable twice, a
    /// quoted pattern at an end, or a filter not of one variable of it that
    /// `QuickComparison` reads. A statement variable is free (counted, never read).
    static func link(_ program: JoinPlan.Program, _ store: FactStore) -> Link? {
        guard case .pattern(let step)? = program.steps.first, !step.impossible, step.qualifiers.count <= 1,
              step.subjectPattern == nil, step.objectPattern == nil else { return nil }
        let qualifier = step.qualifiers.first
        var named = [step.subject, step.object].compactMap { $0.kind == .variable ? $0.variable : nil }
        if let q = qualifier, q.position.kind == .variable { named.append(q.position.variable) }
        if let p = step.predicateVariable { named.append(p) }
        if let v = step.statementVariable { named.append(v) }
        if Set(named).count != named.count { return nil }
        var predicateFilters: [QuickComparison] = []
        var subjectFilters: [QuickComparison] = []
        var objectFilters: [QuickComparison] = []
        var qualifierFilters: [QuickComparison] = []
        for s in program.steps.dropFirst() {
            guard case .filter(_, _, _, let quick?) = s else { return nil }
            if let q = qualifier, q.position.kind == .variable, quick.variable == q.position.variable {
                qualifierFilters.append(quick)
            } else if quick.variable == step.predicateVariable {
                predicateFilters.append(quick)
            } else if step.subject.kind == .variable, quick.variable == step.subject.variable {
                subjectFilters.append(quick)
            } else if step.object.kind == .variable, quick.variable == step.object.variable {
                objectFilters.append(quick)
            } else {
                return nil
            }
        }
        var accepts = [Bool](repeating: false, count: store.predicates.count)
        for p in accepts.indices {
            if let allowed = step.allowed, !(p < allowed.count && allowed[p]) { continue }
            if let named = step.predicates, !named.contains(PredicateID(p)) { continue }
            let b = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: Int32(p)))
            var passes = true
            for f in predicateFilters {
                guard let truth = f.truth(b, store.literals, store.entities) else { return nil }
                if !truth { passes = false }
            }
            accepts[p] = passes
        }
        return Link(subject: step.subject, object: step.object, quoted: step.quoted, predicateVariable: step.predicateVariable, accepts: accepts,
                    predicates: step.predicates, subjectFilters: QuickChecks(subjectFilters), objectFilters: QuickChecks(objectFilters),
                    qualifier: qualifier, qualifierFilters: QuickChecks(qualifierFilters))
    }

    /// Atom `i`'s matches counted by their term at `v` and weighted by `weights` at `child`,
    /// as `counts` makes them, from the indexes; nil when the atom is not a link (or
    /// something in it cannot be decided here), for the join to count.
    func linkCounts(_ i: Int, by v: Int, child: Int?, _ weights: TermCounts?, within: (variable: Int, terms: TermCounts)?,
                    known: TermCounts?, _ exec: Execution) throws -> TermCounts? {
        guard atoms[i].kind == .plain else { return nil }
        let store = exec.store
        guard let link = atoms[i].link(store) else { return nil }
        guard let mineAt = link.place(of: v) else { return nil }
        // Without a child, the count is of matches (the other positions free or constant).
        var theirsAt = -1
        if let child {
            guard let at = link.place(of: child) else { return nil }
            theirsAt = at
        }
        if within == nil, child == nil, weights == nil, known == nil, let counted = try runCounts(link, at: mineAt, store, exec) {
            FactorizedCount.linksCounted &+= 1
            return counted
        }
        if let q = link.qualifier, FactStore.isProvenanceKey(q.key) { return nil }
        var counter = LinkCounter(link: link, entries: EntryTest(link), mineAt: mineAt, theirsAt: theirsAt, known: known, weights: weights,
                                  table: store.table, factor: TermCounts(entityCount: entityCount))
        // Passed to the counter's calls as locals: held in its fields and passed on from
        // there to a filter, both tables were copied at every entry.
        let (literals, entities) = (store.literals, store.entities)
        if let within {
            // Each known term's list: the subject index for a term at the subject, else the
            // object index; the other end lies beside each entry.
            let atSubject: Bool
            if link.subject.kind == .variable, link.subject.variable == within.variable { atSubject = true }
            else if link.object.kind == .variable, link.object.variable == within.variable { atSubject = false }
            else { return nil }
            let lookup = atSubject ? store.bySubject.rawLookup : store.byObject.rawLookup
            // The terms as an array, read by a plain loop: a closure over the counter
            // would box it, and check each access to it at run time.
            var terms: [UInt64] = []
            terms.reserveCapacity(within.terms.count)
            within.terms.forEach { b, _ in terms.append(b) }
            for (k, b) in terms.enumerated() {
                if k & 1023 == 1023 { try exec.checkLimits() }
                guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { continue }
                guard counter.takeEnd(lookup.run(Term(raw: UInt32(truncatingIfNeeded: b))), b, atSubject: atSubject, literals, entities), !counter.undecided else { return nil }
            }
        } else if link.subject.kind == .constant || link.object.kind == .constant {
            // A constant end's own list, the other end beside each entry (`?y knows E5`).
            let atSubject = link.subject.kind == .constant
            let b = atSubject ? link.subject.value : link.object.value
            guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
            let run = (atSubject ? store.bySubject.rawLookup : store.byObject.rawLookup).run(Term(raw: UInt32(truncatingIfNeeded: b)))
            try exec.tick(by: run.count)
            guard counter.takeEnd(run, b, atSubject: atSubject, literals, entities) else { return nil }
        } else if let key = link.qualifier?.key, store.byKey.rawRun(Int(key)).count < link.namedEntries(store) ?? Int.max {
            // Read whole by the qualifier's key: its list has both ends, the predicate and
            // the key's value beside each statement, each statement once (the list is
            // shorter than the predicates'). On one core, as below.
            let run = store.byKey.rawRun(Int(key))
            guard counter.isPlain || run.count < atoms[i].parallelThreshold, try counter.takeAll(run, valuesBeside: true, literals, entities, exec) else { return nil }
        } else {
            // Read whole: each named predicate's list, both ends beside it, in the
            // predicates' order (the terms' order is the groups' when nothing orders them,
            // and must be the same at every run: a Set's order is not). On one core: a
            // list long enough to be split over the cores is left to the join, unless its
            // entries are counted in the plain loop (`isPlain`), which beats the join on
            // every core.
            guard let named = link.predicates, counter.isPlain || link.namedEntries(store)! < atoms[i].parallelThreshold else { return nil }
            for p in Set(named).sorted() {
                guard try counter.takeAll(store.byPredicate.rawRun(Int(p)), valuesBeside: false, literals, entities, exec) else { return nil }
            }
        }
        if counter.undecided { return nil }
        if counter.overflow { throw Overflow() }
        FactorizedCount.linksCounted &+= 1
        return counter.factor
    }

    /// A link's matches per term at `at` (0 subject, 1 object, 2 predicate, 3 qualifier
    /// value) when nothing else in the pattern is bound or filtered: the runs of that
    /// position's index are the groups, each counted by its length (or, with quoted
    /// statements in the store, by its statements' asserted bits), no entry tested or
    /// looked up by its term. Nil when the link constrains more than its own position (a
    /// constant, another position's filter, some predicates only when the runs are not
    /// the predicates'), or a statement may hold the key twice (its first value is the
    /// one the join reads, where the key's index lists it under each).
    func runCounts(_ link: Link, at: Int, _ store: FactStore, _ exec: Execution) throws -> TermCounts? {
        guard FactorizedCount.countsByRuns(link, at: at, store) else { return nil }
        let own = at == 0 ? link.subjectFilters : at == 1 ? link.objectFilters : at == 3 ? link.qualifierFilters : QuickChecks([])
        // With no quoted statement in the store, every statement of a run is asserted.
        let all = !link.quoted && store.assertedCount == store.statementCount
        let spare = spareEntityCounts
        spareEntityCounts = ([], [])
        var runs = RunCounting(own: own, quoted: link.quoted, lengthIsCount: all, literals: store.literals, entities: store.entities,
                               asserted: store.table.asserted, counts: TermCounts(entityCount: entityCount, zeroed: spare))
        func terms(_ index: TermPostings) throws -> Bool {
            let lookup = index.rawLookup
            let literalCount = lookup.literalCount
            return try runs.take(lookup.entities, entityKeys: true, exec) { k in JoinPlan.termTag | UInt64(Term(entity: EntityID(k)).raw) }
                && runs.take(lookup.others, entityKeys: false, exec) { k in
                    JoinPlan.termTag | UInt64((k < literalCount ? Term(literal: k) : Term(proposition: StatementID(k - literalCount))).raw)
                }
        }
        switch at {
        case 0: guard try terms(store.bySubject) else { return nil }
        case 1: guard try terms(store.byObject) else { return nil }
        case 2:
            let accepts = link.accepts
            guard try runs.take(store.byPredicate.rawLookup, entityKeys: false, exec, accepts: { $0 < accepts.count && accepts[$0] }, {
                JoinPlan.predicateTag | UInt64(UInt32($0))
            }) else { return nil }
        default:
            let key = link.qualifier!.key
            guard Int(key) < store.byQualifier.count else { return runs.counts }
            guard FactStore.isProvenanceKey(key) else {
                guard try terms(store.byQualifier[Int(key)]) else { return nil }
                break
            }
            // A provenance key: counted from its runs of statements when no statement
            // stores a value of it (they are all asserted), else spelled out term by term
            // (a few runs, a term per document or paragraph).
            var found: [(UInt64, ColumnSlice<StatementID>?, Int)] = []  // nil: every statement matches
            let counted = store.forEachProvenanceTerm(key, keeping: nil) { t, n, _ in found.append((JoinPlan.termTag | UInt64(t.raw), nil, n)) }
            if !counted { store.forEachQualifierRun(key) { t, run in found.append((JoinPlan.termTag | UInt64(t.raw), run, run.count)) } }
            for (k, (b, run, n)) in found.enumerated() {
                if k & 1023 == 1023 { try exec.checkLimits() }
                guard let m = runs.matches(b, run, n) else { return nil }
                if m > 0, !runs.counts.add(b, m) { throw Overflow() }
            }
        }
        return runs.counts
    }

    /// Whether `runCounts` counts `link` by its runs at `at` (see there).
    static func countsByRuns(_ link: Link, at: Int, _ store: FactStore) -> Bool {
        guard link.subject.kind != .constant, link.object.kind != .constant else { return false }
        let everyPredicate = link.accepts.allSatisfy { $0 }
        let qualifierFree = link.qualifier == nil
        switch at {
        case 0: return link.subject.kind == .variable && link.objectFilters.isEmpty && everyPredicate && qualifierFree
        case 1: return link.object.kind == .variable && link.subjectFilters.isEmpty && everyPredicate && qualifierFree
        case 2: return link.predicateVariable != nil && link.subjectFilters.isEmpty && link.objectFilters.isEmpty && qualifierFree
        default:
            guard let q = link.qualifier else { return false }
            return q.position.kind == .variable && link.subjectFilters.isEmpty && link.objectFilters.isEmpty && everyPredicate
                && !store.table.hasRepeatedQualifierKeys && !(link.quoted && FactStore.isProvenanceKey(q.key))
        }
    }

    /// The variable to count a lone link's matches by when nothing is counted per term
    /// (`find count(*) where _ _ _ {date: ?d}, ?d >= 2020-01-01`): one whose runs
    /// `runCounts` counts, a filter of it then read once a term (the qualifier's value
    /// first: its runs are the fewest, then the predicate's, the object's, the subject's),
    /// and whose values are mostly entities (each counted in place; any other is counted
    /// in a table, which costs more than the join's count of its statements when there
    /// are many). Nil when there is none.
    static func runRoot(_ link: Link, _ store: FactStore) -> Int? {
        let key = link.qualifier.map { Int($0.key) } ?? -1
        let places: [(at: Int, variable: Int?, others: Int)] = [
            (3, link.qualifier.flatMap { $0.position.kind == .variable ? $0.position.variable : nil },
             // A paragraph is a number: kept apart from the stored values, as a source is.
             Int32(key) == StatementTable.paraKey ? Int.max : key >= 0 && key < store.byQualifier.count ? store.byQualifier[key].otherValueCount : 0),
            (2, link.predicateVariable, 0),
            (1, link.object.kind == .variable ? link.object.variable : nil, store.byObject.otherValueCount),
            (0, link.subject.kind == .variable ? link.subject.variable : nil, store.bySubject.otherValueCount),
        ]
        let few = store.statementCount / 16 + 64
        return places.first { $0.variable != nil && $0.others <= few && countsByRuns(link, at: $0.at, store) }?.variable ?? nil
    }

    /// The state of `runCounts`: how a run's matches are counted, and the counts so far.
    struct RunCounting {
        let own: QuickChecks
        let quoted: Bool
        /// Every statement is asserted (and the link is not quoted): a run's length is its
        /// count.
        let lengthIsCount: Bool
        let literals: LiteralTable
        let entities: EntityTable
        let asserted: BitColumn
        var counts: TermCounts

        /// Whether binding `b` passes the position's filters; nil when one cannot decide.
        @inline(__always) func passes(_ b: UInt64) -> Bool? { own.isEmpty ? true : own.truth(b, literals, entities) }

        /// The matches among a run's statements `run` of `n` (0 when binding `b` fails the
        /// position's filters); nil when a filter cannot decide `b`.
        @inline(__always) func matches(_ b: UInt64, _ run: (some Sequence<StatementID>)?, _ n: Int) -> Int? {
            guard let passes = passes(b) else { return nil }
            guard passes else { return 0 }
            guard let run, !lengthIsCount else { return n }
            var m = 0
            for sid in run where asserted[Int(sid)] != quoted { m += 1 }
            return m
        }

        /// Every run of `runs` whose key `accepts` takes, counted under binding
        /// `binding(key)`: an entity's (`entityKeys`) straight into the counts' buffer, in
        /// a loop with no closure over its state (a captured variable was checked for
        /// exclusive access at every run). False when a filter cannot decide a term.
        mutating func take(_ runs: PostingIndex.RawLookup, entityKeys: Bool, _ exec: Execution, accepts: ((Int) -> Bool)? = nil,
                           _ binding: (Int) -> UInt64) throws -> Bool {
            let count = runs.runCount
            guard count > 0 else { return true }
            let this = self
            func counted(_ j: Int, _ read: inout Int) throws -> (b: UInt64, n: Int)?? {
                let range = runs.range(ofRun: j)
                guard !range.isEmpty else { return .some(nil) }
                let key = runs.key(ofRun: j)
                if let accepts, !accepts(key) { return .some(nil) }
                read += this.lengthIsCount ? 1 : range.count
                if read > 1 << 16 {
                    read = 0
                    try exec.checkLimits()
                }
                let b = binding(key)
                guard let n = this.matches(b, UnsafeBufferPointer(start: runs.ids + range.lowerBound, count: range.count), range.count) else { return nil }
                return .some(n > 0 ? (b, n) : nil)
            }
            var rest: [(UInt64, Int)] = []
            if entityKeys, lengthIsCount, own.isEmpty, accepts == nil {
                // The common count of a position by entity: each run's length, its key the
                // entity's number.
                try counts.withEntityCounts { byEntity, list in
                    list.reserveCapacity(count)
                    var j = 0
                    while j < count {
                        let end = min(count, j + 1 << 16)
                        try exec.checkLimits()
                        for k in j..<end {
                            let n = runs.range(ofRun: k).count
                            guard n > 0 else { continue }
                            let e = runs.key(ofRun: k)
                            guard e < byEntity.count else {
                                rest.append((binding(e), n))
                                continue
                            }
                            if byEntity[e] == 0 { list.append(Int32(e)) }
                            byEntity[e] += n
                        }
                        j = end
                    }
                }
            } else if entityKeys {
                let decided = try counts.withEntityCounts { byEntity, list in
                    var read = 0
                    for j in 0..<count {
                        guard let found = try counted(j, &read) else { return false }
                        guard let (b, n) = found else { continue }
                        let e = Int(UInt32(truncatingIfNeeded: b) & Term.indexMask)
                        guard e < byEntity.count else {
                            rest.append((b, n))
                            continue
                        }
                        if byEntity[e] == 0 { list.append(Int32(e)) }
                        byEntity[e] += n
                    }
                    return true
                }
                guard decided else { return false }
            } else {
                var read = 0
                for j in 0..<count {
                    guard let found = try counted(j, &read) else { return false }
                    if let (b, n) = found { rest.append((b, n)) }
                }
            }
            for (b, n) in rest where !counts.add(b, n) { throw Overflow() }
            return true
        }
    }

    /// The tests an index entry passes before any filter of the link's variables: its
    /// statement quoted or asserted as the link's pattern is, holding the link's qualifier
    /// (the link's constant, when it names one), of a predicate the link accepts, its ends
    /// the link's constant ends. The link's constants are read once, not at every entry.
    struct EntryTest {
        let quoted: Bool
        let hasQualifier: Bool
        let qualifier: UInt64?
        let subject: UInt64?
        let object: UInt64?

        init(_ link: Link) {
            quoted = link.quoted
            hasQualifier = link.qualifier != nil
            qualifier = link.qualifier.flatMap { $0.position.kind == .constant ? $0.position.value : nil }
            subject = link.subject.kind == .constant ? link.subject.value : nil
            object = link.object.kind == .constant ? link.object.value : nil
        }

        /// The entry's qualifier value (0 when the link names none) if it passes, else
        /// nil. `qualifier` gives the entry's value of the link's qualifier (0: none); it
        /// is read only for an entry of the right kind (from the statement's stored
        /// qualifiers, it is the costliest test).
        @inline(__always) func admits(_ tag: Int16, _ s: UInt64, _ o: UInt64, _ accepts: some RandomAccessCollection<Bool>,
                                      qualifier value: () -> UInt64) -> UInt64? {
            guard (tag < 0) == quoted else { return nil }
            var q: UInt64 = 0
            if hasQualifier {
                q = value()
                guard q != 0 else { return nil }
                if let c = qualifier, c != q { return nil }
            }
            let p = tag < 0 ? -Int(tag) - 1 : Int(tag)
            guard p < accepts.count, accepts[accepts.index(accepts.startIndex, offsetBy: p)] else { return nil }
            if let c = subject, c != s { return nil }
            if let c = object, c != o { return nil }
            return q
        }
    }

    /// A link's entries counted: see `linkCounts`.
    struct LinkCounter {
        let link: Link
        /// The link's tests before its filters, its constants read once.
        let entries: EntryTest
        /// Where the counted variable and the child are: 0 subject, 1 object, 2 predicate
        /// (-1: no child).
        let mineAt: Int
        let theirsAt: Int
        let known: TermCounts?
        let weights: TermCounts?
        let table: StatementTable
        var factor: TermCounts
        var overflow = false
        /// A filter could not decide an entry: the join must count the atom.
        var undecided = false

        /// Statement `n`'s value of the link's qualifier (see `Link.qualifierValue`).
        @inline(__always) func qualifierValue(_ n: Int) -> UInt64 { link.qualifierValue(n, table) }

        /// The entries of term `b`'s list in the subject (or object) index, the other end
        /// beside each; false when nothing lies beside them (the join must count).
        mutating func takeEnd(_ run: TermPostings.RawRun, _ b: UInt64, atSubject: Bool, _ literals: LiteralTable, _ entities: EntityTable) -> Bool {
            guard run.count > 0 else { return true }
            guard let predicates = run.predicates, let ends = run.otherEnds else { return false }
            for j in 0..<run.count {
                let end = JoinPlan.termTag | UInt64(ends[j].raw)
                let q = qualifierValue(Int(run.ids[j]))
                if atSubject { take(b, end, predicates[j], q, literals, entities) } else { take(end, b, predicates[j], q, literals, entities) }
            }
            return true
        }

        /// Every entry of a predicate's or key's list, both ends and the predicate beside
        /// each (and, in a key's list, the key's value); false when they are not, or a
        /// filter could not decide an entry.
        mutating func takeAll(_ run: TermPostings.RawRun, valuesBeside: Bool, _ literals: LiteralTable, _ entities: EntityTable, _ exec: Execution) throws -> Bool {
            guard run.count > 0 else { return true }
            guard let subjects = run.subjects, let objects = run.objects, let tags = run.predicates,
                  !valuesBeside || run.otherEnds != nil else { return false }
            var j = 0
            while j < run.count, !undecided {
                let end = min(run.count, j + 4096)
                try exec.tick(by: end - j)
                if isPlain {
                    takePlain(run, j..<end, valuesBeside: valuesBeside)
                    j = end
                }
                while j < end {
                    let q = valuesBeside ? JoinPlan.termTag | UInt64(run.otherEnds![j].raw) : qualifierValue(Int(run.ids[j]))
                    take(JoinPlan.termTag | UInt64(subjects[j].raw), JoinPlan.termTag | UInt64(objects[j].raw), tags[j], q, literals, entities)
                    j += 1
                }
            }
            return !undecided
        }

        /// Whether every entry is counted by 1 at its subject, object or qualifier value,
        /// with no filter to read: `takePlain` then counts a list in a loop of its own.
        var isPlain: Bool {
            weights == nil && known == nil && mineAt != 2 && link.subjectFilters.isEmpty && link.objectFilters.isEmpty && link.qualifierFilters.isEmpty
        }

        /// Entries `range` of a list with both ends and the predicates beside each, counted
        /// as `take` counts them when `isPlain`: entities straight into the counts' buffer,
        /// any other term after (a call per entry through the counts cost most of a count
        /// of a long list).
        mutating func takePlain(_ run: TermPostings.RawRun, _ range: Range<Int>, valuesBeside: Bool) {
            guard let subjects = run.subjects, let objects = run.objects, let tags = run.predicates else { return }
            let (entries, link, mineAt, entityCount) = (entries, link, mineAt, factor.entityCount)
            var others: [UInt64] = []
            // Counted in a copy moved out of the counter (read inside, the counter's own
            // fields would overlap the write to its counts).
            var counted = factor
            factor = TermCounts(entityCount: entityCount)
            let this = self
            counted.withEntityCounts { counts, list in
                link.accepts.withUnsafeBufferPointer { accepts in
                    for j in range {
                        let (s, o) = (JoinPlan.termTag | UInt64(subjects[j].raw), JoinPlan.termTag | UInt64(objects[j].raw))
                        guard let q = entries.admits(tags[j], s, o, accepts, qualifier: {
                            valuesBeside ? JoinPlan.termTag | UInt64(run.otherEnds![j].raw) : this.qualifierValue(Int(run.ids[j]))
                        }) else { continue }
                        let mine = mineAt == 0 ? s : mineAt == 1 ? o : q
                        let t = Term(raw: UInt32(truncatingIfNeeded: mine))
                        guard t.kind == Term.entityKind, t.index < entityCount else {
                            others.append(mine)
                            continue
                        }
                        if counts[t.index] == 0 { list.append(Int32(t.index)) }
                        counts[t.index] &+= 1
                    }
                }
            }
            factor = counted
            for b in others where !factor.add(b, 1) { overflow = true }
        }

        /// One index entry: its statement's subject and object (as bindings), predicate
        /// tag (negative: quoted), and value of the link's qualifier (0: none).
        @inline(__always) mutating func take(_ s: UInt64, _ o: UInt64, _ tag: Int16, _ q: UInt64, _ literals: LiteralTable, _ entities: EntityTable) {
            guard entries.admits(tag, s, o, link.accepts, qualifier: { q }) != nil else { return }
            if entries.hasQualifier, !link.qualifierFilters.isEmpty {
                guard let t = link.qualifierFilters.truth(q, literals, entities) else { undecided = true; return }
                if !t { return }
            }
            let p = tag < 0 ? -Int(tag) - 1 : Int(tag)
            if !link.subjectFilters.isEmpty || !link.objectFilters.isEmpty {
                guard let ts = link.subjectFilters.truth(s, literals, entities), let to = link.objectFilters.truth(o, literals, entities) else {
                    undecided = true
                    return
                }
                if !ts || !to { return }
            }
            let pv = JoinPlan.predicateTag | UInt64(UInt32(p))
            let mine = mineAt == 0 ? s : mineAt == 1 ? o : mineAt == 3 ? q : pv
            let theirs = theirsAt == 0 ? s : theirsAt == 1 ? o : theirsAt == 3 ? q : pv
            if let known, known.get(mine) == 0 { return }
            var n = 1
            if let weights {
                n = weights.get(theirs)
                if n == 0 { return }
            }
            if !factor.add(mine, n) { overflow = true }
        }
    }
}
