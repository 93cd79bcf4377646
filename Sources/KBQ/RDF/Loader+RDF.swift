/// N-Triples import: IRIs become entities (a readable id from the IRI, the IRI kept),
/// rdfs:label and skos:altLabel labels and aliases, rdf:type types, rdfs:subClassOf and
/// rdfs:subPropertyOf hierarchies; literals keep their datatype; a reifier of an asserted
/// triple gives that statement its qualifiers; a triple term, or a reifier of a triple that
/// is not asserted, becomes a proposition. Statements with no source of their own are
/// sourced to the file, paragraph = line.
extension Loader {
    struct RDFFile {
        var path: String
        var triples: [RDFTriple]
    }

    /// Names already taken, and what IRIs map to, in the store as it is.
    struct RDFNames {
        var entities: [String: EntityID] = [:]
        var types: [String: Int32] = [:]
        var predicates: [String: PredicateID] = [:]
        var keys: [String: Int32] = [:]
        var blank: [String: EntityID] = [:]
    }

    /// Parses an RDF file, N-Triples or Turtle by its name (a Turtle file's relative IRIs
    /// resolve against its own `file:` IRI).
    mutating func parseRDF(_ path: String, _ source: SourceText) {
        do {
            let triples = TurtleParser.isTurtle(path)
                ? try TurtleParser.parse(source, base: "file://" + FileSystem.canonical(path))
                : try NTriplesParser.parse(source)
            rdfFiles.append(RDFFile(path: path, triples: StatementReification.lifted(triples)))
        } catch {
            report(error)
        }
    }

    mutating func importRDF() {
        guard !rdfFiles.isEmpty else { return }
        var names = RDFNames()
        for i in store.entities.indices { if let iri = store.entities.iri(i) { names.entities[iri] = EntityID(i) } }
        for (i, t) in store.types.enumerated() { names.types[t.iri ?? Vocabulary.type(t.name)] = Int32(i) }
        for (i, p) in store.predicates.enumerated() { names.predicates[p.iri ?? Vocabulary.predicate(p.name)] = PredicateID(i) }
        for (i, k) in store.keys.enumerated() { names.keys[k.iri ?? Vocabulary.key(k.name)] = Int32(i) }
        for file in rdfFiles { importRDF(file, &names) }
        store.recomputeClosures()
    }

    static let structural: Set<String> = [
        Vocabulary.type, Vocabulary.label, Vocabulary.altLabel, Vocabulary.comment, Vocabulary.subClassOf,
        Vocabulary.subPropertyOf, Vocabulary.reifies, Vocabulary.range, Vocabulary.paragraphs, Vocabulary.ruleText,
        Vocabulary.id,
    ]

