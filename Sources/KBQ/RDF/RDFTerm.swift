/// An RDF 1.2 term as N-Triples writes it.
public enum RDFTerm: Hashable, Sendable {
    case iri(String)
    case blank(String)
    /// A literal with its datatype IRI (nil: xsd:string), language tag and base direction.
    case literal(String, datatype: String?, language: String?, direction: String?)
    /// A triple term `<<( s p o )>>` (RDF 1.2): a proposition, not asserted.
    indirect case triple(RDFTriple)
}

public struct RDFTriple: Hashable, Sendable {
    public var subject: RDFTerm
    public var predicate: String
    public var object: RDFTerm
    /// Line of the statement in its file, for provenance and diagnostics.
    public var line: Int

    public init(subject: RDFTerm, predicate: String, object: RDFTerm, line: Int) {
        self.subject = subject
        self.predicate = predicate
        self.object = object
        self.line = line
    }

    public static func == (a: RDFTriple, b: RDFTriple) -> Bool {
        a.subject == b.subject && a.predicate == b.predicate && a.object == b.object
    }

    public func hash(into h: inout Hasher) {
        h.combine(subject)
        h.combine(predicate)
        h.combine(object)
    }
}
