import Synchronization

/// What a reader knows of the store so far: each part read checks its references against
/// the parts read before it (sections are read in `ImageFormat.Tag` order).
struct ImageBounds {
    var types = 0
    var predicates = 0
    var keys = 0
    var entities = 0
    var literals = 0
    var statements = 0

    func holds(_ t: Term) -> Bool {
        switch t.kind {
        case Term.entityKind: return t.index < entities
        case Term.literalKind: return t.index < literals
        case Term.propositionKind: return t.index < statements
        default: return false
        }
    }
}

extension FactStore {
    /// The store's sections, in `ImageFormat.Tag` order (the `sources` section is the
    /// caller's: what the store was loaded from, to tell when it is stale).
    func imageSections() -> [(ImageFormat.Tag, ImageWriter)] {
        var schema = ImageWriter()
        // The counts first: with them, the other sections are read at once.
        schema.int(entities.count)
        schema.int(literals.count)
        schema.int(table.count)
        schema.int(table.provenanceRunStart.count)
        schema.put(types)
        schema.put(predicates)
        schema.put(keys)
        schema.put(loadedFiles)
        schema.int(version)

        var entitySection = ImageWriter()
        entitySection.put(entities)

        var literalSection = ImageWriter()
        literalSection.put(literals)

        var statements = ImageWriter()
        statements.put(table)
        statements.int(assertedTotal)

        var names = ImageWriter()
        names.put(nameIndex)

        var indexes = ImageWriter()
        bySubject.write(to: &indexes)
        byObject.write(to: &indexes)
        byPredicate.write(to: &indexes)
        byKey.write(to: &indexes)
        indexes.int(byQualifier.count)
        for q in byQualifier { q.write(to: &indexes) }
        indexes.int(provenanceRuns.count)
        for p in provenanceRuns { p.write(to: &indexes) }
        // Type members flattened: a list per type is an array apiece.
        indexes.column(typeMembers.map { UInt32($0.count) })
        indexes.column(typeMembers.flatMap { $0 })

        var ruleSection = ImageWriter()
        ruleSection.int(rules.count)
        for rule in rules {
            ruleSection.put(rule.source.name)
            ruleSection.column(rule.source.bytes)
            ruleSection.int(rule.source.firstLine)
            ruleSection.int(rule.source.firstColumn)
        }
        return [
            (.schema, schema), (.entities, entitySection), (.literals, literalSection), (.statements, statements),
            (.names, names), (.indexes, indexes), (.rules, ruleSection),
        ]
    }

