/// RDF 1.1's reification (`r a rdf:Statement; rdf:subject s; rdf:predicate p; rdf:object o`)
/// read as RDF 1.2's (`r rdf:reifies <<( s p o )>>`), so that what kbq exports as RDF 1.1
/// (and what other tools write) imports with its qualifiers and propositions as RDF 1.2 does.
enum StatementReification {
    static let subject = Vocabulary.rdf + "subject"
    static let predicate = Vocabulary.rdf + "predicate"
    static let object = Vocabulary.rdf + "object"
    static let statement = Vocabulary.rdf + "Statement"

    /// `triples` with each complete reification (one subject, one predicate IRI, one object
    /// for a node, the subject an IRI or blank node) replaced by an `rdf:reifies` triple at
    /// the place of its `rdf:subject`, and the node's `a rdf:Statement` dropped. A partial or
    /// ambiguous one is left as it is.
    static func lifted(_ triples: [RDFTriple]) -> [RDFTriple] {
        var parts: [RDFTerm: (s: [RDFTerm], p: [RDFTerm], o: [RDFTerm])] = [:]
        for t in triples {
            switch t.predicate {
            case subject: parts[t.subject, default: ([], [], [])].s.append(t.object)
            case predicate: parts[t.subject, default: ([], [], [])].p.append(t.object)
            case object: parts[t.subject, default: ([], [], [])].o.append(t.object)
            default: break
            }
        }
        var reified: [RDFTerm: RDFTriple] = [:]
        for (node, part) in parts {
            guard part.s.count == 1, part.p.count == 1, part.o.count == 1, case .iri(let p) = part.p[0] else { continue }
            switch part.s[0] {
            case .iri, .blank: reified[node] = RDFTriple(subject: part.s[0], predicate: p, object: part.o[0], line: 0)
            default: continue
            }
        }
        guard !reified.isEmpty else { return triples }
        var out: [RDFTriple] = []
        out.reserveCapacity(triples.count)
        for t in triples {
            guard let r = reified[t.subject] else {
                out.append(t)
                continue
            }
            switch t.predicate {
            case subject:
                var inner = r
                inner.line = t.line
                out.append(RDFTriple(subject: t.subject, predicate: Vocabulary.reifies, object: .triple(inner), line: t.line))
            case predicate, object: continue
            case Vocabulary.type where t.object == .iri(statement): continue
            default: out.append(t)
            }
        }
        return out
    }
}
