/// Where something was declared: a file and line, for `why` and for "first declared here".
public struct Location: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }
}

public struct TypeInfo: Sendable {
    public var name: String
    public var supertypes: [Int32]
    public var description: String?
    public var declaredAt: Location
    /// The IRI it was imported from (RDF), or nil.
    public var iri: String? = nil
}

public struct PredicateInfo: Sendable {
    public var name: String
    public var supers: [PredicateID]
    /// A stance (`says`, `claims`, `denies`, ...): its object is a proposition.
    public var isStance: Bool
    public var description: String?
    public var declaredAt: Location?
    public var iri: String? = nil
}

/// What a qualifier key accepts.
public enum ValueType: String, Sendable, CaseIterable {
    case any, string, integer, decimal, date, entity
}

public struct KeyInfo: Sendable {
    public var name: String
    public var valueType: ValueType
    public var iri: String? = nil
}

public struct Entity: Sendable {
    public var id: String
    public var types: [Int32]
    public var label: String
    public var aliases: [String]
    public var description: String?
    /// For documents: how many paragraphs, so sources can be checked.
    public var paragraphs: Int?
    public var declaredAt: Location
    /// The IRI that names it in RDF (imported, or given with `{iri: "..."}`), or nil.
    public var iri: String? = nil
}

/// A fact of the knowledge base (asserted) or quoted content inside a proposition.
public struct Statement: Sendable {
    public var subject: Value
    public var predicate: PredicateID
    public var object: Value
    public var qualifiers: [(key: Int32, value: Value)]
    public var asserted: Bool
    public var name: String?
    public var location: Location
    /// Provenance of an asserted statement: the document and paragraph it comes from.
    public var document: EntityID?
    public var paragraph: Int?

    public func qualifier(_ key: Int32) -> Value? {
        for q in qualifiers where q.key == key { return q.value }
        return nil
    }
}

/// A rule as loaded from a file or typed in a session, kept as syntax and compiled per query.
public struct StoredRule: Sendable {
    public var syntax: RuleSyntax
    public var source: SourceText
}

// MARK: image (references between declarations are checked by FactStore.validateImage)

extension Location: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.put(file)
        w.put(line)
    }
    init(image r: inout ImageReader) throws { self.init(file: try r.get(), line: try r.get()) }
}

extension ValueType: ImageCodable {
    func write(to w: inout ImageWriter) { w.put(rawValue) }
    init(image r: inout ImageReader) throws {
        guard let v = ValueType(rawValue: try r.get(String.self)) else { throw r.failure("value type") }
        self = v
    }
}

extension TypeInfo: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.put(name)
        w.put(supertypes)
        w.put(description)
        w.put(declaredAt)
        w.put(iri)
    }
    init(image r: inout ImageReader) throws {
        self.init(name: try r.get(), supertypes: try r.get(), description: try r.get(), declaredAt: try r.get(), iri: try r.get())
    }
}

extension PredicateInfo: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.put(name)
        w.put(supers)
        w.put(isStance)
        w.put(description)
        w.put(declaredAt)
        w.put(iri)
    }
    init(image r: inout ImageReader) throws {
        self.init(
            name: try r.get(), supers: try r.get(), isStance: try r.get(), description: try r.get(),
            declaredAt: try r.get(), iri: try r.get())
    }
}

extension KeyInfo: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.put(name)
        w.put(valueType)
        w.put(iri)
    }
    init(image r: inout ImageReader) throws { self.init(name: try r.get(), valueType: try r.get(), iri: try r.get()) }
}
