/// Counting pushed into a scan: `find ?a, count(?s) where _ _ _ {according_to: ?a} as ?s`
/// (one pattern, grouped by one of its positions, counting its matches) reads the index
/// run of candidate statements and counts into an array indexed by the key's term, with no
/// bindings, closures or rows per statement. A query of any other shape takes the general
/// path; both give the same rows (golden and differential tests run both shapes). The
/// general engine's count (FactorizedCount) is tried first, but for a key that is a
/// qualifier's value: it counts the others as fast or faster, and this path is to go once
/// it counts those too (issue 16).
extension PreparedQuery {
    /// Where the group key of a scan-count comes from in each statement.
    enum KeySource {
        case subject, object, predicate, statement
        case qualifier(Int32)
    }

    /// The result of a scan: rows without evidence, and what fills it in for the rows shown.
    struct ScanCount {
        var rows: [Collected]
        /// The candidate statements and, for each, its group (-1: not a match).
        var candidates: ColumnSlice<StatementID>?
        var groupOf: [Int32]
        /// Counted by index runs instead: a group's run (looked up for the groups shown, not
        /// kept for every group) and the test its statements pass.
        var run: ((Int) -> ColumnSlice<StatementID>)? = nil
        var accepts: ((Int) -> Bool)? = nil
    }

    /// Whether this query has the scan count's shape (FactorizedCount may still take it
    /// first: see `run`).
    public var countsInAScan: Bool { compiled.isAggregate && scanCountShape() != nil }

    /// Whether the scan count's key is a qualifier's value (which it reads run by run).
    var scanCountKeyedByQualifier: Bool {
        guard let (_, key, _, _) = scanCountShape(), case .qualifier = key else { return false }
        return true
    }

    /// The pattern, key and count calls when the query has the scan-count shape; `filters`
    /// read the key alone (`?doc != Generated_Data`): every statement of a group passes or
    /// fails them together, so they are decided once a group.
    func scanCountShape() -> (pattern: CompiledPattern, key: KeySource, filters: [CompiledExpr], keyVariable: Int)? {
        let c = compiled
        guard allowScanCount, !c.distinct, let p = c.goals.lazy.compactMap({ g -> CompiledPattern? in if case .pattern(let p) = g { p } else { nil } }).first else { return nil }
        var filters: [CompiledExpr] = []
        for g in c.goals {
            switch g {
            case .pattern(let q) where q.range == p.range: continue
            case .filter(let e, _): filters.append(e)
            default: return nil
            }
        }
        // Every variable of the pattern once, in a plain position; constants and `_` elsewhere.
        var positions: [Int: KeySource] = [:]
        switch p.path {
        case .predicates, .any: break
        case .variable(let v): positions[v] = .predicate
        default: return nil
        }
        func plain(_ s: Slot, _ k: KeySource) -> Bool {
            switch s {
            case .wildcard, .constant: return true
            case .proposition: return false
            case .variable(let v):
                guard positions[v] == nil else { return false }
                positions[v] = k
                return true
            }
        }
        guard plain(p.subject, .subject), plain(p.object, .object) else { return nil }
        for q in p.qualifiers { guard plain(q.slot, .qualifier(q.key)) else { return nil } }
        if let s = p.statementVar { guard plain(.variable(s), .statement) else { return nil } }
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        guard keyExprs.count == 1, case .slot(.variable(let keyVar)) = keyExprs[0], let key = positions[keyVar] else { return nil }
        for call in aggregateCalls {
            guard call.function == .count, !call.distinct else { return nil }
            if let arg = call.argument {
                guard case .slot(.variable(let v)) = arg, positions[v] != nil else { return nil }
            }
        }
        // Projections may only read the key and the counts.
        for p in c.projections where !p.expr.hasAggregate {
            guard case .slot(.variable(keyVar)) = p.expr else { return nil }
        }
        guard filters.allSatisfy({ Planner.uses($0) == [keyVar] }) else { return nil }
        return (p, key, filters, keyVar)
    }

    /// Whether the key filters hold for a group whose key is `value`.
    func keyPasses(_ value: Value, _ filters: [CompiledExpr], _ keyVariable: Int, _ exec: Execution) throws -> Bool {
        guard !filters.isEmpty else { return true }
        // The filters read the key alone (see `scanCountShape`): the row is made once, and
        // only the key's slot written for each group (a row made per group cost more than
        // the check).
        if exec.row.count != compiled.variables.count { exec.row = [Value?](repeating: nil, count: compiled.variables.count) }
        exec.row[keyVariable] = value
        for f in filters where try !exec.truth(f) { return false }
        return true
    }

