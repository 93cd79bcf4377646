import CKBQPrefetch

/// Statement ids grouped by a key, in compressed sparse rows: one array of ids sorted by
/// key (and by id within a key) and the offset where each key's run begins.
///
/// Built in two counting passes after a load, so a lookup is two array reads and a
/// candidate list is a slice, never a copy or a hash.
struct PostingIndex: Sendable {
    /// Dense: `offsets[k]..<offsets[k+1]` for every key below `keyCount`. Sparse: only the
    /// keys that occur, in `keys` (sorted), with `offsets` parallel plus one.
    private var keys: Column<UInt32>?
    private var offsets: Column<UInt32> = [0]
    private(set) var ids = Column<StatementID>()
    /// The predicate of each statement in `ids`, beside it (as `-(p + 1)` when the
    /// statement is quoted, not asserted): a join reads this run sequentially instead of
    /// each statement's row, a cache miss apiece.
    /// Two bytes: stores with more than 32,767 predicates keep none, and readers fall back
    /// to the statement columns.
    private(set) var predicates = Column<Int16>()
    /// And the statement's other end (its object in a subject index, its subject in an
    /// object index): with it, the index covers a pattern's three positions.
    private(set) var otherEnds = Column<Term>()
    /// And, in the predicate index (whose `otherEnds` are objects), each statement's
    /// subject: with both ends beside it, a scan by predicate reads the index in order and
    /// no statement's row (a cache miss apiece, the lists being spread over the table).
    private(set) var subjects = Column<Term>()
    /// And in the key index (whose `otherEnds` are the key's values), each statement's
    /// object beside its subject: a scan by key then reads no statement row either.
    private(set) var objects = Column<Term>()

    init() {}

    /// How many rows ahead the scattered writes and reads of building an index are fetched.
    static let fetchAhead = 16

    /// Keeps each statement's predicate and other end beside it; the predicates must all
    /// fit in an Int16 (`TermPostings.attach` checks).
    fileprivate mutating func attach(predicates column: Column<PredicateID>, asserted: BitColumn, otherEnds ends: Column<Term>) {
        guard !ids.isEmpty else { return }
        attachPredicates(column, asserted)
        otherEnds = PostingIndex.gather(ends, ids)
    }

