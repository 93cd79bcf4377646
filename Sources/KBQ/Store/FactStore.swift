/// The knowledge base in memory: schema, entities, statements and their indexes.
///
/// A value type: a load works on a copy and replaces the session's store only when it
/// succeeds, so a failed load leaves nothing half-done.
public struct FactStore: Sendable {
    /// Every part lives in one object: a copy of the store (each query's evaluator holds
    /// one) is a single retain, and a change copies the parts only when the store is shared
    /// (a load works on its own copy).
    final class Storage: @unchecked Sendable {
        // The loader and every query reach the store's parts through this one object, a
        // modify at a time: run-time exclusivity checks are off for them (they cost the load
        // a third, and queries as much). Safe because a store is changed only through its own
        // copy (a load works on a private one), by one thread, with no overlapping access.
        @exclusivity(unchecked) var types: [TypeInfo] = []
        @exclusivity(unchecked) var predicates: [PredicateInfo] = []
        @exclusivity(unchecked) var keys: [KeyInfo] = []
        @exclusivity(unchecked) var entities = EntityTable()
        @exclusivity(unchecked) var table: StatementTable = StatementTable()
        @exclusivity(unchecked) var literals: LiteralTable = LiteralTable()
        @exclusivity(unchecked) var rules: [StoredRule] = []
        @exclusivity(unchecked) var loadedFiles: [String] = []
        @exclusivity(unchecked) var sourceStamps: [SourceStamp] = []
        @exclusivity(unchecked) var typeIndex: [String: Int32] = [:]
        @exclusivity(unchecked) var predicateIndex: [String: PredicateID] = [:]
        @exclusivity(unchecked) var keyIndex: [String: Int32] = [:]
        @exclusivity(unchecked) var nameIndex: NameIndex = NameIndex()
        @exclusivity(unchecked) var statementNames: [String: StatementID] = [:]
        @exclusivity(unchecked) var assertedTotal: Int = 0
        @exclusivity(unchecked) var iriIndex: [String: EntityID] = [:]
        @exclusivity(unchecked) var propositionIndex: [PropositionKey: StatementID] = [:]
        /// True in a store read from an image: `propositionIndex` is empty and is built from
        /// the quoted statements when one is next added (few stores read from an image ever
        /// are added to, and building it costs a hash of every proposition).
        @exclusivity(unchecked) var propositionIndexPending = false
        @exclusivity(unchecked) var bySubject: TermPostings = TermPostings()
        @exclusivity(unchecked) var byObject: TermPostings = TermPostings()
        @exclusivity(unchecked) var byPredicate: PostingIndex = PostingIndex()
        @exclusivity(unchecked) var byQualifier: [TermPostings] = []
        @exclusivity(unchecked) var provenanceRuns: [TermPostings] = []
        @exclusivity(unchecked) var byKey: PostingIndex = PostingIndex()
        @exclusivity(unchecked) var typeMembers: [Column<EntityID>] = []
        @exclusivity(unchecked) var predicateClosure: [[PredicateID]] = []
        @exclusivity(unchecked) var typeClosure: [[Int32]] = []
        @exclusivity(unchecked) var version: Int = 0
        /// Counted when a query's plan first needs them; a copy starts with none.
        let statistics = PredicateStatistics()
        /// Ranked when an ordering first needs them; a copy starts with none.
        let nameRanks = EntityNameRanks()
        /// Made by the layers above when a query first needs them; a copy starts with none.
        let derived = DerivedCache()

        init() {}

        init(copying o: Storage) {
            types = o.types
            predicates = o.predicates
            keys = o.keys
            entities = o.entities
            table = o.table
            literals = o.literals
            rules = o.rules
            loadedFiles = o.loadedFiles
            sourceStamps = o.sourceStamps
            typeIndex = o.typeIndex
            predicateIndex = o.predicateIndex
            keyIndex = o.keyIndex
            nameIndex = o.nameIndex
            statementNames = o.statementNames
            assertedTotal = o.assertedTotal
            iriIndex = o.iriIndex
            propositionIndex = o.propositionIndex
            propositionIndexPending = o.propositionIndexPending
            bySubject = o.bySubject
            byObject = o.byObject
            byPredicate = o.byPredicate
            byQualifier = o.byQualifier
            provenanceRuns = o.provenanceRuns
            byKey = o.byKey
            typeMembers = o.typeMembers
            predicateClosure = o.predicateClosure
            typeClosure = o.typeClosure
            version = o.version
        }
    }

