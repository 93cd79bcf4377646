/// Counts over a forest of joins (`find count(*) where ?x knows ?y, ?y knows ?z`, or per
/// `?c` with an ordered page), counted by FactorizedCount without making the answers. A
/// row's evidence is that of its first answers, as the join would gather it; it is looked
/// for only when asked for (`why N`: see `Answers.deferEvidence`), by a run of the join
/// that stops once it has them.
extension PreparedQuery {
    /// The rows of a count made so: each row's `group` numbers its key in `keys` (a
    /// grouping term, or 0 for the one row of a count without groups; -1: no answer, no
    /// evidence), and `by` is the grouping variable.
    struct FactorizedRows {
        var rows: [Collected]
        var keys: [UInt64]
        var by: Int?
        /// Grouped by a key computed from `by` (`year(?d)`): each group's terms of `by`,
        /// the group's number its key in `keys`.
        var termsOfGroup: [[UInt64]]? = nil
    }

    /// The query's rows, or nil when it is not such a count (or a count overflows: the
    /// join then counts, as it always did). Not with `distinct`, which merges the evidence
    /// of equal rows.
    func factorizedCounts(_ exec: Execution) throws -> FactorizedRows? {
        let c = compiled
        guard allowBatchJoin, allowFactorizedCount, !c.distinct, let program = joinProgram else { return nil }
        let keys = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        var group: Int? = nil
        // A key computed from one variable (`year(?d)`, `upper(?c)`): counted per term of
        // the variable, the terms then gathered under their key (each term's key computed
        // once). Counts of every answer add up so; distinct counts do not.
        var derived: CompiledExpr? = nil
        let calls = aggregateCalls
        if keys.count == 1, case .slot(.variable(let g)) = keys[0] {
            group = g
        } else if keys.count == 1, !keys[0].hasAggregate, calls.allSatisfy({ !$0.distinct }), Planner.uses(keys[0]).count == 1,
                  let v = Planner.uses(keys[0]).first, v < c.variables.count {
            group = v
            derived = keys[0]
        } else if !keys.isEmpty {
            return nil
        }
        var roots = Set<Int>()
        for call in calls {
            guard call.function == .count else { return nil }
            guard let a = call.argument else {
                guard !call.distinct else { return nil }
                continue
            }
            // A variable a goal binds is bound in every answer (`count(?v)` counts them
            // all); one an `optional` binds, where it matched.
            guard case .slot(.variable(let v)) = a else { return nil }
            if call.distinct {
                // Per group, the pairs of group and term (`FactorizedCount.distinctCounts`).
                guard v != group else { return nil }
                roots.insert(v)
            }
        }
        if let group { roots.insert(group) }
        if factorized == nil {
            factorized = .some(FactorizedCount(program, roots: roots, exec, variableCount: c.variables.count))
        }
        guard case .some(let counter?) = factorized, let join = join(exec) else { return nil }
        counter.parallelThreshold = parallelThreshold
        if let group {
            // A computed key's groups from the counts per term only when those are read
            // run by run: counted entry by entry, a term a table entry, the join's
            // grouping (a year read off each row's date) is faster.
            if derived != nil, !counter.countsByRuns(group, exec.store) { return nil }
            // Every call counts every answer of its group (none reads an `optional`'s variable).
            for call in calls {
                if case .slot(.variable(let v))? = call.argument, counter.answersBinding(v) != nil { return nil }
            }
            return try groupedCounts(counter, by: group, calls: calls, join, exec, derived: derived)
        }
        var results: [Value] = []
        var total: Int? = nil
        for call in calls {
            let n: Int?
            if call.distinct, case .slot(.variable(let v))? = call.argument {
                n = try counter.countDistinct(v, exec)
            } else if case .slot(.variable(let v))? = call.argument, let binding = counter.answersBinding(v) {
                // Bound only where its `optional` matched: those answers alone.
                guard let atom = binding else { return nil }
                n = try counter.count(exec, matched: atom)
            } else {
                if total == nil { total = try counter.count(exec) }
                n = total
            }
            guard let n else { return nil }
            results.append(.integer(n))
        }
        // Whether there is any answer (a count of an optional's variable may be 0 when
        // there are some): any count of all answers is positive.
        var answered = results.contains { $0 != .integer(0) }
        if !answered, total == nil {
            guard let all = try counter.count(exec) else { return nil }
            answered = all > 0
        }
        countedFactorized = true
        exec.row = Array(repeating: nil, count: c.variables.count)
        // The projections first: they set the aliases' slots that `order by` reads.
        let values = try aggregatedProjections(results, exec)
        return FactorizedRows(rows: [(exec.row, values, [], results, answered ? 0 : -1)], keys: [0], by: nil)
    }

