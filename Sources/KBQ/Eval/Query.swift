/// A query compiled and planned against a store, ready to run. Its columns are known
/// before it runs, so a header can be printed and rows streamed after it.
public final class PreparedQuery {
    public let columns: [String]
    let compiled: CompiledQuery
    let store: FactStore
    let source: SourceText
    let rules: RuleEngine
    /// Conjunctive queries run in the batch executor; off only to compare it with the
    /// general evaluator.
    var allowBatchJoin = true
    /// Counts without their answers (FactorizedCount) where they apply; off only to test
    /// the join's own counting (`BatchJoin.runCounting`) on shapes FactorizedCount takes.
    var allowFactorizedCount = true
    /// See BatchJoin.runInParallel; tests lower it to run small joins on every core.
    var parallelThreshold = BatchJoin.defaultParallelThreshold
    /// Whether the last run counted its last step's matches (BatchJoin.runCounting):
    /// tests check that their queries took that way.
    var countedLastStep = false
    /// Whether the last run counted its answers without making them (FactorizedCount).
    var countedFactorized = false
    /// Whether the last run grouped by a key computed from a variable a binding at a time
    /// (`DerivedKeys`).
    var groupedByDerivedKeys = false
    /// Whether the last run folded aggregate arguments computed per binding (tests).
    var foldedDerivedArguments = false
    /// The counting of this query's atoms (`.some(nil)`: the query is not one it counts),
    /// made at the first run of a count and kept.
    var factorized: FactorizedCount?? = nil
    /// The goals as join steps (nil: the general evaluator takes them), made at the first
    /// run and kept for the next.
    lazy var joinProgram: JoinPlan.Program? = JoinPlan.Program(compiled.goals, store, rules: rules)
    /// The projected variables, when every column is one (see `plainVariables`): worked out
    /// once, not at every run.
    lazy var projectedVariables: [Int]? = PreparedQuery.plainVariables(compiled)
    /// The join of the last run, kept for the next: its operators, scratch row, filter
    /// memos and hash sides were made for this query on this store.
    var keptJoin: BatchJoin? = nil
    /// The terms and counts of the last grouped count (`groupedCounts`), emptied and kept
    /// for the next run's: at 10M a count per `according_to` has half a million groups,
    /// and arrays of 4 MB and more are mapped afresh and faulted in at every run (see
    /// `FileSystem.configureHeap`). Runs are one after another, as `keptJoin`'s.
    var groupArrays: (terms: [UInt64], counts: [Int]) = ([], [])
    /// The rows the planner expects each goal to leave (`Planner.estimatedRows`), worked out
    /// once: a join whose later steps multiply a small first step runs on every core, and
    /// a count whose last step multiplies its rows counts that step's matches.
    lazy var expectedRows: [Double?] = {
        var planner = Planner(store: store, source: source, variables: compiled.variables)
        planner.limits = .none
        return planner.estimatedRows(compiled.goals, rows: 1, bound: [])
    }()
    /// The value operations every run's execution shares: made at each run, they copied
    /// the entity and literal tables (a retain and a release of each of their columns),
    /// a good part of a small query's time. Safe to share: the runs of a prepared query
    /// are one after another on one thread (as `keptJoin` is), and a parallel join's
    /// workers fork executions with their own.
    lazy var valueOps = ValueOps(store: store, source: source)

    /// An execution for a run: the last run's, started again, when only the kept join
    /// holds it (no answer's deferred evidence, no closure kept it), else a new one. Made
    /// at every run, it was a good part of a small query's time.
    func execution(_ limits: Limits) -> Execution {
        if let join = keptJoin, isKnownUniquelyReferenced(&join.exec) {
            join.exec.restart(limits: limits, variableCount: compiled.variables.count)
            return join.exec
        }
        return Execution(store: store, source: source, rules: rules, limits: limits, variableCount: compiled.variables.count, ops: valueOps)
    }

    /// The join that runs the goals for `exec`, or nil when the general evaluator must.
    func join(_ exec: Execution) -> BatchJoin? {
        guard allowBatchJoin, let program = joinProgram else { return nil }
        let join = keptJoin ?? BatchJoin(program, exec, variableCount: compiled.variables.count)
        keptJoin = join
        join.exec = exec
        join.parallelThreshold = parallelThreshold
        // A first step too small to split for its own sake, whose later steps are expected
        // to make many times the threshold's rows (each event's participants paired), is
        // split all the same: its parts' work is the later steps'.
        if parallelThreshold == BatchJoin.defaultParallelThreshold, let peak = expectedRows.compactMap({ $0 }).max(), peak >= Double(4 * parallelThreshold) {
            join.parallelThreshold = BatchJoin.multiplyingThreshold
        }
        return join
    }