    mutating func importRDF(_ file: RDFFile, _ names: inout RDFNames) {
        currentRDFPath = file.path
        var context = RDFImport(file: file)
        context.index()
        rdfContext = context
        // Schema first: classes, properties, their hierarchies, stances, qualifier keys.
        for t in file.triples {
            guard case .iri(let s) = t.subject else { continue }
            switch (t.predicate, t.object) {
            case (Vocabulary.type, .iri(Vocabulary.rdfsClass)): _ = type(s, &names, t)
            case (Vocabulary.type, .iri(Vocabulary.stance)): store.predicates[Int(predicate(s, &names, t))].isStance = true
            case (Vocabulary.type, .iri(Vocabulary.property)): _ = predicate(s, &names, t)
            case (Vocabulary.type, .iri(Vocabulary.qualifier)): _ = key(s, &names)
            case (Vocabulary.subClassOf, .iri(let o)):
                let sub = type(s, &names, t)
                let sup = type(o, &names, t)
                if !store.types[Int(sub)].supertypes.contains(sup) { store.types[Int(sub)].supertypes.append(sup) }
            case (Vocabulary.subPropertyOf, .iri(let o)):
                let sub = predicate(s, &names, t)
                let sup = predicate(o, &names, t)
                if !store.predicates[Int(sub)].supers.contains(sup) { store.predicates[Int(sub)].supers.append(sup) }
            case (Vocabulary.range, .iri(let o)):
                if let k = names.keys[s], let vt = Vocabulary.valueTypeIRIs.first(where: { $0.value == o })?.key {
                    store.keys[Int(k)].valueType = vt
                }
            case (Vocabulary.comment, .literal(let text, _, _, _)):
                if let ti = names.types[s] { store.types[Int(ti)].description = text }
                else if let p = names.predicates[s] { store.predicates[Int(p)].description = text }
            default: break
            }
        }
        // A predicate whose objects are propositions is a stance.
        for t in file.triples where context.isPropositionObject(t.object) && !Loader.structural.contains(t.predicate) {
            store.predicates[Int(predicate(t.predicate, &names, t))].isStance = true
        }
        store.recomputeClosures()
        // Entities: types, labels, aliases, descriptions.
        for t in file.triples {
            guard !context.isSchemaSubject(t.subject) else { continue }
            switch (t.predicate, t.object) {
            case (Vocabulary.type, .iri(Vocabulary.propositionClass)):
                continue
            case (Vocabulary.type, .iri(let o)) where !context.isReifier(t.subject):
                guard let e = entity(t.subject, &names, t) else { continue }
                let ty = type(o, &names, t)
                if !store.entities.types(Int(e)).contains(ty) { store.setEntityTypes(e, [ty]) }
            case (Vocabulary.label, .literal(let text, _, _, _)):
                guard let e = entity(t.subject, &names, t) else { continue }
                if context.labelled.insert(e).inserted { store.relabel(e, text) } else { store.addAlias(e, text) }
            case (Vocabulary.altLabel, .literal(let text, _, _, _)):
                if let e = entity(t.subject, &names, t) { store.addAlias(e, text) }
            case (Vocabulary.comment, .literal(let text, _, _, _)):
                if let e = entity(t.subject, &names, t) { store.entities.setDescription(e, text) }
            case (Vocabulary.paragraphs, .literal(let text, _, _, _)):
                if let e = entity(t.subject, &names, t) { store.entities.setParagraphs(e, Int(text)) }
            case (Vocabulary.ruleText, .literal(let text, _, _, _)):
                importRule(text, file, t)
            default: break
            }
        }
        // Statements, in file order.
        var occurrence: [RDFTriple: Int] = [:]
        for t in file.triples {
            if Loader.structural.contains(t.predicate) || context.isReifier(t.subject) { continue }
            let k = occurrence[t, default: 0]
            occurrence[t] = k + 1
            let reifiers = context.reifiersOf[t] ?? []
            if reifiers.isEmpty {
                if k == 0 { _ = addRDFStatement(t, reifier: nil, &context, &names) }
            } else if k < reifiers.count {
                // One statement per reifier; the last occurrence takes any left over.
                let mine = k == (context.occurrences[t] ?? 1) - 1 ? Array(reifiers[k...]) : [reifiers[k]]
                for r in mine { _ = addRDFStatement(t, reifier: r, &context, &names) }
            }
        }
    }

    mutating func importRule(_ text: String, _ file: RDFFile, _ t: RDFTriple) {
        let source = SourceText(name: file.path, text: text, firstLine: t.line)
        do {
            guard case .rule(let r) = try Parser.parseKBItem(source, rules: Set(store.rules.map(\.syntax.name.text))) else { return }
            store.addRule(StoredRule(syntax: r, source: source))
        } catch {
            report(error)
        }
    }

    /// Adds an asserted statement (with the qualifiers of its reifier, if any).
    mutating func addRDFStatement(_ t: RDFTriple, reifier: RDFTerm?, _ c: inout RDFImport, _ names: inout RDFNames) -> StatementID? {
        guard let subject = value(t.subject, &c, &names, t), let object = value(t.object, &c, &names, t) else { return nil }
        let p = predicate(t.predicate, &names, t)
        var statement = Statement(
            subject: subject, predicate: p, object: object, qualifiers: [], asserted: true, name: nil,
            location: Location(file: c.file.path, line: t.line), document: nil, paragraph: nil)
        if let r = reifier {
            for q in c.about[r] ?? [] {
                if q.predicate == Vocabulary.name, case .literal(let n, _, _, _) = q.object { statement.name = n; continue }
                guard let v = value(q.object, &c, &names, q) else { continue }
                statement.qualifiers.append((key(q.predicate, &names), v))
            }
        }
        let sourceKey = store.keyID("source")!
        let paraKey = store.keyID("para")!
        if case .entity(let d)? = statement.qualifier(sourceKey) {
            statement.document = d
            if case .integer(let n)? = statement.qualifier(paraKey) { statement.paragraph = n }
        } else {
            let doc = fileDocument(c.file.path, &names)
            statement.document = doc
            statement.paragraph = t.line
            statement.qualifiers.append((sourceKey, .entity(doc)))
            statement.qualifiers.append((paraKey, .integer(t.line)))
        }
        if let n = statement.name, store.statementID(named: n) != nil { statement.name = nil }
        return store.addStatement(statement)
    }