    /// The rows of the groups by `g`, from each group's count: with `order by` and a
    /// `limit`, those of the page alone; else every group's, in the order the counts met
    /// their terms (which `order by` sorts after). Rows that tie in `order by` keep no
    /// promised order (semantics.md), so the page among ties may differ from the one a
    /// join, meeting the groups in another order, would show.
    /// With `derived`, the groups are the Values `derived` takes on the terms of `g` (see
    /// `derivedGroups`).
    private func groupedCounts(_ counter: FactorizedCount, by g: Int, calls: [(function: AggregateFunction, argument: CompiledExpr?, distinct: Bool, range: Range<Int>)], _ join: BatchJoin, _ exec: Execution, derived: CompiledExpr? = nil) throws -> FactorizedRows? {
        let c = compiled
        // Per call, its count per group: of every answer, or of the distinct terms of its
        // variable. A group has answers exactly when it has a distinct term (a goal binds
        // the variable in every answer), so every call counts the same groups.
        var all: TermCounts? = nil
        var perCall: [TermCounts] = []
        for call in calls {
            if call.distinct, case .slot(.variable(let v))? = call.argument {
                guard let d = try counter.distinctCounts(of: v, by: g, exec) else { return nil }
                perCall.append(d)
            } else {
                if all == nil { all = try counter.counts(by: g, exec) }
                guard let all else { return nil }
                perCall.append(all)
            }
        }
        guard var counts = perCall.first else { return nil }
        // The terms and the first call's counts in one pass, into arrays kept from the last
        // run (`groupArrays`); another call's looked up by term only when it counts
        // something else (a distinct count).
        var (terms, firstCounts) = groupArrays
        groupArrays = ([], [])
        terms.removeAll(keepingCapacity: true)
        firstCounts.removeAll(keepingCapacity: true)
        counts.append(to: &terms, &firstCounts)
        defer { groupArrays = (terms, firstCounts) }
        let n = calls.allSatisfy({ !$0.distinct }) ? Array(repeating: firstCounts, count: calls.count) : perCall.map { k in terms.map { k.get($0) } }
        // The counts' buffer by entity back to the counter for the next run, once no one
        // else holds it.
        (all, perCall) = (nil, [])
        counter.spareEntityCounts = counts.recycled()
        if let derived { return try derivedGroups(derived, of: g, terms, firstCounts, calls: calls.count, join, exec) }
        // Group i's first row as topGroups reads it: only `g` bound, to the group's term.
        let width = c.variables.count
        var firstRow = [UInt64](repeating: 0, count: width)
        let chosen = try topGroups(terms.count, { i in
            firstRow[g] = terms[i]
            return firstRow[...]
        }, n, [g], join, exec, always: true) ?? Array(terms.indices)
        let rows = try groupRows(chosen, g, term: { terms[$0] }, results: { i in n.map { Value.integer($0[i]) } }, join, exec)
        // A row's group numbers its term among the chosen (the terms are kept for reuse).
        return FactorizedRows(rows: rows, keys: chosen.map { terms[$0] }, by: g)
    }

    /// A row for each of the `chosen` groups, in order, its `group` its place among them:
    /// `g` bound to the group's `term` (every projection and ordering term reads it alone,
    /// or a count), the calls' `results` its counts.
    private func groupRows(_ chosen: [Int], _ g: Int, term: (Int) -> UInt64, results: (Int) -> [Value], _ join: BatchJoin, _ exec: Execution) throws -> [Collected] {
        countedFactorized = true
        let width = compiled.variables.count
        var out: [Collected] = []
        out.reserveCapacity(chosen.count)
        for (row, k) in chosen.enumerated() {
            if row & 1023 == 1023 { try exec.tick() }
            exec.row = [Value?](repeating: nil, count: width)
            exec.row[g] = join.decode(term(k))
            let results = results(k)
            let values = try aggregatedProjections(results, exec)
            out.append((exec.row, values, [], results, row))
        }
        return out
    }

