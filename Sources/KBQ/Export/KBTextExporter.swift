/// Writes a knowledge base as `.kb` text that loads back to the same knowledge base (its
/// N-Triples export is the same text; tested): the schema, the entities, every asserted
/// statement with its qualifiers, source and paragraph inline (propositions written inside
/// the claims that quote them), the rules; an imported vocabulary's IRIs as `{iri: "..."}`.
/// What `.kb` text has no words for (a proposition no statement quotes, which RDF can hold)
/// is refused, by name, before anything is written.
public struct KBTextExporter {
    let store: FactStore
    let rules: [StoredRule]

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    public static func export(_ store: FactStore, rules: [StoredRule], to write: (String) throws -> Void) throws {
        let exporter = KBTextExporter(store: store, rules: rules)
        let problems = exporter.problems()
        guard problems.isEmpty else {
            throw Refusal(description: "--export kb: .kb text cannot say what this knowledge base holds: " + problems.joined(separator: "; ")
                + " (export it as RDF: --export ttl)")
        }
        try exporter.run(write)
    }

    /// A name as the text writes it.
    func typeName(_ t: Int32) -> String { store.types[Int(t)].name }
    func predicateName(_ p: PredicateID) -> String { store.predicates[Int(p)].name }

    /// A string as `.kb` text writes it: `\" \\ \n \t`, and other control characters as `\u{X}`.
    static func quoted(_ s: String) -> String {
        "\"" + Display.escaped(s) { c in
            switch c {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\t": return "\\t"
            default:
                guard c.value < 0x20 || (0x7F...0x9F).contains(c.value) else { return nil }
                return "\\u{" + String(c.value, radix: 16, uppercase: true) + "}"
            }
        } + "\""
    }

    /// ` {iri: "..."}` for a declaration with an IRI of its own, else "".
    static func iri(_ iri: String?) -> String { iri.map { " {iri: " + quoted($0) + "}" } ?? "" }

    /// A value as the text writes it; nil for what it cannot.
    func value(_ v: Value, dateKey: Bool = false) -> String? {
        switch v {
        case .entity(let e): return store.entities.id(Int(e))
        case .string(let s): return KBTextExporter.quoted(s)
        case .integer(let i): return String(i)
        case .decimal(let d): return d
        case .date(let d):
            // A year alone reads as an integer except where a date is due: elsewhere, typed.
            return d.precision == .year && !dateKey ? KBTextExporter.quoted(d.description) + "^^<" + Vocabulary.xsd + "gYear>" : d.description
        case .unknown: return "unknown"
        case .none: return "none"
        case .proposition(let p): return "[" + (statementText(store.statement(p)) ?? "?") + "]"
        case .typedLiteral(let text, let type):
            return KBTextExporter.quoted(text) + (type.hasPrefix("@") ? type : "^^<" + type + ">")
        case .statement, .predicate, .type, .noRecord: return nil
        }
    }

    /// What the text could not say, counted by kind, with an example of each.
    func problems() -> [String] {
        var found: [String: (count: Int, example: String)] = [:]
        func note(_ kind: String, _ example: String) {
            found[kind, default: (0, example)].count += 1
        }
        let builtIn = Set(FactStore.builtinKeys.map(\.0))
        for k in store.keys where k.iri != nil && builtIn.contains(k.name) { note("built-in qualifier keys with an IRI", k.name) }
        let dateKey = store.keyID("date")
        var quoted = Set<StatementID>()
        for i in 0..<store.statementCount {
            let s = store.statement(StatementID(i))
            for v in [s.subject, s.object] {
                if case .proposition(let p) = v { quoted.insert(p) }
                if value(v) == nil, !isProposition(v) { note("values .kb text has no words for", Display.plain(v, store)) }
            }
            for q in s.qualifiers {
                if case .proposition(let p) = q.value { quoted.insert(p) }
                if value(q.value, dateKey: q.key == dateKey) == nil, !isProposition(q.value) {
                    note("values .kb text has no words for", Display.plain(q.value, store))
                }
            }
        }
        for i in 0..<store.statementCount where !store.isAsserted(StatementID(i)) && !quoted.contains(StatementID(i)) {
            note("propositions no statement quotes", Display.statementText(StatementID(i), store))
        }
        return found.sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key) (\($0.value.example))" }
    }

    func isProposition(_ v: Value) -> Bool { if case .proposition = v { return true }; return false }

    /// `subject predicate object {qualifiers}`, propositions nested; an asserted statement's
    /// source and paragraph are among its qualifiers (last, as `FactStore.statement` gives them).
    func statementText(_ s: Statement) -> String? {
        guard let subject = value(s.subject), let object = value(s.object) else { return nil }
        let dateKey = store.keyID("date")
        var parts: [String] = []
        for q in s.qualifiers {
            guard let v = value(q.value, dateKey: q.key == dateKey) else { return nil }
            parts.append(store.keyName(q.key) + ": " + v)
        }
        return "\(subject) \(predicateName(s.predicate)) \(object)" + (parts.isEmpty ? "" : " {" + parts.joined(separator: ", ") + "}")
    }

    func run(_ write: (String) throws -> Void) throws {
        try write("# kbq knowledge base as .kb text (kbq --export kb)\n")
        let builtIn = Set(FactStore.builtinKeys.map(\.0))
        for t in store.types {
            let supers = t.supertypes.map { typeName($0) }
            try write("type \(t.name)" + (supers.isEmpty ? "" : " : " + supers.joined(separator: ", "))
                + (t.description.map { " " + KBTextExporter.quoted($0) } ?? "") + KBTextExporter.iri(t.iri) + "\n")
        }
        for (i, p) in store.predicates.enumerated() where i != Int(FactStore.isA) {
            let supers = p.supers.map { predicateName($0) }
            try write((p.isStance ? "stance " : "predicate ") + p.name + (supers.isEmpty ? "" : " : " + supers.joined(separator: ", "))
                + (p.description.map { " " + KBTextExporter.quoted($0) } ?? "") + KBTextExporter.iri(p.iri) + "\n")
        }
        for k in store.keys where !builtIn.contains(k.name) {
            try write("key \(k.name)" + (k.valueType == .any ? "" : " : \(k.valueType.rawValue)") + KBTextExporter.iri(k.iri) + "\n")
        }
        for i in store.entities.indices {
            let e = store.entities[i]
            var properties = e.aliases.map { "alias: " + KBTextExporter.quoted($0) }
            if let d = e.description { properties.append("description: " + KBTextExporter.quoted(d)) }
            if let n = e.paragraphs { properties.append("paragraphs: \(n)") }
            if let iri = e.iri { properties.append("iri: " + KBTextExporter.quoted(iri)) }
            let types = e.types.isEmpty ? "" : " : " + e.types.map { typeName($0) }.joined(separator: ", ")
            try write("entity \(e.id)" + types + " " + KBTextExporter.quoted(e.label)
                + (properties.isEmpty ? "" : " {" + properties.joined(separator: ", ") + "}") + "\n")
        }
        for i in 0..<store.statementCount where store.isAsserted(StatementID(i)) {
            let s = store.statement(StatementID(i))
            try write((statementText(s) ?? "") + (s.name.map { " as " + $0 } ?? "") + "\n")
        }
        for r in rules { try write(r.source.text.trimming(" \n") + "\n") }
    }
}
