/// The formats kbq writes a whole knowledge base in (`--export`, `.export`).
public enum ExportFormat: String, Sendable, CaseIterable {
    /// RDF 1.2 N-Triples (triple terms, `rdf:reifies`).
    case nt
    /// RDF 1.1 N-Triples, with standard `rdf:Statement` reification.
    case nt11
    /// Turtle 1.2, with prefixes.
    case ttl
    /// kbq's own `.kb` text.
    case kb

    /// The format a file's name asks for: `.ttl` Turtle, `.kb` text, else N-Triples 1.2.
    public static func of(_ path: String) -> ExportFormat {
        TurtleParser.isTurtle(path) ? .ttl : path.hasSuffix(".kb") ? .kb : .nt
    }
}