    /// Each statement's predicate beside it, as `-(p + 1)` when it is quoted.
    private mutating func attachPredicates(_ column: Column<PredicateID>, _ asserted: BitColumn) {
        // Gathered in key order, scattered over the column: each row fetched `ahead` on.
        let ahead = PostingIndex.fetchAhead
        let ids = self.ids
        predicates = Column(unsafeUninitializedCount: ids.count) { out in
            for j in ids.indices {
                if j + ahead < ids.count { column.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + Int(ids[j + ahead])) } }
                let i = Int(ids[j])
                out.initializeElement(at: j, to: Int16(asserted[i] ? column[i] : -column[i] - 1))
            }
        }
    }

    /// Keeps each statement's predicate, subject and object beside it (the predicate
    /// index); the predicates must all fit in an Int16, else nothing is kept.
    mutating func attachEnds(predicates column: Column<PredicateID>, asserted: BitColumn, subjects ends: Column<Term>, objects: Column<Term>) {
        guard !ids.isEmpty, column.allSatisfy({ $0 < Int16.max }) else { return }
        attach(predicates: column, asserted: asserted, otherEnds: objects)
        subjects = PostingIndex.gather(ends, ids)
    }

    /// `column[ids[j]]` for each j: gathered in key order, scattered over the column, each
    /// row fetched `fetchAhead` on.
    static func gather(_ column: Column<Term>, _ ids: Column<StatementID>) -> Column<Term> {
        let ahead = PostingIndex.fetchAhead
        return Column(unsafeUninitializedCount: ids.count) { out in
            for j in ids.indices {
                if j + ahead < ids.count { column.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + Int(ids[j + ahead])) } }
                out.initializeElement(at: j, to: column[Int(ids[j])])
            }
        }
    }

    /// The qualifier key index (dense, keyed by key): each entry's predicate tag, subject
    /// and object, and as its `otherEnds` the statement's value of the entry's key (its
    /// first, as `FactStore.qualifier` reads one), so that a scan by key reads neither the
    /// statement's row nor its qualifiers.
    mutating func attachKeyValues(_ t: StatementTable) {
        guard !ids.isEmpty, keys == nil, t.predicate.allSatisfy({ $0 < Int16.max }) else { return }
        attachPredicates(t.predicate, t.asserted)
        subjects = PostingIndex.gather(t.subject, ids)
        objects = PostingIndex.gather(t.object, ids)
        let (ids, offsets) = (self.ids, self.offsets)
        otherEnds = Column(unsafeUninitializedCount: ids.count) { out in
            for k in 0..<offsets.count - 1 {
                for j in Int(offsets[k])..<Int(offsets[k + 1]) {
                    let stored = t.storedQualifiers(Int(ids[j]))
                    let q = stored.first { t.qualifierKeys[$0] == Int32(k) } ?? stored.lowerBound
                    out.initializeElement(at: j, to: t.qualifierValues[q])
                }
            }
        }
    }

    /// Groups entries `0..<count`: entry i files statement `sid(i)` under `key(i)` (skipped
    /// when negative). For each key, statements must come in increasing order.
    /// Inlined, so that `key` and `sid` are too (called through a pointer, they were a
    /// third of the time of building the indexes).
    @inline(__always)
    init(keyCount possibleKeys: Int, sparse: Bool, count: Int, key: (Int) -> Int, sid: (Int) -> StatementID) {
        // Rows up to the largest key present: the literal-and-proposition side of a subject
        // index may have a million possible keys and none present.
        var largest = -1
        for i in 0..<count { largest = max(largest, key(i)) }
        let keyCount = min(possibleKeys, largest + 1)
        var starts = [UInt32](repeating: 0, count: keyCount + 1)
        for i in 0..<count {
            let k = key(i)
            if k >= 0 { starts[k + 1] &+= 1 }
        }
        for k in 0..<keyCount { starts[k + 1] &+= starts[k] }
        var fill = starts
        var ids = Column<StatementID>(repeating: 0, count: Int(starts[keyCount]))
        // Each statement lands at a scattered place: the place of the one `ahead` on is
        // fetched first (its key's fill may move by then; the line is near).
        let ahead = PostingIndex.fetchAhead
        ids.withUnsafeMutableBufferPointer { ids in
            fill.withUnsafeMutableBufferPointer { fill in
                for i in 0..<count {
                    if i + ahead < count {
                        let next = key(i + ahead)
                        if next >= 0 { kbq_prefetch_write(ids.baseAddress! + Int(fill[next])) }
                    }
                    let k = key(i)
                    if k >= 0 {
                        ids[Int(fill[k])] = sid(i)
                        fill[k] &+= 1
                    }
                }
            }
        }
        self.ids = ids
        if sparse {
            var present: [UInt32] = []
            var compact: [UInt32] = []
            for k in 0..<keyCount where starts[k + 1] > starts[k] {
                present.append(UInt32(k))
                compact.append(starts[k])
            }
            compact.append(starts[keyCount])
            keys = Column(present)
            offsets = Column(compact)
        } else {
            offsets = Column(starts)
        }
    }

    /// The run of `key` with what lies beside it (see TermPostings.withBeside).
    func run(_ key: Int) -> TermPostings.Run {
        let ids = self[key]
        guard !predicates.isEmpty, !ids.isEmpty else { return TermPostings.Run(ids: ids) }
        return TermPostings.Run(ids: ids, predicates: predicates[ids.indices], otherEnds: otherEnds[ids.indices], hasBeside: true)
    }

    /// The run of `key` as addresses into the index (see `TermPostings.RawRun`).
    func rawRun(_ key: Int) -> TermPostings.RawRun { rawLookup.run(key) }

    /// The index as addresses, for lookups at every row of a join: a `rawRun` through the
    /// index's columns retains and releases each of them per lookup, more than the lookup
    /// costs. Valid while this index lives unchanged (a store is not changed while a query
    /// reads it).
    struct RawLookup {
        var keys: UnsafeBufferPointer<UInt32>?
        var offsets = UnsafeBufferPointer<UInt32>(start: nil, count: 0)
        var ids = TermPostings.RawRun.nowhere
        var predicates: UnsafePointer<Int16>? = nil
        var otherEnds: UnsafePointer<Term>? = nil
        var subjects: UnsafePointer<Term>? = nil
        var objects: UnsafePointer<Term>? = nil

        /// Where the run of `key` lies in `ids` (empty when the key has none). Dense:
        /// `offsets[k]..<offsets[k+1]`; sparse: the key found in `keys`, by halves.
        @inline(__always)
        func range(_ key: Int) -> Range<Int> {
            var low = 0
            if let keys {
                var high = keys.count
                let k = UInt32(truncatingIfNeeded: key)
                while low < high {
                    let mid = (low + high) / 2
                    if keys[mid] < k { low = mid + 1 } else { high = mid }
                }
                guard low < keys.count, keys[low] == k else { return 0..<0 }
            } else {
                guard key >= 0, key + 1 < offsets.count else { return 0..<0 }
                low = key
            }
            return Int(offsets[low])..<Int(offsets[low + 1])
        }

        /// How many runs there are (dense: one for every key below it, some empty).
        var runCount: Int { keys?.count ?? max(0, offsets.count - 1) }

        /// The key of run `j` (its place among the runs: see `runCount`).
        @inline(__always) func key(ofRun j: Int) -> Int { keys.map { Int($0[j]) } ?? j }

        /// Where run `j` lies in `ids`.
        @inline(__always) func range(ofRun j: Int) -> Range<Int> { Int(offsets[j])..<Int(offsets[j + 1]) }

        /// As `PostingIndex.rawRun`.
        @inline(__always)
        func run(_ key: Int) -> TermPostings.RawRun {
            let r = range(key)
            let (at, end) = (r.lowerBound, r.upperBound)
            guard at < end else { return TermPostings.RawRun() }
            return TermPostings.RawRun(ids: ids + at, count: end - at, predicates: predicates.map { $0 + at },
                                       otherEnds: otherEnds.map { $0 + at }, subjects: subjects.map { $0 + at },
                                       objects: objects.map { $0 + at })
        }
    }

    var rawLookup: RawLookup {
        var r = RawLookup()
        if let keys { r.keys = UnsafeBufferPointer(start: keys.isEmpty ? nil : keys.unsafeAddress, count: keys.count) }
        r.offsets = UnsafeBufferPointer(start: offsets.isEmpty ? nil : offsets.unsafeAddress, count: offsets.count)
        if !ids.isEmpty { r.ids = ids.unsafeAddress }
        if !predicates.isEmpty { r.predicates = predicates.unsafeAddress }
        if !otherEnds.isEmpty { r.otherEnds = otherEnds.unsafeAddress }
        if !subjects.isEmpty {
            r.subjects = subjects.unsafeAddress
            r.objects = (objects.isEmpty ? otherEnds : objects).unsafeAddress
        }
        return r
    }

    /// Where the run of `key` lies in `ids` (empty when the key has none).
    private func runRange(_ key: Int) -> Range<Int> { rawLookup.range(key) }

    /// The statements under `key`, in increasing order.
    subscript(key: Int) -> ColumnSlice<StatementID> {
        let range = runRange(key)
        return range.isEmpty ? .empty : ids[range]
    }

    var byteCount: Int { (keys?.count ?? 0) * 4 + offsets.count * 4 + ids.count * 4 + predicates.count * 2 + otherEnds.count * 4 + subjects.count * 4 + objects.count * 4 }

    /// Every key that has statements, in key order, with its run.
    func forEachRun(_ body: (Int, ColumnSlice<StatementID>) -> Void) {
        if let keys {
            for j in keys.indices { body(Int(keys[j]), ids[Int(offsets[j])..<Int(offsets[j + 1])]) }
        } else {
            for k in 0..<max(0, offsets.count - 1) where offsets[k + 1] > offsets[k] {
                body(k, ids[Int(offsets[k])..<Int(offsets[k + 1])])
            }
        }
    }
}

