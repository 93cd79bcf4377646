/// The IRIs of the RDF mapping (README: "RDF"): standard vocabularies, and kbq's own names
/// for what RDF has no word for.
public enum Vocabulary {
    public static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    public static let rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    public static let xsd = "http://www.w3.org/2001/XMLSchema#"
    public static let skos = "http://www.w3.org/2004/02/skos/core#"
    public static let kbq = "urn:kbq:"

    public static let type = rdf + "type"
    public static let reifies = rdf + "reifies"
    public static let label = rdfs + "label"
    public static let comment = rdfs + "comment"
    public static let subClassOf = rdfs + "subClassOf"
    public static let subPropertyOf = rdfs + "subPropertyOf"
    public static let range = rdfs + "range"
    public static let altLabel = skos + "altLabel"
    public static let rdfsClass = rdfs + "Class"
    public static let property = rdf + "Property"

    public static let stance = kbq + "Stance"
    public static let propositionClass = kbq + "Proposition"
    public static let qualifier = kbq + "Qualifier"
    public static let name = kbq + "name"
    /// kbq's name for something whose IRI is not one of kbq's own (`urn:kbq:e:ID`).
    public static let id = kbq + "id"
    public static let paragraphs = kbq + "paragraphs"
    public static let rule = kbq + "Rule"
    public static let ruleText = kbq + "ruleText"
    public static let unknown = kbq + "unknown"
    public static let none = kbq + "none"

    public static func entity(_ id: String) -> String { kbq + "e:" + id }
    public static func type(_ name: String) -> String { kbq + "t:" + name }
    public static func predicate(_ name: String) -> String { kbq + "p:" + name }
    public static func key(_ name: String) -> String { kbq + "q:" + name }
    public static func statement(_ n: Int) -> String { kbq + "s:" + String(n) }
    public static func proposition(_ n: Int) -> String { kbq + "prop:" + String(n) }

    /// The last segment of an IRI (after '#', '/' or ':'), as a kbq name: word characters,
    /// not starting with a digit.
    public static func localName(_ iri: String) -> String {
        var tail = Substring(iri)
        for sep: Character in ["#", "/", ":"] {
            if let i = iri.lastIndex(of: sep), iri.index(after: i) < iri.endIndex {
                tail = iri[iri.index(after: i)...]
                break
            }
        }
        var name = String(tail.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        if name.isEmpty { name = "x" }
        if let first = name.first, first.isNumber { name = "n" + name }
        if Parser.keywords.contains(name) || Parser.kbKeywords.contains(name) || name == "_" { name += "_" }
        return name
    }

    /// The rdfs:range that records a qualifier key's value type.
    public static let valueTypeIRIs: [ValueType: String] = [
        .string: xsd + "string", .integer: xsd + "integer", .decimal: xsd + "decimal", .date: xsd + "date",
        .entity: rdfs + "Resource",
    ]
}