    /// The Document that stands for an imported file, made the first time it is needed.
    mutating func fileDocument(_ path: String, _ names: inout RDFNames) -> EntityID {
        let iri = "file:" + FileSystem.canonical(path)
        if let e = names.entities[iri] { return e }
        let docType = store.typeID("Document") ?? store.addType(TypeInfo(name: "Document", supertypes: [], description: nil, declaredAt: Location(file: path, line: 0)))
        var e = Entity(id: uniqueEntityID(Vocabulary.localName(path.split(separator: "/").last.map(String.init) ?? path)), types: [], label: path, aliases: [], description: "an imported N-Triples file; paragraph = line", paragraphs: nil, declaredAt: Location(file: path, line: 0))
        e.iri = iri
        let id = store.addEntity(e)
        store.setEntityTypes(id, [docType])
        names.entities[iri] = id
        return id
    }

    func uniqueEntityID(_ base: String) -> String {
        var id = base
        var n = 2
        while store.entityID(exactly: id) != nil { id = base + "_" + String(n); n += 1 }
        return id
    }

    /// The value of a term: entity, literal, or proposition.
    mutating func value(_ term: RDFTerm, _ c: inout RDFImport, _ names: inout RDFNames, _ t: RDFTriple) -> Value? {
        switch term {
        case .iri(Vocabulary.unknown): return .unknown
        case .iri(Vocabulary.none): return Value.none
        case .iri, .blank:
            if c.isPropositionObject(term) { return proposition(term, &c, &names, t) }
            return entity(term, &names, t).map { .entity($0) }
        case .literal(let text, let datatype, let language, let direction):
            return Loader.literalValue(text, datatype: datatype, language: language, direction: direction)
        case .triple:
            return proposition(term, &c, &names, t)
        }
    }

    /// A literal written with a datatype or language tag (`typed`: the IRI, or `@` and the
    /// tag), the value an import of it would give.
    static func typedValue(_ text: String, _ typed: String) -> Value {
        typed.hasPrefix("@") ? .typedLiteral(text, typed) : literalValue(text, datatype: typed, language: nil, direction: nil)
    }

    static func literalValue(_ text: String, datatype: String?, language: String?, direction: String?) -> Value {
        if let lang = language { return .typedLiteral(text, "@" + lang + (direction.map { "--" + $0 } ?? "")) }
        guard let dt = datatype, dt != Vocabulary.xsd + "string" else { return .string(text) }
        switch dt.dropFirst(Vocabulary.xsd.count) {
        case "integer":  // only the types kbq writes back the same; xsd:int stays xsd:int
            if dt.hasPrefix(Vocabulary.xsd), let i = Int(text), String(i) == text { return .integer(i) }
        case "decimal":
            if dt.hasPrefix(Vocabulary.xsd), Double(text) != nil, !text.contains("e"), !text.contains("E") { return .decimal(text) }
        case "date", "gYear", "gYearMonth", "dateTime":
            // kbq's dates stop at the day: a time of day (and a time zone) is left out.
            if dt.hasPrefix(Vocabulary.xsd), let d = DateValue(parsing: Loader.xsdDatePart(text, dateTime: dt.hasSuffix("dateTime"))) {
                let expected = dt.hasSuffix("date") || dt.hasSuffix("dateTime") ? DateValue.Precision.day : dt.hasSuffix("gYear") ? .year : .month
                if d.precision == expected { return .date(d) }
            }
        default: break
        }
        return .typedLiteral(text, dt)
    }

    /// The date in an xsd date literal: without its time zone (`Z`, `+02:00`), and for a
    /// dateTime without its time (which must be one: `T` hh:mm:ss, fractions allowed);
    /// "" when it is not of that shape.
    static func xsdDatePart(_ text: String, dateTime: Bool) -> String {
        /// `s` without a zone at its end: `Z`, or `+hh:mm` / `-hh:mm`.
        func dropZone(_ s: Substring) -> Substring {
            if s.hasSuffix("Z") { return s.dropLast() }
            let zone = s.suffix(6)
            if zone.count == 6, zone.first == "+" || zone.first == "-", zone.dropFirst(3).first == ":" { return s.dropLast(6) }
            return s
        }
        guard dateTime else { return String(dropZone(Substring(text))) }
        guard let t = text.firstIndex(of: "T") else { return "" }
        let clock = dropZone(text[text.index(after: t)...]).split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock[0].count == 2, clock[1].count == 2, clock[2].count >= 2,
            let h = Int(clock[0]), let m = Int(clock[1]), let sec = Double(clock[2]), h < 24 || (h == 24 && m == 0 && sec == 0), m < 60, sec < 60
        else { return "" }
        return String(text[..<t])
    }