    func scanCount(_ exec: Execution) throws -> ScanCount? {
        guard let (p, key, filters, keyVariable) = scanCountShape() else { return nil }
        let store = self.store
        let table = store.table
        // Constants as terms; a constant the store does not hold matches nothing.
        func constant(_ s: Slot) -> Term?? {
            guard case .constant(let v) = s else { return .some(nil) }
            return store.term(for: v).map { .some($0) } ?? nil
        }
        guard let subjectConstant = constant(p.subject), let objectConstant = constant(p.object) else {
            return ScanCount(rows: [], candidates: nil, groupOf: [])
        }
        var qualifierConstants: [Term?] = []
        for q in p.qualifiers {
            guard let t = constant(q.slot) else { return ScanCount(rows: [], candidates: nil, groupOf: []) }
            qualifierConstants.append(t)
        }
        var predicateAllowed: [Bool]? = nil
        if case .predicates(let ps) = p.path {
            predicateAllowed = Array(repeating: false, count: store.predicates.count)
            for x in ps { predicateAllowed![Int(x)] = true }
        }
        // The pattern's narrowest list (found once: for several predicates it is made).
        let candidates = exec.candidateStatements(p)
        if case .qualifier(let k) = key, subjectConstant == nil, objectConstant == nil,
            qualifierConstants.allSatisfy({ $0 == nil }), !table.hasRepeatedQualifierKeys, Int(k) < store.byQualifier.count,
            !narrowerThanRuns(p, candidates, k)
        {
            return try scanCountByRuns(p, k, predicateAllowed, filters, keyVariable, exec)
        }
        if case .predicate = key, subjectConstant == nil, objectConstant == nil, p.qualifiers.isEmpty {
            return try scanCountByPredicateRuns(p, filters, keyVariable, exec)
        }
        let bySubject: Bool? = switch key {
        case .subject: true
        case .object: false
        default: nil
        }
        if let bySubject, predicateAllowed == nil, subjectConstant == nil, objectConstant == nil, p.qualifiers.isEmpty {
            return try scanCountByEndRuns(p, subject: bySubject, filters, keyVariable, exec)
        }
        let count = candidates?.count ?? store.statementCount
        var groupOf = [Int32](repeating: -1, count: count)
        var groupByEntity = [Int32](repeating: -1, count: store.entities.count)
        // Predicate keys by an array too (they sit above the entities' numbers).
        var groupByPredicate = [Int32](repeating: -1, count: store.predicates.count)
        // The pattern's qualifier keys as plain numbers (read from the pattern at every
        // statement, each Slot was copied), and whether each is stored with the statement
        // (not `source` or `para`, which the store keeps apart): those are all found in
        // one pass over the statement's stored qualifiers.
        let qualifierKeys = p.qualifiers.map(\.key)
        let stored = qualifierKeys.map { $0 != StatementTable.sourceKey && $0 != StatementTable.paraKey }
        let keyQualifier: Int? = if case .qualifier(let k) = key { qualifierKeys.firstIndex(of: k) } else { nil }
        var found = [UInt64](repeating: 0, count: qualifierKeys.count)
        let notFound = UInt64.max
        // Literal keys (a date, a number): open addressing, no seeded hash per statement.
        var groupByOther = GroupKeyTable(width: 1)
        var firstStatement: [StatementID] = []
        var counts: [Int] = []
        var groupKeys: [UInt64] = []

        // Through buffers: an array written at every statement checked its sharing at each.
        // The groups' sizes are counted after, from `groupOf`.
        try groupOf.withUnsafeMutableBufferPointer { groupOf in
            try groupByEntity.withUnsafeMutableBufferPointer { groupByEntity in
                for n in 0..<count {
                    if n & 4095 == 0 { try exec.checkLimits() }
                    let sid = candidates.map { $0[$0.startIndex + n] } ?? StatementID(n)
                    let i = Int(sid)
                    guard table.asserted[i] != p.quoted else { continue }
                    if let allowed = predicateAllowed, !allowed[Int(table.predicate[i])] { continue }
                    if let t = subjectConstant, table.subject[i] != t { continue }
                    if let t = objectConstant, table.object[i] != t { continue }
                    var keyValue: UInt64 = 0
                    if !qualifierKeys.isEmpty {
                        // Each key's first value, as `qualifierTerm` reads it.
                        for j in found.indices { found[j] = notFound }
                        for q in table.storedQualifiers(i) {
                            let k = table.qualifierKeys[q]
                            for j in qualifierKeys.indices where stored[j] && qualifierKeys[j] == k && found[j] == notFound {
                                found[j] = UInt64(table.qualifierValues[q].raw)
                            }
                        }
                        var matches = true
                        for j in qualifierKeys.indices {
                            if !stored[j] { found[j] = store.qualifierTerm(i, qualifierKeys[j]).map { UInt64($0.raw) } ?? notFound }
                            guard found[j] != notFound, qualifierConstants[j].map({ UInt64($0.raw) == found[j] }) ?? true else {
                                matches = false
                                break
                            }
                        }
                        guard matches else { continue }
                        if let keyQualifier { keyValue = found[keyQualifier] }
                    }
                    // Key: a term (entity terms are the entity's number), or tagged above 32 bits.
                    switch key {
                    case .subject: keyValue = UInt64(table.subject[i].raw)
                    case .object: keyValue = UInt64(table.object[i].raw)
                    case .predicate: keyValue = 1 << 32 | UInt64(UInt32(bitPattern: table.predicate[i]))
                    case .statement: keyValue = 2 << 32 | UInt64(i)
                    case .qualifier: break
                    }
                    var g: Int32
                    if case .predicate = key {
                        let p = Int(UInt32(truncatingIfNeeded: keyValue))
                        g = groupByPredicate[p]
                        if g < 0 { g = Int32(groupKeys.count); groupByPredicate[p] = g }
                    } else if keyValue < UInt64(groupByEntity.count) {
                        g = groupByEntity[Int(keyValue)]
                        if g < 0 { g = Int32(groupKeys.count); groupByEntity[Int(keyValue)] = g }
                    } else if let known = groupByOther.find({ _ in keyValue }) {
                        g = known
                    } else {
                        g = Int32(groupKeys.count)
                        groupByOther.insert({ _ in keyValue }, g)
                    }
                    if Int(g) == groupKeys.count {
                        firstStatement.append(sid)
                        groupKeys.append(keyValue)
                    }
                    groupOf[n] = g
                }
            }
        }
        counts = [Int](repeating: 0, count: groupKeys.count)
        counts.withUnsafeMutableBufferPointer { counts in
            for g in groupOf where g >= 0 { counts[Int(g)] += 1 }
        }
        let keys = groupKeys
        let keyValues = { (g: Int) -> Value in
            let k = keys[g]
            switch k >> 32 {
            case 0: return store.value(Term(raw: UInt32(k)))
            case 1: return .predicate(PredicateID(bitPattern: UInt32(truncatingIfNeeded: k)))
            default: return .statement(StatementID(truncatingIfNeeded: k))
            }
        }
        // Without key filters every group passes, and no group's key is made for them.
        let passing = filters.isEmpty ? nil : try counts.indices.filter { try keyPasses(keyValues($0), filters, keyVariable, exec) }
        let groups = topGroups(counts, keyValues, exec.ops, among: passing) ?? passing ?? Array(counts.indices)
        return ScanCount(rows: try aggregateRows(groups, firstStatement, counts, exec), candidates: candidates, groupOf: groupOf)
    }

