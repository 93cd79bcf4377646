/// Writes N-Triples as readable Turtle 1.2: the standard and kbq's namespaces as prefixes,
/// consecutive triples of one subject grouped with `;`, integers and decimals bare. It reads
/// what the N-Triples exporter writes (parsed again by the N-Triples parser, so the two
/// exports say the same triples: a test loads both and compares).
struct TurtleWriter {
    let write: (String) throws -> Void
    private var subject: String? = nil

    static let prefixes: [(String, String)] = [
        ("rdf", Vocabulary.rdf), ("rdfs", Vocabulary.rdfs), ("xsd", Vocabulary.xsd), ("skos", Vocabulary.skos),
        ("e", Vocabulary.kbq + "e:"), ("t", Vocabulary.kbq + "t:"), ("p", Vocabulary.kbq + "p:"), ("q", Vocabulary.kbq + "q:"),
        ("s", Vocabulary.kbq + "s:"), ("prop", Vocabulary.kbq + "prop:"), ("kbq", Vocabulary.kbq),
    ]

    init(write: @escaping (String) throws -> Void) throws {
        self.write = write
        for (name, iri) in TurtleWriter.prefixes { try write("PREFIX \(name): <\(iri)>\n") }
    }

    /// One line of the N-Triples export: a triple, or a comment (kept).
    mutating func add(_ line: String) throws {
        if line.hasPrefix("#") {
            try end()
            let header = line.hasPrefix("# kbq knowledge base as RDF") ? "# kbq knowledge base as Turtle 1.2 (kbq --export ttl)" : line
            try write("\n" + header + "\n")
            return
        }
        let source = SourceText(name: "export", text: line)
        guard let t = try NTriplesParser.parse(source).first else { return }
        let s = term(t.subject)
        if s == subject {
            try write(" ;\n    \(verb(t.predicate)) \(term(t.object))")
        } else {
            try end()
            try write("\n\(s) \(verb(t.predicate)) \(term(t.object))")
            subject = s
        }
    }

    /// Closes the group of the last subject.
    mutating func end() throws {
        if subject != nil { try write(" .\n") }
        subject = nil
    }

    /// An IRI as a prefixed name when one fits (its local part a valid PN_LOCAL here, kept
    /// simple: letters, digits, '_' and '-', inner '.'), else `<IRI>`.
    func verb(_ s: String) -> String { s == Vocabulary.type ? "a" : iri(s) }

    func iri(_ s: String) -> String {
        for (name, namespace) in TurtleWriter.prefixes where s.hasPrefix(namespace) {
            let local = s.dropFirst(namespace.count)
            if TurtleWriter.isSimpleLocal(local) { return name + ":" + local }
        }
        return "<" + s + ">"
    }

    static func isSimpleLocal(_ local: Substring) -> Bool {
        guard let first = local.first, let last = local.last, last != ".", first != "-", first != "." else { return local.isEmpty }
        return local.unicodeScalars.allSatisfy { s in
            (s.properties.isAlphabetic && NTriplesParser.isPNCharsBase(s)) || ("0"..."9").contains(s) || s == "_" || s == "-" || s == "."
        }
    }

    func term(_ t: RDFTerm) -> String {
        switch t {
        case .iri(let s): return iri(s)
        case .blank(let l): return "_:" + l
        case .literal(let text, let datatype, let language, let direction):
            if datatype == Vocabulary.xsd + "integer", Int(text).map(String.init) == text { return text }
            if datatype == Vocabulary.xsd + "decimal", Loader.isDecimal(text, plus: true) { return text }
            var s = Display.quotedWithEscapes(text)
            if let language { s += "@" + language + (direction.map { "--" + $0 } ?? "") }
            if let datatype { s += "^^" + iri(datatype) }
            return s
        case .triple(let u): return "<<( \(term(u.subject)) \(verb(u.predicate)) \(term(u.object)) )>>"
        }
    }
}
