import CKBQPrefetch

/// `count(distinct ?v)` per term of `?g` when the whole conjunction is one link binding
/// both (`find ?x, count(distinct ?p) where ?x ?p ?y group by ?x`, `find ?doc,
/// count(distinct ?x) where ?x _ _ {source: ?doc}`): the runs of `g`'s index are its
/// groups, and a run's distinct terms of `v` are counted as the run is read, each entity
/// or predicate marked with the run's number (a stamp), any other term sorted within its
/// run. The join's way made a row per match and hashed each (group, term) pair.
///
/// Invariant: an entry counts when the join would match its statement, as `EntryTest` and
/// the link's filters decide it (`LinkCounter.take`); a group's filters are read once a
/// run. Anything this cannot decide (a filter undecided on a term, an index with nothing
/// beside it) hands the count back to the join, whole.
extension FactorizedCount {
    /// How many statements ahead a run's scattered rows are brought in.
    static let fetchAhead = 12

    /// The distinct terms of `v` per term of `g`, read from `g`'s index run by run; nil
    /// when the conjunction is not one link of both, or reading `g`'s index whole would
    /// read far more than the link matches (a named predicate's list is then shorter).
    func runDistinctCounts(of v: Int, by g: Int, _ exec: Execution) throws -> TermCounts? {
        let store = exec.store
        guard atoms.count == 1, atoms[0].kind == .plain, let link = atoms[0].link(store),
              let groupAt = link.place(of: g), let valueAt = link.place(of: v), groupAt != valueAt,
              link.subject.kind != .constant, link.object.kind != .constant,
              store.predicates.count < Int(Int16.max) else { return nil }
        if let q = link.qualifier, FactStore.isProvenanceKey(q.key), groupAt != 3 || link.quoted { return nil }
        if groupAt == 3, store.table.hasRepeatedQualifierKeys { return nil }
        // A subject's or object's runs hold every predicate's statements.
        if groupAt < 2, let entries = link.namedEntries(store), entries * 2 < store.statementCount { return nil }
        var reader = DistinctRunReader(link: link, groupAt: groupAt, valueAt: valueAt, store: store, entityCount: entityCount)
        defer { reader.free() }
        let decided: Bool
        switch groupAt {
        case 0, 1: decided = try reader.readEnds(groupAt == 0 ? store.bySubject.rawLookup : store.byObject.rawLookup, exec)
        case 2: decided = try reader.readPredicates(store.byPredicate.rawLookup, exec)
        default: decided = try reader.readQualifier(link.qualifier!.key, exec)
        }
        guard decided else { return nil }
        distinctsByRuns += 1
        return reader.counts
    }
}

/// The state of `runDistinctCounts`: the stamps, and the counts so far. Its buffers are
/// its own (`free` releases them), read and written through pointers: an array's write
/// in the loop was checked for sharing at every entry.
struct DistinctRunReader {
    let link: FactorizedCount.Link
    let entries: FactorizedCount.EntryTest
    /// Where the group and the counted variable are: 0 subject, 1 object, 2 predicate, 3
    /// qualifier value.
    let groupAt: Int
    let valueAt: Int
    /// The filters of the group's variable (read once a run) and of the rest (read at every
    /// entry, unless there are none: `filtered`); a predicate's are in `accepts`.
    let groupFilters: QuickChecks
    let subjectFilters: QuickChecks
    let objectFilters: QuickChecks
    let qualifierFilters: QuickChecks
    let filtered: Bool
    let table: StatementTable
    let literals: LiteralTable
    let entities: EntityTable
    let entityCount: Int
    var counts: TermCounts
    /// `link.accepts`, by predicate number.
    let accepts: UnsafeMutableBufferPointer<Bool>
    /// By entity and by predicate: the number of the last run that counted it.
    let entityStamps: UnsafeMutableBufferPointer<Int32>
    let predicateStamps: UnsafeMutableBufferPointer<Int32>
    var stamp: Int32 = 0
    /// The current run's terms that are neither (sorted and counted at its end).
    var others: [UInt64] = []