    /// Reads a store from its sections (every tag but `sources`), checking as it goes that
    /// every reference lands inside the store: whatever the bytes, this throws or returns a
    /// store every query can use. The schema section says how many entities, literals,
    /// statements and provenance runs the others hold, so the other sections are read at
    /// once, on every core, each checking its references against those counts and its own
    /// count against the schema's.
    /// `keeper` keeps the sections' memory alive (the image's mapping): the store's large
    /// columns are used where they lie. Without one they are copied.
    /// `sealed`: the image is one this kbq checked whole before (`ImageSeals`), so the checks
    /// that read whole columns are skipped: opening reads the counts, not the data.
    init(imageSections sections: [ImageFormat.Tag: UnsafeRawBufferPointer], keeper: AnyObject? = nil, sealed: Bool = false) throws {
        self.init(bare: ())
        let mapped = MappedSections(sections, keeper: keeper)
        @Sendable func reader(_ tag: ImageFormat.Tag, _ bounds: ImageBounds) throws -> ImageReader {
            guard let bytes = mapped.sections[tag] else { throw ImageError("no '\(tag)' section") }
            var r = ImageReader(bytes, name: "\(tag)", keeper: mapped.keeper)
            r.bounds = bounds
            r.checksColumns = !sealed
            return r
        }
        @Sendable func finish(_ r: ImageReader) throws {
            guard r.isAtEnd else { throw r.failure("bytes left over") }
            parts.deferChecks(r.deferred)
        }

        let parts = ImageParts()
        var r = try reader(.schema, ImageBounds())
        var bounds = ImageBounds()
        bounds.entities = try r.int(in: 0...Int(Term.indexMask), "entity count")
        bounds.literals = try r.int(in: 0...Int(Term.indexMask), "literal count")
        bounds.statements = try r.int(in: 0...Int(Term.indexMask), "statement count")
        let runCount = try r.int(in: 0...bounds.statements, "provenance run count")
        types = try r.get()
        predicates = try r.get()
        keys = try r.get()
        loadedFiles = try r.get()
        version = try r.int()
        bounds.types = types.count
        bounds.predicates = predicates.count
        bounds.keys = keys.count
        try r.check(predicates.count >= 1 && predicates[0].name == "is_a" && predicates.count <= Int(Int32.max), "predicates")
        try r.check(keys.count >= FactStore.builtinKeys.count, "keys")
        for (k, (name, type)) in FactStore.builtinKeys.enumerated() {
            try r.check(keys[k].name == name && keys[k].valueType == type, "built-in key \(name)")
        }
        for t in types { for s in t.supertypes { try r.check(s >= 0 && Int(s) < types.count, "supertype") } }
        for p in predicates { for s in p.supers { try r.check(s >= 0 && Int(s) < predicates.count, "super-predicate") } }
        // As the loader does: a deeper hierarchy makes closures quadratic in its depth.
        let typeDepths = Loader.hierarchyDepths(count: types.count) { types[$0].supertypes.map(Int.init) }
        let predicateDepths = Loader.hierarchyDepths(count: predicates.count) { predicates[$0].supers.map(Int.init) }
        try r.check((typeDepths + predicateDepths).allSatisfy { $0 <= Loader.maxHierarchyDepth }, "a hierarchy too deep")
        try finish(r)

        // The other sections at once: the indexes (the largest), the statements, and the
        // rest, each into its own slot.
        let (b, count, keyCount, typeCount) = (bounds, bounds.statements, keys.count, types.count)
        let knownRules = Set<String>()
        @Sendable func read(_ part: Int) {
            do {
                switch part {
                case 0:
                    var r = try reader(.indexes, b)
                    parts.bySubject = try TermPostings(image: &r, idLimit: count)
                    parts.byObject = try TermPostings(image: &r, idLimit: count)
                    parts.byPredicate = try PostingIndex(image: &r, keyLimit: b.predicates, idLimit: count)
                    parts.byKey = try PostingIndex(image: &r, keyLimit: keyCount, idLimit: count)
                    let qualifierCount = try r.int(in: keyCount...keyCount, "qualifier indexes")
                    parts.byQualifier = try (0..<qualifierCount).map { _ in try TermPostings(image: &r, idLimit: count) }
                    _ = try r.int(in: 2...2, "provenance indexes")
                    parts.provenanceRuns = try (0..<2).map { _ in try TermPostings(image: &r, idLimit: runCount) }
                    let memberCounts: [UInt32] = try r.column()
                    let members: Column<EntityID> = try r.view()
                    try r.check(memberCounts.count == typeCount && memberCounts.reduce(0, { $0 + Int($1) }) == members.count, "type members")
                    if !sealed { try r.check(ImageCheck.allBelow(members, b.entities), "type members") }
                    var start = 0
                    // Each type's members a view of the one column (nothing copied).
                    parts.typeMembers = memberCounts.map { c in
                        defer { start += Int(c) }
                        return members.view(start..<start + Int(c))
                    }
                    try finish(r)
                case 1:
                    var r = try reader(.statements, b)
                    let table: StatementTable = try r.get()
                    parts.assertedTotal = try r.int(in: 0...table.count, "asserted count")
                    try r.check(table.provenanceRunStart.count == runCount, "provenance runs")
                    try finish(r)
                    parts.table = table
                default:
                    var r = try reader(.entities, b)
                    parts.entities = try r.get()
                    try finish(r)
                    r = try reader(.literals, b)
                    parts.literals = try r.get()
                    try finish(r)
                    r = try reader(.names, b)
                    parts.nameIndex = try r.get()
                    try finish(r)
                    r = try reader(.rules, b)
                    let ruleCount = try r.count(itemBytes: 32)
                    var ruleNames = knownRules
                    for _ in 0..<ruleCount {
                        let source = SourceText(
                            name: try r.get(), bytes: try r.column(), firstLine: try r.int(in: 1...Int(Int32.max), "line"),
                            firstColumn: try r.int(in: 1...Int(Int32.max), "column"))
                        // Parsed as the loader did: knowing the rules before it (and itself).
                        guard case .rule(let syntax)? = try? Parser.parseKBItem(source, rules: ruleNames) else {
                            throw r.failure("a rule that does not parse")
                        }
                        parts.rules.append(StoredRule(syntax: syntax, source: source))
                        ruleNames.insert(syntax.name.text)
                    }
                    try finish(r)
                }
            } catch {
                parts.fail(error)
            }
        }
        // Threads only for a large store whose columns are checked: starting them costs a
        // small or sealed one (counts read, no column) more than they save.
        if count >= 1 << 16 && !sealed { Parallel.forEach(3, read) } else { for part in 0..<3 { read(part) } }
        if let failure = parts.failure { throw failure }
        // Then the column checks the readers left, shared out over every core.
        let checks = parts.deferred
        if count >= 1 << 16 {
            Parallel.forEach(checks.count) { k in if !checks[k].test() { parts.fail(checks[k].failure) } }
        } else {
            for check in checks where !check.test() { parts.fail(check.failure) }
        }
        if let failure = parts.failure { throw failure }
        entities = parts.entities
        literals = parts.literals
        table = parts.table
        assertedTotal = parts.assertedTotal
        nameIndex = parts.nameIndex
        bySubject = parts.bySubject
        byObject = parts.byObject
        byPredicate = parts.byPredicate
        byKey = parts.byKey
        byQualifier = parts.byQualifier
        provenanceRuns = parts.provenanceRuns
        typeMembers = parts.typeMembers
        rules = parts.rules
        recomputeClosures()
        deriveLookupTables()
        propositionIndexPending = true
    }
}

