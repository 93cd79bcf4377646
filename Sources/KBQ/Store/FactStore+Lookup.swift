extension FactStore {
    public func predicateID(_ name: String) -> PredicateID? { predicateIndex[name] }
    public func typeID(_ name: String) -> Int32? { typeIndex[name] }
    public func keyID(_ name: String) -> Int32? { keyIndex[name] }
    /// The entity whose id is exactly `id`: among those the name index gives for it (ids
    /// are indexed with labels and aliases), so no second table of ids is kept.
    public func entityID(exactly id: String) -> EntityID? {
        nameIndex.first(name: id) { entities.idEquals(Int($0), id) }
    }

    /// The entity whose id is exactly these (ASCII) bytes; nil for any other bytes.
    func entityID(exactlyASCII id: UnsafeBufferPointer<UInt8>) -> EntityID? {
        guard let h = NameIndex.normalizedHash(ascii: id) else { return nil }
        return nameIndex.first(hash: h) { entities.idEquals(Int($0), bytes: id) }
    }
    /// An entity by its IRI: one it was given, or kbq's own `urn:kbq:e:ID`.
    public func entity(iri: String) -> EntityID? {
        if let e = iriIndex[iri] { return e }
        let own = "urn:kbq:e:"
        guard iri.hasPrefix(own), let e = entityID(exactly: String(iri.dropFirst(own.count))), entities.iri(Int(e)) == nil else { return nil }
        return e
    }
    public func statementID(named name: String) -> StatementID? { statementNames[name] }

    public func entity(_ id: EntityID) -> Entity { entities[Int(id)] }
    /// A statement with its values, qualifiers (provenance included) and location.
    public func statement(_ id: StatementID) -> Statement {
        let i = Int(id)
        var qualifiers = table.storedQualifiers(i).map { (key: table.qualifierKeys[$0], value: value(table.qualifierValues[$0])) }
        let document = table.document(i)
        let paragraph = table.paragraph(i)
        if let d = document { qualifiers.append((StatementTable.sourceKey, .entity(d))) }
        if let p = paragraph { qualifiers.append((StatementTable.paraKey, .integer(p))) }
        return Statement(
            subject: value(table.subject[i]), predicate: table.predicate[i], object: value(table.object[i]),
            qualifiers: qualifiers, asserted: table.asserted[i], name: table.names[id],
            location: Location(file: table.fileName(i), line: Int(table.line(i))),
            document: document, paragraph: paragraph)
    }

    /// Qualifier `key` of statement `id` as `statement(id).qualifier(key)` gives it (the
    /// stored qualifiers in order, then the provenance), read from the columns: a query
    /// asking for `?s.date` at every row makes no whole statement (its qualifier list, its
    /// provenance and location found by binary search, its name looked up).
    public func qualifier(of id: StatementID, _ key: Int32) -> Value? { qualifier(of: id, key, literals) }

    /// `qualifier(of:_:)`, its value read from `literals`, the caller's copy of the store's
    /// table: read through the store, the table was copied (a retain and a release of each
    /// of its arrays) at every call, most of the time of a filter on `?s.date`.
    func qualifier(of id: StatementID, _ key: Int32, _ literals: LiteralTable) -> Value? {
        let i = Int(id)
        for q in table.storedQualifiers(i) where table.qualifierKeys[q] == key {
            return FactStore.value(table.qualifierValues[q], literals)
        }
        if key == StatementTable.sourceKey { return table.document(i).map { .entity($0) } }
        if key == StatementTable.paraKey { return table.paragraph(i).map { .integer($0) } }
        return nil
    }

    /// Statement `id`'s subject, predicate, object, file and line, each from its column.
    func subject(of id: StatementID) -> Value { value(table.subject[Int(id)]) }
    func predicate(of id: StatementID) -> PredicateID { table.predicate[Int(id)] }
    func object(of id: StatementID) -> Value { value(table.object[Int(id)]) }
    func location(of id: StatementID) -> Location { Location(file: table.fileName(Int(id)), line: Int(table.line(Int(id)))) }

    /// Every statement, materialised (for tests and tools; queries read the columns).
    public var allStatements: [Statement] { (0..<statementCount).map { statement(StatementID($0)) } }

    public func isAsserted(_ id: StatementID) -> Bool { table.asserted[Int(id)] }
    public func statementName(_ id: StatementID) -> String? { table.names[id] }

    /// The value of qualifier `key` on statement `id`, provenance included.
    func qualifier(_ id: StatementID, _ key: Int32) -> Value? {
        qualifierTerm(Int(id), key).map { value($0) }
    }

    /// The term of qualifier `key` on statement `i`, provenance included.
    func qualifierTerm(_ i: Int, _ key: Int32) -> Term? {
        if table.asserted[i], key == StatementTable.sourceKey || key == StatementTable.paraKey {
            if key == StatementTable.sourceKey, let d = table.document(i) { return Term(entity: d) }
            if key == StatementTable.paraKey, let p = table.paragraph(i) { return term(for: .integer(p)) }
        }
        for q in table.storedQualifiers(i) where table.qualifierKeys[q] == key { return table.qualifierValues[q] }
        return nil
    }
    public func predicateName(_ id: PredicateID) -> String { predicates[Int(id)].name }
    public func keyName(_ id: Int32) -> String { keys[Int(id)].name }
    public func typeName(_ id: Int32) -> String { types[Int(id)].name }

    /// Entities named `name` by id, label or alias, case-insensitively (`_` reads as a space).
    public func entities(named name: String) -> [EntityID] {
        if let exact = entityID(exactly: name) { return [exact] }
        let key = FactStore.normalize(name)
        return nameIndex.candidates(name: name).filter { e in
            let entity = entities[Int(e)]
            return ([entity.id, entity.label] + entity.aliases).contains { FactStore.normalize($0) == key }
        }
    }

    /// Every name an entity can be called by, for suggestions and completion.
    public var allEntityNames: [String] {
        entities.indices.flatMap { [entities.id($0)] + entities.labelAndAliases($0) }
    }

    /// A "did you mean" for an unknown entity name: the closest id, label or alias, shown
    /// as the id when that is what the user should type.
    public func suggestEntity(_ name: String) -> String {
        guard let near = Suggest.closest(to: name, in: allEntityNames) else { return "" }
        let ids = entities(named: near)
        if ids.count == 1 { return " (did you mean '\(entity(ids[0]).id)'?)" }
        return " (did you mean '\(near)'?)"
    }

    public func suggestPredicate(_ name: String) -> String { Suggest.hint(name, predicates.map(\.name)) }
    public func suggestType(_ name: String) -> String { Suggest.hint(name, types.map(\.name)) }
    public func suggestKey(_ name: String) -> String { Suggest.hint(name, keys.map(\.name)) }

    /// The predicate and its sub-predicates: `says` matches `claims`.
    public func predicateFamily(_ p: PredicateID) -> [PredicateID] { predicateClosure[Int(p)] }
    public func typeFamily(_ t: Int32) -> [Int32] { typeClosure[Int(t)] }

    /// Whether entity `e` has type `t` or one of its sub-types.
    public func entity(_ e: EntityID, isA t: Int32) -> Bool {
        let family = typeClosure[Int(t)]
        return entities.types(Int(e)).contains { family.contains($0) }
    }

    /// Every type of `e`, with their super-types, nearest first.
    public func allTypes(of e: EntityID) -> [Int32] { allTypes(declared: entities.types(Int(e))) }

    /// The types of an entity declared of `declared`: those, then their supertypes, breadth
    /// first, each once.
    func allTypes(declared: [Int32]) -> [Int32] {
        var seen: [Int32] = []
        var queue = declared
        while !queue.isEmpty {
            let t = queue.removeFirst()
            if !seen.contains(t) {
                seen.append(t)
                queue += types[Int(t)].supertypes
            }
        }
        return seen
    }

    /// Members of `t` and of its sub-types. Made once for the store and kept (`derived`):
    /// a plan weighs a type step by its members, and the step then reads them, in every
    /// query that names the type.
    public func members(of t: Int32) -> [EntityID] { membership(of: t).members }

    /// A bit per entity of the store, set for the members of `t` and of its sub-types
    /// (made once and kept, as `members(of:)`).
    func memberBits(of t: Int32) -> [UInt64] { membership(of: t).bits }

    /// `memberBits(of:)` and `members(of:)`, made together and kept.
    private func membership(of t: Int32) -> (bits: [UInt64], members: [EntityID]) {
        derived("members of type \(t)") {
            // Each entity once (one may be declared with a type and a sub-type, or twice):
            // marked in a bit per entity, not hashed into a Set (hashing 40,000 members was
            // a tenth of a query that filters them).
            var result: [EntityID] = []
            var seen = [UInt64](repeating: 0, count: (entities.count + 63) / 64)
            for sub in typeClosure[Int(t)] {
                for e in typeMembers[Int(sub)] {
                    let (word, bit) = (Int(e) >> 6, UInt64(1) << UInt64(e & 63))
                    if seen[word] & bit == 0 {
                        seen[word] |= bit
                        result.append(e)
                    }
                }
            }
            return (seen, result)
        }
    }

    public func isStance(_ p: PredicateID) -> Bool { predicates[Int(p)].isStance }

    // Index access for the evaluator: slices of the indexes, in statement order.
    func statements(withSubject v: Value) -> ColumnSlice<StatementID> { term(for: v).map { bySubject[$0] } ?? .empty }
    func statements(withObject v: Value) -> ColumnSlice<StatementID> { term(for: v).map { byObject[$0] } ?? .empty }
    func statements(withPredicate p: PredicateID) -> ColumnSlice<StatementID> { byPredicate[Int(p)] }
    func statements(withQualifier k: Int32, value: Value) -> ColumnSlice<StatementID> {
        term(for: value).map { statements(withQualifier: k, term: $0) } ?? .empty
    }

    static func isProvenanceKey(_ k: Int32) -> Bool { k == StatementTable.sourceKey || k == StatementTable.paraKey }

    /// How many statements have `t` for qualifier `k`, provenance included, without
    /// spelling out a provenance key's runs.
    func statementCount(withQualifier k: Int32, term t: Term) -> Int {
        guard Int(k) < byQualifier.count else { return 0 }
        var n = byQualifier[Int(k)][t].count
        if FactStore.isProvenanceKey(k) { for r in provenanceRuns[Int(k)][t] { n += table.provenanceRun(Int(r)).count } }
        return n
    }

    /// The statements that have `t` for qualifier `k`, in statement order: a slice of the
    /// index, or for a provenance key its runs spelled out, merged with any stored ones.
    func statements(withQualifier k: Int32, term t: Term) -> ColumnSlice<StatementID> {
        guard Int(k) < byQualifier.count else { return .empty }
        let stored = byQualifier[Int(k)][t]
        guard FactStore.isProvenanceKey(k) else { return stored }
        let runs = provenanceRuns[Int(k)][t]
        guard !runs.isEmpty else { return stored }
        var out: [StatementID] = []
        out.reserveCapacity(statementCount(withQualifier: k, term: t))
        var s = stored.startIndex
        for r in runs {
            let range = table.provenanceRun(Int(r))
            while s < stored.endIndex, Int(stored[s]) < range.lowerBound {
                out.append(stored[s])
                s += 1
            }
            if s == stored.endIndex || Int(stored[s]) >= range.upperBound {
                out.append(contentsOf: range.lazy.map { StatementID($0) })
                continue
            }
            for i in range {
                while s < stored.endIndex, Int(stored[s]) < i {
                    out.append(stored[s])
                    s += 1
                }
                if s < stored.endIndex, Int(stored[s]) == i { s += 1 }
                out.append(StatementID(i))
            }
        }
        out.append(contentsOf: stored[s...])
        return Column(out)[...]
    }

    /// Every term qualifier `k` has, in term order, with its statements (as
    /// `statements(withQualifier:term:)` gives them).
    /// `keeping`: the terms whose statements are wanted (a provenance key's are spelled
    /// out only for those).
    func forEachQualifierRun(_ k: Int32, keeping: ((Term) -> Bool)? = nil, _ body: (Term, ColumnSlice<StatementID>) -> Void) {
        guard Int(k) < byQualifier.count else { return }
        guard FactStore.isProvenanceKey(k) else {
            // Without a test, the runs go to `body` directly (a closure around it, called
            // a term, cost a counting of fifty thousand sources half its time).
            guard let keeping else { return byQualifier[Int(k)].forEachRun(body) }
            return byQualifier[Int(k)].forEachRun { t, run in if keeping(t) { body(t, run) } }
        }
        var terms: [UInt32] = []
        byQualifier[Int(k)].forEachRun { t, _ in terms.append(t.raw) }
        provenanceRuns[Int(k)].forEachRun { t, _ in terms.append(t.raw) }
        terms.sort()
        var previous: UInt32? = nil
        for raw in terms where raw != previous {
            previous = raw
            guard keeping?(Term(raw: raw)) ?? true else { continue }
            body(Term(raw: raw), statements(withQualifier: k, term: Term(raw: raw)))
        }
    }
    /// Whether some statement stores a value of key `k` among its qualifiers (a provenance
    /// key's values are otherwise kept as runs of statements).
    func storesValues(ofKey k: Int32) -> Bool {
        guard Int(k) < byQualifier.count else { return false }
        var stored = false
        byQualifier[Int(k)].forEachRun { _, run in stored = stored || !run.isEmpty }
        return stored
    }

    /// For provenance key `k` when no statement stores a value of it: each term `keeping`
    /// keeps, with how many statements have it and the first, read from its runs without
    /// spelling them out (all asserted: quoted statements have no provenance). False, and
    /// nothing called, when some statement stores one.
    func forEachProvenanceTerm(_ k: Int32, keeping: ((Term) -> Bool)?, _ body: (Term, Int, StatementID) -> Void) -> Bool {
        guard FactStore.isProvenanceKey(k), Int(k) < byQualifier.count, !storesValues(ofKey: k) else { return false }
        provenanceRuns[Int(k)].forEachRun { t, runs in
            guard !runs.isEmpty, keeping?(t) ?? true else { return }
            var n = 0
            for r in runs { n += table.provenanceRun(Int(r)).count }
            body(t, n, StatementID(table.provenanceRun(Int(runs[runs.startIndex])).lowerBound))
        }
        return true
    }

    /// Statements with a stored qualifier `k`; nil for the provenance keys, which nearly
    /// every statement has.
    func statements(withKey k: Int32) -> ColumnSlice<StatementID>? {
        k == StatementTable.sourceKey || k == StatementTable.paraKey ? nil : byKey[Int(k)]
    }

    /// Approximate bytes held per part of the store, for the benchmark's memory report.
    public var memoryReport: [String: Int] {
        let entityBytes = entities.byteCount
        let names = nameIndex.byteCount
        return [
            "statements": table.byteCount,
            "literals": literals.byteCount,
            "entities": entityBytes,
            "entity_names": names,
            "index_subject": bySubject.byteCount,
            "index_object": byObject.byteCount,
            "index_predicate": byPredicate.byteCount,
            "index_key": byKey.byteCount,
            "index_qualifier": byQualifier.reduce(0) { $0 + $1.byteCount } + provenanceRuns.reduce(0) { $0 + $1.byteCount },
        ]
    }
}
