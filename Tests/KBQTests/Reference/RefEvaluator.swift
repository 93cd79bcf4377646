import Foundation

// The reference evaluator: semantics.md read as directly as possible, nested loops over
// bindings (dictionaries), over RKB. Slow and meant to be obviously right.

struct RefError: Error, CustomStringConvertible {
    var description: String
}

typealias RBinding = [String: RV]

/// A query's answer: rows in the order the reference sorted them (stable), with each row's
/// order-by key values; `limit`/`offset` not yet applied (the comparison applies them).
struct RefAnswer {
    var rows: [[RV?]]
    var keys: [[RV?]]
}

enum RefValues {
    /// Equality by value (semantics.md, "Equality").
    static func equal(_ a: RV, _ b: RV) -> Bool {
        if let x = a.decimalValue, let y = b.decimalValue { return x == y }
        switch (a, b) {
        case (.int, .date(let y, nil, nil)), (.decimal, .date(let y, nil, nil)):
            return (1000...9999).contains(y) && a.decimalValue == Decimal(y)
        case (.date(let y, nil, nil), .int), (.date(let y, nil, nil), .decimal):
            return (1000...9999).contains(y) && b.decimalValue == Decimal(y)
        case (.prop(let s1, let p1, let o1, let q1), .prop(let s2, let p2, let o2, let q2)):
            return p1 == p2 && equal(s1, s2) && equal(o1, o2) && q1.count == q2.count
                && zip(q1, q2).allSatisfy { $0.key == $1.key && equal($0.value, $1.value) }
        default: return a == b
        }
    }

    /// A day ordinal that keeps the order of days (31 days a month is enough for order).
    static func days(_ v: RV) -> (first: Int, last: Int, precision: Int)? {
        switch v {
        case .date(let y, nil, _): return (y * 372, y * 372 + 371, 0)
        case .date(let y, let m?, nil): return (y * 372 + (m - 1) * 31, y * 372 + (m - 1) * 31 + 30, 1)
        case .date(let y, let m?, let d?): let x = y * 372 + (m - 1) * 31 + d - 1; return (x, x, 2)
        case .int(let i) where (1000...9999).contains(i): return (i * 372, i * 372 + 371, 0)
        default: return nil
        }
    }
    static func isDate(_ v: RV) -> Bool { if case .date = v { return true } else { return false } }

    /// `<`, `<=`, `>`, `>=`; nil operands (no record), unknown and none give false.
    static func order(_ op: String, _ a: RV?, _ b: RV?) throws -> Bool {
        guard let a, let b else { return false }
        if a == .unknown || a == .none || b == .unknown || b == .none { return false }
        if isDate(a) || isDate(b) {
            guard let x = days(a), let y = days(b) else { throw RefError(description: "cannot compare \(a.kbText) with \(b.kbText)") }
            switch op {
            case "<": return x.last < y.first
            case "<=": return x.first <= y.last
            case ">": return y.last < x.first
            default: return y.first <= x.last
            }
        }
        if let x = a.decimalValue, let y = b.decimalValue {
            switch op { case "<": return x < y; case "<=": return x <= y; case ">": return x > y; default: return x >= y }
        }
        if case .string(let s) = a, case .string(let t) = b {
            let x = Array(s.unicodeScalars.map(\.value)), y = Array(t.unicodeScalars.map(\.value))
            let lt = x.lexicographicallyPrecedes(y), gt = y.lexicographicallyPrecedes(x)
            switch op { case "<": return lt; case "<=": return !gt; case ">": return gt; default: return !lt }
        }
        throw RefError(description: "cannot compare \(a.kbText) with \(b.kbText) using \(op)")
    }

