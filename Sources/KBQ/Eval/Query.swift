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
            for (i, v) in compiler.variables.enumerated() {
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
        let (planned, _) = try planner.plan(body, bound: [])
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
            var kept: [Collected] = []
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
            // Order-by aggregates come after the projections' in each row's argument values.
            var projectionCalls = 0
            for p in c.projections { var n = 0; _ = PreparedQuery.countAggregates(p.expr, &n); projectionCalls += n }
            for (i, r) in rows.enumerated() {
                exec.row = r.env
                var keys: [Value] = []
                var counter = projectionCalls
                for o in c.orderBy { keys.append(try evalAggregated(o.expr, r.aggregates, &counter, exec)) }
                keyed.append((keys, i))
            }
            let ops = exec.ops
            let inOrder = { (a: (keys: [Value], row: Int), b: (keys: [Value], row: Int)) -> Bool in
                for (i, o) in c.orderBy.enumerated() {
                    let before = ops.sortsBefore(a.keys[i], b.keys[i])
                    let after = ops.sortsBefore(b.keys[i], a.keys[i])
                    if before == after { continue }
                    return o.descending ? after : before
                }
                return a.row < b.row
            }
            if let limit = c.limit, (c.offset ?? 0) + limit < keyed.count / 4 {
                // Top-k: keep the first offset+limit rows in order, without sorting them all.
                let k = (c.offset ?? 0) + limit
                var top: [(keys: [Value], row: Int)] = []
                top.reserveCapacity(k + 1)
                for item in keyed {
                    if top.count == k, let last = top.last, !inOrder(item, last) { continue }
                    var lo = 0
                    var hi = top.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if inOrder(top[mid], item) { lo = mid + 1 } else { hi = mid }
                    }
                    top.insert(item, at: lo)
                    if top.count > k { top.removeLast() }
                }
                keyed = top
            } else {
                keyed.sort(by: inOrder)
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

    /// An answer row before ordering: its environment (bindings and aliases), its values,
    /// its evidence, and for an aggregate query the argument values of each aggregate.
    typealias Collected = (env: [Value?], values: [Value], evidence: [Evidence], aggregates: [[Value]])

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
            out.append((exec.row, values, s.evidence, []))
        }
        return out
    }

    /// An aggregate row keeps the evidence of its first solutions only: enough for `why`,
    /// and a count over a million statements does not carry a million of them.
    static let evidencePerGroup = 64

    /// The aggregate calls of the projections, then of `order by`, in the order that
    /// `evalAggregated` meets them.
    var aggregateCalls: [CompiledExpr] {
        var calls: [CompiledExpr] = []
        func walk(_ e: CompiledExpr) {
            switch e {
            case .aggregate: calls.append(e)
            case .compare(_, let l, let r, _): walk(l); walk(r)
            case .function(_, let args, _): args.forEach(walk)
            case .field(let inner, _, _), .regex(let inner, _, _): walk(inner)
            case .slot: break
            }
        }
        compiled.projections.forEach { walk($0.expr) }
        compiled.orderBy.forEach { walk($0.expr) }
        return calls
    }

    /// Groups solutions as they come by the non-aggregate columns (or `group by`), keeping
    /// of each group its first row and, per aggregate, the values of its argument. An
    /// aggregate query over no rows gives one row (count 0) when nothing groups it.
    func aggregate(_ exec: Execution) throws -> [Collected] {
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        let calls = aggregateCalls
        var groups: [[Value]: Int] = [:]
        var firstRows: [[Value?]] = []
        var argValues: [[[Value]]] = []
        var evidence: [[Evidence]] = []
        try exec.solve(c.goals, 0) {
            var key: [Value] = []
            key.reserveCapacity(keyExprs.count)
            for e in keyExprs { key.append(try exec.eval(e)) }
            let g: Int
            if let existing = groups[key] { g = existing } else {
                g = firstRows.count
                groups[key] = g
                firstRows.append(exec.row)
                argValues.append(Array(repeating: [], count: calls.count))
                evidence.append([])
            }
            for (i, call) in calls.enumerated() {
                guard case .aggregate(_, let arg, _, _) = call else { continue }
                let v = try arg.map { try exec.eval($0) } ?? .integer(1)
                if v != .noRecord { argValues[g][i].append(v) }
            }
            if evidence[g].count < PreparedQuery.evidencePerGroup {
                PreparedQuery.merge(into: &evidence[g], exec.evidence)
            }
        }
        if firstRows.isEmpty && keyExprs.isEmpty {
            firstRows = [Array(repeating: nil, count: c.variables.count)]
            argValues = [Array(repeating: [], count: calls.count)]
            evidence = [[]]
        }
        var out: [Collected] = []
        for g in firstRows.indices {
            exec.row = firstRows[g]
            var values: [Value] = []
            var counter = 0
            for (i, p) in c.projections.enumerated() {
                let v = try evalAggregated(p.expr, argValues[g], &counter, exec)
                values.append(v)
                if let a = c.aliasSlots[i] { exec.row[a] = v }
            }
            out.append((exec.row, values, evidence[g], argValues[g]))
        }
        return out
    }

    /// Adds the evidence that `into` lacks (a short list: a linear check beats a set).
    static func merge(into a: inout [Evidence], _ b: [Evidence]) {
        for e in b where !a.contains(e) { a.append(e) }
    }

    static func merge(_ a: [Evidence], _ b: [Evidence]) -> [Evidence] {
        var result = a
        merge(into: &result, b)
        return result
    }

    /// Evaluates an expression whose aggregate calls take their values, in order, from
    /// `argValues` (`counter` counts the calls met so far).
    func evalAggregated(_ e: CompiledExpr, _ argValues: [[Value]], _ counter: inout Int, _ exec: Execution) throws -> Value {
        switch e {
        case .aggregate(let fn, _, let distinct, let range):
            var values = counter < argValues.count ? argValues[counter] : []
            counter += 1
            if distinct { var seen = Set<Value>(); values = values.filter { seen.insert($0).inserted } }
            return try PreparedQuery.reduce(fn, values, range, exec.ops, source)
        case .compare(let op, let l, let r, let range) where e.hasAggregate:
            let lv = try evalAggregated(l, argValues, &counter, exec)
            let rv = try evalAggregated(r, argValues, &counter, exec)
            return try exec.ops.compare(op, lv, rv, range) ? .integer(1) : .none
        case .function(let name, let args, let range) where e.hasAggregate:
            return try exec.ops.function(name, try evalAggregated(args[0], argValues, &counter, exec), range)
        case .field(let inner, let name, _) where e.hasAggregate:
            return exec.ops.field(try evalAggregated(inner, argValues, &counter, exec), name)
        case .regex(let inner, let regex, _) where e.hasAggregate:
            let v = try evalAggregated(inner, argValues, &counter, exec)
            return v != .noRecord && exec.ops.text(v).contains(regex) ? .integer(1) : .none
        default:
            return try exec.eval(e)
        }
    }

    static func reduce(_ fn: String, _ values: [Value], _ range: Range<Int>, _ ops: ValueOps, _ source: SourceText) throws -> Value {
        switch fn {
        case "count": return .integer(values.count)
        case "min": return values.min(by: ops.sortsBefore) ?? .noRecord
        case "max": return values.max(by: ops.sortsBefore) ?? .noRecord
        default:
            var total = 0.0
            var allIntegers = true
            for v in values {
                guard let n = v.numeric else {
                    throw Diagnostic(.error, "'\(fn)' needs numbers, found \(ops.kindName(v))", source: source, range: range)
                }
                if case .decimal = v { allIntegers = false }
                total += n
            }
            if fn == "sum" { return allIntegers ? .integer(Int(total)) : .decimal(PreparedQuery.format(total)) }
            return values.isEmpty ? .noRecord : .decimal(PreparedQuery.format(total / Double(values.count)))
        }
    }

    static func countAggregates(_ e: CompiledExpr, _ n: inout Int) -> Int {
        switch e {
        case .aggregate: n += 1
        case .compare(_, let l, let r, _): _ = countAggregates(l, &n); _ = countAggregates(r, &n)
        case .function(_, let args, _): for a in args { _ = countAggregates(a, &n) }
        case .field(let inner, _, _), .regex(let inner, _, _): _ = countAggregates(inner, &n)
        case .slot: break
        }
        return n
    }

    static func format(_ d: Double) -> String {
        let scaled = (d * 1000).rounded() / 1000
        var s = String(scaled)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

