import Foundation

/// Generates queries kbq must accept: every filter's variables bound, every projection
/// bound, ordering comparisons only between kinds that compare (numbers, dates, strings).
struct RefQueryGenerator {
    enum Kind { case entity, number, date, string, mixed, prop, statement, predicate, type }

    var rng: RRandom
    let kb: RKB
    var vars: [(name: String, kind: Kind, certain: Bool)] = []
    /// Variables that only one branch of an `or` binds.
    var oneSided: Set<String> = []
    /// Date variables that hold only dates (a date qualifier's), never unknown, none or a year integer.
    var pureDates: Set<String> = []
    var counter = 0

    init(rng: RRandom, kb: RKB) { self.rng = rng; self.kb = kb }

    var actors: [String] { kb.entities.filter { $0.id != RefKBGenerator.markerEntity }.map(\.id) }

    mutating func fresh(_ kind: Kind, certain: Bool = true) -> String {
        counter += 1
        let name = ["x", "y", "z", "v", "w", "s", "t", "ö"][rng.int(8)] + String(counter)
        vars.append((name, kind, certain))
        return name
    }
    func vars(_ kind: Kind, certainOnly: Bool = true) -> [String] {
        vars.filter { $0.kind == kind && (!certainOnly || $0.certain) }.map(\.name)
    }

    /// An entity position: an entity variable in scope, a new one, a constant or `_`.
    mutating func entityTerm(allowConstant: Bool = true) -> QTerm {
        let known = vars(.entity)
        switch rng.int(10) {
        case 0, 1, 2, 3: if !known.isEmpty { return .variable(rng.pick(known)) }
        case 4: if allowConstant { return .constant(.entity(rng.pick(actors))) }
        case 5: return .any
        default: break
        }
        return .variable(fresh(.entity))
    }

    mutating func numberConstant() -> RV {
        rng.pick([.int(3), .int(0), .decimal("3.0"), .decimal("-0.5"), .int(7), .decimal("2.25"), .int(10), .decimal("7.5")])
    }
    mutating func dateConstant(year: Bool = true) -> RV {
        if year && rng.chance(0.3) { return .int(rng.pick([1999, 2020, 2022, 2023])) }
        let y = rng.pick([1999, 2020, 2022, 2023])
        return rng.chance(0.5) ? .date(y, rng.pick([1, 3, 12]), nil) : .date(y, rng.pick([1, 3, 12]), rng.pick([1, 4, 31]))
    }
    mutating func stringConstant() -> String {
        rng.pick(["plain", "Quote \"in\" it", "ünïcödé", "日本語", "MiXeD case", "a", "z", "emoji 😀 x"])
    }

    /// A qualifier of a pattern.
    mutating func qualifier() -> (String, QTerm) {
        switch rng.int(9) {
        case 0: let v = fresh(.date); pureDates.insert(v); return ("date", .variable(v))
        case 1:
            return (rng.pick(["date", "when"]), .constant(dateConstant()))
        case 2: return ("who", entityTerm())
        case 3: return ("note", .variable(fresh(.string)))
        case 4: return ("weight", .variable(fresh(.number)))
        case 5:
            return (rng.pick(["weight", "n"]), .constant(numberConstant()))
        case 6:
            // A source named, or read into a variable (which filters may then test).
            if rng.int(2) == 0 { return ("source", .variable(fresh(.entity))) }
            return ("source", .constant(.entity(rng.pick(kb.documents))))
        case 7: return ("para", .constant(.int(1 + rng.int(6))))
        default: let v = fresh(.date); pureDates.insert(v); return ("when", .variable(v))
        }
    }