    /// Whether the pattern's narrowest list of candidates (a predicate's statements, say) is
    /// a few times shorter than the statements with qualifier `key`: the runs read every
    /// statement with the key and test each one's predicate, scattered over the store;
    /// the candidates are read in order, each one's qualifiers once (`knows` statements
    /// grouped by `according_to`: 37,000 candidates against 258,000 keyed statements).
    func narrowerThanRuns(_ p: CompiledPattern, _ candidates: ColumnSlice<StatementID>?, _ key: Int32) -> Bool {
        guard case .predicates = p.path, let narrowest = candidates?.count else { return false }
        return narrowest * 4 < store.statements(withKey: key)?.count ?? 0
    }

    /// Grouped by a qualifier's value with nothing else bound: the runs of that qualifier's
    /// index are the groups, so no statement's qualifiers are read for its key.
    func scanCountByRuns(_ p: CompiledPattern, _ key: Int32, _ predicateAllowed: [Bool]?, _ filters: [CompiledExpr], _ keyVariable: Int, _ exec: Execution) throws -> ScanCount {
        let store = self.store
        let table = store.table
        let others = p.qualifiers.map(\.key).filter { $0 != key }
        let quoted = p.quoted
        let plain = predicateAllowed == nil && others.isEmpty
        let asserted = table.asserted
        let accepts = { (i: Int) -> Bool in
            guard asserted[i] != quoted else { return false }
            if plain { return true }
            if let allowed = predicateAllowed, !allowed[Int(table.predicate[i])] { return false }
            return others.allSatisfy { store.qualifierTerm(i, $0) != nil }
        }
        var (counts, firstStatement, groupKeys) = takeRunCountArrays()
        var checked = 0
        var interrupted: Error? = nil
        // A group the key filters refuse is never read (nor, for a source, spelled out).
        let keeping: ((Term) -> Bool)? = filters.isEmpty ? nil : { (term: Term) -> Bool in
            guard interrupted == nil else { return false }
            do { return try self.keyPasses(store.value(term), filters, keyVariable, exec) } catch {
                interrupted = error
                return false
            }
        }
        // Counted from a source's (or paragraph's) runs: its statements are spelled out
        // only for the groups shown (see below).
        var spelled = false
        if plain, !quoted {
            spelled = store.forEachProvenanceTerm(key, keeping: keeping) { term, n, first in
                counts.append(n)
                firstStatement.append(first)
                groupKeys.append(UInt64(term.raw))
            }
        }
        // With no quoted statement in the store, every statement of a run is asserted: a
        // run's size is its count and its first statement its first (runs are in statement
        // order), with no statement read (a count per `according_to` at 10M read 2.6
        // million, scattered).
        let allAsserted = store.assertedCount == store.statementCount
        if !spelled { store.forEachQualifierRun(key, keeping: keeping) { term, run in
            guard interrupted == nil else { return }
            var n = 0
            var first: StatementID = -1
            if plain && allAsserted && !quoted {
                n = run.count
                first = run.first ?? -1
            } else if plain {
                for sid in run where asserted[Int(sid)] != quoted {
                    n += 1
                    if first < 0 { first = sid }
                }
            } else {
                for sid in run where accepts(Int(sid)) {
                    n += 1
                    if first < 0 { first = sid }
                }
            }
            checked += run.count
            if checked > 1 << 16 {
                checked = 0
                do { try exec.checkLimits() } catch { interrupted = error }
            }
            guard n > 0 else { return }
            counts.append(n)
            firstStatement.append(first)
            groupKeys.append(UInt64(term.raw))
        } }
        if let interrupted { throw interrupted }
        _ = inFirstStatementOrder(&counts, &firstStatement, &groupKeys)
        // A constant the closure captures (a captured `var` is checked at every access).
        let keys = groupKeys
        let keyValues = { (g: Int) -> Value in store.value(Term(raw: UInt32(truncatingIfNeeded: keys[g]))) }
        let groups = topGroups(counts, keyValues, exec.ops) ?? Array(counts.indices)
        defer { runCountArrays = (counts, firstStatement, groupKeys) }
        // A run per group kept for every group was most of a count over half a million
        // values (an array of runs grown, copied and faulted in at every run of the query).
        return ScanCount(
            rows: try aggregateRows(groups, firstStatement, counts, exec), candidates: nil, groupOf: [],
            run: { store.statements(withQualifier: key, term: Term(raw: UInt32(truncatingIfNeeded: keys[$0]))) }, accepts: accepts)
    }

