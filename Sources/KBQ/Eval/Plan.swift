/// A query compiled against one store: names resolved, variables numbered, goals planned.

/// A position of a pattern: a variable slot, a constant, `_`, or a quoted sub-pattern.
/// Only the recursive cases are boxed: slots are read at every match.
enum Slot {
    case variable(Int)
    case constant(Value)
    case wildcard
    indirect case proposition(CompiledPattern)
}

enum CompiledPath {
    /// A predicate with its sub-predicates.
    case predicates([PredicateID])
    case isA
    case variable(Int)
    case any
    indirect case inverse(CompiledPath)
    case sequence([CompiledPath])
    case alternative([CompiledPath])
    indirect case zeroOrMore(CompiledPath)
    indirect case oneOrMore(CompiledPath)

    /// The predicates a pattern of one statement may have (with their sub-predicates);
    /// nil for any other path.
    var constantPredicates: [PredicateID]? {
        if case .predicates(let ps) = self { return ps }
        return nil
    }

    /// Whether one statement matches (no path operators).
    var isSimple: Bool {
        switch self {
        case .predicates, .variable, .any, .isA: return true
        default: return false
        }
    }

    /// For the inside of a closure, when it is one step over predicates (`part_of` in
    /// `part_of+`, `^part_of` in `^part_of*`): its predicates, and whether it is crossed
    /// from object to subject. The term walk takes such closures (`termReach`).
    var singleStep: (predicates: [PredicateID], inverse: Bool)? {
        switch self {
        case .predicates(let ps): return (ps, false)
        case .inverse(.predicates(let ps)): return (ps, true)
        default: return nil
        }
    }

    /// Whether the path relates a node to itself in zero steps.
    var isNullable: Bool {
        switch self {
        case .zeroOrMore: return true
        case .inverse(let p): return p.isNullable
        case .sequence(let ps): return ps.allSatisfy(\.isNullable)
        case .alternative(let ps): return ps.contains(where: \.isNullable)
        default: return false
        }
    }

    /// Every predicate a path can step over, for enumerating start nodes.
    var predicateSet: [PredicateID]? {
        switch self {
        case .predicates(let ps): return ps
        case .inverse(let p), .zeroOrMore(let p), .oneOrMore(let p): return p.predicateSet
        case .sequence(let ps), .alternative(let ps):
            var all: [PredicateID] = []
            for p in ps {
                guard let s = p.predicateSet else { return nil }
                all += s
            }
            return all
        default: return nil
        }
    }
}

/// A class, not a struct: the evaluator passes a pattern at every step, and a reference is
/// one retain where a struct of arrays and enums was several (perf: 30% of a join).
final class CompiledPattern {
    let subject: Slot
    let path: CompiledPath
    let object: Slot
    let qualifiers: [(key: Int32, slot: Slot)]
    let statementVar: Int?
    /// Inside brackets: matches quoted content only.
    let quoted: Bool
    let range: Range<Int>

    init(subject: Slot, path: CompiledPath, object: Slot, qualifiers: [(key: Int32, slot: Slot)], statementVar: Int?, quoted: Bool, range: Range<Int>) {
        self.subject = subject
        self.path = path
        self.object = object
        self.qualifiers = qualifiers
        self.statementVar = statementVar
        self.quoted = quoted
        self.range = range
    }
}

enum Field: String, CaseIterable {
    case id, label, description, type, aliases
    case source, para, subject, pred, predicate, object, file, line
}

/// A function of one value, named once when the query is compiled.
enum ValueFunction: String, CaseIterable {
    case lower, upper, str, len, year
}

/// An aggregate, named once when the query is compiled.
enum AggregateFunction: String, CaseIterable {
    case count, sum, min, max, avg
}

/// A field as compiled: one the language names (`Field`), or a statement's qualifier key
/// (resolved in the store when read: a key is a statement's field only where it has one).
enum CompiledField: Equatable {
    case named(Field)
    case qualifier(String)

    init(_ name: String) { self = Field(rawValue: name).map { .named($0) } ?? .qualifier(name) }

    var name: String {
        switch self {
        case .named(let f): return f.rawValue
        case .qualifier(let k): return k
        }
    }
}

enum CompiledExpr {
    case slot(Slot)
    indirect case field(CompiledExpr, CompiledField, Range<Int>)
    case function(ValueFunction, [CompiledExpr], Range<Int>)
    indirect case aggregate(AggregateFunction, CompiledExpr?, distinct: Bool, Range<Int>)
    indirect case compare(CompareOp, CompiledExpr, CompiledExpr, Range<Int>)
    indirect case regex(CompiledExpr, LinearRegex, Range<Int>)

    /// Whether evaluating it can never fail: a slot, or a field of one (a field a value
    /// does not have is no record).
    var cannotFail: Bool {
        switch self {
        case .slot: return true
        case .field(let e, _, _): return e.cannotFail
        default: return false
        }
    }

    /// `?v.label`, `?v.id` or `?v`, which an entity bound to `?v` sorts by as its label,
    /// its id and its id: the variable and whether it is the label.
    var entityNameField: (variable: Int, label: Bool)? {
        if case .slot(.variable(let v)) = self { return (v, false) }
        guard case .field(.slot(.variable(let v)), .named(let name), _) = self, name == .label || name == .id else { return nil }
        return (v, name == .label)
    }

    var hasAggregate: Bool {
        switch self {
        case .aggregate: return true
        case .slot: return false
        case .field(let e, _, _), .regex(let e, _, _): return e.hasAggregate
        case .function(_, let args, _): return args.contains { $0.hasAggregate }
        case .compare(_, let l, let r, _): return l.hasAggregate || r.hasAggregate
        }
    }
}

enum Goal {
    case pattern(CompiledPattern)
    case filter(CompiledExpr, Range<Int>)
    case not([Goal], Range<Int>)
    case optional([Goal], Range<Int>)
    case or([[Goal]])
    case call(rule: String, args: [Slot], Range<Int>)

    /// Where the goal is written, for errors about it.
    var range: Range<Int> {
        switch self {
        case .pattern(let p): return p.range
        case .filter(_, let r), .not(_, let r), .optional(_, let r), .call(_, _, let r): return r
        case .or(let branches): return branches.first?.first?.range ?? 0..<0
        }
    }
}

/// Why a row is in the answer: the statements (and declarations, paths, rules) behind it.
public enum Evidence: Hashable, Sendable {
    case statement(StatementID)
    /// The entity's declaration gives its type.
    case typeOf(EntityID, Int32)
    /// A chain of statements that makes a path.
    case path([StatementID])
    /// Only this case is boxed: a statement's evidence is pushed and popped at every match
    /// and must not allocate.
    indirect case rule(name: String, args: [Value], because: [Evidence])
}

public struct ResultRow: Sendable {
    public var values: [Value]
    public var evidence: [Evidence]
}

struct CompiledQuery {
    var variables: [String]
    var goals: [Goal]
    var projections: [(expr: CompiledExpr, name: String)]
    var aliasSlots: [Int?]
    var distinct: Bool
    var groupBy: [CompiledExpr]
    var orderBy: [(expr: CompiledExpr, descending: Bool)]
    var limit: Int?
    var offset: Int?
    var isAggregate: Bool
}
