/// Writes a knowledge base as RDF 1.2 N-Triples (README: "RDF" has the mapping). Importing
/// the output gives back the same knowledge base; exporting that again gives the same text.
public struct NTriplesExporter {
    let store: FactStore
    let rules: [StoredRule]
    let write: (String) throws -> Void
    /// RDF 1.1 (no triple terms): a reifier is an `rdf:Statement` with `rdf:subject`,
    /// `rdf:predicate` and `rdf:object`, which the importer reads back as `rdf:reifies`.
    var rdf11 = false

    public static func export(_ store: FactStore, rules: [StoredRule], to write: (String) throws -> Void) throws {
        try export(store, rules: rules, format: .nt, to: write)
    }

    public static func export(_ store: FactStore, rules: [StoredRule], format: ExportFormat, to write: (String) throws -> Void) throws {
        try withoutActuallyEscaping(write) { w in
            switch format {
            case .nt, .nt11:
                var exporter = NTriplesExporter(store: store, rules: rules, write: w)
                exporter.rdf11 = format == .nt11
                try exporter.run()
            case .kb:
                try KBTextExporter.export(store, rules: rules, to: w)
            case .ttl:
                // The N-Triples lines, one at a time, into the Turtle writer.
                var turtle = try TurtleWriter(write: w)
                var pending = ""
                try NTriplesExporter(store: store, rules: rules) { text in
                    pending += text
                    while let newline = pending.firstIndex(of: "\n") {
                        try turtle.add(String(pending[..<newline]))
                        pending = String(pending[pending.index(after: newline)...])
                    }
                }.run()
                try turtle.end()
            }
        }
    }

    func iri(_ s: String) -> String { "<" + s + ">" }
    func line(_ s: String, _ p: String, _ o: String) throws { try write(s + " " + iri(p) + " " + o + " .\n") }

    static func literal(_ s: String) -> String { Display.quotedWithEscapes(s) }


    func typed(_ s: String, _ datatype: String) -> String { NTriplesExporter.literal(s) + "^^" + iri(Vocabulary.xsd + datatype) }

    func typeIRI(_ t: Int32) -> String { store.types[Int(t)].iri ?? Vocabulary.type(store.types[Int(t)].name) }
    func predicateIRI(_ p: PredicateID) -> String { store.predicates[Int(p)].iri ?? Vocabulary.predicate(store.predicates[Int(p)].name) }
    func keyIRI(_ k: Int32) -> String { store.keys[Int(k)].iri ?? Vocabulary.key(store.keys[Int(k)].name) }
    func entityIRI(_ e: EntityID) -> String { store.entities.iri(Int(e)) ?? Vocabulary.entity(store.entities.id(Int(e))) }

    /// A value as an N-Triples object; nil for what RDF cannot hold.
    func term(_ v: Value) -> String? {
        switch v {
        case .entity(let e): return iri(entityIRI(e))
        case .string(let s): return NTriplesExporter.literal(s)
        case .integer(let i): return typed(String(i), "integer")
        case .decimal(let d): return typed(d, "decimal")
        case .date(let d):
            switch d.precision {
            case .day: return typed(d.description, "date")
            case .month: return typed(d.description, "gYearMonth")
            case .year: return typed(d.description, "gYear")
            }
        case .typedLiteral(let s, let t): return t.hasPrefix("@") ? NTriplesExporter.literal(s) + t : NTriplesExporter.literal(s) + "^^" + iri(t)
        case .unknown: return iri(Vocabulary.unknown)
        case .none: return iri(Vocabulary.none)
        case .proposition(let p): return iri(Vocabulary.proposition(Int(p)))
        case .statement, .predicate, .type, .noRecord: return nil
        }
    }

    func run() throws {
        try write(rdf11 ? "# kbq knowledge base as RDF 1.1 N-Triples (kbq --export nt11)\n" : "# kbq knowledge base as RDF 1.2 N-Triples (kbq --export nt)\n")
        try schema()
        try entities()
        for i in 0..<store.statementCount { try statement(StatementID(i)) }
        for (n, r) in rules.enumerated() {
            try line(iri(Vocabulary.kbq + "rule:" + String(n + 1)), Vocabulary.ruleText, NTriplesExporter.literal(r.source.text))
        }
    }

