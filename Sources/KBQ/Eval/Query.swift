/// A query compiled and planned against a store, ready to run. Its columns are known
/// before it runs, so a header can be printed and rows streamed after it.
public final class PreparedQuery {
    public let columns: [String]
    let compiled: CompiledQuery
    let store: FactStore
    let source: SourceText
    let rules: RuleEngine

    public init(_ q: QuerySyntax, source: SourceText, store: FactStore, rules: RuleEngine) throws(Diagnostic) {
        self.store = store
        self.source = source
        self.rules = rules
        var compiler = Compiler(store: store, source: source, rules: rules.arity)
        let body = try compiler.compileBody(q.body)
        var projections: [(expr: CompiledExpr, name: String)] = []
        var aliasSlots: [Int?] = []
        if let list = q.projections {
            for p in list {
                let e = try compiler.compileExpr(p.expr, allowAggregates: true)
                projections.append((e, p.alias ?? compiler.columnName(p.expr)))
                aliasSlots.append(p.alias.map { compiler.slot(for: $0) })
            }
        } else {
            for (i, v) in compiler.variables.enumerated() where !Planner.isInternal(v) {
                projections.append((.slot(.variable(i)), v))
                aliasSlots.append(nil)
            }
            if projections.isEmpty {
                projections.append((.slot(.constant(.string("yes"))), "match"))
                aliasSlots.append(nil)
            }
        }
        let groupBy = try q.groupBy.map { (e: ExprSyntax) throws(Diagnostic) in try compiler.compileExpr(e, allowAggregates: false) }
        var orderBy: [(expr: CompiledExpr, descending: Bool)] = []
        for o in q.orderBy { orderBy.append((try compiler.compileExpr(o.expr, allowAggregates: true), o.descending)) }
        let isAggregate = projections.contains { $0.expr.hasAggregate } || !groupBy.isEmpty
        let planner = Planner(store: store, source: source, variables: compiler.variables)
        let (planned, bound) = try planner.plan(body, bound: [])
        let aliases = Set(aliasSlots.compactMap { $0 })
        // Every variable that an answer reads must be bound by the body.
        func checkBound(_ e: CompiledExpr, _ range: Range<Int>) throws(Diagnostic) {
            var mentioned = Set<Int>()
            for g in planned { mentioned.formUnion(Planner.binds(g)) }
            for v in Planner.uses(e).sorted() where !mentioned.contains(v) && !aliases.contains(v) {
                let only = PreparedQuery.onlyUnderNot(v, planned)
                let why = only ? "it appears only under 'not', which cannot bind it" : "it does not appear in 'where'"
                throw Diagnostic(.error, "variable '?\(compiler.variables[v])' cannot be bound: \(why)", source: source, range: range)
            }
        }
        if let list = q.projections {
            for (p, c) in zip(list, projections) { try checkBound(c.expr, p.expr.range) }
        }
        for (o, c) in zip(q.orderBy, orderBy) { try checkBound(c.expr, o.expr.range) }
        _ = bound
        self.compiled = CompiledQuery(
            variables: compiler.variables, goals: planned, projections: projections, aliasSlots: aliasSlots,
            distinct: q.distinct, groupBy: groupBy, orderBy: orderBy, limit: q.limit, offset: q.offset,
            isAggregate: isAggregate)
        self.columns = projections.map(\.name)
    }

    static func onlyUnderNot(_ v: Int, _ goals: [Goal]) -> Bool {
        goals.contains { g in
            if case .not(let inner, _) = g { return Planner.mentions(inner).contains(v) }
            return false
        }
    }

    /// Runs the query, handing each answer row to `emit` as soon as it is final: at once when
    /// the query has no ordering, grouping or `distinct`, at the end otherwise.
    public func run(limits: Limits, emit: (ResultRow) throws -> Void) throws {
        let c = compiled
        let exec = Execution(store: store, source: source, rules: rules, limits: limits, variableCount: c.variables.count)
        try exec.checkLimits()
        let streaming = !c.isAggregate && !c.distinct && c.orderBy.isEmpty
        if streaming {
            var skipped = 0
            var emitted = 0
            if c.limit == 0 { return }
            do {
                try exec.solve(c.goals, 0) {
                    if skipped < (c.offset ?? 0) { skipped += 1; return }
                    var values: [Value] = []
                    for p in c.projections { values.append(try exec.eval(p.expr)) }
                    try emit(ResultRow(values: values, evidence: exec.evidence))
                    emitted += 1
                    if let l = c.limit, emitted >= l { throw StopSearch() }
                }
            } catch is StopSearch {}
            return
        }
        var rows: [Collected]
        if c.isAggregate {
            rows = try aggregate(exec)
        } else {
            var solutions: [(row: [Value?], evidence: [Evidence])] = []
            try exec.solve(c.goals, 0) { solutions.append((exec.row, exec.evidence)) }
            rows = try project(solutions, exec)
        }
        if c.distinct {
            var seen = Set<[Value]>()
            var kept: [(env: [Value?], values: [Value], evidence: [Evidence], group: [[Value?]])] = []
            var position: [[Value]: Int] = [:]
            for r in rows {
                if seen.insert(r.values).inserted {
                    position[r.values] = kept.count
                    kept.append(r)
                } else if let i = position[r.values] {
                    kept[i].evidence = PreparedQuery.merge(kept[i].evidence, r.evidence)
                }
            }
            rows = kept
        }
        if !c.orderBy.isEmpty {
            var keyed: [(keys: [Value], row: Int)] = []
            for (i, r) in rows.enumerated() {
                exec.row = r.env
                var keys: [Value] = []
                for o in c.orderBy { keys.append(try evalWithAggregates(o.expr, group: r.group, exec)) }
                keyed.append((keys, i))
            }
            let ops = exec.ops
            keyed.sort { a, b in
                for (i, o) in c.orderBy.enumerated() where a.keys[i] != b.keys[i] {
                    let before = ops.sortsBefore(a.keys[i], b.keys[i])
                    let after = ops.sortsBefore(b.keys[i], a.keys[i])
                    if before == after { continue }
                    return o.descending ? after : before
                }
                return a.row < b.row
            }
            rows = keyed.map { rows[$0.row] }
        }
        let start = min(c.offset ?? 0, rows.count)
        let end = c.limit.map { min(rows.count, start + $0) } ?? rows.count
        for r in rows[start..<end] {
            try exec.checkLimits()
            try emit(ResultRow(values: r.values, evidence: r.evidence))
        }
    }