    /// A proposition (quoted, not asserted) for a triple term or a reifier of one.
    mutating func proposition(_ term: RDFTerm, _ c: inout RDFImport, _ names: inout RDFNames, _ t: RDFTriple) -> Value? {
        if let done = c.propositions[term] { return .proposition(done) }
        // A reifier whose triple term (or qualifier) mentions itself, directly or through
        // others, is a proposition that contains itself: refused, not followed for ever.
        guard c.making.insert(term).inserted else {
            if c.reportedCycle.insert(term).inserted {
                report(Diagnostic(.error, "a reifier refers to itself through its triple term or its qualifiers (a proposition cannot contain itself)", source: SourceText(name: "\(c.file.path):\(t.line)", text: ""), range: 0..<0))
            }
            return nil
        }
        defer { c.making.remove(term) }
        let inner: RDFTriple
        var qualifiers: [(key: Int32, value: Value)] = []
        switch term {
        case .triple(let tt): inner = tt
        default:
            guard let tt = c.reified[term] else { return nil }
            inner = tt
            for q in c.about[term] ?? [] {
                guard let v = value(q.object, &c, &names, q) else { continue }
                qualifiers.append((key(q.predicate, &names), v))
            }
        }
        guard let subject = value(inner.subject, &c, &names, inner), let object = value(inner.object, &c, &names, inner) else { return nil }
        let statement = Statement(
            subject: subject, predicate: predicate(inner.predicate, &names, inner), object: object, qualifiers: qualifiers,
            asserted: false, name: nil, location: Location(file: c.file.path, line: t.line), document: nil, paragraph: nil)
        let id = store.addStatement(statement)
        c.propositions[term] = id
        return .proposition(id)
    }

    mutating func entity(_ term: RDFTerm, _ names: inout RDFNames, _ t: RDFTriple) -> EntityID? {
        switch term {
        case .iri(let iri):
            if let e = names.entities[iri] { return e }
            let local = rdfContext.requestedIDs[iri] ?? Vocabulary.localName(iri)
            var e = Entity(id: uniqueEntityID(local), types: [], label: String(local.map { $0 == "_" ? " " : $0 }), aliases: [], description: nil, paragraphs: nil, declaredAt: Location(file: currentRDFPath, line: t.line))
            e.iri = iri
            let id = store.addEntity(e)
            names.entities[iri] = id
            return id
        case .blank(let label):
            let key = currentRDFPath + " " + label
            if let e = names.blank[key] { return e }
            let local = "b_" + Vocabulary.localName(label)
            let id = store.addEntity(Entity(id: uniqueEntityID(local), types: [], label: "_:" + label, aliases: [], description: "a blank node", paragraphs: nil, declaredAt: Location(file: currentRDFPath, line: t.line)))
            names.blank[key] = id
            return id
        default:
            return nil
        }
    }

    mutating func type(_ iri: String, _ names: inout RDFNames, _ t: RDFTriple) -> Int32 {
        if let ty = names.types[iri] { return ty }
        let name = rdfContext.requestedIDs[iri] ?? Vocabulary.localName(iri)
        if let existing = store.typeID(name), store.types[Int(existing)].iri == nil || store.types[Int(existing)].iri == iri {
            names.types[iri] = existing
            return existing
        }
        var info = TypeInfo(name: uniqueName(name) { store.typeID($0) != nil }, supertypes: [], description: nil, declaredAt: Location(file: currentRDFPath, line: t.line))
        info.iri = iri
        let id = store.addType(info)
        names.types[iri] = id
        return id
    }

    mutating func predicate(_ iri: String, _ names: inout RDFNames, _ t: RDFTriple) -> PredicateID {
        if let p = names.predicates[iri] { return p }
        let name = rdfContext.requestedIDs[iri] ?? Vocabulary.localName(iri)
        if let existing = store.predicateID(name), existing != FactStore.isA, store.predicates[Int(existing)].iri == nil {
            names.predicates[iri] = existing
            return existing
        }
        var info = PredicateInfo(name: uniqueName(name) { store.predicateID($0) != nil }, supers: [], isStance: false, description: nil, declaredAt: Location(file: currentRDFPath, line: t.line))
        info.iri = iri
        let id = store.addPredicate(info)
        names.predicates[iri] = id
        return id
    }