    init(link: FactorizedCount.Link, groupAt: Int, valueAt: Int, store: FactStore, entityCount: Int) {
        (self.link, self.groupAt, self.valueAt, self.entityCount) = (link, groupAt, valueAt, entityCount)
        entries = FactorizedCount.EntryTest(link)
        let none = QuickChecks([])
        groupFilters = groupAt == 0 ? link.subjectFilters : groupAt == 1 ? link.objectFilters : groupAt == 3 ? link.qualifierFilters : none
        subjectFilters = groupAt == 0 ? none : link.subjectFilters
        objectFilters = groupAt == 1 ? none : link.objectFilters
        qualifierFilters = groupAt == 3 ? none : link.qualifierFilters
        filtered = !subjectFilters.isEmpty || !objectFilters.isEmpty || !qualifierFilters.isEmpty
        (table, literals, entities) = (store.table, store.literals, store.entities)
        counts = TermCounts(entityCount: entityCount)
        accepts = .allocate(capacity: link.accepts.count)
        _ = accepts.initialize(from: link.accepts)
        entityStamps = .allocate(capacity: valueAt == 2 ? 0 : entityCount)
        entityStamps.initialize(repeating: 0)
        predicateStamps = .allocate(capacity: valueAt == 2 ? store.predicates.count : 0)
        predicateStamps.initialize(repeating: 0)
    }

    func free() {
        accepts.deallocate()
        entityStamps.deallocate()
        predicateStamps.deallocate()
    }

    /// Statement `n`'s value of the link's qualifier (see `Link.qualifierValue`).
    @inline(__always) func qualifierValue(_ n: Int) -> UInt64 { link.qualifierValue(n, table) }

    /// Starts the run of group `b`: false when the group's filters rule it out; nil when
    /// they cannot decide it.
    @inline(__always) mutating func begin(_ b: UInt64) -> Bool? {
        if !groupFilters.isEmpty {
            guard let t = groupFilters.truth(b, literals, entities) else { return nil }
            if !t { return false }
        }
        stamp += 1
        others.removeAll(keepingCapacity: true)
        return true
    }

    /// One entry of the run (its statement's subject and object as bindings, predicate
    /// tag, qualifier value): counts its term at `valueAt` when new to the run. Returns 1
    /// when counted, 0 when not, -1 when a filter cannot decide it.
    @inline(__always) mutating func take(_ s: UInt64, _ o: UInt64, _ tag: Int16, _ q: UInt64) -> Int {
        guard entries.admits(tag, s, o, UnsafeBufferPointer(accepts), qualifier: { q }) != nil else { return 0 }
        if filtered {
            guard let t = qualifierFilters.truth(q, literals, entities), let ts = subjectFilters.truth(s, literals, entities),
                  let to = objectFilters.truth(o, literals, entities) else { return -1 }
            if !t || !ts || !to { return 0 }
        }
        if valueAt == 2 {
            let p = tag < 0 ? -Int(tag) - 1 : Int(tag)
            guard predicateStamps[p] != stamp else { return 0 }
            predicateStamps[p] = stamp
            return 1
        }
        let b = valueAt == 0 ? s : valueAt == 1 ? o : q
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        guard t.kind == Term.entityKind, t.index < entityCount else {
            others.append(b)
            return 0
        }
        guard entityStamps[t.index] != stamp else { return 0 }
        entityStamps[t.index] = stamp
        return 1
    }

    /// Ends the run of group `b` with `n` terms counted by stamp.
    @inline(__always) mutating func end(_ b: UInt64, _ n: Int) {
        var n = n
        if !others.isEmpty {
            others.sort()
            n += 1
            for i in 1..<others.count where others[i] != others[i - 1] { n += 1 }
        }
        if n > 0 { _ = counts.add(b, n) }
    }

    /// The runs of a subject or object index, the predicate and the other end beside each
    /// entry; false when they are not beside, or a filter cannot decide an entry.
    mutating func readEnds(_ index: TermPostings.RawLookup, _ exec: Execution) throws -> Bool {
        let literalCount = index.literalCount
        let hasQualifier = link.qualifier != nil
        for (runs, entityKeys) in [(index.entities, true), (index.others, false)] where runs.runCount > 0 {
            guard let tags = runs.predicates, let ends = runs.otherEnds else { return false }
            var read = 0
            for j in 0..<runs.runCount {
                let range = runs.range(ofRun: j)
                guard !range.isEmpty else { continue }
                let k = runs.key(ofRun: j)
                let term = entityKeys ? Term(entity: EntityID(k)) : k < literalCount ? Term(literal: k) : Term(proposition: StatementID(k - literalCount))
                let b = JoinPlan.termTag | UInt64(term.raw)
                guard let open = begin(b) else { return false }
                guard open else { continue }
                read += range.count
                if read > 1 << 16 {
                    read = 0
                    try exec.checkLimits()
                }
                var n = 0
                for i in range {
                    let end = JoinPlan.termTag | UInt64(ends[i].raw)
                    let q = hasQualifier ? qualifierValue(Int(runs.ids[i])) : 0
                    let took = groupAt == 0 ? take(b, end, tags[i], q) : take(end, b, tags[i], q)
                    guard took >= 0 else { return false }
                    n += took
                }
                end(b, n)
            }
        }
        return true
    }

