/// Index of an entity in the store.
public typealias EntityID = Int32
/// Index of a statement (asserted or quoted) in the store.
public typealias StatementID = Int32
/// Index of a predicate in the store's schema.
public typealias PredicateID = Int32

/// A value in the knowledge base or in a query answer.
public enum Value: Hashable, Sendable {
    case entity(EntityID)
    case string(String)
    case integer(Int)
    /// Kept as written (`1.50`) and compared numerically.
    case decimal(String)
    case date(DateValue)
    /// An RDF literal kbq has no type of its own for: its text and its datatype IRI, or
    /// `@lang` (`@en`, `@en--ltr`) for a language-tagged string. Imported, kept for export.
    case typedLiteral(String, String)
    /// Known to exist, value unknown.
    case unknown
    /// Known not to exist.
    case none
    /// A quoted statement: content that is not asserted, the object of a stance.
    case proposition(StatementID)
    /// A statement itself (bound by `as ?s`).
    case statement(StatementID)
    /// A predicate (bound by a variable in predicate position).
    case predicate(PredicateID)
    /// A type (the object of `is_a`).
    case type(Int32)
    /// An answer column with nothing in it: `optional` found no record. Never stored.
    case noRecord

    var isNumber: Bool {
        switch self {
        case .integer, .decimal: return true
        default: return false
        }
    }

    /// A rank for ordering values of different kinds. Numbers and dates share one: they are
    /// ordered on one scale (see `ValueOps.sortsBefore`), as `<` compares a year with a date.
    var kindRank: Int {
        switch self {
        case .noRecord: return 11  // after everything: undated rows last in `order by ?d`
        case .none: return 1
        case .unknown: return 2
        case .integer, .decimal, .date: return 3
        case .string, .typedLiteral: return 5
        case .entity: return 6
        case .predicate: return 7
        case .proposition: return 8
        case .statement: return 9
        case .type: return 10
        }
    }
}
