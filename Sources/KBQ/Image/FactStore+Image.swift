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
        schema.put(types)
        schema.put(predicates)
        schema.put(keys)
        schema.put(typeIndex)
        schema.put(predicateIndex)
        schema.put(keyIndex)
        schema.put(loadedFiles)
        schema.int(version)

        var entitySection = ImageWriter()
        entitySection.put(entities)
        entitySection.put(iriIndex)

        var literalSection = ImageWriter()
        literalSection.put(literals)

        var statements = ImageWriter()
        statements.put(table)
        statements.put(statementNames)
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
    /// store every query can use.
    init(imageSections sections: [ImageFormat.Tag: UnsafeRawBufferPointer]) throws {
        self.init(bare: ())
        var bounds = ImageBounds()
        func reader(_ tag: ImageFormat.Tag) throws -> ImageReader {
            guard let bytes = sections[tag] else { throw ImageError("no '\(tag)' section") }
            var r = ImageReader(bytes, name: "\(tag)")
            r.bounds = bounds
            return r
        }
        func finish(_ r: ImageReader) throws {
            guard r.isAtEnd else { throw r.failure("bytes left over") }
            bounds = r.bounds
        }

        var r = try reader(.schema)
        types = try r.get()
        predicates = try r.get()
        keys = try r.get()
        typeIndex = try r.get()
        predicateIndex = try r.get()
        keyIndex = try r.get()
        loadedFiles = try r.get()
        version = try r.int()
        r.bounds.types = types.count
        r.bounds.predicates = predicates.count
        r.bounds.keys = keys.count
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
        for v in typeIndex.values { try r.check(v >= 0 && Int(v) < types.count, "type index") }
        for v in predicateIndex.values { try r.check(v >= 0 && Int(v) < predicates.count, "predicate index") }
        for v in keyIndex.values { try r.check(v >= 0 && Int(v) < keys.count, "key index") }
        try finish(r)

        r = try reader(.entities)
        entities = try r.get()
        iriIndex = try r.get()
        for e in iriIndex.values { try r.check(e >= 0 && Int(e) < entities.count, "IRI index") }
        try finish(r)

        r = try reader(.literals)
        literals = try r.get()
        try finish(r)

        r = try reader(.statements)
        table = try r.get()
        statementNames = try r.get()
        assertedTotal = try r.int(in: 0...table.count, "asserted count")
        for id in statementNames.values { try r.check(id >= 0 && Int(id) < table.count, "statement name") }
        try finish(r)

        r = try reader(.names)
        nameIndex = try r.get()
        try finish(r)

        r = try reader(.indexes)
        let n = table.count
        bySubject = try TermPostings(image: &r, idLimit: n)
        byObject = try TermPostings(image: &r, idLimit: n)
        byPredicate = try PostingIndex(image: &r, keyLimit: predicates.count, idLimit: n)
        byKey = try PostingIndex(image: &r, keyLimit: keys.count, idLimit: n)
        let qualifierCount = try r.int(in: keys.count...keys.count, "qualifier indexes")
        byQualifier = try (0..<qualifierCount).map { _ in try TermPostings(image: &r, idLimit: n) }
        _ = try r.int(in: 2...2, "provenance indexes")
        provenanceRuns = try (0..<2).map { _ in try TermPostings(image: &r, idLimit: table.provenanceRunStart.count) }
        let memberCounts: [UInt32] = try r.column()
        let members: [EntityID] = try r.column()
        try r.check(memberCounts.count == types.count && memberCounts.reduce(0, { $0 + Int($1) }) == members.count, "type members")
        try r.check(ImageCheck.allBelow(members, entities.count), "type members")
        var start = 0
        typeMembers = memberCounts.map { c in
            defer { start += Int(c) }
            return Array(members[start..<start + Int(c)])
        }
        try finish(r)

        r = try reader(.rules)
        let ruleCount = try r.count(itemBytes: 32)
        var ruleNames = Set<String>()
        for _ in 0..<ruleCount {
            let source = SourceText(
                name: try r.get(), bytes: try r.column(), firstLine: try r.int(in: 1...Int(Int32.max), "line"),
                firstColumn: try r.int(in: 1...Int(Int32.max), "column"))
            // Parsed as the loader did: knowing the rules before it (and itself).
            guard case .rule(let syntax)? = try? Parser.parseKBItem(source, rules: ruleNames) else {
                throw r.failure("a rule that does not parse")
            }
            rules.append(StoredRule(syntax: syntax, source: source))
            ruleNames.insert(syntax.name.text)
        }
        try finish(r)

        recomputeClosures()
        propositionIndexPending = true
    }
}