    /// The runs of the predicates the link accepts, both ends beside each entry.
    mutating func readPredicates(_ index: PostingIndex.RawLookup, _ exec: Execution) throws -> Bool {
        guard index.runCount > 0 else { return true }
        guard let tags = index.predicates, let subjects = index.subjects, let objects = index.objects else { return false }
        let hasQualifier = link.qualifier != nil
        for j in 0..<index.runCount {
            let range = index.range(ofRun: j)
            let p = index.key(ofRun: j)
            guard !range.isEmpty, p < accepts.count, accepts[p] else { continue }
            try exec.checkLimits()
            let b = JoinPlan.predicateTag | UInt64(UInt32(p))
            guard begin(b) == true else { continue }
            var n = 0
            for i in range {
                let q = hasQualifier ? qualifierValue(Int(index.ids[i])) : 0
                let took = take(JoinPlan.termTag | UInt64(subjects[i].raw), JoinPlan.termTag | UInt64(objects[i].raw), tags[i], q)
                guard took >= 0 else { return false }
                n += took
            }
            end(b, n)
        }
        return true
    }

    /// The runs of the link's qualifier key, each statement read from the table. A
    /// provenance key whose values are all kept as runs of statements (none stored) is
    /// read run by run, a group's filters before any of its statements.
    mutating func readQualifier(_ key: Int32, _ exec: Execution) throws -> Bool {
        let store = exec.store
        var runs: [(Term, ColumnSlice<StatementID>)] = []
        let byRuns = FactStore.isProvenanceKey(key) && !store.storesValues(ofKey: key)
        if byRuns {
            if Int(key) < store.provenanceRuns.count { store.provenanceRuns[Int(key)].forEachRun { t, r in runs.append((t, r)) } }
        } else {
            // A group its filters rule out is not spelled out (the sheet's own document
            // may hold most statements); one they cannot decide is kept, for `begin` to
            // hand the count back.
            let (filters, literals, entities) = (groupFilters, literals, entities)
            store.forEachQualifierRun(key, keeping: filters.isEmpty ? nil : { t in
                filters.truth(JoinPlan.termTag | UInt64(t.raw), literals, entities) != false
            }) { t, run in runs.append((t, run)) }
        }
        // Only the columns an entry's test or value reads: each is a cache miss a
        // statement, the runs' statements lying all over the table. (No end is a
        // constant here, so the test reads an end only for a filter.)
        let (subject, object, predicate, asserted) = (table.subject.unsafeAddress, table.object.unsafeAddress, table.predicate.unsafeAddress, table.asserted)
        let readsPredicate = valueAt == 2 || !link.accepts.allSatisfy { $0 }
        let readsSubject = valueAt == 0 || !subjectFilters.isEmpty
        let readsObject = valueAt == 1 || !objectFilters.isEmpty
        var statements: [Int32] = []
        var read = 0
        for (t, run) in runs {
            let b = JoinPlan.termTag | UInt64(t.raw)
            guard let open = begin(b) else { return false }
            guard open else { continue }
            statements.removeAll(keepingCapacity: true)
            if byRuns {
                for r in run { for i in table.provenanceRun(Int(r)) { statements.append(Int32(i)) } }
            } else {
                for i in run { statements.append(Int32(i)) }
            }
            read += statements.count
            if read > 1 << 16 {
                read = 0
                try exec.checkLimits()
            }
            var n = 0
            let ahead = FactorizedCount.fetchAhead
            for k in statements.indices {
                if k + ahead < statements.count {
                    let i = Int(statements[k + ahead])
                    if readsSubject { kbq_prefetch(subject + i) }
                    if readsObject { kbq_prefetch(object + i) }
                    if readsPredicate { kbq_prefetch(predicate + i) }
                }
                let i = Int(statements[k])
                let p = readsPredicate ? Int16(truncatingIfNeeded: Int(predicate[i])) : 0
                let took = take(readsSubject ? JoinPlan.termTag | UInt64(subject[i].raw) : 0, readsObject ? JoinPlan.termTag | UInt64(object[i].raw) : 0,
                                asserted[i] ? p : -p - 1, b)
                guard took >= 0 else { return false }
                n += took
            }
            end(b, n)
        }
        return true
    }
}
