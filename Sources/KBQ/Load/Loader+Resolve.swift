extension Loader {
    // MARK: pass 2: resolving names, in declaration order

    mutating func resolveAll() {
        declareTypes()
        declarePredicatesAndKeys()
        store.recomputeClosures()
        declareEntities()
        phases.end("entities")
        importRDF()
        importCSV()
        resolveFromDocuments()
        store.table.reserve(fast.lines.count + items.count)
        var j = 0
        while j < statementOrder.count {
            let n = statementOrder[j]
            guard n >= 0 else {
                // A run of fast lines, one after another: up to the next run's first.
                let first = -n - 1
                var next = j + 1
                while next < statementOrder.count, statementOrder[next] >= 0 { next += 1 }
                resolveFastLines(first..<(next < statementOrder.count ? -statementOrder[next] - 1 : fast.lines.count))
                j += 1
                continue
            }
            j += 1
            let parsed = items[n]
            switch parsed.item {
            case .statement(let p):
                _ = resolveStatement(p, asserted: true, parsed)
            case .rule(let r):
                store.addRule(StoredRule(syntax: r, source: parsed.source))
            default:
                break
            }
        }
        phases.end("statements")
    }

    mutating func declareTypes() {
        var pending: [(Int32, [Name], SourceText)] = []
        for parsed in items {
            guard case .type(let name, let supers, let description, let iri) = parsed.item else { continue }
            if let existing = store.typeID(name.text) {
                let first = store.types[Int(existing)].declaredAt
                report(error("duplicate type '\(name.text)' (first declared at \(first))", parsed.source, name.range))
                continue
            }
            let id = store.addType(TypeInfo(name: name.text, supertypes: [], description: description, declaredAt: location(parsed.source, name.range), iri: iri))
            pending.append((id, supers, parsed.source))
        }
        for (id, supers, source) in pending {
            var resolved: [Int32] = []
            for s in supers {
                guard let t = store.typeID(s.text) else {
                    report(error("unknown type '\(s.text)'\(store.suggestType(s.text))", source, s.range))
                    continue
                }
                resolved.append(t)
            }
            store.setSupertypes(id, resolved)
        }
        // Each type's closure lists everything below it: a chain of n types costs n^2/2
        // entries (20,000 took a minute and 2.5 GB). Past `maxHierarchyDepth` levels, a
        // located error, and the type is cut from its parents.
        let depth = Loader.hierarchyDepths(count: store.types.count) { store.types[$0].supertypes.map(Int.init) }
        for (id, _, source) in pending where depth[Int(id)] > Loader.maxHierarchyDepth {
            let at = store.types[Int(id)].declaredAt
            report(error("type '\(store.types[Int(id)].name)' is \(depth[Int(id)]) levels below its root: a hierarchy may be at most \(Loader.maxHierarchyDepth) deep", source, at.line == 0 ? 0..<0 : Loader.lineRange(source, at.line)))
            store.setSupertypes(id, [])
        }
    }

    static let maxHierarchyDepth = 256

    /// Each node's longest distance from a root (a node with no parent), given each node's
    /// parents; nodes on a cycle keep 0 (cycles are reported elsewhere).
    static func hierarchyDepths(count: Int, parents: (Int) -> [Int]) -> [Int] {
        var children = Array(repeating: [Int](), count: count)
        var waiting = Array(repeating: 0, count: count)
        for i in 0..<count {
            for p in parents(i) where p != i {
                children[p].append(i)
                waiting[i] += 1
            }
        }
        var depth = Array(repeating: 0, count: count)
        var queue = (0..<count).filter { waiting[$0] == 0 }
        var head = 0
        while head < queue.count {
            let n = queue[head]
            head += 1
            for c in children[n] {
                depth[c] = max(depth[c], depth[n] + 1)
                waiting[c] -= 1
                if waiting[c] == 0 { queue.append(c) }
            }
        }
        return depth
    }

    /// The byte range of line `line` of `source` (counted from its first line).
    static func lineRange(_ source: SourceText, _ line: Int) -> Range<Int> {
        var current = source.firstLine
        var start = 0
        let bytes = source.bytes
        while current < line, start < bytes.count {
            if bytes[start] == 0x0A { current += 1 }
            start += 1
        }
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        return start..<end
    }

    mutating func declarePredicatesAndKeys() {
        var pending: [(PredicateID, [Name], SourceText)] = []
        for parsed in items {
            switch parsed.item {
            case .predicate(let name, let supers, let isStance, let description, let iri):
                if let existing = store.predicateID(name.text) {
                    let at = store.predicates[Int(existing)].declaredAt.map { " (first declared at \($0))" } ?? " (a built-in predicate)"
                    report(error("duplicate predicate '\(name.text)'\(at)", parsed.source, name.range))
                    continue
                }
                let id = store.addPredicate(PredicateInfo(
                    name: name.text, supers: [], isStance: isStance, description: description,
                    declaredAt: location(parsed.source, name.range), iri: iri))
                pending.append((id, supers, parsed.source))
            case .key(let name, let valueType, let iri):
                if store.keyID(name.text) != nil {
                    report(error("duplicate qualifier key '\(name.text)'", parsed.source, name.range))
                    continue
                }
                var type = ValueType.any
                if let vt = valueType {
                    guard let t = ValueType(rawValue: vt.text) else {
                        report(error("unknown value type '\(vt.text)'\(Suggest.hint(vt.text, ValueType.allCases.map(\.rawValue)))", parsed.source, vt.range))
                        continue
                    }
                    type = t
                }
                _ = store.addKey(KeyInfo(name: name.text, valueType: type, iri: iri))
            default:
                break
            }
        }
        for (id, supers, source) in pending {
            var resolved: [PredicateID] = []
            for s in supers {
                guard let p = store.predicateID(s.text) else {
                    report(error("unknown predicate '\(s.text)'\(store.suggestPredicate(s.text))", source, s.range))
                    continue
                }
                resolved.append(p)
            }
            store.setSuperpredicates(id, resolved)
        }
        let depth = Loader.hierarchyDepths(count: store.predicates.count) { store.predicates[$0].supers.map(Int.init) }
        for (id, _, source) in pending where depth[Int(id)] > Loader.maxHierarchyDepth {
            let name = store.predicates[Int(id)].name
            report(error("predicate '\(name)' is \(depth[Int(id)]) levels below its root: a hierarchy may be at most \(Loader.maxHierarchyDepth) deep", source, store.predicates[Int(id)].declaredAt.map { Loader.lineRange(source, $0.line) } ?? 0..<0))
            store.setSuperpredicates(id, [])
        }
        // A sub-predicate of a stance is a stance: `claims` under `says`.
        var changed = true
        while changed {
            changed = false
            for i in store.predicates.indices where !store.predicates[i].isStance {
                if store.predicates[i].supers.contains(where: { store.isStance($0) }) {
                    store.predicates[i].isStance = true
                    changed = true
                }
            }
        }
    }

    mutating func declareEntities() {
        store.entities.reserve(entityOrder.count)
        // An id each (ids are distinct; labels and aliases often are not, and may grow it).
        store.nameIndex.reserve(entityOrder.count)
        let scans = EntityScans(fast.entities, fast.texts)
        let prefetchNames = store.nameIndex.outgrowsCache
        var chunk = EntityScans.Chunk()
        var chunkIndex = -1
        var n = 0
        while n < entityOrder.count {
            guard entityOrder[n] < 0 else {
                declareEntity(items[entityOrder[n]])
                n += 1
                continue
            }
            // A run of fast lines of one file, read through one pointer (taking the file's
            // text a line retained and released its name and bytes each time).
            let file = fast.entities[-entityOrder[n] - 1].file
            var end = n + 1
            while end < entityOrder.count, entityOrder[end] < 0, fast.entities[-entityOrder[end] - 1].file == file { end += 1 }
            let text = fast.texts[Int(file)]
            text.bytes.withUnsafeBufferPointer { b in
                for i in n..<end {
                    let k = -entityOrder[i] - 1
                    if k / EntityScans.chunkSize != chunkIndex {
                        chunkIndex = k / EntityScans.chunkSize
                        chunk = EntityScans.Chunk()
                        chunk = scans.chunk(chunkIndex)
                    }
                    let j = k - chunkIndex * EntityScans.chunkSize
                    if prefetchNames, j + Loader.fetchAhead < chunk.scans.count {
                        // The name index's slots of a declaration a few lines on.
                        let ahead = chunk.scans[j + Loader.fetchAhead]
                        if ahead.plain {
                            store.nameIndex.prefetch(hash: ahead.idHash)
                            store.nameIndex.prefetch(hash: ahead.labelHash)
                            for a in ahead.aliases { store.nameIndex.prefetch(hash: chunk.aliasHashes[a]) }
                        }
                    }
                    declareFastEntity(fast.entities[k], chunk.scans[j], chunk, b, text.name)
                }
            }
            n = end
        }
    }

    mutating func declareEntity(_ parsed: ParsedItem) {
        guard case .entity(let name, let typeNames, let label, let props, _) = parsed.item else { return }
        if let existing = store.entityID(exactly: name.text) {
            let first = store.entity(existing).declaredAt
            report(error("duplicate entity id '\(name.text)' (first declared at \(first))", parsed.source, name.range))
            return
        }
        var types: [Int32] = []
        for t in typeNames {
            guard let id = store.typeID(t.text) else {
                report(error("unknown type '\(t.text)'\(store.suggestType(t.text))", parsed.source, t.range))
                continue
            }
            types.append(id)
        }
        var entity = Entity(
            id: name.text, types: [], label: label ?? String(name.text.map { $0 == "_" ? " " : $0 }),
            aliases: [], description: nil, paragraphs: nil, declaredAt: location(parsed.source, name.range))
        for p in props { applyProperty(p, to: &entity, parsed.source) }
        let id = store.addEntity(entity)
        store.setEntityTypes(id, types)
    }

    static let entityProperties = ["alias", "description", "paragraphs", "iri"]
    /// The largest paragraph number: they are kept in 32 bits (Int32.min marks none).
    static let maxParagraph = Int(Int32.max)

    mutating func applyProperty(_ p: QualifierSyntax, to entity: inout Entity, _ source: SourceText) {
        switch (p.key.text, p.value) {
        case ("alias", .string(let s, _)): entity.aliases.append(s)
        case ("description", .string(let s, _)): entity.description = s
        case ("paragraphs", .integer(let n, let r)):
            // Paragraphs are stored in 32 bits; a count below zero means nothing.
            guard (0...Loader.maxParagraph).contains(n) else {
                report(error("'paragraphs' must be 0 to \(Loader.maxParagraph), not \(n)", source, r))
                return
            }
            entity.paragraphs = n
        case ("iri", .string(let s, _)): entity.iri = s
        case ("alias", let v), ("description", let v), ("iri", let v):
            report(error("'\(p.key.text)' takes a string", source, v.range))
        case ("paragraphs", let v):
            report(error("'paragraphs' takes a number", source, v.range))
        default:
            report(error("unknown entity property '\(p.key.text)'\(Suggest.hint(p.key.text, Loader.entityProperties))", source, p.key.range))
        }
    }

    /// Resolves one statement (or, when not asserted, one proposition) and adds it.
    mutating func resolveStatement(_ p: PatternSyntax, asserted: Bool, _ parsed: ParsedItem) -> StatementID? {
        let source = parsed.source
        guard case .predicate(let predName) = p.path else { return nil }
        guard let subject = resolveTerm(p.subject, source, parsed) else { return nil }
        guard let predicate = store.predicateID(predName.text) else {
            report(error("unknown predicate '\(predName.text)'\(store.suggestPredicate(predName.text))", source, predName.range))
            return nil
        }
        if predicate == FactStore.isA {
            report(error("types are given in the entity declaration ('entity X: Type'), not with 'is_a'", source, predName.range))
            return nil
        }
        guard let object = resolveTerm(p.object, source, parsed) else { return nil }
        let isProposition: Bool
        if case .proposition = object { isProposition = true } else { isProposition = false }
        if store.isStance(predicate) && !isProposition {
            report(error("'\(predName.text)' is a stance: its object must be a proposition in brackets, [subject predicate object]", source, p.object.range))
            return nil
        }
        if !store.isStance(predicate) && isProposition {
            report(error("'\(predName.text)' is not a stance, so its object cannot be a proposition (declare it with 'stance')", source, p.object.range))
            return nil
        }
        var qualifiers: [(key: Int32, value: Value)] = []
        for q in p.qualifiers {
            guard let key = store.keyID(q.key.text) else {
                report(error("unknown qualifier key '\(q.key.text)'\(store.suggestKey(q.key.text))", source, q.key.range))
                return nil
            }
            guard let v = resolveQualifierValue(q.value, key: key, source, parsed) else { return nil }
            qualifiers.append((key, v))
        }
        var statement = Statement(
            subject: subject, predicate: predicate, object: object, qualifiers: qualifiers, asserted: asserted,
            name: nil, location: location(source, p.range), document: nil, paragraph: nil)
        if asserted {
            guard addProvenance(&statement, p, parsed) else { return nil }
        }
        if case .name(let n)? = p.binding {
            if store.statementID(named: n.text) != nil {
                report(error("duplicate statement name '\(n.text)'", source, n.range))
                return nil
            }
            statement.name = n.text
        }
        return store.addStatement(statement)
    }

    /// Fills in the source document and paragraph from the qualifiers or the `from` line,
    /// and checks them.
    mutating func addProvenance(_ s: inout Statement, _ p: PatternSyntax, _ parsed: ParsedItem) -> Bool {
        let sourceKey = Loader.sourceKey
        let paraKey = Loader.paraKey
        var document: EntityID? = nil
        var paragraph: Int? = nil
        var where_: (SourceText, Range<Int>) = (parsed.source, p.range)
        if case .entity(let d)? = s.qualifier(sourceKey) { document = d }
        if case .integer(let n)? = s.qualifier(paraKey) { paragraph = n }
        if document == nil, let from = parsed.from {
            guard let d = store.entityID(exactly: from.document.text) else {
                report(error("undefined document '\(from.document.text)'\(store.suggestEntity(from.document.text))", from.source, from.document.range))
                return false
            }
            document = d
            if paragraph == nil { paragraph = from.paragraph }
            where_ = (from.source, from.document.range)
        }
        guard let doc = document else {
            report(error("statement has no source: put it under a 'from DOCUMENT para N' line, or give it {source: DOCUMENT, para: N}", parsed.source, p.range))
            return false
        }
        if let known = documentChecked[doc] {
            if !known { return false }
        } else if let docType = store.typeID("Document"), !store.entity(doc, isA: docType) {
            documentChecked[doc] = false
            report(error("source '\(store.entity(doc).id)' is not a Document", where_.0, where_.1))
            return false
        }
        documentChecked[doc] = true
        if let n = paragraph, !(0...Loader.maxParagraph).contains(n) {
            // Where the number is written: the `para:` qualifier, or the `from` line.
            var at = where_
            if let q = p.qualifiers.first(where: { $0.key.text == "para" }) { at = (parsed.source, q.value.range) }
            report(error("paragraph \(n) is out of range (0 to \(Loader.maxParagraph))", at.0, at.1))
            return false
        }
        if let n = paragraph, let count = store.entities.paragraphs(Int(doc)), n < 0 || n > count {
            report(error("paragraph \(n) is outside '\(store.entity(doc).id)', which has paragraphs 0 to \(count)", where_.0, where_.1))
            return false
        }
        s.document = doc
        s.paragraph = paragraph
        if s.qualifier(sourceKey) == nil { s.qualifiers.append((sourceKey, .entity(doc))) }
        if s.qualifier(paraKey) == nil, let n = paragraph { s.qualifiers.append((paraKey, .integer(n))) }
        return true
    }

    mutating func resolveTerm(_ t: TermSyntax, _ source: SourceText, _ parsed: ParsedItem) -> Value? {
        switch t {
        case .name(let n):
            guard let e = store.entityID(exactly: n.text) else {
                report(error("undefined entity '\(n.text)'\(store.suggestEntity(n.text))", source, n.range))
                return nil
            }
            return .entity(e)
        case .string(let s, _): return .string(s)
        case .typed(let s, let t, _): return Loader.typedValue(s, t)
        case .integer(let i, _): return .integer(i)
        case .decimal(let d, _): return .decimal(d)
        case .date(let d, _): return .date(d)
        case .unknown: return .unknown
        case .none: return Value.none
        case .proposition(let inner, _):
            return resolveStatement(inner, asserted: false, parsed).map { .proposition($0) }
        case .iri(let iri, let r):
            guard let e = store.entity(iri: iri) else {
                report(error("no entity has the IRI <\(iri)>", source, r))
                return nil
            }
            return .entity(e)
        case .variable, .wildcard:
            return nil  // rejected by the parser
        }
    }

    mutating func resolveQualifierValue(_ t: TermSyntax, key: Int32, _ source: SourceText, _ parsed: ParsedItem) -> Value? {
        let info = store.keys[Int(key)]
        guard let v = resolveTerm(t, source, parsed) else { return nil }
        guard let accepted = Loader.accepted(v, info.valueType) else {
            report(error("qualifier '\(info.name)' takes \(Loader.article(info.valueType)), not \(Loader.describe(v))", source, t.range))
            return nil
        }
        return accepted
    }

    /// A qualifier value as a key of type `type` takes it (a year given to a date key is a
    /// date), or nil when the key does not take it.
    static func accepted(_ v: Value, _ type: ValueType) -> Value? {
        switch (type, v) {
        case (_, .unknown), (_, .none), (.any, _): return v
        case (.string, .string), (.integer, .integer), (.decimal, .decimal), (.decimal, .integer),
            (.date, .date), (.entity, .entity):
            return v
        case (.date, .integer(let y)) where (1000...9999).contains(y):
            return .date(DateValue(year: y))
        default:
            return nil
        }
    }

    static func article(_ t: ValueType) -> String {
        t == .integer || t == .entity ? "an \(t.rawValue)" : "a \(t.rawValue)"
    }

    static func describe(_ v: Value) -> String {
        switch v {
        case .string(let s): return "the string \"\(s)\""
        case .integer(let i): return "the integer \(i)"
        case .decimal(let d): return "the decimal \(d)"
        case .typedLiteral(let s, let t): return "the literal \"\(s)\" of type \(t)"
        case .date(let d): return "the date \(d)"
        case .entity: return "an entity"
        case .proposition: return "a proposition"
        default: return "that value"
        }
    }
}