    typealias Collected = (env: [Value?], values: [Value], evidence: [Evidence], group: [[Value?]])

    func project(_ solutions: [(row: [Value?], evidence: [Evidence])], _ exec: Execution) throws -> [Collected] {
        var out: [Collected] = []
        out.reserveCapacity(solutions.count)
        for s in solutions {
            exec.row = s.row
            var values: [Value] = []
            for (i, p) in compiled.projections.enumerated() {
                let v = try exec.eval(p.expr)
                values.append(v)
                if let a = compiled.aliasSlots[i] { exec.row[a] = v }
            }
            out.append((exec.row, values, s.evidence, [s.row]))
        }
        return out
    }

    /// An aggregate row keeps the evidence of its first solutions only: enough for `why`,
    /// and a count over a million statements does not carry a million of them.
    static let evidencePerGroup = 64

    /// Groups solutions as they come by the non-aggregate columns (or `group by`), then
    /// computes the aggregates of each group. An aggregate query over no rows gives one row
    /// (count 0) when nothing groups it.
    func aggregate(_ exec: Execution) throws -> [Collected] {
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        var groups: [[Value]: Int] = [:]
        var members: [[[Value?]]] = []
        var evidence: [[Evidence]] = []
        try exec.solve(c.goals, 0) {
            var key: [Value] = []
            key.reserveCapacity(keyExprs.count)
            for e in keyExprs { key.append(try exec.eval(e)) }
            let g: Int
            if let existing = groups[key] { g = existing } else {
                g = members.count
                groups[key] = g
                members.append([])
                evidence.append([])
            }
            members[g].append(exec.row)
            if evidence[g].count < PreparedQuery.evidencePerGroup {
                evidence[g] = PreparedQuery.merge(evidence[g], exec.evidence)
            }
        }
        if members.isEmpty && keyExprs.isEmpty {
            members = [[]]
            evidence = [[]]
        }
        var out: [Collected] = []
        for (g, groupRows) in members.enumerated() {
            exec.row = groupRows.first ?? Array(repeating: nil, count: c.variables.count)
            var values: [Value] = []
            for (i, p) in c.projections.enumerated() {
                let v = try evalWithAggregates(p.expr, group: groupRows, exec)
                values.append(v)
                if let a = c.aliasSlots[i] { exec.row[a] = v }
            }
            out.append((exec.row, values, evidence[g], groupRows))
        }
        return out
    }

    static func merge(_ a: [Evidence], _ b: [Evidence]) -> [Evidence] {
        var seen = Set(a)
        return a + b.filter { seen.insert($0).inserted }
    }

    func evalWithAggregates(_ e: CompiledExpr, group: [[Value?]], _ exec: Execution) throws -> Value {
        guard case .aggregate(let fn, let arg, let distinct, let range) = e else {
            if e.hasAggregate, case .compare(let op, let l, let r, let range) = e {
                let lv = try evalWithAggregates(l, group: group, exec)
                let rv = try evalWithAggregates(r, group: group, exec)
                return try exec.ops.compare(op, lv, rv, range) ? .integer(1) : .none
            }
            return try exec.eval(e)
        }
        let saved = exec.row
        defer { exec.row = saved }
        var values: [Value] = []
        for r in group {
            exec.row = r
            let v = try arg.map { try exec.eval($0) } ?? .integer(1)
            if v != .noRecord { values.append(v) }
        }
        if distinct { var seen = Set<Value>(); values = values.filter { seen.insert($0).inserted } }
        switch fn {
        case "count": return .integer(values.count)
        case "min": return values.min(by: exec.ops.sortsBefore) ?? .noRecord
        case "max": return values.max(by: exec.ops.sortsBefore) ?? .noRecord
        default:
            var total = 0.0
            var allIntegers = true
            for v in values {
                guard let n = v.numeric else {
                    throw Diagnostic(.error, "'\(fn)' needs numbers, found \(exec.ops.kindName(v))", source: source, range: range)
                }
                if case .decimal = v { allIntegers = false }
                total += n
            }
            if fn == "sum" { return allIntegers ? .integer(Int(total)) : .decimal(PreparedQuery.format(total)) }
            return values.isEmpty ? .noRecord : .decimal(PreparedQuery.format(total / Double(values.count)))
        }
    }

    static func format(_ d: Double) -> String {
        let scaled = (d * 1000).rounded() / 1000
        var s = String(scaled)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

extension Planner {
    /// Variables the user did not name (none today; kept for generated ones).
    static func isInternal(_ name: String) -> Bool { name.hasPrefix("_") }
}