    /// The total order of order by, min and max: -1, 0, 1 (0: a tie).
    static func totalOrder(_ a: RV?, _ b: RV?) -> Int {
        func rank(_ v: RV?) -> Int {
            guard let v else { return 10 }  // no record sorts after everything
            switch v {
            case .none: return 1
            case .unknown: return 2
            case .int, .decimal, .date: return 3
            case .string: return 4
            case .entity: return 5
            case .predicate: return 6
            case .prop: return 7
            case .statement: return 8
            case .type: return 9
            }
        }
        let ra = rank(a), rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        guard let a, let b else { return 0 }
        switch (a, b) {
        case _ where ra == 3:
            if let x = a.decimalValue, let y = b.decimalValue { return x == y ? 0 : (x < y ? -1 : 1) }
            if isDate(a) && isDate(b), let x = days(a), let y = days(b) {
                if x.first != y.first { return x.first < y.first ? -1 : 1 }
                return x.precision == y.precision ? 0 : (x.precision < y.precision ? -1 : 1)
            }
            // A number and a date: the number sorts as the year it reads as (its integer
            // part), tied with that year's date, before its months and days; a number
            // with a fraction after every date of its year.
            func scale(_ n: Decimal, _ d: RV) -> Int {
                guard case .date(let year, let month, _) = d else { return 0 }
                var whole = Decimal()
                var copy = n
                NSDecimalRound(&whole, &copy, 0, .down)
                if n < 0 && whole != n { whole -= 1 }
                if whole != Decimal(year) { return whole < Decimal(year) ? -1 : 1 }
                if whole != n { return 1 }
                return month == nil ? 0 : -1
            }
            if let n = a.decimalValue { return scale(n, b) }
            if let n = b.decimalValue { return -scale(n, a) }
            return 0
        case (.string(let s), .string(let t)):
            let x = Array(s.unicodeScalars.map(\.value)), y = Array(t.unicodeScalars.map(\.value))
            return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        case (.entity(let s), .entity(let t)):
            // "entities (by id)": by their id's text, as kbq sorts them.
            let x = Array(s.unicodeScalars.map(\.value)), y = Array(t.unicodeScalars.map(\.value))
            return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        default:
            let x = a.kbText, y = b.kbText
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }

    /// The label of an entity declared without one: its id, `_` read as a space (kbq's choice).
    static func defaultLabel(_ id: String) -> String { id.replacingOccurrences(of: "_", with: " ") }

    /// Text for contains: an entity's label (its id without one), a string's characters.
    static func text(_ v: RV?, kb: RKB) -> String? {
        switch v {
        case .entity(let id)?: return kb.entity(id)?.label ?? RefValues.defaultLabel(id)
        case .string(let s)?: return s
        default: return nil
        }
    }
}

final class RefEvaluator {
    let kb: RKB
    /// Joins on a shared variable by term identity (kbq today) instead of by value (the spec's reading).
    let joinByTerm: Bool
    /// Memo of relations and sub-predicate sets (pure functions of the knowledge base).
    var relations: [String: [(RV, RV)]] = [:]
    var below: [String: Set<String>] = [:]
    func predicatesBelow(_ p: String) -> Set<String> {
        if let s = below[p] { return s }
        let s = kb.predicatesBelow(p); below[p] = s; return s
    }

    init(kb: RKB, joinByTerm: Bool = true) {
        self.kb = kb
        self.joinByTerm = joinByTerm
    }

    // MARK: matching

    func bind(_ t: QTerm, _ v: RV, _ b: RBinding) -> RBinding? {
        switch t {
        case .any: return b
        case .variable(let name):
            if let old = b[name] { return (joinByTerm ? old == v : RefValues.equal(old, v)) ? b : nil }
            var b = b; b[name] = v; return b
        case .constant(let c): return RefValues.equal(c, v) ? b : nil
        case .prop(let pat):
            guard case .prop(let s, let p, let o, let quals) = v else { return nil }
            return matchContent(pat, s: s, p: p, o: o, quals: quals, statement: nil, b)
        }
    }

    func predicateMatches(_ pred: QPred, _ p: String, _ b: RBinding) -> RBinding? {
        switch pred {
        case .path(.pred(let q)): return predicatesBelow(q).contains(p) ? b : nil
        case .variable(let v): return bind(.variable(v), .predicate(p), b)
        case .any: return b
        default: return nil
        }
    }

    func matchContent(_ pat: QPattern, s: RV, p: String, o: RV, quals: [RQual], statement: String?, _ b: RBinding) -> RBinding? {
        guard var b = predicateMatches(pat.p, p, b) else { return nil }
        guard let b1 = bind(pat.s, s, b) else { return nil }
        guard let b2 = bind(pat.o, o, b1) else { return nil }
        b = b2
        for (k, t) in pat.quals {
            guard let q = quals.first(where: { $0.key == k }), let b3 = bind(t, q.value, b) else { return nil }
            b = b3
        }
        if let v = pat.asVar {
            guard let statement, let b4 = bind(.variable(v), .statement(statement), b) else { return nil }
            b = b4
        }
        return b
    }

    /// A path's relation: one pair a statement for `p` and `^p`, a set of pairs otherwise.
    func relation(_ path: QPath) -> [(RV, RV)] {
        if let r = relations[path.text] { return r }
        let r = computeRelation(path)
        relations[path.text] = r
        return r
    }
    func computeRelation(_ path: QPath) -> [(RV, RV)] {
        switch path {
        case .pred(let p):
            let below = predicatesBelow(p)
            return kb.statements.filter { below.contains($0.p) }.map { ($0.s, $0.o) }
        case .inverse(let p):
            // p read backwards: a bag stays a bag (^^p: one answer a statement), a set a set.
            return relation(p).map { ($0.1, $0.0) }
        case .seq(let ps):
            var r = unique(relation(ps[0]))
            for q in ps.dropFirst() {
                let next = unique(relation(q))
                var out: [(RV, RV)] = []
                for (a, m) in r { for (m2, c) in next where m == m2 { out.append((a, c)) } }
                r = unique(out)
            }
            return r
        case .alt(let ps): return unique(ps.flatMap { relation($0) })
        case .plus(let p): return closure(unique(relation(p)))
        case .star(let p):
            return unique(closure(unique(relation(p))) + kb.entities.map { (RV.entity($0.id), RV.entity($0.id)) })
        }
    }