    private var storage = Storage()

    /// The storage, copied first if another store shares it: the one way to change the store
    /// (its own methods, and the loaders' bulk appends in Load/).
    mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        return storage
    }

    public internal(set) var types: [TypeInfo] {
        _read { yield storage.types }
        _modify { yield &uniqueStorage().types }
    }
    public internal(set) var predicates: [PredicateInfo] {
        _read { yield storage.predicates }
        _modify { yield &uniqueStorage().predicates }
    }
    public internal(set) var keys: [KeyInfo] {
        _read { yield storage.keys }
        _modify { yield &uniqueStorage().keys }
    }
    public internal(set) var entities: EntityTable {
        _read { yield storage.entities }
        _modify { yield &uniqueStorage().entities }
    }
    /// Statements, asserted and quoted, column by column; see `statement(_:)`.
    var table: StatementTable {
        _read { yield storage.table }
        _modify { yield &uniqueStorage().table }
    }
    var literals: LiteralTable {
        _read { yield storage.literals }
        _modify { yield &uniqueStorage().literals }
    }
    public internal(set) var rules: [StoredRule] {
        _read { yield storage.rules }
        _modify { yield &uniqueStorage().rules }
    }
    /// Files loaded so far (canonical paths), so that an include is read once.
    public internal(set) var loadedFiles: [String] {
        _read { yield storage.loadedFiles }
        _modify { yield &uniqueStorage().loadedFiles }
    }
    /// Each loaded file as it was read (stat before reading, hash of the bytes read): what
    /// an image of this store records, to tell later whether the files still hold this.
    public internal(set) var sourceStamps: [SourceStamp] {
        _read { yield storage.sourceStamps }
        _modify { yield &uniqueStorage().sourceStamps }
    }

    var typeIndex: [String: Int32] {
        _read { yield storage.typeIndex }
        _modify { yield &uniqueStorage().typeIndex }
    }
    var predicateIndex: [String: PredicateID] {
        _read { yield storage.predicateIndex }
        _modify { yield &uniqueStorage().predicateIndex }
    }
    var keyIndex: [String: Int32] {
        _read { yield storage.keyIndex }
        _modify { yield &uniqueStorage().keyIndex }
    }
    /// Lower-cased ids, labels and aliases (underscores read as spaces) to entities.
    var nameIndex: NameIndex {
        _read { yield storage.nameIndex }
        _modify { yield &uniqueStorage().nameIndex }
    }
    var statementNames: [String: StatementID] {
        _read { yield storage.statementNames }
        _modify { yield &uniqueStorage().statementNames }
    }
    var assertedTotal: Int {
        _read { yield storage.assertedTotal }
        _modify { yield &uniqueStorage().assertedTotal }
    }
    var iriIndex: [String: EntityID] {
        _read { yield storage.iriIndex }
        _modify { yield &uniqueStorage().iriIndex }
    }
    /// Quoted statements by content, so equal propositions are one proposition.
    var propositionIndex: [PropositionKey: StatementID] {
        _read { yield storage.propositionIndex }
        _modify { yield &uniqueStorage().propositionIndex }
    }
    var propositionIndexPending: Bool {
        _read { yield storage.propositionIndexPending }
        _modify { yield &uniqueStorage().propositionIndexPending }
    }

    /// A store with nothing in it, not even the built-in predicate and keys: what an image
    /// is read into.
    init(bare: Void) {}

    /// Built by `buildIndexes()` once a load has added its statements.
    var bySubject: TermPostings {
        _read { yield storage.bySubject }
        _modify { yield &uniqueStorage().bySubject }
    }
    var byObject: TermPostings {
        _read { yield storage.byObject }
        _modify { yield &uniqueStorage().byObject }
    }
    var byPredicate: PostingIndex {
        _read { yield storage.byPredicate }
        _modify { yield &uniqueStorage().byPredicate }
    }
    /// Per qualifier key, statements by the key's value.
    var byQualifier: [TermPostings] {
        _read { yield storage.byQualifier }
        _modify { yield &uniqueStorage().byQualifier }
    }
    /// For the provenance keys (`source`, `para`), the runs of asserted statements that
    /// have each document or paragraph (run numbers of `table.forEachRun`): a from-block
    /// of ten thousand statements is one entry, not ten thousand. `byQualifier` holds only
    /// the stored qualifiers of those keys.
    var provenanceRuns: [TermPostings] {
        _read { yield storage.provenanceRuns }
        _modify { yield &uniqueStorage().provenanceRuns }
    }
    /// Statements that have a stored qualifier key, whatever its value (provenance keys,
    /// which nearly every statement has, are not listed).
    var byKey: PostingIndex {
        _read { yield storage.byKey }
        _modify { yield &uniqueStorage().byKey }
    }
    var typeMembers: [Column<EntityID>] {
        _read { yield storage.typeMembers }
        _modify { yield &uniqueStorage().typeMembers }
    }

    /// Sub-predicates (the predicate itself included), computed when the schema changes.
    var predicateClosure: [[PredicateID]] {
        _read { yield storage.predicateClosure }
        _modify { yield &uniqueStorage().predicateClosure }
    }
    var typeClosure: [[Int32]] {
        _read { yield storage.typeClosure }
        _modify { yield &uniqueStorage().typeClosure }
    }
    /// Bumped on every change, so cached rule results know when they are stale.
    /// How many statements each predicate has, with how many distinct subjects and objects:
    /// what the planner weighs join orders by.
    func predicateCounts(_ p: PredicateID) -> PredicateStatistics.Counts {
        storage.statistics.counts(p, self)
    }

    /// The most statements a chain of a closure over `ps` crosses (`ClosureDepths`); nil
    /// past `ClosureDepths.cap`.
    func closureChainBound(_ ps: [PredicateID]) -> Int? {
        ClosureDepths.bound(ps, self)
    }

    /// What `make` computes from this store, made once for `key` and kept until the store
    /// changes (`DerivedCache`).
    func derived<T: Sendable>(_ key: String, _ make: () -> T) -> T {
        storage.derived.value(key, version: version, make)
    }

    /// Each entity's rank among all ordered by label (`label`) or id (`EntityNameRanks`).
    func entityRanks(label: Bool) -> [UInt32] {
        storage.nameRanks.ranks(label: label, self)
    }

    public internal(set) var version: Int {
        _read { yield storage.version }
        _modify { yield &uniqueStorage().version }
    }

    public static let isA: PredicateID = 0
    public static let builtinKeys: [(String, ValueType)] = [
        ("source", .entity), ("para", .integer), ("quote", .string), ("date", .date),
    ]

    public init() {
        _ = addPredicate(PredicateInfo(name: "is_a", supers: [], isStance: false, description: "has the type (with its sub-types)", declaredAt: nil))
        for (k, t) in FactStore.builtinKeys { _ = addKey(KeyInfo(name: k, valueType: t)) }
        recomputeClosures()
        buildIndexes()
    }

    public var assertedCount: Int { assertedTotal }
    public var statementCount: Int { table.count }

    // MARK: adding

    mutating func addType(_ t: TypeInfo) -> Int32 {
        let id = Int32(types.count)
        types.append(t)
        typeIndex[t.name] = id
        typeMembers.append([])
        version += 1
        return id
    }

    mutating func addPredicate(_ p: PredicateInfo) -> PredicateID {
        let id = PredicateID(predicates.count)
        predicates.append(p)
        predicateIndex[p.name] = id
        version += 1
        return id
    }

    mutating func addKey(_ k: KeyInfo) -> Int32 {
        let id = Int32(keys.count)
        keys.append(k)
        keyIndex[k.name] = id
        return id
    }

    mutating func addEntity(_ e: Entity) -> EntityID {
        let id = entities.append(e)
        if let iri = e.iri { iriIndex[iri] = id }
        index(name: e.id, id)
        index(name: e.label, id)
        for a in e.aliases { index(name: a, id) }
        for t in e.types { typeMembers[Int(t)].append(id) }
        version += 1
        return id
    }

    mutating func relabel(_ e: EntityID, _ label: String) {
        entities.setLabel(e, label)
        index(name: label, e)
    }

    mutating func index(name: String, _ e: EntityID) {
        nameIndex.add(name: name, e)
    }

    mutating func addAlias(_ e: EntityID, _ alias: String) {
        guard !entities.aliases(Int(e)).contains(alias) else { return }
        entities.addAlias(e, alias)
        index(name: alias, e)
    }

    mutating func setSupertypes(_ type: Int32, _ supers: [Int32]) { types[Int(type)].supertypes = supers }
    mutating func setSuperpredicates(_ p: PredicateID, _ supers: [PredicateID]) { predicates[Int(p)].supers = supers }
    /// Adds types to an entity.
    mutating func setEntityTypes(_ e: EntityID, _ ts: [Int32]) {
        entities.setTypes(e, entities.types(Int(e)) + ts)
        for t in ts { typeMembers[Int(t)].append(e) }
    }

    /// Adds a statement (indexed by the next `buildIndexes()`); quoted content equal to an
    /// existing proposition returns that proposition instead.
    mutating func addStatement(_ s: Statement) -> StatementID {
        var key: PropositionKey? = nil
        if propositionIndexPending { buildPropositionIndex() }
        if !s.asserted {
            let k = PropositionKey(s)
            if let existing = propositionIndex[k] { return existing }
            key = k
        }
        let id = StatementID(table.count)
        if let key { propositionIndex[key] = id }
        var qualifiers: [(key: Int32, value: Term)] = []
        qualifiers.reserveCapacity(s.qualifiers.count)
        var provenance = (source: s.asserted && s.document != nil, para: s.asserted && s.paragraph != nil)
        for q in s.qualifiers {
            // The provenance columns hold these; see StatementTable.
            if provenance.source, q.key == StatementTable.sourceKey, q.value == .entity(s.document!) { provenance.source = false; continue }
            if provenance.para, q.key == StatementTable.paraKey, q.value == .integer(s.paragraph!) { provenance.para = false; continue }
            qualifiers.append((q.key, intern(q.value)))
        }
        if let n = s.paragraph { _ = intern(.integer(n)) }
        table.append(
            subject: intern(s.subject), predicate: s.predicate, object: intern(s.object), qualifiers: qualifiers,
            asserted: s.asserted, location: s.location, document: s.asserted ? s.document : nil,
            paragraph: s.asserted ? s.paragraph : nil)
        if s.asserted { assertedTotal += 1 }
        if let n = s.name {
            statementNames[n] = id
            table.names[id] = n
        }
        version += 1
        return id
    }

    /// The proposition index of a store read from an image: each quoted statement under its
    /// content, the first of equal ones (`addStatement` never adds a second).
    mutating func buildPropositionIndex() {
        propositionIndexPending = false
        var index: [PropositionKey: StatementID] = [:]
        for i in 0..<table.count where !table.asserted[i] {
            let key = PropositionKey(statement(StatementID(i)))
            if index[key] == nil { index[key] = StatementID(i) }
        }
        propositionIndex = index
    }

    /// The term of a value, adding literals to the store.
    mutating func intern(_ v: Value) -> Term {
        switch v {
        case .entity(let e): return Term(entity: e)
        case .proposition(let p): return Term(proposition: p)
        default: return Term(literal: literals.intern(v))
        }
    }

    /// The term of a value if the store holds it; nil when no statement can contain it.
    func term(for v: Value) -> Term? {
        switch v {
        case .entity(let e): return Term(entity: e)
        case .proposition(let p): return Term(proposition: p)
        case .statement, .predicate, .type, .noRecord: return nil
        default: return literals.find(v).map { Term(literal: $0) }
        }
    }

    @inline(__always) func value(_ t: Term) -> Value {
        switch t.kind {
        case Term.entityKind: return .entity(EntityID(t.index))
        case Term.propositionKind: return .proposition(StatementID(t.index))
        // Straight from the storage: through the `literals` accessor, the table was copied
        // (a retain of each of its arrays) at every value.
        default: return storage.literals[t.index]
        }
    }

    /// `value(t)`, a literal read from `literals` (a caller's own copy of the table).
    @inline(__always) static func value(_ t: Term, _ literals: LiteralTable) -> Value {
        switch t.kind {
        case Term.entityKind: return .entity(EntityID(t.index))
        case Term.propositionKind: return .proposition(StatementID(t.index))
        default: return literals[t.index]
        }
    }

    /// Indexes every statement by subject, object, predicate and qualifier; called at the
    /// end of every load (a whole rebuild: counting sorts over integer columns).
    mutating func buildIndexes() {
        let t = table
        let n = t.count
        let entityCount = entities.count
        let literalCount = literals.count
        let literals = self.literals
        // Four independent parts, on every core: the subject side, the object side, the
        // predicate and key indexes, the qualifier and provenance indexes. Taken largest
        // first (at 1M: object 0.031 s, qualifiers 0.024, subject 0.014, predicate 0.014),
        // so that two cores finish together.
        let built = BuiltIndexes()
        let (predicateCount, keyCount) = (predicates.count, keys.count)
        let largestFirst = [1, 3, 0, 2]
        Parallel.forEach(n >= 1 << 16 ? 4 : 1) { w in
            for part in (n >= 1 << 16 ? [largestFirst[w]] : largestFirst) {
                switch part {
                case 0, 1:
                    let (terms, ends) = part == 0 ? (t.subject, t.object) : (t.object, t.subject)
                    var index = TermPostings(entityCount: entityCount, literalCount: literalCount, statementCount: n, terms: terms)
                    index.attach(predicates: t.predicate, asserted: t.asserted, otherEnds: ends)
                    if part == 0 { built.subject = index } else { built.object = index }
                case 2:
                    var byPredicate = PostingIndex(keyCount: predicateCount, sparse: false, count: n, key: { Int(t.predicate[$0]) }, sid: { StatementID($0) })
                    byPredicate.attachEnds(predicates: t.predicate, asserted: t.asserted, subjects: t.subject, objects: t.object)
                    built.predicate = byPredicate
                    let owners = t.qualifierOwners()
                    // A statement once per key: a key it gives twice is read by its first
                    // value (semantics.md), and a list with the statement twice would match it
                    // twice.
                    let firstOfKey = { (q: Int) -> Bool in
                        let start = Int(t.qualifierStart[Int(owners[q])])
                        return !(start..<q).contains { t.qualifierKeys[$0] == t.qualifierKeys[q] }
                    }
                    var byKey = PostingIndex(keyCount: keyCount, sparse: false, count: owners.count,
                                             key: { firstOfKey($0) ? Int(t.qualifierKeys[$0]) : -1 }, sid: { owners[$0] })
                    byKey.attachKeyValues(t)
                    built.key = byKey
                default:
                    (built.qualifier, built.provenance) = FactStore.qualifierIndexes(t, keyCount: keyCount, entityCount: entityCount, literals: literals)
                }
            }
        }
        bySubject = built.subject
        byObject = built.object
        byPredicate = built.predicate
        byKey = built.key
        byQualifier = built.qualifier
        provenanceRuns = built.provenance
    }

    /// Per key, statements by their stored qualifier's value; and for the provenance keys,
    /// runs of asserted statements by their document and paragraph.
    static func qualifierIndexes(
        _ t: StatementTable, keyCount: Int, entityCount: Int, literals: LiteralTable
    ) -> (qualifier: [TermPostings], provenance: [TermPostings]) {
        // Per key, (value, statement) pairs in statement order, then grouped by value.
        var pairs = Array(repeating: (terms: [Term](), sids: [StatementID]()), count: keyCount)
        // A key a statement gives twice is read by its first value (grammar/semantics.md):
        // only that one is indexed, so a lookup by value finds the statement once (it was
        // found twice under `{who: E3, who: E3}`, an answer made twice) and never by a
        // later value.
        let repeats = t.hasRepeatedQualifierKeys
        for i in 0..<t.count {
            let own = t.storedQualifiers(i)
            for q in own {
                let k = t.qualifierKeys[q]
                if repeats, (own.lowerBound..<q).contains(where: { t.qualifierKeys[$0] == k }) { continue }
                pairs[Int(k)].terms.append(t.qualifierValues[q])
                pairs[Int(k)].sids.append(StatementID(i))
            }
        }
        // Provenance: asserted statements' documents and paragraphs, run by run.
        var provenance = Array(repeating: (terms: [Term](), sids: [StatementID]()), count: 2)
        var run: StatementID = 0
        // Paragraph numbers are small integers (at most a file's line count): their literals
        // found through one table read in order, not a probe a run.
        var largest = 0
        t.forEachRun { _, _, paragraph in largest = max(largest, paragraph ?? 0) }
        let dense = largest < 1 << 26 ? literals.integerLiterals(below: largest + 1) : []
        func literal(_ p: Int) -> Int? {
            guard p < dense.count else { return literals.find(.integer(p)) }
            return p >= 0 && dense[p] >= 0 ? Int(dense[p]) : nil
        }
        t.forEachRun { range, document, paragraph in
            defer { run += 1 }
            guard t.asserted[range.lowerBound] else { return }  // quoted statements have none
            if let d = document {
                provenance[0].terms.append(Term(entity: d))
                provenance[0].sids.append(run)
            }
            if let p = paragraph.flatMap(literal) {
                provenance[1].terms.append(Term(literal: p))
                provenance[1].sids.append(run)
            }
        }
        return (
            pairs.map { TermPostings(entityCount: entityCount, literalCount: literals.count, statementCount: t.count, terms: $0.terms, sids: $0.sids) },
            provenance.map { TermPostings(entityCount: entityCount, literalCount: literals.count, statementCount: 0, terms: $0.terms, sids: $0.sids) })
    }

    mutating func addRule(_ r: StoredRule) {
        rules.append(r)
        version += 1
    }

    /// Renames the files its statements, entities, declarations and rules were read from:
    /// a store from an image written in another folder, or from files named otherwise,
    /// names them as a load of the text here would.
    mutating func renameFiles(_ rename: (String) -> String) {
        table.renameFiles(rename)
        entities.renameFiles(rename)
        types = types.map { t in
            var t = t
            t.declaredAt.file = rename(t.declaredAt.file)
            return t
        }
        predicates = predicates.map { p in
            var p = p
            if let at = p.declaredAt { p.declaredAt = Location(file: rename(at.file), line: at.line) }
            return p
        }
        rules = rules.map { r in
            StoredRule(syntax: r.syntax, source: SourceText(
                name: rename(r.source.name), bytes: r.source.bytes, firstLine: r.source.firstLine, firstColumn: r.source.firstColumn))
        }
    }

    mutating func noteLoaded(_ path: String, _ stamp: SourceStamp) {
        loadedFiles.append(path)
        sourceStamps.append(stamp)
    }

    /// The lookup tables by name and IRI, made again from what they index (an image keeps
    /// only that), in declaration order: a name given twice finds the later one, as
    /// `addType`, `addStatement` and the others leave it.
    mutating func deriveLookupTables() {
        typeIndex = Dictionary(types.enumerated().map { ($1.name, Int32($0)) }, uniquingKeysWith: { $1 })
        predicateIndex = Dictionary(predicates.enumerated().map { ($1.name, PredicateID($0)) }, uniquingKeysWith: { $1 })
        keyIndex = Dictionary(keys.enumerated().map { ($1.name, Int32($0)) }, uniquingKeysWith: { $1 })
        statementNames = Dictionary(table.names.sorted { $0.key < $1.key }.map { ($1, $0) }, uniquingKeysWith: { $1 })
        iriIndex = entities.iriIndex()
    }

    /// Recomputes the sub-predicate and sub-type closures after declarations.
    mutating func recomputeClosures() {
        predicateClosure = FactStore.descendants(count: predicates.count) { predicates[$0].supers.map(Int.init) }
            .map { $0.map { PredicateID($0) } }
        typeClosure = FactStore.descendants(count: types.count) { types[$0].supertypes.map(Int.init) }
            .map { $0.map { Int32($0) } }
    }

    /// For each node, itself and every node below it, given each node's parents.
    static func descendants(count: Int, parents: (Int) -> [Int]) -> [[Int]] {
        var children = Array(repeating: [Int](), count: count)
        for i in 0..<count { for p in parents(i) where p != i { children[p].append(i) } }
        return (0..<count).map { root in
            var seen: Set<Int> = [root]
            var order = [root]
            var stack = [root]
            while let n = stack.popLast() {
                for c in children[n] where seen.insert(c).inserted {
                    order.append(c)
                    stack.append(c)
                }
            }
            return order
        }
    }

    /// A name as lookups compare it: lower case, `_` as a space.
    static func normalize(_ name: String) -> String {
        var ascii = true
        for b in name.utf8 where b >= 0x80 { ascii = false; break }
        guard ascii else { return String(name.lowercased().map { $0 == "_" ? " " : $0 }) }
        // ASCII (nearly every name): byte by byte, without Characters.
        return String(unsafeUninitializedCapacity: name.utf8.count) { out in
            var n = 0
            for b in name.utf8 {
                out[n] = b == 0x5F ? 0x20 : (b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
                n += 1
            }
            return n
        }
    }
}

/// The indexes `buildIndexes` makes on every core; each part writes its own fields.
private final class BuiltIndexes: @unchecked Sendable {
    var subject = TermPostings()
    var object = TermPostings()
    var predicate = PostingIndex()
    var key = PostingIndex()
    var qualifier: [TermPostings] = []
    var provenance: [TermPostings] = []
}

/// The content of a quoted statement, for sharing equal propositions.
struct PropositionKey: Hashable, Sendable {
    var subject: Value
    var predicate: PredicateID
    var object: Value
    var qualifiers: [Value]

    init(_ s: Statement) {
        subject = s.subject
        predicate = s.predicate
        object = s.object
        qualifiers = s.qualifiers.sorted { $0.key < $1.key }.flatMap { [Value.integer(Int($0.key)), $0.value] }
    }
}
