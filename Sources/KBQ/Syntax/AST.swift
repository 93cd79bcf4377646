/// A name as written: a word (`NSO_Group`) or a quoted name (`` `NSO Group` ``).
public struct Name: Sendable, Hashable {
    public var text: String
    public var range: Range<Int>
    public init(_ text: String, _ range: Range<Int>) {
        self.text = text
        self.range = range
    }
}

/// A term in subject or object position, or an operand of an expression.
public enum TermSyntax: Sendable {
    case variable(String, Range<Int>)
    case wildcard(Range<Int>)
    case name(Name)
    /// `<http://...>`
    case iri(String, Range<Int>)
    case string(String, Range<Int>)
    /// `"true"^^<IRI>`, `"Bonjour"@fr`: the text and its datatype (or `@` and the tag).
    case typed(String, String, Range<Int>)
    case integer(Int, Range<Int>)
    case decimal(String, Range<Int>)
    case date(DateValue, Range<Int>)
    case unknown(Range<Int>)
    case none(Range<Int>)
    /// `[s p o {q}]`: quoted content, not asserted.
    indirect case proposition(PatternSyntax, Range<Int>)

    public var range: Range<Int> {
        switch self {
        case .variable(_, let r), .wildcard(let r), .string(_, let r), .typed(_, _, let r), .integer(_, let r), .iri(_, let r),
            .decimal(_, let r), .date(_, let r), .unknown(let r), .none(let r),
            .proposition(_, let r):
            return r
        case .name(let n): return n.range
        }
    }

    public var variableName: String? {
        if case .variable(let v, _) = self { return v }
        return nil
    }
}

/// `key: value` inside `{...}`.
public struct QualifierSyntax: Sendable {
    public var key: Name
    public var value: TermSyntax
}

/// A predicate, or a path of predicates: `claims`, `^member_of`, `part_of+`, `p/q`, `p|q`.
public enum PathSyntax: Sendable {
    case predicate(Name)
    case variable(String, Range<Int>)
    case wildcard(Range<Int>)
    indirect case inverse(PathSyntax, Range<Int>)
    case sequence([PathSyntax], Range<Int>)
    case alternative([PathSyntax], Range<Int>)
    indirect case zeroOrMore(PathSyntax, Range<Int>)
    indirect case oneOrMore(PathSyntax, Range<Int>)

    public var range: Range<Int> {
        switch self {
        case .predicate(let n): return n.range
        case .variable(_, let r), .wildcard(let r), .inverse(_, let r), .sequence(_, let r),
            .alternative(_, let r), .zeroOrMore(_, let r), .oneOrMore(_, let r):
            return r
        }
    }
}

/// `subject path object {qualifiers} as ?s`: a query pattern, a KB statement, a proposition.
public struct PatternSyntax: Sendable {
    public var subject: TermSyntax
    public var path: PathSyntax
    public var object: TermSyntax
    public var qualifiers: [QualifierSyntax]
    /// `as ?s` in a query, `as S12` in a knowledge-base file.
    public var binding: TermSyntax?
    public var range: Range<Int>
}

/// Comparison operators of filters.
public enum CompareOp: String, Sendable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">"
    case greaterOrEqual = ">=", contains, matches, within = "in"
}

/// An expression: a term, a field of one (`?s.date`), a call (`count(?s)`), a comparison.
public enum ExprSyntax: Sendable {
    case term(TermSyntax)
    indirect case field(ExprSyntax, Name)
    case call(Name, [ExprSyntax], distinct: Bool, star: Bool, range: Range<Int>)
    indirect case compare(CompareOp, ExprSyntax, ExprSyntax, opRange: Range<Int>)

    public var range: Range<Int> {
        switch self {
        case .term(let t): return t.range
        case .field(let e, let n): return e.range.lowerBound..<n.range.upperBound
        case .call(_, _, _, _, let r): return r
        case .compare(_, let l, let r, _): return l.range.lowerBound..<r.range.upperBound
        }
    }
}

/// The `where` part: patterns, filters and their combinations.
public enum GoalSyntax: Sendable {
    case pattern(PatternSyntax)
    case filter(ExprSyntax)
    case call(Name, [TermSyntax], range: Range<Int>)
    indirect case not(GoalSyntax, range: Range<Int>)
    indirect case optional(GoalSyntax, range: Range<Int>)
    case and([GoalSyntax])
    case or([GoalSyntax])

    public var range: Range<Int> {
        switch self {
        case .pattern(let p): return p.range
        case .filter(let e): return e.range
        case .call(_, _, let r), .not(_, let r), .optional(_, let r): return r
        case .and(let gs), .or(let gs):
            return (gs.first?.range.lowerBound ?? 0)..<(gs.last?.range.upperBound ?? 0)
        }
    }
}

public struct ProjectionSyntax: Sendable {
    public var expr: ExprSyntax
    /// `as ?n`
    public var alias: String?
}

public struct OrderSyntax: Sendable {
    public var expr: ExprSyntax
    public var descending: Bool
}

/// `find ... where ... order by ... limit ... offset ...`, or a bare `where` body.
public struct QuerySyntax: Sendable {
    /// nil: every named variable of the body, in order of appearance.
    public var projections: [ProjectionSyntax]?
    public var distinct: Bool
    public var body: GoalSyntax
    public var groupBy: [ExprSyntax]
    public var orderBy: [OrderSyntax]
    public var limit: Int?
    public var offset: Int?
    public var range: Range<Int>
}

/// `rule name(?a, ?b) := body`
public struct RuleSyntax: Sendable {
    public var name: Name
    public var parameters: [TermSyntax]
    public var body: GoalSyntax
    public var range: Range<Int>
}

/// One statement typed at the prompt or read from a script.
public enum CommandSyntax: Sendable {
    case query(QuerySyntax)
    case rule(RuleSyntax)
    /// `why 3`
    case why(Int, range: Range<Int>)
}

/// One item of a knowledge-base file.
public enum KBItemSyntax: Sendable {
    case include(String, range: Range<Int>)
    /// `iri`: `{iri: "..."}`, the IRI that names it in RDF (an imported vocabulary's).
    case type(Name, supertypes: [Name], description: String?, iri: String?)
    case predicate(Name, supers: [Name], isStance: Bool, description: String?, iri: String?)
    case key(Name, valueType: Name?, iri: String?)
    case entity(Name, types: [Name], label: String?, properties: [QualifierSyntax], range: Range<Int>)
    /// `from Article para 4`: the source of the statements that follow.
    case from(document: Name, paragraph: Int, range: Range<Int>)
    case statement(PatternSyntax)
    case rule(RuleSyntax)
}