    /// The kept group arrays (`runCountArrays`), emptied with their room, moved out of
    /// the query so that they are not shared while a run fills them.
    func takeRunCountArrays() -> (counts: [Int], first: [StatementID], keys: [UInt64]) {
        var arrays = runCountArrays
        runCountArrays = ([], [], [])
        arrays.counts.removeAll(keepingCapacity: true)
        arrays.first.removeAll(keepingCapacity: true)
        arrays.keys.removeAll(keepingCapacity: true)
        return arrays
    }

    /// Groups numbered in the order the general evaluator meets them (by first statement),
    /// which shows unless the answer is ordered by the key itself. Returns the old group
    /// numbers in their new order (nil: left as they were), for a caller with more arrays.
    func inFirstStatementOrder(_ counts: inout [Int], _ firstStatement: inout [StatementID], _ groupKeys: inout [UInt64]) -> [Int]? {
        guard !ordersByKey else { return nil }
        var keyed = firstStatement.indices.map { UInt64(UInt32(bitPattern: firstStatement[$0])) << 32 | UInt64($0) }
        keyed.sort()
        let order = keyed.map { Int($0 & 0xFFFF_FFFF) }
        counts = order.map { counts[$0] }
        firstStatement = order.map { firstStatement[$0] }
        groupKeys = order.map { groupKeys[$0] }
        return order
    }

