import Foundation

// The reference's own query AST, printed as kbq text. Nothing here comes from Sources/KBQ.

indirect enum QTerm {
    case variable(String)
    case any
    case constant(RV)
    case prop(QPattern)
}

indirect enum QPath {
    case pred(String)
    case inverse(QPath)
    case seq([QPath])
    case alt([QPath])
    case plus(QPath)
    case star(QPath)

    var isSimple: Bool { if case .pred = self { return true } else { return false } }
    /// Every path but `p` and `^p` relates pairs (a set).
    var isSet: Bool {
        switch self {
        case .pred: return false
        case .inverse(let p): return p.isSet
        default: return true
        }
    }
    var hasStar: Bool {
        switch self {
        case .pred: return false
        case .inverse(let p), .plus(let p): return p.hasStar
        case .star: return true
        case .seq(let ps), .alt(let ps): return ps.contains { $0.hasStar }
        }
    }
    var text: String { text(level: 0) }
    /// level 0: alternatives allowed; 1: a sequence item; 2: a unary operand.
    func text(level: Int) -> String {
        switch self {
        case .pred(let p): return p
        case .inverse(let p):
            let t = "^" + p.text(level: 2)
            return level >= 3 ? "(\(t))" : t
        case .plus(let p): return p.text(level: 3) + "+"
        case .star(let p): return p.text(level: 3) + "*"
        case .seq(let ps):
            let t = ps.map { $0.text(level: 2) }.joined(separator: "/")
            return level >= 2 ? "(\(t))" : t
        case .alt(let ps):
            let t = ps.map { $0.text(level: 1) }.joined(separator: "|")
            return level >= 1 ? "(\(t))" : t
        }
    }
}

enum QPred {
    case path(QPath)
    case variable(String)
    case any
    case isA
}

struct QPattern {
    var s: QTerm
    var p: QPred
    var o: QTerm
    var quals: [(String, QTerm)] = []
    var asVar: String? = nil
}

indirect enum QExpr {
    case term(QTerm)                         // a variable or a constant
    case field(QExpr, String)                // ?s.date, ?x.label
    case call(String, [QExpr])               // year(...), lower(...)
    case agg(String, distinct: Bool, QExpr?) // count(*) is agg("count", false, nil)

    var isAggregate: Bool {
        switch self {
        case .agg: return true
        case .field(let e, _): return e.isAggregate
        case .call(_, let es): return es.contains { $0.isAggregate }
        case .term: return false
        }
    }
}

indirect enum QGoal {
    case pattern(QPattern)
    case filter(QExpr, String, QExpr)
    case not(QGoal)
    case optional([[QGoal]])
    case group([[QGoal]])        // ( body ), a body being a disjunction of conjunctions
}

struct QProjection {
    var expr: QExpr
    var alias: String? = nil
}

struct Query {
    var distinct = false
    var projections: [QProjection]
    var body: [[QGoal]]
    var groupBy: [QExpr] = []
    var orderBy: [(QExpr, Bool)] = []   // (key, descending)
    var limit: Int? = nil
    var offset: Int? = nil
}

// MARK: printing

extension QTerm {
    var text: String {
        switch self {
        case .variable(let v): return "?" + v
        case .any: return "_"
        case .constant(let c): return c.kbText
        case .prop(let p): return "[" + p.text + "]"
        }
    }
}

extension QPattern {
    var text: String {
        let pt: String
        switch p {
        case .path(let path): pt = path.text
        case .variable(let v): pt = "?" + v
        case .any: pt = "_"
        case .isA: pt = "is_a"
        }
        var t = "\(s.text) \(pt) \(o.text)"
        if !quals.isEmpty { t += " {" + quals.map { "\($0.0): \($0.1.text)" }.joined(separator: ", ") + "}" }
        if let v = asVar { t += " as ?" + v }
        return t
    }
}

extension QExpr {
    var text: String {
        switch self {
        case .term(let t): return t.text
        case .field(let e, let f): return e.text + "." + f
        case .call(let f, let args): return f + "(" + args.map(\.text).joined(separator: ", ") + ")"
        case .agg(let f, let d, let e): return f + "(" + (d ? "distinct " : "") + (e?.text ?? "*") + ")"
        }
    }
    /// The column name kbq gives an unaliased projection (JSON key).
    var columnName: String {
        switch self {
        case .term(.variable(let v)): return v
        case .term(let t): return t.text
        case .field(let e, let f): return e.columnName + "." + f
        case .call(let f, let args): return f + "(" + args.map(\.columnName).joined(separator: ", ") + ")"
        case .agg(let f, let d, let e): return f + "(" + (d ? "distinct " : "") + (e?.columnName ?? "*") + ")"
        }
    }
}

extension QGoal {
    var text: String {
        switch self {
        case .pattern(let p): return p.text
        case .filter(let l, let op, let r): return "\(l.text) \(op) \(r.text)"
        case .not(let g): return "not " + g.text
        case .optional(let b): return "optional (" + Query.bodyText(b) + ")"
        case .group(let b): return "(" + Query.bodyText(b) + ")"
        }
    }
}

extension Query {
    static func bodyText(_ b: [[QGoal]]) -> String {
        b.map { $0.map(\.text).joined(separator: ", ") }.joined(separator: " or ")
    }
    var text: String {
        var t = "find " + (distinct ? "distinct " : "")
        t += projections.map { $0.expr.text + ($0.alias.map { " as ?" + $0 } ?? "") }.joined(separator: ", ")
        t += " where " + Query.bodyText(body)
        if !groupBy.isEmpty { t += " group by " + groupBy.map(\.text).joined(separator: ", ") }
        if !orderBy.isEmpty { t += " order by " + orderBy.map { $0.0.text + ($0.1 ? " desc" : "") }.joined(separator: ", ") }
        if let limit { t += " limit \(limit)" }
        if let offset { t += " offset \(offset)" }
        return t
    }
    var columnNames: [String] { projections.map { $0.alias ?? $0.expr.columnName } }
    var isAggregate: Bool { !groupBy.isEmpty || projections.contains { $0.expr.isAggregate } }
}