/// Statements grouped by a stored value: dense rows for entities (every entity has a row)
/// where entities are common values, sparse rows (only the values present, found by binary
/// search) for literals, propositions and rare entities.
struct TermPostings: Sendable {
    private var entities = PostingIndex()
    private var others = PostingIndex()
    private var literalCount = 0

    init() {}

    /// Statement `sids[i]` (or i itself) under `terms[i]`.
    init<Terms: RandomAccessCollection<Term>>(entityCount: Int, literalCount: Int, statementCount: Int, terms: Terms, sids: [StatementID]? = nil) where Terms.Index == Int {
        self.literalCount = literalCount
        let sid: (Int) -> StatementID = { i in sids?[i] ?? StatementID(i) }
        // A row per entity only when entities are common values here (not for a date or
        // paragraph key): a dense row costs four bytes an entity.
        var entityValues = 0
        for t in terms where t.kind == Term.entityKind { entityValues += 1 }
        if entityValues > 0 {
            entities = PostingIndex(keyCount: entityCount, sparse: entityValues < entityCount / 4, count: terms.count, key: { i in
                terms[i].kind == Term.entityKind ? terms[i].index : -1
            }, sid: sid)
        }
        // Each side's passes skipped when it has no values (a subject index has no literals).
        guard entityValues < terms.count else { return }
        others = PostingIndex(keyCount: literalCount + statementCount, sparse: true, count: terms.count, key: { i in
            switch terms[i].kind {
            case Term.literalKind: return terms[i].index
            case Term.propositionKind: return literalCount + terms[i].index
            default: return -1
            }
        }, sid: sid)
    }