    /// Grouped by the predicate with nothing else bound: the predicate index's runs are the
    /// groups, each counted by its statements' asserted bits (a scan read each statement's
    /// predicate and looked its group up).
    func scanCountByPredicateRuns(_ p: CompiledPattern, _ filters: [CompiledExpr], _ keyVariable: Int, _ exec: Execution) throws -> ScanCount {
        let store = self.store
        return try scanCountByIndexRuns(p, filters, keyVariable, exec, { body in store.byPredicate.forEachRun { body(UInt64($0), $1) } },
                                        run: { store.byPredicate[Int($0)] }, value: { .predicate(PredicateID(truncatingIfNeeded: $0)) })
    }

    /// Grouped by the subject (or object) with nothing else bound: the subject (object)
    /// index's runs are the groups, as the predicate's are (a scan of every statement
    /// looked each one's group up, and grew a table of the literal objects' groups).
    func scanCountByEndRuns(_ p: CompiledPattern, subject: Bool, _ filters: [CompiledExpr], _ keyVariable: Int, _ exec: Execution) throws -> ScanCount {
        let store = self.store
        return try scanCountByIndexRuns(p, filters, keyVariable, exec, { body in
            (subject ? store.bySubject : store.byObject).forEachRun { body(UInt64($0.raw), $1) }
        }, run: { (subject ? store.bySubject : store.byObject)[Term(raw: UInt32(truncatingIfNeeded: $0))] },
           value: { store.value(Term(raw: UInt32(truncatingIfNeeded: $0))) })
    }

    /// Groups that are an index's runs (`forEachRun` hands each run with its key), each
    /// counted by its statements' asserted bits; `run` is a key's run again (for the
    /// evidence of the groups shown), `value` its Value (for the key's filters and the
    /// answer). The group arrays are the prepared query's, kept from run to run (see
    /// `runCountArrays`).
    private func scanCountByIndexRuns(
        _ p: CompiledPattern, _ filters: [CompiledExpr], _ keyVariable: Int, _ exec: Execution,
        _ forEachRun: ((UInt64, ColumnSlice<StatementID>) -> Void) -> Void, run: @escaping (UInt64) -> ColumnSlice<StatementID>,
        value: @escaping (UInt64) -> Value
    ) throws -> ScanCount {
        let asserted = store.table.asserted
        let quoted = p.quoted
        var (counts, firstStatement, groupKeys) = takeRunCountArrays()
        var interrupted: Error? = nil
        var checked = 0
        // With no quoted statement in the store, a run's size is its count and its first
        // statement its first (as `scanCountByRuns` has it): no statement is read.
        let allAsserted = !quoted && store.assertedCount == store.statementCount
        forEachRun { k, run in
            guard interrupted == nil else { return }
            do {
                // A group the key filters refuse is never read.
                guard try filters.isEmpty || keyPasses(value(k), filters, keyVariable, exec) else { return }
                checked += run.count
                if checked > 1 << 16 {
                    checked = 0
                    try exec.checkLimits()
                }
            } catch {
                interrupted = error
                return
            }
            var n = 0
            var first: StatementID = -1
            if allAsserted {
                n = run.count
                first = run.first ?? -1
            } else {
                for sid in run where asserted[Int(sid)] != quoted {
                    n += 1
                    if first < 0 { first = sid }
                }
            }
            guard n > 0 else { return }
            counts.append(n)
            firstStatement.append(first)
            groupKeys.append(k)
        }
        if let interrupted { throw interrupted }
        _ = inFirstStatementOrder(&counts, &firstStatement, &groupKeys)
        let keys = groupKeys
        let groups = topGroups(counts, { value(keys[$0]) }, exec.ops) ?? Array(counts.indices)
        defer { runCountArrays = (counts, firstStatement, groupKeys) }
        return ScanCount(
            rows: try aggregateRows(groups, firstStatement, counts, exec), candidates: nil, groupOf: [], run: { run(keys[$0]) },
            accepts: { asserted[$0] != quoted })
    }

    /// Whether `order by` names the group key (so no two rows tie and group numbers never
    /// decide an order).
    var ordersByKey: Bool {
        let c = compiled
        let keys = Set((c.groupBy + c.projections.map(\.expr)).compactMap { e -> Int? in
            if case .slot(.variable(let v)) = e { return v }
            return nil
        })
        return c.orderBy.contains { o in
            if case .slot(.variable(let v)) = o.expr { return keys.contains(v) }
            return false
        }
    }