    public init(_ q: QuerySyntax, source: SourceText, store: FactStore, rules: RuleEngine, limits: Limits = .none) throws(Diagnostic) {
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
            for (i, v) in compiler.variables.enumerated() where !Compiler.isHidden(v) {
                projections.append((.slot(.variable(i)), v))
                aliasSlots.append(nil)
            }
            if projections.isEmpty {
                projections.append((.slot(.constant(.string("yes"))), "match"))
                aliasSlots.append(nil)
            }
        }
        // `group by ?n`, where `?n` is a projection's alias, groups by that projection.
        let groupSyntax = try PreparedQuery.resolveAliases(in: q, source: source)
        let groupBy = try groupSyntax.map { (e: ExprSyntax) throws(Diagnostic) in try compiler.compileExpr(e, allowAggregates: false) }
        var orderBy: [(expr: CompiledExpr, descending: Bool)] = []
        for o in q.orderBy { orderBy.append((try compiler.compileExpr(o.expr, allowAggregates: true), o.descending)) }
        let isAggregate = projections.contains { $0.expr.hasAggregate } || !groupBy.isEmpty
        var planner = Planner(store: store, source: source, variables: compiler.variables)
        planner.limits = limits
        try planner.checkSize(body)
        let (planned, _) = try planner.plan(body, bound: [])
        let aliases = Set(aliasSlots.compactMap { $0 })
        // Every variable that an answer reads must be bound by the body.
        func checkBound(_ e: CompiledExpr, _ range: Range<Int>) throws(Diagnostic) {
            var mentioned = Set<Int>()
            for g in planned { mentioned.formUnion(Planner.mayBind(g)) }
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
        for (g, c) in zip(groupSyntax, groupBy) { try checkBound(c, g.range) }
        if !q.groupBy.isEmpty { try PreparedQuery.checkGrouped(q, groupSyntax, source: source) }
        self.compiled = CompiledQuery(
            variables: compiler.variables, goals: planned, projections: projections, aliasSlots: aliasSlots,
            distinct: q.distinct, groupBy: groupBy, orderBy: orderBy, limit: q.limit, offset: q.offset,
            isAggregate: isAggregate)
        self.columns = projections.map(\.name)
    }

    /// The variables an answer's columns, groups and ordering read: the only ones the
    /// batch executor makes Values of at each answer.
    lazy var readVariables: [Int] = {
        var used = Set<Int>()
        let c = compiled
        for p in c.projections { used.formUnion(Planner.uses(p.expr)) }
        for g in c.groupBy { used.formUnion(Planner.uses(g)) }
        for o in c.orderBy { used.formUnion(Planner.uses(o.expr)) }
        return used.sorted()
    }()

    static func onlyUnderNot(_ v: Int, _ goals: [Goal]) -> Bool {
        goals.contains { g in
            if case .not(let inner, _) = g { return Planner.mentions(inner).contains(v) }
            return false
        }
    }

    /// Runs the query, handing each answer row to `emit` as soon as it is final (see
    /// `run(limits:into:shown:)`).
    public func run(limits: Limits, emit: (ResultRow) throws -> Void) throws {
        let answers = Answers(columns: columns, store: store)
        // A row's evidence within the run's limits (a deferred one is a run of the join).
        try run(limits: limits, into: answers) { try emit(ResultRow(values: answers.values($0), evidence: try answers.evidence($0, limits: limits))) }
    }