    mutating func attach(predicates column: Column<PredicateID>, asserted: BitColumn, otherEnds: Column<Term>) {
        guard column.allSatisfy({ $0 < Int16.max }) else { return }
        entities.attach(predicates: column, asserted: asserted, otherEnds: otherEnds)
        others.attach(predicates: column, asserted: asserted, otherEnds: otherEnds)
    }

    /// The statements under `term`, with their predicates and other ends when attached.
    func withBeside(_ term: Term) -> Run {
        // Not `let index = ... ? entities : others`: that copies a PostingIndex (five
        // retains and releases) at every lookup.
        switch term.kind {
        case Term.entityKind: return entities.run(term.index)
        case Term.literalKind: return others.run(term.index)
        default: return others.run(literalCount + term.index)
        }
    }

    /// As `PostingIndex.RawLookup`, for both kinds of term: `withBeside` as addresses into
    /// the index, for the join's per-row lookups, which a slice's retains and copies would
    /// cost more than the lookup itself.
    struct RawLookup {
        var entities: PostingIndex.RawLookup
        var others: PostingIndex.RawLookup
        var literalCount: Int

        /// As `TermPostings.rawRun`.
        @inline(__always)
        func run(_ term: Term) -> RawRun {
            switch term.kind {
            case Term.entityKind: return entities.run(term.index)
            case Term.literalKind: return others.run(term.index)
            default: return others.run(literalCount + term.index)
            }
        }
    }

    var rawLookup: RawLookup { RawLookup(entities: entities.rawLookup, others: others.rawLookup, literalCount: literalCount) }

    /// How many values other than entities (literals, propositions) have statements.
    var otherValueCount: Int { others.rawLookup.runCount }

    /// A run read in place: `count` ids at `ids`, and beside them (when attached) their
    /// predicates and other ends. Valid while the index it came from lives unchanged.
    struct RawRun {
        var ids = RawRun.nowhere
        var count = 0
        var predicates: UnsafePointer<Int16>? = nil
        var otherEnds: UnsafePointer<Term>? = nil
        /// Both ends, when the index keeps them beside (the predicate index, whose objects
        /// are its `otherEnds`, and the key index).
        var subjects: UnsafePointer<Term>? = nil
        var objects: UnsafePointer<Term>? = nil

        /// An aligned address for an empty run (never read).
        static var nowhere: UnsafePointer<StatementID> { UnsafePointer(bitPattern: MemoryLayout<StatementID>.alignment)! }
    }

    /// A term's statements, with (for subject and object indexes) each one's predicate,
    /// negative when quoted (-p-1), and its other end beside it. A struct, not an optional
    /// tuple of slices: those are copied through generic witnesses at every read.
    struct Run {
        var ids: ColumnSlice<StatementID>
        var predicates: ColumnSlice<Int16> = .empty
        var otherEnds: ColumnSlice<Term> = .empty
        var hasBeside = false
    }