    struct Pair: Hashable { var a: RV; var b: RV }
    func unique(_ r: [(RV, RV)]) -> [(RV, RV)] {
        var seen = Set<Pair>()
        return r.filter { seen.insert(Pair(a: $0.0, b: $0.1)).inserted }
    }
    func closure(_ r: [(RV, RV)]) -> [(RV, RV)] {
        var set = Set(r.map { Pair(a: $0.0, b: $0.1) })
        var out = r
        var changed = true
        while changed {
            changed = false
            for x in out { for y in r where x.1 == y.0 {
                let p = Pair(a: x.0, b: y.1)
                if set.insert(p).inserted { out.append((x.0, y.1)); changed = true }
            } }
        }
        return out
    }

    func evalPattern(_ pat: QPattern, _ b: RBinding) -> [RBinding] {
        switch pat.p {
        case .isA:
            var out: [RBinding] = []
            for e in kb.entities {
                guard let b1 = bind(pat.s, .entity(e.id), b) else { continue }
                switch pat.o {
                case .constant(.type(let t)):
                    let below = kb.typesBelow(t)
                    if e.types.contains(where: below.contains) { out.append(b1) }
                default:
                    // Every type of the entity: declared, and all above them, each once.
                    var types: [String] = []
                    func up(_ t: String) { if !types.contains(t) { types.append(t) }; for p in kb.typeParents[t] ?? [] { up(p) } }
                    e.types.forEach(up)
                    for t in types { if let b2 = bind(pat.o, .type(t), b1) { out.append(b2) } }
                }
            }
            return out
        case .path(let path) where !path.isSimple:
            return relation(path).compactMap { pair in bind(pat.s, pair.0, b).flatMap { bind(pat.o, pair.1, $0) } }
        default:
            return kb.statements.compactMap { st in
                matchContent(pat, s: st.s, p: st.p, o: st.o, quals: st.quals, statement: st.name, b)
            }
        }
    }

    // MARK: expressions and filters

    func eval(_ e: QExpr, _ b: RBinding) throws -> RV? {
        switch e {
        case .term(.variable(let v)): return b[v]
        case .term(.constant(let c)): return c
        case .term: throw RefError(description: "term \(e.text) as an expression")
        case .field(let inner, let f):
            guard let v = try eval(inner, b) else { return nil }
            switch v {
            case .statement(let name):
                return kb.statements.first { $0.name == name }?.quals.first { $0.key == f }?.value
            case .entity(let id):
                guard let ent = kb.entity(id) else { return nil }
                switch f {
                case "label": return .string(ent.label ?? RefValues.defaultLabel(ent.id))
                case "id": return .string(ent.id)
                default: return nil
                }
            default: return nil
            }
        case .call(let f, let args):
            let v = try eval(args[0], b)
            switch (f, v) {
            case ("year", .date(let y, _, _)?): return .int(y)
            case ("year", .int(let y)?) where (1000...9999).contains(y): return .int(y)
            default: return nil
            }
        case .agg: throw RefError(description: "aggregate outside a projection")
        }
    }

    func test(_ l: QExpr, _ op: String, _ r: QExpr, _ b: RBinding) throws -> Bool {
        let x = try eval(l, b), y = try eval(r, b)
        switch op {
        case "=": guard let x, let y else { return false }; return RefValues.equal(x, y)
        case "!=": guard let x, let y else { return false }; return !RefValues.equal(x, y)
        case "contains":
            guard let s = RefValues.text(x, kb: kb), let t = RefValues.text(y, kb: kb) else { return false }
            return t.isEmpty || s.lowercased().contains(t.lowercased())
        case "in":
            guard let x, let y, let a = RefValues.days(x), let c = RefValues.days(y) else { return false }
            return c.first <= a.first && a.last <= c.last
        default: return try RefValues.order(op, x, y)
        }
    }

    // MARK: bodies

    func evalBody(_ body: [[QGoal]], _ b: RBinding) throws -> [RBinding] {
        try body.flatMap { try evalConjunction($0, b) }
    }