    /// Runs the query, adding each answer row to `answers` (fresh, empty) and calling `shown`
    /// with its number as soon as it is final: at once when the query has no ordering,
    /// grouping or `distinct`, at the end otherwise.
    public func run(limits: Limits, into answers: Answers, shown: (Int) throws -> Void = { _ in }) throws {
        let c = compiled
        answers.rules = rules
        let exec = execution(limits)
        try exec.checkLimits()
        let streaming = !c.isAggregate && !c.distinct && c.orderBy.isEmpty
        let projected = variableJoin(exec)
        if streaming, let projected { return try streamVariables(projected, into: answers, shown) }
        if streaming {
            var skipped = 0
            if c.limit == 0 { return }
            let offset = c.offset ?? 0
            let limit = c.limit
            let projections = c.projections
            do {
                try exec.solveTop(c.goals, join: join(exec), reading: readVariables) {
                    if skipped < offset { skipped += 1; return }
                    try answers.append(projections.count, { try exec.eval(projections[$0].expr) }, evidence: exec.evidence)
                    try shown(answers.count - 1)
                    if let l = limit, answers.count >= l { throw StopSearch() }
                }
            } catch is StopSearch {}
            return
        }
        if !c.isAggregate, let projected, c.orderBy.isEmpty {
            try collectVariables(projected, into: answers)
            let start = min(c.offset ?? 0, answers.count)
            answers.keep(start..<(c.limit.map { start + min($0, answers.count - start) } ?? answers.count))
            for i in 0..<answers.count {
                try exec.tick()
                try shown(i)
            }
            return
        }
        if !c.isAggregate, let projected, let keys = orderColumns(projected.variables) {
            try collectVariables(projected, into: answers)
            try order(answers, by: keys, exec)
            for i in 0..<answers.count {
                try exec.tick()
                try shown(i)
            }
            return
        }
        if !c.isAggregate, !c.distinct, !c.orderBy.isEmpty, c.aliasSlots.allSatisfy({ $0 == nil }), let join = join(exec) {
            try orderedFromBindings(join, into: answers, exec)
            for i in 0..<answers.count {
                try exec.tick()
                try shown(i)
            }
            return
        }
        var rows: [Collected]
        var factorizedRows: FactorizedRows? = nil
        if c.isAggregate {
            countedFactorized = false
            factorizedRows = try factorizedCounts(exec)
            rows = try factorizedRows?.rows ?? aggregateBindings(exec) ?? aggregate(exec)
            if c.distinct { rows = PreparedQuery.distinct(rows) }
        } else {
            rows = try collect(exec)
        }
        if !c.orderBy.isEmpty {
            var keyed: [(keys: [Value], row: Int)] = []
            // Order-by aggregates come after the projections' in each row's argument values.
            let projectionCalls = projectionAggregateCount
            for (i, r) in rows.enumerated() {
                exec.row = r.env
                var keys: [Value] = []
                var counter = projectionCalls
                for o in c.orderBy { keys.append(try evalAggregated(o.expr, r.aggregates, &counter, exec)) }
                keyed.append((keys, i))
            }
            let ops = exec.ops
            let inOrder = { (a: (keys: [Value], row: Int), b: (keys: [Value], row: Int)) -> Bool in
                PreparedQuery.keysBefore(a.keys, b.keys, c.orderBy, ops) ?? (a.row < b.row)
            }
            if let limit = c.limit, PreparedQuery.rowsWanted(c.offset, limit) < keyed.count / 4 {
                // Top-k: keep the first offset+limit rows in order, without sorting them all.
                keyed = PreparedQuery.first(PreparedQuery.rowsWanted(c.offset, limit), of: keyed, by: inOrder)
            } else {
                keyed.sort(by: inOrder)
            }
            rows = keyed.map { rows[$0.row] }
        }
        let start = min(c.offset ?? 0, rows.count)
        let end = c.limit.map { start + min($0, rows.count - start) } ?? rows.count
        let page = rows[start..<end]
        let findEvidence = factorizedRows.map { factorizedEvidence(by: $0.by, termsOfGroup: $0.termsOfGroup) }
        for r in page {
            try exec.tick()
            answers.append(values: r.values, evidence: r.evidence)
            if let f = factorizedRows, let findEvidence, r.group >= 0 { answers.deferEvidence(row: answers.count - 1, key: f.keys[r.group], find: findEvidence) }
            try shown(answers.count - 1)
        }
    }

    /// The answer columns an `order by` of plain variables reads (each a projected
    /// variable), or nil for any other ordering (or none).
    func orderColumns(_ projected: [Int]) -> [Int]? {
        guard !compiled.orderBy.isEmpty else { return nil }
        var columns: [Int] = []
        for o in compiled.orderBy {
            guard case .slot(.variable(let v)) = o.expr, let column = projected.firstIndex(of: v) else { return nil }
            columns.append(column)
        }
        return columns
    }