    /// With `order by` over the count and the key and a `limit`: the groups that can be
    /// shown, in order, found without building a row per group. nil when the query
    /// orders by anything else.
    /// `among`: the groups that may be shown (all, when nil).
    func topGroups(_ counts: [Int], _ key: (Int) -> Value, _ ops: ValueOps, among: [Int]? = nil) -> [Int]? {
        let c = compiled
        guard let limit = c.limit, !c.orderBy.isEmpty else { return nil }
        let keyVar: Int? = c.projections.lazy.compactMap { p -> Int? in
            if case .slot(.variable(let v)) = p.expr { return v }
            return nil
        }.first ?? c.groupBy.lazy.compactMap { e -> Int? in
            if case .slot(.variable(let v)) = e { return v }
            return nil
        }.first
        var countAliases = Set<Int>()
        for (i, p) in c.projections.enumerated() {
            if case .aggregate = p.expr, let a = c.aliasSlots[i] { countAliases.insert(a) }
        }
        // Each ordering term: true for the count, false for the key.
        var terms: [(isCount: Bool, descending: Bool)] = []
        for o in c.orderBy {
            switch o.expr {
            case .aggregate: terms.append((true, o.descending))
            case .slot(.variable(let v)) where countAliases.contains(v): terms.append((true, o.descending))
            case .slot(.variable(let v)) where v == keyVar: terms.append((false, o.descending))
            default: return nil
            }
        }
        func inOrder(_ a: Int, _ b: Int) -> Bool {
            for t in terms {
                let before: Bool
                let after: Bool
                if t.isCount {
                    before = counts[a] < counts[b]
                    after = counts[b] < counts[a]
                } else {
                    let ka = key(a)
                    let kb = key(b)
                    before = ops.sortsBefore(ka, kb)
                    after = ops.sortsBefore(kb, ka)
                }
                if before == after { continue }
                return t.descending ? after : before
            }
            return a < b
        }
        return PreparedQuery.first(PreparedQuery.rowsWanted(c.offset, limit), of: among ?? Array(counts.indices), by: inOrder)
    }

    /// One row per group: the bindings of its first statement, its count in every call.
    func aggregateRows(_ groups: [Int], _ first: [StatementID], _ counts: [Int], _ exec: Execution) throws -> [Collected] {
        let c = compiled
        guard let (p, _, _, _) = scanCountShape() else { return [] }
        let calls = aggregateCalls.count
        var out: [Collected] = []
        out.reserveCapacity(groups.count)
        let empty = [Value?](repeating: nil, count: c.variables.count)
        for g in groups {
            let sid = first[g]
            exec.row = empty
            exec.trail.removeAll()
            _ = exec.match(p, sid)
            let results = [Value](repeating: .integer(counts[g]), count: calls)
            let values = try aggregatedProjections(results, exec)  // sets the aliases in the row
            out.append((exec.row, values, [], results, g))
        }
        return out
    }

    /// The evidence of the groups of the rows about to be shown: their first statements.
    func fillEvidence(_ rows: inout ArraySlice<Collected>, _ scan: ScanCount) {
        if let run = scan.run, let accepts = scan.accepts {
            for n in rows.indices where rows[n].group >= 0 {
                for sid in run(rows[n].group) where accepts(Int(sid)) {
                    guard rows[n].evidence.count < PreparedQuery.evidencePerGroup else { break }
                    rows[n].evidence.append(.statement(sid))
                }
            }
            return
        }
        // The row of each group shown, by group number (-1: not shown), read at every
        // statement: a Dictionary there hashed each statement's group.
        let last = rows.map(\.group).max() ?? -1
        guard last >= 0 else { return }
        var wanted = [Int](repeating: -1, count: last + 1)
        for (n, r) in zip(rows.indices, rows) where r.group >= 0 { wanted[r.group] = n }
        // Until every row shown is full: a page of five groups among a quarter of a million
        // statements fills long before their end.
        var open = rows.count { $0.group >= 0 }
        for n in scan.groupOf.indices where scan.groupOf[n] >= 0 && Int(scan.groupOf[n]) <= last {
            let row = wanted[Int(scan.groupOf[n])]
            guard row >= 0, rows[row].evidence.count < PreparedQuery.evidencePerGroup else { continue }
            let sid = scan.candidates.map { $0[$0.startIndex + n] } ?? StatementID(n)
            rows[row].evidence.append(.statement(sid))
            if rows[row].evidence.count == PreparedQuery.evidencePerGroup {
                open -= 1
                if open == 0 { break }
            }
        }
    }
}