    /// A pattern over asserted statements (or, with `inside`, the content of a proposition).
    mutating func pattern(inside: Bool = false, depth: Int = 0) -> QPattern {
        let entityPreds = ["part_of", "unit_of", "cell_of", "knows", "likes"]
        var pat: QPattern
        let roll = rng.int(inside ? 8 : 12)
        switch roll {
        case 0, 1:
            pat = QPattern(s: entityTerm(), p: .path(.pred(rng.pick(entityPreds))), o: entityTerm())
        case 2:
            let o: QTerm = rng.chance(0.3) ? .constant(numberConstant()) : .variable(fresh(.number))
            pat = QPattern(s: entityTerm(), p: .path(.pred(rng.pick(["score", "rating"]))), o: o)
        case 3:
            let o: QTerm = rng.chance(0.25) ? .constant(dateConstant(year: true)) : .variable(fresh(.date))
            pat = QPattern(s: entityTerm(), p: .path(.pred(rng.pick(["born", "founded"]))), o: o)
        case 4:
            let o: QTerm = rng.chance(0.3) ? .constant(.string(stringConstant())) : .variable(fresh(.string))
            pat = QPattern(s: entityTerm(), p: .path(.pred("named")), o: o)
        case 5:
            let o: QTerm = rng.chance(0.3) ? .constant(rng.pick([.unknown, .none])) : .variable(fresh(.mixed))
            pat = QPattern(s: entityTerm(), p: .path(.pred("misc")), o: o)
        case 6:
            // A stance with a proposition: a variable, or a bracket pattern.
            let stance = rng.pick(["says", "claims", "denies"])
            if depth < 2 && rng.chance(0.6) {
                pat = QPattern(s: entityTerm(), p: .path(.pred(stance)), o: .prop(pattern(inside: true, depth: depth + 1)))
            } else {
                pat = QPattern(s: entityTerm(), p: .path(.pred(stance)), o: .variable(fresh(.prop)))
            }
        case 7:
            // A variable predicate, or `_`.
            if rng.chance(0.7) {
                let s = entityTerm()
                let p = fresh(.predicate)
                pat = QPattern(s: s, p: .variable(p), o: .variable(fresh(.mixed)))
            } else {
                pat = QPattern(s: entityTerm(), p: .any, o: rng.chance(0.5) ? .any : .variable(fresh(.mixed)))
            }
        case 8:
            // is_a
            if rng.chance(0.3) {
                return QPattern(s: entityTerm(), p: .isA, o: .variable(fresh(.type)))
            }
            return QPattern(s: entityTerm(allowConstant: false), p: .isA, o: .constant(.type(rng.pick(kb.typeOrder.filter { $0 != RefKBGenerator.markerType }))))
        default:
            // A path over the entity predicates.
            return QPattern(s: entityTerm(), p: .path(path(depth: 0)), o: entityTerm())
        }
        if !inside || rng.chance(0.3) {
            for _ in 0..<(rng.chance(0.3) ? 1 + rng.int(2) : 0) {
                let saved = vars
                let q = qualifier()
                if !pat.quals.contains(where: { $0.0 == q.0 }) && !(inside && (q.0 == "source" || q.0 == "para")) { pat.quals.append(q) } else { vars = saved }
            }
        }
        if !inside && rng.chance(0.3) { pat.asVar = fresh(.statement) }
        return pat
    }

    mutating func path(depth: Int) -> QPath {
        let preds = ["part_of", "unit_of", "cell_of", "knows", "likes"]
        let leaf: QPath = .pred(rng.pick(preds))
        if depth >= 2 { return leaf }
        switch rng.int(7) {
        case 0: return .inverse(path(depth: depth + 1))
        case 1: return .seq([path(depth: depth + 1), path(depth: depth + 1)])
        case 2: return .alt([path(depth: depth + 1), path(depth: depth + 1)])
        case 3, 4: return .plus(rng.chance(0.7) ? leaf : path(depth: depth + 1))
        case 5:
            return .star(rng.chance(0.7) ? leaf : path(depth: depth + 1))
        default: return .inverse(leaf)
        }
    }