    /// Every stored value that has statements, with its run: entities first, in order.
    func forEachRun(_ body: (Term, ColumnSlice<StatementID>) -> Void) {
        entities.forEachRun { body(Term(entity: EntityID($0)), $1) }
        others.forEachRun { k, run in
            body(k < literalCount ? Term(literal: k) : Term(proposition: StatementID(k - literalCount)), run)
        }
    }

    subscript(term: Term) -> ColumnSlice<StatementID> {
        switch term.kind {
        case Term.entityKind: return entities[term.index]
        case Term.literalKind: return others[term.index]
        default: return others[literalCount + term.index]
        }
    }

    var byteCount: Int { entities.byteCount + others.byteCount }
}

// MARK: image

extension PostingIndex {
    func write(to w: inout ImageWriter) {
        w.put(keys != nil)
        w.column(keys ?? Column())
        w.column(offsets)
        w.column(ids)
        w.column(predicates)
        w.column(otherEnds)
        w.column(subjects)
        w.column(objects)
    }

    /// Reads an index whose keys are below `keyLimit` and whose ids are below `idLimit`,
    /// checking that every run lies inside `ids`, is in order, and that what
    /// lies beside the ids names predicates and terms the store has.
    init(image r: inout ImageReader, keyLimit: Int, idLimit: Int) throws {
        let sparse: Bool = try r.get()
        let keys: Column<UInt32> = try r.view()
        self.keys = sparse ? keys : nil
        offsets = try r.view()
        ids = try r.view()
        predicates = try r.view()
        otherEnds = try r.view()
        subjects = try r.view()
        objects = try r.view()
        try r.check(!offsets.isEmpty && offsets[0] == 0 && Int(offsets[offsets.count - 1]) == ids.count, "posting offsets")
        if r.checksColumns { try r.check(ImageCheck.nondecreasing(offsets), "posting offsets out of order") }
        if sparse {
            try r.check(offsets.count == keys.count + 1, "posting keys")
            if r.checksColumns {
                try r.check(ImageCheck.allBelow(keys, keyLimit), "posting keys")
                for j in keys.indices.dropFirst() { try r.check(keys[j - 1] < keys[j], "posting keys out of order") }
            }
        } else {
            try r.check(keys.isEmpty && offsets.count - 1 <= keyLimit, "posting rows")
        }
        try r.check(predicates.isEmpty == otherEnds.isEmpty, "posting sides")
        try r.check(predicates.isEmpty || (predicates.count == ids.count && otherEnds.count == ids.count), "posting sides' length")
        try r.check(subjects.isEmpty || (!predicates.isEmpty && subjects.count == ids.count), "posting subjects")
        try r.check(objects.isEmpty || (!subjects.isEmpty && objects.count == ids.count), "posting objects")
        let (ids, offsets, predicates, otherEnds, subjects, objects, b) = (ids, offsets, predicates, otherEnds, subjects, objects, r.bounds)
        r.checkLater("posting ids") { ImageCheck.allBelow(ids, idLimit) }
        // In order within each run (not strictly: a statement with one key twice, which RDF
        // allows, is listed twice).
        r.checkLater("posting runs out of order") { ImageCheck.runsNondecreasing(ids, offsets) }
        // Quoted statements' predicates are stored as -(p + 1).
        r.checkLater("posting predicates") { ImageCheck.allWithin(predicates, -b.predicates, b.predicates - 1) }
        r.checkLater("posting terms") { ImageCheck.allHeld(otherEnds, b) }
        r.checkLater("posting subjects") { ImageCheck.allHeld(subjects, b) }
        r.checkLater("posting objects") { ImageCheck.allHeld(objects, b) }
    }
}

extension TermPostings {
    func write(to w: inout ImageWriter) {
        w.int(literalCount)
        entities.write(to: &w)
        others.write(to: &w)
    }

    /// `idLimit`: statements, or provenance runs for the provenance indexes.
    init(image r: inout ImageReader, idLimit: Int) throws {
        let b = r.bounds
        literalCount = try r.int(in: b.literals...b.literals, "literal count")
        entities = try PostingIndex(image: &r, keyLimit: b.entities, idLimit: idLimit)
        others = try PostingIndex(image: &r, keyLimit: b.literals + b.statements, idLimit: idLimit)
    }
}