    /// Positive goals joined in written order; then optionals; then filters and `not`
    /// (conditions on what the whole conjunction binds).
    func evalConjunction(_ goals: [QGoal], _ b: RBinding) throws -> [RBinding] {
        var rows = [b]
        for g in goals {
            switch g {
            case .pattern(let p): rows = rows.flatMap { evalPattern(p, $0) }
            case .group(let body): rows = try rows.flatMap { try evalBody(body, $0) }
            default: break
            }
        }
        for case .optional(let body) in goals {
            rows = try rows.flatMap { r in let e = try evalBody(body, r); return e.isEmpty ? [r] : e }
        }
        for g in goals {
            switch g {
            case .filter(let l, let op, let r): rows = try rows.filter { try test(l, op, r, $0) }
            case .not(let inner): rows = try rows.filter { try evalConjunction([inner], $0).isEmpty }
            default: break
            }
        }
        return rows
    }

    // MARK: answers

    func answer(_ q: Query) throws -> RefAnswer {
        let bindings = try evalBody(q.body, [:])
        var rows: [[RV?]]
        if q.isAggregate {
            let keysOf: (RBinding) throws -> [RV?] = { b in
                if !q.groupBy.isEmpty { return try q.groupBy.map { try self.eval(self.resolveAlias($0, q), b) } }
                return try q.projections.filter { !$0.expr.isAggregate }.map { try self.eval($0.expr, b) }
            }
            var order: [[RV?]] = []
            var groups: [[RV?]: [RBinding]] = [:]
            for b in bindings {
                let k = try keysOf(b)
                if groups[k] == nil { order.append(k) }
                groups[k, default: []].append(b)
            }
            if order.isEmpty && q.groupBy.isEmpty && !q.projections.contains(where: { !$0.expr.isAggregate }) {
                order = [[]]; groups[[]] = []
            }
            rows = try order.map { k in try q.projections.map { try aggregate($0.expr, groups[k]!) } }
        } else {
            rows = try bindings.map { b in try q.projections.map { try eval($0.expr, b) } }
        }
        if q.distinct {
            var seen = Set<[RV?]>()
            rows = rows.filter { seen.insert($0).inserted }
        }
        // Order keys: each names a projection (its expression or its alias).
        let cols: [Int] = q.orderBy.map { key in
            q.projections.firstIndex { p in p.expr.text == key.0.text || (p.alias.map { "?" + $0 } == key.0.text) }!
        }
        var keyed = rows.map { r in (r, cols.map { r[$0] }) }
        if !q.orderBy.isEmpty {
            let desc = q.orderBy.map(\.1)
            keyed = stableSorted(keyed) { x, y in
                for i in 0..<cols.count {
                    let c = RefValues.totalOrder(x.1[i], y.1[i])
                    if c != 0 { return desc[i] ? c > 0 : c < 0 }
                }
                return false
            }
        }
        return RefAnswer(rows: keyed.map(\.0), keys: keyed.map(\.1))
    }

    func resolveAlias(_ e: QExpr, _ q: Query) -> QExpr {
        if case .term(.variable(let v)) = e, let p = q.projections.first(where: { $0.alias == v }) { return p.expr }
        return e
    }

    func aggregate(_ e: QExpr, _ group: [RBinding]) throws -> RV? {
        switch e {
        case .agg(let f, let distinct, let arg):
            var values: [RV] = []
            if let arg { for b in group { if let v = try eval(arg, b) { values.append(v) } } }
            if distinct { var seen = Set<RV>(); values = values.filter { seen.insert($0).inserted } }
            switch f {
            case "count": return .int(arg == nil ? group.count : values.count)
            case "sum":
                // Exact, whatever the order of the values: only a total of integers that does
                // not fit 64 bits is an overflow.
                let anyDecimal = values.contains { if case .decimal = $0 { return true } else { return false } }
                var dsum = Decimal(0)
                for v in values {
                    guard let d = v.decimalValue else { throw RefError(description: "sum of \(v.kbText)") }
                    dsum += d
                }
                if anyDecimal { return .decimal("\(dsum)") }
                guard dsum <= Decimal(Int64.max), dsum >= Decimal(Int64.min), let total = Int("\(dsum)") else {
                    throw RefError(description: "sum overflows")
                }
                return .int(total)
            case "min", "max":
                var best: RV?
                for v in values {
                    guard let cur = best else { best = v; continue }
                    let c = RefValues.totalOrder(v, cur)
                    if f == "min" ? c < 0 : c > 0 { best = v }
                }
                return best
            default: throw RefError(description: "aggregate \(f)")
            }
        default:
            // A grouped expression: the same in every row of the group.
            guard let b = group.first else { return nil }
            return try eval(e, b)
        }
    }

    func stableSorted<T>(_ a: [T], by less: (T, T) -> Bool) -> [T] {
        a.enumerated().sorted { x, y in less(x.element, y.element) || (!less(y.element, x.element) && x.offset < y.offset) }.map(\.element)
    }
}