    /// A filter on variables bound so far (certain ones, or any when `maybe`).
    mutating func filter(maybe: Bool = false) -> QGoal? {
        let pool = vars.filter { maybe || $0.certain }
        guard let v = pool.isEmpty ? nil : rng.pick(pool) else { return nil }
        let x: QExpr = .term(.variable(v.name))
        let ops = ["<", "<=", ">", ">="]
        switch v.kind {
        case .entity:
            switch rng.int(4) {
            case 0: return .filter(x, rng.pick(["=", "!="]), .term(.constant(.entity(rng.pick(actors)))))
            case 1:
                let others = vars(.entity).filter { $0 != v.name }
                if let o = others.isEmpty ? nil : rng.pick(others) { return .filter(x, rng.pick(["=", "!="]), .term(.variable(o))) }
                return .filter(x, "contains", .term(.constant(.string(rng.pick(["a", "Ü", "o", "ñ", "山", "STRASSE", "ß"])))))
            case 2: return .filter(.field(x, "label"), "contains", .term(.constant(.string(rng.pick(["a", "ü", "O", "name", "ç"])))))
            default: return .filter(x, "contains", .term(.constant(.string(rng.pick(["a", "E", "x", "ö"])))))
            }
        case .number:
            if rng.chance(0.3) { return .filter(x, rng.pick(["=", "!="]), .term(.constant(numberConstant()))) }
            let others = vars(.number).filter { $0 != v.name }
            if let o = others.isEmpty ? nil : rng.pick(others), rng.chance(0.3) { return .filter(x, rng.pick(ops), .term(.variable(o))) }
            return .filter(x, rng.pick(ops), .term(.constant(numberConstant())))
        case .date:
            switch rng.int(5) {
            case 0:
                return .filter(x, "in", .term(.constant(dateConstant())))
            case 1: return .filter(x, rng.pick(["=", "!="]), .term(.constant(dateConstant())))
            case 2:
                let y: QExpr = .call("year", [x])
                let c: QExpr = .term(.constant(.int(rng.pick([2020, 2022]))))
                return rng.chance(0.5) ? .filter(c, rng.pick(["=", "<="]), y) : .filter(y, rng.pick(["=", ">="]), c)
            default: return .filter(x, rng.pick(ops), .term(.constant(dateConstant())))
            }
        case .string:
            switch rng.int(3) {
            case 0: return .filter(x, "contains", .term(.constant(.string(rng.pick(["Ü", "quote", "日", "e", "\"", "X"])))))
            case 1: return .filter(x, rng.pick(["=", "!="]), .term(.constant(.string(stringConstant()))))
            default: return .filter(x, rng.pick(ops), .term(.constant(.string(rng.pick(["m", "Z", "é", "日"])))))
            }
        case .mixed:
            return .filter(x, rng.pick(["=", "!="]), .term(.constant(rng.pick([.unknown, .none, .int(3), .decimal("3.0"), .string("plain"), .int(2022)]))))
        case .statement:
            switch rng.int(4) {
            case 0: return .filter(.field(x, "para"), rng.pick(["=", "<=", ">"]), .term(.constant(.int(1 + rng.int(6)))))
            case 1: return .filter(.field(x, "source"), rng.pick(["=", "!="]), .term(.constant(.entity(rng.pick(kb.documents)))))
            case 2: return .filter(.field(x, "date"), rng.pick(["<", ">=", "in", "="]), .term(.constant(dateConstant())))
            default: return .filter(.field(x, "n"), rng.pick([">", "=", "<="]), .term(.constant(.int(rng.pick([0, 2, 3])))))
            }
        case .predicate:
            return .filter(x, rng.pick(["=", "!="]), .term(.constant(.predicate(rng.pick(["part_of", "knows", "score", "claims", "misc"])))))
        case .type, .prop:
            return nil
        }
    }

    /// A conjunction: patterns joined on shared variables, filters, perhaps a `not`,
    /// a group with `or`, and an `optional` last.
    mutating func conjunction(size: Int) -> [QGoal] {
        var goals: [QGoal] = []
        for _ in 0..<size { goals.append(.pattern(pattern())) }
        if rng.chance(0.15) {
            // ( a or b ) over shared variables: what only one side binds is not certain.
            let before = vars.count
            let left = pattern()
            let leftVars = Set(vars[before...].map(\.name))
            let mid = vars.count
            let right = pattern()
            let rightVars = Set(vars[mid...].map(\.name))
            for i in before..<vars.count where !(leftVars.contains(vars[i].name) && rightVars.contains(vars[i].name)) { vars[i].certain = false; oneSided.insert(vars[i].name) }
            goals.append(.group([[.pattern(left)], [.pattern(right)]]))
        }
        for _ in 0..<rng.int(3) { if let f = filter() { goals.append(f) } }
        if rng.chance(0.1), let f = filter(), let g = filter() {
            // ( f or g ): branches of filters alone, of what the conjunction binds.
            goals.append(.group([[f], [g]]))
        }
        if rng.chance(0.2) {
            // not: its new variables are existential (dropped from scope afterwards). Its
            // body: a pattern; a filter alone of the variables bound before it; or a
            // pattern and a filter that may read them.
            let saved = vars
            let p = pattern()
            switch rng.int(4) {
            case 0: if let f = filter() { goals.append(.not(.group([[.pattern(p), f]]))) } else { goals.append(.not(.pattern(p))) }
            case 1:
                vars = saved
                if let f = filter() { goals.append(.not(f)) }
            default: goals.append(.not(.pattern(p)))
            }
            vars = saved
        }
        if rng.chance(0.2) {
            if rng.chance(0.1), let f = filter() {
                // Only a filter of what is bound before it.
                goals.append(.optional([[f]]))
            } else {
                let before = vars.count
                var inner: [QGoal] = [.pattern(pattern())]
                if rng.chance(0.3), let f = filter() { inner.append(f) }
                // Now and then an optional inside it.
                if rng.chance(0.15) { inner.append(.optional([[.pattern(pattern())]])) }
                for i in before..<vars.count { vars[i].certain = false }
                goals.append(.optional([inner]))
            }
            if rng.chance(0.3), let f = filter(maybe: true) { goals.append(f) }
        }
        return goals
    }