    /// Puts the answers of plain variables in `order by`'s order (keys read from the
    /// answers' own columns; ties in the order met) and keeps the page offset and limit
    /// ask for: a top-k when the page is small beside the answers.
    func order(_ answers: Answers, by keyColumns: [Int], _ exec: Execution) throws {
        // Keys that words order (entities, integers, dates: `Answers.orderWords`) are
        // compared as words, no Value made (a Value a key cost more than the top-k itself).
        var columnWords: [[UInt64]] = []
        for k in keyColumns {
            try exec.tick()
            guard let words = answers.orderWords(k, entityRanks: { store.entityRanks(label: false) }) else { break }
            columnWords.append(words)
        }
        if columnWords.count == keyColumns.count {
            let width = keyColumns.count
            var keys = [UInt64](repeating: 0, count: answers.count * width)
            for (k, words) in columnWords.enumerated() {
                for r in 0..<answers.count { keys[r * width + k] = words[r] }
            }
            answers.select(page(words: keys, answers.count))
            return
        }
        var keys: [Value] = []
        keys.reserveCapacity(answers.count * keyColumns.count)
        for r in 0..<answers.count {
            if r & 0xFFF == 0 { try exec.tick() }
            for k in keyColumns { keys.append(answers.value(r, k)) }
        }
        answers.select(page(answers.count, keys: keys, exec))
    }

    /// The rows of the page `offset` and `limit` ask for, in `order by`'s order: row r's
    /// keys are `keys[r * width ..< (r + 1) * width]`, ties in row order; a top-k when the
    /// page is small beside the rows.
    func page(_ count: Int, keys: [Value], _ exec: Execution) -> ArraySlice<Int> {
        let c = compiled
        let width = c.orderBy.count
        let ops = exec.ops
        return page(count) { a, b in
            PreparedQuery.keysBefore(keys[a * width..<(a + 1) * width], keys[b * width..<(b + 1) * width], c.orderBy, ops)
        }
    }

    /// The page of `count` rows ordered by words: row r's keys are
    /// `keys[r * width ..< (r + 1) * width]` (entity ranks, `FactStore.entityRanks`, or
    /// `Answers.orderWords`), ties in row order.
    func page(words keys: [UInt64], _ count: Int) -> ArraySlice<Int> {
        // The directions alone: an order key read from `orderBy` at each comparison was
        // copied, its expression retained and released, and a page of 40,000 rows cost
        // more than making them.
        let descending = compiled.orderBy.map(\.descending)
        let width = descending.count
        if width <= OrderedWords.most { return OrderedWords.page(keys, count, descending: descending, offset: compiled.offset, limit: compiled.limit) }
        return keys.withUnsafeBufferPointer { keys in
            page(count) { a, b in
                for k in 0..<width {
                    let (x, y) = (keys[a * width + k], keys[b * width + k])
                    if x != y { return (x < y) != descending[k] }
                }
                return nil
            }
        }
    }

    /// The page of `count` rows ordered by `before` (nil: the two tie, and keep row order).
    func page(_ count: Int, before: (Int, Int) -> Bool?) -> ArraySlice<Int> {
        let c = compiled
        let inOrder = { (a: Int, b: Int) -> Bool in before(a, b) ?? (a < b) }
        var order: [Int]
        if let limit = c.limit, PreparedQuery.rowsWanted(c.offset, limit) < count / 4 {
            order = PreparedQuery.first(PreparedQuery.rowsWanted(c.offset, limit), of: 0..<count, by: inOrder)
        } else {
            order = Array(0..<count)
            order.sort(by: inOrder)
        }
        let start = min(c.offset ?? 0, order.count)
        let end = c.limit.map { start + min($0, order.count - start) } ?? order.count
        return order[start..<end]
    }