    mutating func key(_ iri: String, _ names: inout RDFNames) -> Int32 {
        if let k = names.keys[iri] { return k }
        let name = rdfContext.requestedIDs[iri] ?? Vocabulary.localName(iri)
        if let existing = store.keyID(name), store.keys[Int(existing)].iri == nil {
            names.keys[iri] = existing
            return existing
        }
        var info = KeyInfo(name: uniqueName(name) { store.keyID($0) != nil }, valueType: .any)
        info.iri = iri
        let id = store.addKey(info)
        names.keys[iri] = id
        return id
    }

    func uniqueName(_ base: String, taken: (String) -> Bool) -> String {
        var name = base
        var n = 2
        while taken(name) { name = base + "_" + String(n); n += 1 }
        return name
    }
}

/// What one file's triples say about reifiers, gathered before anything is added.
struct RDFImport {
    let file: Loader.RDFFile
    /// Reifier -> the triple it reifies.
    var reified: [RDFTerm: RDFTriple] = [:]
    /// Asserted triple -> its reifiers, in file order.
    var reifiersOf: [RDFTriple: [RDFTerm]] = [:]
    /// Reifier -> the other triples about it (its qualifiers).
    var about: [RDFTerm: [RDFTriple]] = [:]
    var occurrences: [RDFTriple: Int] = [:]
    var asserted: Set<RDFTriple> = []
    var propositions: [RDFTerm: StatementID] = [:]
    /// Propositions being made (to refuse one that contains itself), and those reported.
    var making: Set<RDFTerm> = []
    var reportedCycle: Set<RDFTerm> = []
    var labelled: Set<EntityID> = []
    var schemaSubjects: Set<String> = []
    /// `<iri> kbq:id "name"`: the name kbq gave it, kept through export and import.
    var requestedIDs: [String: String] = [:]
    /// Reifiers that stand for propositions: typed kbq:Proposition, or the object of a
    /// statement (a stance), or reifying a triple that is not asserted.
    var propositionReifiers: Set<RDFTerm> = []

    init(file: Loader.RDFFile) { self.file = file }

    mutating func index() {
        for t in file.triples {
            if t.predicate == Vocabulary.id, case .iri(let s) = t.subject, case .literal(let name, _, _, _) = t.object {
                requestedIDs[s] = name
            }
            if t.predicate == Vocabulary.reifies, case .triple(let inner) = t.object {
                reified[t.subject] = inner
            } else if !Loader.structural.contains(t.predicate) {
                asserted.insert(t)
                occurrences[t, default: 0] += 1
            }
            if case .iri(let s) = t.subject, t.predicate == Vocabulary.type, case .iri(let o) = t.object,
                [Vocabulary.rdfsClass, Vocabulary.property, Vocabulary.stance, Vocabulary.qualifier].contains(o)
            {
                schemaSubjects.insert(s)
            }
            if [Vocabulary.subClassOf, Vocabulary.subPropertyOf, Vocabulary.range].contains(t.predicate), case .iri(let s) = t.subject {
                schemaSubjects.insert(s)
            }
        }
        for t in file.triples where reified[t.subject] != nil && t.predicate != Vocabulary.reifies {
            if t.predicate == Vocabulary.type, t.object == .iri(Vocabulary.propositionClass) {
                propositionReifiers.insert(t.subject)
            } else {
                about[t.subject, default: []].append(t)
            }
        }
        for t in file.triples where reified[t.object] != nil && t.predicate != Vocabulary.reifies { propositionReifiers.insert(t.object) }
        for (r, inner) in reified where !asserted.contains(inner) { propositionReifiers.insert(r) }
        // Reifiers in the order they appear in the file (each by its first `reifies` triple).
        var order: [RDFTerm: Int] = [:]
        for (i, t) in file.triples.enumerated() where t.predicate == Vocabulary.reifies { order[t.subject] = order[t.subject] ?? i }
        for (r, inner) in reified.sorted(by: { order[$0.key, default: 0] < order[$1.key, default: 0] }) where !propositionReifiers.contains(r) {
            reifiersOf[inner, default: []].append(r)
        }
    }

    func isReifier(_ term: RDFTerm) -> Bool { reified[term] != nil }

    /// A triple term, or a reifier of a triple that is not asserted: a proposition.
    func isPropositionObject(_ term: RDFTerm) -> Bool {
        if case .triple = term { return true }
        return propositionReifiers.contains(term)
    }

    func isSchemaSubject(_ term: RDFTerm) -> Bool {
        if case .iri(let s) = term { return schemaSubjects.contains(s) }
        return false
    }
}