    mutating func query() -> Query {
        vars = []
        oneSided = []
        var body: [[QGoal]] = [conjunction(size: 1 + rng.int(3))]
        if rng.chance(0.1) {
            // a top-level or: each branch binds its own variables, none certain afterwards
            let saved = vars
            vars = []
            body.append(conjunction(size: 1 + rng.int(2)))
            vars = saved + vars
            for i in vars.indices { vars[i].certain = false; oneSided.insert(vars[i].name) }
        }
        var q = Query(projections: [], body: body)
        var named = vars
        if named.isEmpty {
            named = [(fresh(.entity), .entity, true)]
            for i in q.body.indices { q.body[i].append(.pattern(QPattern(s: .variable(named[0].name), p: .isA, o: .constant(.type("Agent"))))) }
        }

        if rng.chance(0.3) { return aggregateQuery(q, named) }

        var picks = rng.shuffled(named).prefix(1 + rng.int(min(3, named.count)))
        if picks.isEmpty { picks = [named[0]] }
        for v in picks {
            var e: QExpr = .term(.variable(v.name))
            if v.kind == .statement && rng.chance(0.5) { e = .field(e, rng.pick(["date", "para", "source", "when", "note", "n"])) }
            if v.kind == .entity && rng.chance(0.2) { e = .field(e, rng.pick(["label", "id"])) }
            q.projections.append(QProjection(expr: e, alias: rng.chance(0.1) ? fresh(.mixed, certain: false) : nil))
        }
        q.distinct = rng.chance(0.2)
        if rng.chance(0.35) {
            // order by projected columns whose kinds the total order handles the same in every reading
            for p in q.projections where rng.chance(0.7) {
                q.orderBy.append((p.alias.map { .term(.variable($0)) } ?? p.expr, rng.chance(0.4)))
            }
            if !q.orderBy.isEmpty && rng.chance(0.6) { q.limit = rng.int(6) }
            if !q.orderBy.isEmpty && rng.chance(0.3) { q.offset = rng.int(4) }
        } else if rng.chance(0.05) {
            q.limit = 1 + rng.int(4)
        }
        return q
    }

    func isDateLike(_ e: QExpr, _ kind: Kind) -> Bool {
        if kind == .date || kind == .mixed { return true }
        if case .field = e, kind == .statement { return true }
        return false
    }

    mutating func aggregateQuery(_ base: Query, _ named: [(name: String, kind: Kind, certain: Bool)]) -> Query {
        var q = base
        let certain = named.filter { $0.certain && [.entity, .number, .date, .string, .predicate, .statement].contains($0.kind) }
        let groups = Array(rng.shuffled(certain).prefix(rng.int(min(2, certain.count) + 1)))
        let explicit = rng.chance(0.5)
        for g in groups { q.projections.append(QProjection(expr: .term(.variable(g.name)))) }
        if explicit {
            q.groupBy = groups.map { .term(.variable($0.name)) }
            if let s = named.first(where: { $0.kind == .statement && $0.certain }), rng.chance(0.5) {
                let alias = fresh(.mixed)
                q.projections.append(QProjection(expr: .field(.term(.variable(s.name)), "para"), alias: alias))
                q.groupBy.append(.term(.variable(alias)))
            }
        }
        let n = 1 + rng.int(2)
        for _ in 0..<n {
            let v = rng.pick(named)
            let arg: QExpr = .term(.variable(v.name))
            switch rng.int(6) {
            case 0: q.projections.append(QProjection(expr: .agg("count", distinct: false, nil), alias: rng.chance(0.5) ? fresh(.number) : nil))
            case 1: q.projections.append(QProjection(expr: .agg("count", distinct: false, arg), alias: fresh(.number)))
            case 2: q.projections.append(QProjection(expr: .agg("count", distinct: true, arg), alias: fresh(.number)))
            case 3:
                // sum over numbers bound in every answer
                let nums = named.filter { $0.kind == .number && $0.certain }.map(\.name)
                if let s = nums.isEmpty ? nil : rng.pick(nums) {
                    q.projections.append(QProjection(expr: .agg("sum", distinct: rng.chance(0.2), .term(.variable(s))), alias: fresh(.number)))
                } else { q.projections.append(QProjection(expr: .agg("count", distinct: false, nil))) }
            default:
                let ok = named.filter { $0.kind == .number || $0.kind == .string || $0.kind == .entity || $0.kind == .date }.map(\.name)
                if let s = ok.isEmpty ? nil : rng.pick(ok) {
                    q.projections.append(QProjection(expr: .agg(rng.pick(["min", "max"]), distinct: false, .term(.variable(s))), alias: fresh(.mixed)))
                } else { q.projections.append(QProjection(expr: .agg("count", distinct: false, nil))) }
            }
        }
        if rng.chance(0.4) {
            for p in q.projections where rng.chance(0.5) {
                if case .agg(let f, _, _) = p.expr, f == "min" || f == "max" { continue }
                q.orderBy.append((p.alias.map { .term(.variable($0)) } ?? p.expr, rng.chance(0.5)))
            }
            if !q.orderBy.isEmpty && rng.chance(0.5) { q.limit = 1 + rng.int(4) }
        }
        return q
    }
}