    func schema() throws {
        for (i, t) in store.types.enumerated() {
            let s = iri(typeIRI(Int32(i)))
            try line(s, Vocabulary.type, iri(Vocabulary.rdfsClass))
            if let own = t.iri, own != Vocabulary.type(t.name) { try line(s, Vocabulary.id, NTriplesExporter.literal(t.name)) }
            for sup in t.supertypes { try line(s, Vocabulary.subClassOf, iri(typeIRI(sup))) }
            if let d = t.description { try line(s, Vocabulary.comment, NTriplesExporter.literal(d)) }
        }
        for (i, p) in store.predicates.enumerated() where i != Int(FactStore.isA) {
            let s = iri(predicateIRI(PredicateID(i)))
            try line(s, Vocabulary.type, iri(p.isStance ? Vocabulary.stance : Vocabulary.property))
            if let own = p.iri, own != Vocabulary.predicate(p.name) { try line(s, Vocabulary.id, NTriplesExporter.literal(p.name)) }
            for sup in p.supers { try line(s, Vocabulary.subPropertyOf, iri(predicateIRI(sup))) }
            if let d = p.description { try line(s, Vocabulary.comment, NTriplesExporter.literal(d)) }
        }
        for (i, k) in store.keys.enumerated() {
            let s = iri(keyIRI(Int32(i)))
            try line(s, Vocabulary.type, iri(Vocabulary.qualifier))
            if let own = k.iri, own != Vocabulary.key(k.name) { try line(s, Vocabulary.id, NTriplesExporter.literal(k.name)) }
            if let range = Vocabulary.valueTypeIRIs[k.valueType] { try line(s, Vocabulary.range, iri(range)) }
        }
    }

    func entities() throws {
        for (i, e) in store.entities.enumerated() {
            let s = iri(entityIRI(EntityID(i)))
            if let own = e.iri, own != Vocabulary.entity(e.id) { try line(s, Vocabulary.id, NTriplesExporter.literal(e.id)) }
            for t in e.types { try line(s, Vocabulary.type, iri(typeIRI(t))) }
            try line(s, Vocabulary.label, NTriplesExporter.literal(e.label))
            for a in e.aliases { try line(s, Vocabulary.altLabel, NTriplesExporter.literal(a)) }
            if let d = e.description { try line(s, Vocabulary.comment, NTriplesExporter.literal(d)) }
            if let n = e.paragraphs { try line(s, Vocabulary.paragraphs, typed(String(n), "integer")) }
        }
    }

    /// An asserted statement as a triple plus a reifier for its qualifiers and name; a
    /// proposition as a reifier (typed kbq:Proposition) of a triple term, with its qualifiers.
    func statement(_ id: StatementID) throws {
        let st = store.statement(id)
        // A subject must be an IRI: an entity, unknown, none, a proposition's reifier.
        guard let s = term(st.subject), s.hasPrefix("<"), let o = term(st.object) else {
            try write("# statement \(id + 1) is not expressible in RDF (a literal subject): \(Display.statementText(id, store))\n")
            return
        }
        let p = iri(predicateIRI(st.predicate))
        let tripleTerm = "<<( \(s) \(p) \(o) )>>"
        let reifier: String
        if st.asserted {
            try write("\(s) \(p) \(o) .\n")
            guard !st.qualifiers.isEmpty || st.name != nil else { return }
            reifier = iri(Vocabulary.statement(Int(id)))
        } else {
            reifier = iri(Vocabulary.proposition(Int(id)))
            try line(reifier, Vocabulary.type, iri(Vocabulary.propositionClass))
        }
        if rdf11 {
            try line(reifier, Vocabulary.type, iri(Vocabulary.rdf + "Statement"))
            try line(reifier, Vocabulary.rdf + "subject", s)
            try line(reifier, Vocabulary.rdf + "predicate", p)
            try line(reifier, Vocabulary.rdf + "object", o)
        } else {
            try line(reifier, Vocabulary.reifies, tripleTerm)
        }
        if let n = st.name { try line(reifier, Vocabulary.name, NTriplesExporter.literal(n)) }
        for q in st.qualifiers {
            guard let v = term(q.value) else { continue }
            try line(reifier, keyIRI(q.key), v)
        }
    }
}