/// The sections of a mapping, for the parts reading them on other threads (the mapping
/// outlives them: `FactStore(imageSections:)` returns after every part is done, and the
/// columns it left in place hold `keeper`).
private struct MappedSections: @unchecked Sendable {
    let sections: [ImageFormat.Tag: UnsafeRawBufferPointer]
    let keeper: AnyObject?
    init(_ sections: [ImageFormat.Tag: UnsafeRawBufferPointer], keeper: AnyObject?) {
        self.sections = sections
        self.keeper = keeper
    }
}

/// What the parts of `FactStore(imageSections:)` read, each part writing its own fields
/// (read only after every part is done).
private final class ImageParts: @unchecked Sendable {
    var entities = EntityTable()
    var literals = LiteralTable()
    var table = StatementTable()
    var assertedTotal = 0
    var nameIndex = NameIndex()
    var bySubject = TermPostings()
    var byObject = TermPostings()
    var byPredicate = PostingIndex()
    var byKey = PostingIndex()
    var byQualifier: [TermPostings] = []
    var provenanceRuns: [TermPostings] = []
    var typeMembers: [Column<EntityID>] = []
    var rules: [StoredRule] = []
    private let lock = Mutex<Error?>(nil)
    var failure: Error? { lock.withLock { $0 } }
    func fail(_ e: Error) { lock.withLock { if $0 == nil { $0 = e } } }
    private let checks = Mutex<[DeferredCheck]>([])
    var deferred: [DeferredCheck] { checks.withLock { $0 } }
    func deferChecks(_ more: [DeferredCheck]) { checks.withLock { $0 += more } }
}