    /// Ordered answers of any projections (`find ?x.label ... order by ?x.label`) from the
    /// batch join's bindings: each answer's keys are evaluated from its bindings and kept
    /// with them, the page is chosen (a top-k when it is small), and only the page's rows
    /// are made into Values. Every answer's projections are still evaluated, and dropped,
    /// so an error in one off the page stops the query as it does in full.
    func orderedFromBindings(_ join: BatchJoin, into answers: Answers, _ exec: Execution) throws {
        let c = compiled
        var used = Set<Int>()
        for p in c.projections { used.formUnion(Planner.uses(p.expr)) }
        for o in c.orderBy { used.formUnion(Planner.uses(o.expr)) }
        let usedVariables = used.sorted()
        let projections = c.projections
        let orderBy = c.orderBy
        var keys: [Value] = []
        var bindings: [UInt64] = []
        var statementEnds: [Int] = []
        var statements: [StatementID] = []
        func setRow(_ row: some Collection<UInt64>) {
            for (v, b) in zip(usedVariables, row) { exec.row[v] = b == 0 ? nil : join.decode(b) }
        }
        // Only a projection that may fail is evaluated for every answer (see above).
        let fallible = projections.filter { !$0.expr.cannotFail }
        // Ordered by entities' labels or ids: each answer keeps the entities, compared by
        // their names' bytes, not Strings made for every answer (nil: not so ordered, or
        // some answer's key is not an entity, and Values are made after all).
        let named = orderBy.compactMap { $0.expr.entityNameField }
        var keyEntities: [Int32]? = named.count == orderBy.count ? [] : nil
        let n = usedVariables.count
        // A batch at a time, its columns read in place (a row array a row cost most of an
        // ordered page of tens of thousands of answers).
        try join.runBatches { batch in
            let filled = batch.evidence.filter { !$0.isEmpty }
            for r in 0..<batch.count {
                try exec.tick()
                let at = bindings.count
                for v in usedVariables { bindings.append(batch.binding(v, r)) }
                if !fallible.isEmpty || keyEntities == nil {
                    setRow(bindings[at..<at + n])
                    for p in fallible { _ = try exec.eval(p.expr) }
                }
                if keyEntities != nil {
                    for k in named {
                        let b = batch.binding(k.variable, r)
                        let t = Term(raw: UInt32(truncatingIfNeeded: b))
                        guard b & ~0xFFFF_FFFF == JoinPlan.termTag, t.kind == Term.entityKind else {
                            keyEntities = nil
                            break
                        }
                        keyEntities!.append(Int32(t.index))
                    }
                    if keyEntities == nil {
                        // From here on, Values: those of the answers before this one first.
                        for r in 0..<statementEnds.count {
                            setRow(bindings[r * n..<(r + 1) * n])
                            for o in orderBy { keys.append(try exec.eval(o.expr)) }
                        }
                        setRow(bindings[at..<at + n])
                    }
                }
                if keyEntities == nil { for o in orderBy { keys.append(try exec.eval(o.expr)) } }
                for column in filled where column[r] != BindingBatch.noStatement { statements.append(column[r]) }
                statementEnds.append(statements.count)
            }
        }
        let chosen: ArraySlice<Int>
        if let keyEntities {
            let width = named.count
            let ranks = named.map { store.entityRanks(label: $0.label) }
            chosen = page(words: keyEntities.indices.map { UInt64(ranks[$0 % width][Int(keyEntities[$0])]) }, statementEnds.count)
        } else {
            chosen = page(statementEnds.count, keys: keys, exec)
        }
        for r in chosen {
            setRow(bindings[r * n..<(r + 1) * n])
            let evidence = JoinPlan.evidence(list: statements[(r == 0 ? 0 : statementEnds[r - 1])..<statementEnds[r]], rules: rules)
            try answers.append(projections.count, { try exec.eval(projections[$0].expr) }, evidence: evidence)
        }
    }

    /// An answer row before ordering: its environment (bindings and aliases), its values,
    /// its evidence, and for an aggregate query the result of each aggregate call.
    /// `group` numbers the group of a FactorizedCount row (its key in
    /// `FactorizedRows.keys`; -1: no evidence to find), else -1.
    typealias Collected = (env: [Value?], values: [Value], evidence: [Evidence], aggregates: [Value], group: Int)