    /// The rows of the groups by key `derived`, a function of `g` alone: each term of `g`
    /// (with `counts` answers) under the Value `derived` takes on it, computed once a
    /// term, the groups numbered in the order their first terms come and each counting the
    /// sum of its terms' answers (every call counts every answer). A group's row binds `g`
    /// to its first term, which gives its key; `order by` sorts the rows after.
    /// Nil when a sum overflows (the join then counts, and says so).
    private func derivedGroups(_ derived: CompiledExpr, of g: Int, _ terms: [UInt64], _ counts: [Int], calls: Int, _ join: BatchJoin, _ exec: Execution) throws -> FactorizedRows? {
        let width = compiled.variables.count
        // Each term's key number by DerivedKeys, as the join's grouping numbers a row's
        // (a year read off a date's payload, a type off an entity's list of types, any
        // other key evaluated once a term), in a batch of one column: the terms of `g`.
        var keys = DerivedKeys([(column: width, variable: g, expr: derived)])
        var batch = BindingBatch(count: terms.count, width: width, slots: 0)
        batch.columns[g] = terms
        exec.row = [Value?](repeating: nil, count: width)
        try keys.addColumns(&batch, join, exec)
        let numbers = batch.columns[width]
        // Groups numbered in the order their first terms come.
        var groupOfNumber = [Int32](repeating: -1, count: keys.values[0].count)
        var groupOfTerm = [Int32](repeating: 0, count: terms.count)
        var numberOfGroup: [Int] = []
        var firstTerm: [UInt64] = []
        var sums: [Int] = []
        for i in terms.indices {
            let number = Int(UInt32(truncatingIfNeeded: numbers[i]))
            var k = Int(groupOfNumber[number])
            if k < 0 {
                k = sums.count
                groupOfNumber[number] = Int32(k)
                numberOfGroup.append(number)
                firstTerm.append(terms[i])
                sums.append(0)
            }
            groupOfTerm[i] = Int32(k)
            let (sum, overflow) = sums[k].addingReportingOverflow(counts[i])
            guard !overflow else { return nil }
            sums[k] = sum
        }
        // The page, when `order by` reads the counts and keys (as the join's grouping
        // chooses it): a group's first row binds `g` alone, to its first term.
        var firstRow = [UInt64](repeating: 0, count: width)
        let chosen = try topGroups(sums.count, { k in
            firstRow[g] = firstTerm[k]
            return firstRow[...]
        }, Array(repeating: sums, count: calls), [g], join, exec, always: true,
                                   derived: (keys, { k, group in keys.value(k, UInt64(numberOfGroup[group])) })) ?? Array(sums.indices)
        // The terms of the groups shown, for their evidence: row n's group is `chosen[n]`.
        var shown = [Int32](repeating: -1, count: sums.count)
        for (n, k) in chosen.enumerated() { shown[k] = Int32(n) }
        var termsOfGroup = [[UInt64]](repeating: [], count: chosen.count)
        for i in terms.indices where shown[Int(groupOfTerm[i])] >= 0 { termsOfGroup[Int(shown[Int(groupOfTerm[i])])].append(terms[i]) }
        let rows = try groupRows(chosen, g, term: { firstTerm[$0] }, results: { [Value](repeating: .integer(sums[$0]), count: calls) }, join, exec)
        return FactorizedRows(rows: rows, keys: chosen.indices.map { UInt64($0) }, by: g, termsOfGroup: termsOfGroup)
    }

    /// How a row of `FactorizedRows` finds its evidence when asked: its first answers',
    /// from a run of this query's join under the caller's limits. With `termsOfGroup`, a
    /// row's key numbers its group, whose first answers are those of any of its terms.
    func factorizedEvidence(by g: Int?, termsOfGroup: [[UInt64]]? = nil) -> (UInt64, Limits) throws -> [Evidence] {
        { [self] key, limits in
            let exec = Execution(store: store, source: source, rules: rules, limits: limits, variableCount: compiled.variables.count)
            guard let join = join(exec) else { return [] }
            let terms = termsOfGroup.map { $0[Int(key)] } ?? [key]
            return try JoinPlan.evidence(list: firstAnswers(of: terms, by: g, join, exec, asOne: termsOfGroup != nil).of(0), rules: rules)
        }
    }

    /// For each of `terms` (groups by `g`; or, with no `g`, the one group of all answers),
    /// the evidence of its first answers, as the whole join would gather it: the join runs
    /// on one core, in order, until every group's evidence is full (the parallel join
    /// reads every part before handing out the first).
    /// `asOne`: the terms are one group's (group 0).
    private func firstAnswers(of terms: [UInt64], by g: Int?, _ join: BatchJoin, _ exec: Execution, asOne: Bool = false) throws -> GroupEvidence {
        var evidence = GroupEvidence(ownSlots: join.ownEvidenceSlots, hasPaths: JoinPlan.hasPath(join.program.steps))
        let groups = asOne ? min(1, terms.count) : terms.count
        evidence.addGroups(groups)
        guard !terms.isEmpty else { return evidence }
        var groupOf: [UInt64: Int32] = [:]
        for (k, t) in terms.enumerated() { groupOf[t] = asOne ? 0 : Int32(k) }
        join.parallelThreshold = Int.max
        defer { join.parallelThreshold = parallelThreshold }
        do {
            try join.runBatches { batch in
                try exec.checkLimits()
                var rows: [Int32] = []
                var groupOfRow: [Int32] = []
                let column = g.map { batch.columns[$0] }
                for r in 0..<batch.count {
                    guard let k = column.map({ groupOf[$0[r]] }) ?? 0, evidence.hasRoom(Int(k)) else { continue }
                    rows.append(Int32(r))
                    groupOfRow.append(k)
                }
                guard !rows.isEmpty else { return }
                evidence.add(rows.count == batch.count ? batch : batch.gathered(rows), groupOfRow)
                if (0..<groups).allSatisfy({ !evidence.hasRoom($0) }) { throw StopSearch() }
            }
        } catch is StopSearch {}
        return evidence
    }
}