    /// Every answer row, made distinct as it comes when the query asks for it (a repeated
    /// row adds its evidence to the first, up to `evidencePerGroup`).
    func collect(_ exec: Execution) throws -> [Collected] {
        // Fields, not the whole CompiledQuery: a closure that captures the struct copies it
        // at every solution.
        let projections = compiled.projections
        let aliasSlots = compiled.aliasSlots
        let distinct = compiled.distinct
        var rows: [Collected] = []
        var position: [[Value]: Int] = [:]
        // One column (the common `find distinct ?x`): keyed by the value (an entity by its
        // number), not by an array.
        var positionOfValue = GroupTable(entityCount: distinct && projections.count == 1 ? store.entities.count : 0)
        let hasAliases = aliasSlots.contains { $0 != nil }
        let keepsEnvironment = !compiled.orderBy.isEmpty
        try exec.solveTop(compiled.goals, join: join(exec), reading: readVariables) {
            var values: [Value] = []
            values.reserveCapacity(projections.count)
            let bindings = hasAliases ? exec.row : []
            for (i, p) in projections.enumerated() {
                let v = try exec.eval(p.expr)
                values.append(v)
                // An alias is visible to the projections after it and to `order by`.
                if let a = aliasSlots[i] { exec.row[a] = v }
            }
            if distinct {
                let seen = values.count == 1 ? positionOfValue.group(of: values[0], next: rows.count) : position[values] ?? rows.count
                if seen < rows.count {
                    let i = seen
                    if rows[i].evidence.count < PreparedQuery.evidencePerGroup { PreparedQuery.merge(into: &rows[i].evidence, exec.evidence) }
                    if hasAliases { exec.row = bindings }
                    return
                }
                if values.count != 1 { position[values] = rows.count }
            }
            // The environment is kept only for `order by` (a kept row would copy it).
            rows.append((keepsEnvironment ? exec.row : [], values, exec.evidence, [], -1))
            if hasAliases { exec.row = bindings }
        }
        return rows
    }

    /// The first of each set of equal rows, with the evidence of all of them.
    static func distinct(_ rows: [Collected]) -> [Collected] {
        var kept: [Collected] = []
        var position: [[Value]: Int] = [:]
        for r in rows {
            if let i = position[r.values] {
                kept[i].evidence = merge(kept[i].evidence, r.evidence)
            } else {
                position[r.values] = kept.count
                kept.append(r)
            }
        }
        return kept
    }

    /// The aggregate calls of the projections: in a row's aggregate results, those of
    /// `order by` come after them.
    var projectionAggregateCount: Int {
        var n = 0
        for p in compiled.projections { _ = PreparedQuery.countAggregates(p.expr, &n) }
        return n
    }

    /// Whether a row with ordering keys `a` comes before one with keys `b` by `order by`
    /// (nil: they tie, and the caller keeps them in the order met).
    static func keysBefore<Keys: RandomAccessCollection<Value>>(_ a: Keys, _ b: Keys, _ orderBy: [(expr: CompiledExpr, descending: Bool)], _ ops: ValueOps) -> Bool? where Keys.Index == Int {
        for (i, o) in orderBy.enumerated() {
            let (x, y) = (a[a.startIndex + i], b[b.startIndex + i])
            let before = ops.sortsBefore(x, y)
            let after = ops.sortsBefore(y, x)
            if before == after { continue }
            return o.descending ? after : before
        }
        return nil
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

    /// `offset + limit`, the rows a top-k must keep; a sum past Int.max is "all of them"
    /// (`limit 9223372036854775807 offset 1` is a valid query).
    static func rowsWanted(_ offset: Int?, _ limit: Int) -> Int {
        let (sum, overflow) = (offset ?? 0).addingReportingOverflow(limit)
        return overflow ? Int.max : sum
    }

    /// The largest page `first` keeps in a sorted buffer.
    static let insertionMost = 2048

    /// The first `k` items in order (stable), without sorting them all: a sorted buffer of k,
    /// sized by the items there are, never by `k` alone (`limit 1000000000000`).
    static func first<T>(_ k: Int, of items: some Sequence<T>, by inOrder: (T, T) -> Bool) -> [T] {
        // Past a few thousand, an insertion moves thousands of items, and a page deep into
        // many rows (`limit 50000` of a million) inserts tens of thousands of times: all
        // sorted then (stable, as the buffer is).
        if k > PreparedQuery.insertionMost {
            var all = Array(items)
            all.sort(by: inOrder)
            return Array(all.prefix(k))
        }
        var top: [T] = []
        top.reserveCapacity(min(k, items.underestimatedCount, 1 << 16) + 1)
        for item in items {
            if top.count == k, let last = top.last, !inOrder(item, last) { continue }
            var lo = 0
            var hi = top.count
            while lo < hi {
                let mid = (lo + hi) / 2
                // After every item it does not come before: equal items keep their order.
                if inOrder(item, top[mid]) { hi = mid } else { lo = mid + 1 }
            }
            top.insert(item, at: lo)
            if top.count > k { top.removeLast() }
        }
        return top
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

}
