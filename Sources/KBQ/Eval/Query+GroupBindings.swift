import CKBQPrefetch

/// Grouping over the join's batches: when every grouping key is a plain variable or an
/// expression of one (`group by ?a`, `group by year(?d)`: see DerivedKeys) and every
/// aggregate's argument is a plain variable (`find ?a, count(?s) ...`), each batch's rows
/// are given their groups from the key columns' machine words, and counted, without a
/// Value or an evidence list per answer; a Value is made per row only for a sum, min, max
/// or average, and per distinct binding for a `distinct` call.
extension PreparedQuery {
    /// The groups, as `aggregate` would give them (same groups, in the same order, with the
    /// same results and evidence), or nil when the query is not of that form.
    func aggregateBindings(_ exec: Execution) throws -> [Collected]? {
        guard allowBatchJoin, joinProgram != nil else { return nil }
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        var keyVariables: [Int] = []
        // Keys computed from one variable (`year(?d)`, `?x.label`): grouped by a column of
        // their own, each binding's key computed once (see `DerivedKeys`).
        var derivedKeys: [(at: Int, variable: Int, expr: CompiledExpr)] = []
        for e in keyExprs {
            if case .slot(.variable(let v)) = e {
                keyVariables.append(v)
                continue
            }
            let used = Planner.uses(e)
            guard !e.hasAggregate, used.count == 1, let v = used.first, v < c.variables.count else { return nil }
            derivedKeys.append((keyVariables.count, v, e))
            keyVariables.append(-1)
        }
        let calls = aggregateCalls
        var arguments: [Int?] = []
        // Arguments computed from one variable (`min(?s.date)`, `max(len(?t))`): a column
        // of their own after the derived keys' (see `DerivedArguments`).
        var derivedArguments: [(call: Int, variable: Int, expr: CompiledExpr)] = []
        for (i, call) in calls.enumerated() {
            guard let a = call.argument else { arguments.append(nil); continue }
            if case .slot(.variable(let v)) = a {
                arguments.append(v)
                continue
            }
            let used = Planner.uses(a)
            guard !a.hasAggregate, used.count == 1, let v = used.first, v < c.variables.count else { return nil }
            derivedArguments.append((i, v, a))
            arguments.append(-1)
        }
        let fresh = calls.map { Accumulator(function: $0.function, distinct: $0.distinct, range: $0.range) }
        // A count that is not distinct needs no value: only whether the variable is bound.
        let plainCount = calls.map { $0.function == .count && !$0.distinct }
        let distinctCount = calls.map { $0.function == .count && $0.distinct }
        // Accumulators per group only for the calls that fold Values (sum, min, max, avg,
        // and their distinct forms); counts are counted in arrays.
        let folds = calls.indices.contains { !plainCount[$0] && !distinctCount[$0] }
        guard let join = join(exec) else { return nil }
        // A min or max of a variable keeps each group's best binding, not a Value: two
        // integers or two dates are compared as words (`wordSortsBefore`), other pairs as
        // the Values they stand for. The accumulators take the bests at the end; the row
        // kept on a tie is the first, as `Accumulator.add` keeps it.
        let extremes = calls.indices.map { i in !calls[i].distinct && arguments[i] != nil && (calls[i].function == .min || calls[i].function == .max) }
        var bestBindings: [[UInt64]] = calls.map { _ in [] }
        // A sum or average of a variable adds its integer literals per group here, read off
        // their payloads with no Value made; any other value goes to the group's
        // accumulator, which takes these at the end (`Accumulator.addIntegers`).
        let integerSums = calls.indices.map { i in !calls[i].distinct && arguments[i] != nil && (calls[i].function == .sum || calls[i].function == .avg) }
        var integerTotals: [[Int128]] = calls.map { _ in [] }
        var integerCounts: [[Int]] = calls.map { _ in [] }
        let literals = join.literals
        // A derived key's column follows the join's own in each batch.
        var derived = DerivedKeys(derivedKeys.enumerated().map { (k, d) in (column: join.width + k, variable: d.variable, expr: d.expr) })
        var derivedArgs = DerivedArguments(
            derivedArguments.enumerated().map { (k, d) in (column: join.width + derivedKeys.count + k, variable: d.variable, expr: d.expr) },
            join.literals, store.entities)
        for (k, d) in derivedArguments.enumerated() { arguments[d.call] = join.width + derivedKeys.count + k }
        /// An argument's binding as a Value (a derived argument's may be boxed).
        func argumentValue(_ b: UInt64) -> Value { derivedArgs.value(b) ?? join.decode(b) }
        func bindingSortsBefore(_ a: UInt64, _ b: UInt64) -> Bool {
            if let before = DerivedArguments.rankedBefore(a, b) { return before }
            if a & ~0xFFFF_FFFF == JoinPlan.termTag, b & ~0xFFFF_FFFF == JoinPlan.termTag {
                let (x, y) = (Term(raw: UInt32(truncatingIfNeeded: a)), Term(raw: UInt32(truncatingIfNeeded: b)))
                if x.kind == Term.literalKind, y.kind == Term.literalKind, let before = literals.wordSortsBefore(x.index, y.index) { return before }
            }
            return exec.ops.sortsBefore(argumentValue(a), argumentValue(b))
        }
        groupedByDerivedKeys = !derivedKeys.isEmpty
        foldedDerivedArguments = !derivedArguments.isEmpty
        for (k, d) in derivedKeys.enumerated() { keyVariables[d.at] = join.width + k }
        var groups = BindingGroups(keyVariables, entityCount: store.entities.count)
        let width = c.variables.count
        // Group g's first row's bindings at g * width.
        var firstRows: [UInt64] = []
        var groupCount = 0
        var accumulators: [[Accumulator]] = []
        var counts: [[Int]] = calls.map { _ in [] }
        var distinctBindings = calls.map { _ in DistinctPairs() }
        for i in distinctBindings.indices {
            distinctBindings[i].useEntityBits(entityCount: store.entities.count)
            distinctBindings[i].usePredicateBits(predicateCount: store.predicates.count)
        }
        // With a page of the groups to show, their evidence is found once they are known.
        var evidence = GroupEvidence(
            ownSlots: join.ownEvidenceSlots, hasPaths: JoinPlan.hasPath(join.program.steps), defers: !c.orderBy.isEmpty && c.limit != nil)
        let ops = exec.ops
        let source = self.source
        let allVariables = Array(0..<width)
        var groupOfRow: [Int32] = []
        // Group g's derived keys' numbers at g * derivedKeys.count.
        var derivedOfGroup: [UInt64] = []
        // Counts only, by keys bound before the last step: its matches are counted where
        // they are found, and only a group's first rows become rows (see `runCounting`).
        countedLastStep = false
        // A first step multiplies its one input row into all its matches.
        if !folds, !distinctCount.contains(true), derivedKeys.isEmpty, derivedArguments.isEmpty, let (at, step) = join.countedStep, Set(keyVariables).isDisjoint(with: step.variables),
            at == 0 || lastStepMultiplies() {
            let last = step.output
            countedLastStep = true
            let made = last.variables
            // Per call: whether a match always binds its argument (none, or one the step binds).
            let everyMatch = arguments.map { a in a.map { made.contains($0) } ?? true }
            var statements: [StatementID] = []
            // A row's matches are distinct statements of the step, and a group holds fewer
            // than `evidencePerGroup` while it has room: of a row's first that many
            // matches, those its group does not hold yet fill it. Later matches would add
            // nothing, and are not kept (a count over a step of 240k matches kept them all).
            step.output.collectsAtMost = PreparedQuery.evidencePerGroup
            defer { step.output.collectsAtMost = Int.max }
            try join.runCounting(batch: { batch in
                try exec.checkLimits()
                // A row's statements are wanted while its group (new, or not yet full) has
                // room as the batch starts; a group that fills meanwhile takes no more.
                return (0..<batch.count).map { r in groups.existing(batch, r).map { evidence.hasRoom(Int($0)) } ?? true }
            }, done: { batch, out in
                // The step's output as locals: read through the object, each access is a
                // retain and a release, several a row.
                let (matchesOfRow, parents, keptStatements, firstMade) = (out.matchesOfRow, out.parents, out.statements, out.firstMade)
                // Evidence in slot order, as the row the step would have made holds it.
                let filled = (0..<batch.evidence.count).filter { !batch.evidence[$0].isEmpty || $0 == last.slot }
                var kept = 0
                for row in 0..<batch.count where matchesOfRow[row] > 0 {
                    let matches = matchesOfRow[row]
                    let g = Int(groups.group(batch, row))
                    if g == groupCount {
                        // The group's first row: the input row's bindings, the step's own
                        // from its first match.
                        let firstRow = firstRows.count
                        for v in 0..<width { firstRows.append(batch.binding(v, row)) }
                        for (j, v) in made.enumerated() { firstRows[firstRow + v] = firstMade[row * made.count + j] }
                        groupCount += 1
                        for i in counts.indices { counts[i].append(0) }
                        evidence.addGroups(1)
                    }
                    // A count of a variable the step binds, or of none, counts every match;
                    // of one bound before, every match of a row that binds it.
                    for i in counts.indices {
                        if let v = arguments[i], !everyMatch[i], batch.binding(v, row) == 0 { continue }
                        counts[i][g] += matches
                    }
                    while kept < parents.count, Int(parents[kept]) < row { kept += 1 }
                    while kept < parents.count, Int(parents[kept]) == row {
                        if evidence.hasRoom(g) {
                            statements.removeAll(keepingCapacity: true)
                            for slot in filled {
                                let s = slot == last.slot ? keptStatements[kept] : batch.evidence[slot][row]
                                if s != BindingBatch.noStatement { statements.append(s) }
                            }
                            evidence.add(statements, to: g)
                        }
                        kept += 1
                    }
                }
            })
        } else {
            // Counts of the distinct bindings of one variable, and nothing else, over one
            // group: once the group's evidence is full, a row whose binding is counted
            // already changes nothing, and the join drops such rows (`AnsweredKeys`).
            var answered: AnsweredKeys? = nil
            if keyVariables.isEmpty, let v = arguments.first ?? nil, calls.allSatisfy({ $0.function == .count && $0.distinct }),
               arguments.allSatisfy({ $0 == v }), v < join.width, derivedArguments.isEmpty, let from = join.firstStepBound(v) {
                answered = AnsweredKeys(variable: v, from: from, entities: store.entities.count)
            }
            join.answered = answered
            defer { join.answered = nil }
            try join.runBatches { joined in
                try exec.checkLimits()
                var batch = joined
                try derived.addColumns(&batch, join, exec)
                try derivedArgs.addColumns(&batch, join, exec)
                groups.assign(batch, &groupOfRow)
                if groups.count > groupCount {
                    // New groups: their first rows, met in this batch in group order.
                    var rows: [Int32] = []
                    for (r, g) in groupOfRow.enumerated() where Int(g) == groupCount + rows.count { rows.append(Int32(r)) }
                    let gathered = batch.gathered(rows)
                    firstRows += gathered.rows(allVariables)
                    derivedOfGroup += gathered.rows(derived.keys.map(\.column))
                    groupCount += rows.count
                    for i in calls.indices { counts[i].append(contentsOf: repeatElement(0, count: rows.count)) }
                    if folds { accumulators.append(contentsOf: repeatElement(fresh, count: rows.count)) }
                    for i in calls.indices where extremes[i] { bestBindings[i].append(contentsOf: repeatElement(0, count: rows.count)) }
                    for i in calls.indices where integerSums[i] {
                        integerTotals[i].append(contentsOf: repeatElement(0, count: rows.count))
                        integerCounts[i].append(contentsOf: repeatElement(0, count: rows.count))
                    }
                    evidence.addGroups(rows.count)
                }
                for (i, argument) in arguments.enumerated() {
                    // An unbound argument has no record: it is not counted.
                    let column = argument.map { batch.columns[$0] } ?? []
                    if plainCount[i] || distinctCount[i] {
                        // A distinct count counts each (group, binding) pair the first time.
                        let distinct = distinctCount[i]
                        counts[i].withUnsafeMutableBufferPointer { n in
                            if distinct {
                                groupOfRow.withUnsafeBufferPointer { groups in
                                    if argument == nil {
                                        distinctBindings[i].insertCounting(groups, nil, n)
                                    } else if !column.isEmpty {
                                        column.withUnsafeBufferPointer { distinctBindings[i].insertCounting(groups, $0, n) }
                                    }
                                }
                                return
                            }
                            if argument == nil {
                                for g in groupOfRow { n[Int(g)] += 1 }
                            } else if !column.isEmpty {
                                for (r, g) in groupOfRow.enumerated() where column[r] != 0 { n[Int(g)] += 1 }
                            }
                        }
                    } else if calls[i].distinct {
                        // Folded at the end, once per distinct value.
                        if argument == nil {
                            for g in groupOfRow { _ = distinctBindings[i].insert(g, 1) }
                        } else if !column.isEmpty {
                            for (r, g) in groupOfRow.enumerated() where column[r] != 0 { _ = distinctBindings[i].insert(g, column[r]) }
                        }
                    } else if extremes[i] {
                        guard !column.isEmpty else { continue }
                        for (r, g) in groupOfRow.enumerated() where column[r] != 0 {
                            let b = column[r]
                            let best = bestBindings[i][Int(g)]
                            if best == 0 || (calls[i].function == .min ? bindingSortsBefore(b, best) : bindingSortsBefore(best, b)) {
                                bestBindings[i][Int(g)] = b
                            }
                        }
                    } else if integerSums[i] {
                        guard !column.isEmpty else { continue }
                        try literals.withPayloads { payloads in
                            for (r, g) in groupOfRow.enumerated() where column[r] != 0 {
                                let b = column[r]
                                if b & ~0xFFFF_FFFF == JoinPlan.termTag {
                                    let t = Term(raw: UInt32(truncatingIfNeeded: b))
                                    if t.kind == Term.literalKind, let n = payloads.integer(t.index) {
                                        integerTotals[i][Int(g)] += Int128(n)
                                        integerCounts[i][Int(g)] += 1
                                        continue
                                    }
                                }
                                try accumulators[Int(g)][i].add(argumentValue(b), ops, source)
                            }
                        }
                    } else {
                        for (r, g) in groupOfRow.enumerated() {
                            var value = Value.integer(1)
                            if argument != nil {
                                guard !column.isEmpty, column[r] != 0 else { continue }
                                value = argumentValue(column[r])
                            }
                            try accumulators[Int(g)][i].add(value, ops, source)
                        }
                    }
                }
                evidence.add(batch, groupOfRow)
                if let answered, groupCount == 1, !evidence.hasRoom(0) {
                    for b in batch.columns[answered.variable] { answered.mark(b) }
                }
            }
        }
        if groupCount == 0 && keyVariables.isEmpty {
            firstRows = Array(repeating: 0, count: width)
            groupCount = 1
            evidence.addGroups(1)
            for i in calls.indices { counts[i] = [0] }
            if folds { accumulators = [fresh] }
        }
        for i in calls.indices where extremes[i] {
            // (No rows and no keys: the one group made above has no best.)
            for (g, b) in bestBindings[i].enumerated() where b != 0 { accumulators[g][i].best = argumentValue(b) }
        }
        for i in calls.indices where integerSums[i] {
            for (g, n) in integerCounts[i].enumerated() where n > 0 { try accumulators[g][i].addIntegers(integerTotals[i][g], count: n, source) }
        }
        for i in calls.indices where calls[i].distinct && !distinctCount[i] {
            try distinctBindings[i].forEach { g, b in
                try accumulators[Int(g)][i].add(arguments[i] == nil ? .integer(1) : argumentValue(b), ops, source)
            }
        }
        // Group g's accumulators, the counted calls' counts in place.
        func accumulated(_ g: Int) -> [Accumulator] {
            var all = folds ? accumulators[g] : fresh
            for i in calls.indices where plainCount[i] || distinctCount[i] {
                all[i] = Accumulator(function: .count, distinct: false, range: calls[i].range)
                all[i].count = counts[i][g]
            }
            return all
        }
        func first(_ g: Int) -> ArraySlice<UInt64> { firstRows[g * width..<(g + 1) * width] }
        // From counts and keys alone only when nothing is folded: a fold (`sum` past 64
        // bits, say) can fail in a group the answer does not show, and the query must
        // fail then too, so every group's results are computed.
        let derivedCount = derivedKeys.count
        let derivedValue = { (k: Int, g: Int) -> Value in derived.value(k, derivedOfGroup[g * derivedCount + k]) }
        // Folds whose results cannot fail (min, max, an average of every row: `add` has
        // refused what is not a number), under projections that name only calls and
        // keys: the page is chosen from counts and keys as when nothing is folded, and
        // only its groups' folds are finished (an average formatted for each of 25,000
        // groups was most of a page of five).
        let resultsCannotFail = calls.allSatisfy { call in
            switch call.function {
            case .count, .min, .max: return true
            case .avg: return !call.distinct
            case .sum: return false
            }
        } && c.projections.allSatisfy { p in
            switch p.expr {
            case .aggregate, .slot(.variable): return true
            default: return false
            }
        }
        let chosen = try (folds && !resultsCannotFail ? nil : topGroups(groupCount, first, counts, keyVariables, join, exec, derived: (derived, derivedValue)))
            ?? topGroups(groupCount, first, accumulated, join, exec) ?? Array(0..<groupCount)
        if evidence.defers {
            var wanted = [Bool](repeating: false, count: groupCount)
            for g in chosen { wanted[g] = true }
            evidence.settle(wanted)
        }
        var out: [Collected] = []
        out.reserveCapacity(chosen.count)
        for g in chosen {
            exec.row = first(g).map { $0 == 0 ? nil : join.decode($0) }
            let results = try accumulated(g).map { try $0.result(ops, source) }
            let values = try aggregatedProjections(results, exec)
            out.append((exec.row, values, JoinPlan.evidence(list: evidence.of(g), rules: rules), results, -1))
        }
        return out
    }
}

/// Each group's evidence: the statements behind its rows, in the order met, each once, up
/// to `evidencePerGroup`; kept as linked runs in one pool (a list per group cost an
/// allocation per group, and there can be tens of thousands).
struct GroupEvidence {
    private var head: [Int32] = []
    private var tail: [Int32] = []
    private var size: [Int32] = []
    private var statement: [StatementID] = []
    private var next: [Int32] = []
    private var held = DistinctPairs()
    /// The evidence slots whose statements are each behind one row at most
    /// (`BatchJoin.ownEvidenceSlots`): added without looking for them first.
    let ownSlots: Set<Int>
    /// Whether rows may hold a path's chain (the join has a path step).
    let hasPaths: Bool
    /// Where each group's last chain starts in `statement` (-1: none yet).
    private var lastChain: [Int32] = []
    private static let chainTag: UInt64 = 6 << 32

    /// Rows kept as they come, their evidence given to their groups only when `settle`
    /// names the groups an answer shows: a top-k of a few groups among thousands then looks
    /// for no statement of the others in the table of pairs (a fifth of a distinct count
    /// per employer did). Each row's group, and its statements, one per evidence slot
    /// (`noStatement` where none), `deferredWidth` a row. A group's evidence depends on its
    /// own rows alone, in order, so settling later gives each group what adding at once would.
    private var deferredGroups: [Int32] = []
    private var deferredStatements: [StatementID] = []
    private var deferredWidth = -1
    /// Per group, how many rows with an own slot's statement it has kept.
    private var deferredOwnRows: [Int32] = []
    /// Whether rows are kept (false: added at once, as they come).
    private(set) var defers: Bool
    /// Past this many rows kept, they are settled for every group and the rest added at
    /// once (memory stays near that of the rows' groups).
    let deferredRows: Int

    init(ownSlots: Set<Int> = [], hasPaths: Bool = false, defers: Bool = false, deferredRows: Int = 1 << 22) {
        self.ownSlots = ownSlots
        self.hasPaths = hasPaths
        self.deferredRows = deferredRows
        // A path's chain spans several slots, read as one piece of evidence: not kept.
        self.defers = defers && !hasPaths
    }

    /// Gives the kept rows' statements to the groups `wanted` says (every group when nil),
    /// in the order the rows came, and stops keeping rows.
    mutating func settle(_ wanted: [Bool]?) {
        guard defers else { return }
        defers = false
        let width = deferredWidth
        guard width >= 0 else { return }
        let (groups, statements) = (deferredGroups, deferredStatements)
        (deferredGroups, deferredStatements) = ([], [])
        let own = (0..<width).map { ownSlots.contains($0) }
        for (r, g) in groups.enumerated() where size[Int(g)] < PreparedQuery.evidencePerGroup && wanted?[Int(g)] != false {
            for k in 0..<width {
                let s = statements[r * width + k]
                if s != BindingBatch.noStatement { add(s, to: Int(g), own: own[k]) }
            }
        }
    }

    mutating func addGroups(_ n: Int) {
        head.append(contentsOf: repeatElement(-1, count: n))
        tail.append(contentsOf: repeatElement(-1, count: n))
        size.append(contentsOf: repeatElement(0, count: n))
        lastChain.append(contentsOf: repeatElement(-1, count: n))
        deferredOwnRows.append(contentsOf: repeatElement(0, count: n))
    }

    /// Whether group `g` takes the statements of another row.
    func hasRoom(_ g: Int) -> Bool { size[g] < PreparedQuery.evidencePerGroup }

    /// One row's statements, for group `g` (which has room), each once; a path's marker
    /// and chain (see `JoinPlan.pathMarker`) are one piece of evidence, kept once.
    mutating func add(_ statements: [StatementID], to g: Int) {
        var i = 0
        while i < statements.count {
            guard let n = JoinPlan.pathLength(statements[i]) else {
                add(statements[i], to: g)
                i += 1
                continue
            }
            let end = min(statements.count, i + 1 + n)
            addChain(statements[i..<end], to: g)
            i = end
        }
    }

    /// A path's marker and chain, unless group `g` holds the same chain: one entry each in
    /// the group's list, counted as one piece of evidence (as `.path` is).
    ///
    /// A group holds a chain's hash among its pairs; only a hash it holds already sends it
    /// to its list, to tell the same chain from another with that hash. (Numbering every
    /// chain in one table first cost a probe far away in memory and a copy per answer, and
    /// a path query with both ends free has nearly as many chains as answers.) The repeat
    /// of a chain comes most often on the rows right after it: the group's last chain is
    /// compared first.
    private mutating func addChain(_ chain: ArraySlice<StatementID>, to g: Int) {
        if !held.insert(Int32(g), GroupEvidence.chainKey(chain)), holds(chain, g) { return }
        lastChain[g] = Int32(statement.count)
        for s in chain { append(s, to: g) }
        size[g] += 1
    }

    /// A chain's key among a group's pairs: its hash, tagged apart from statements.
    static func chainKey<C: Collection<StatementID>>(_ chain: C) -> UInt64 {
        var h: UInt64 = 0
        for s in chain { h = (h ^ UInt64(UInt32(bitPattern: s))) &* 0x9E37_79B9_7F4A_7C15 }
        return chainTag | h >> 32
    }

    /// Whether group `g`'s list holds `chain` (its marker, then its statements).
    private func holds(_ chain: ArraySlice<StatementID>, _ g: Int) -> Bool {
        // A chain's statements follow its marker in `statement` itself: a group's entries
        // are linked one by one, but a chain's are appended together.
        func at(_ i: Int32) -> Bool {
            i >= 0 && Int(i) + chain.count <= statement.count && statement[Int(i)..<Int(i) + chain.count].elementsEqual(chain)
        }
        if at(lastChain[g]) { return true }
        var i = head[g]
        while i >= 0 {
            if statement[Int(i)] == chain.first!, at(i) { return true }
            i = next[Int(i)]
        }
        return false
    }

    /// The statements of each row of `batch`, for its group while the group has room.
    mutating func add(_ batch: BindingBatch, _ groupOfRow: [Int32]) {
        if defers, deferredWidth < 0 || deferredWidth == batch.evidence.count {
            deferredWidth = batch.evidence.count
            // A row with a statement of an own slot adds at least that one to its group:
            // once a group has kept `evidencePerGroup` such rows it will be full when they
            // are settled, and its later rows are not kept.
            let own = batch.evidence.indices.first { ownSlots.contains($0) && !batch.evidence[$0].isEmpty }.map { batch.evidence[$0] }
            for (r, g) in groupOfRow.enumerated() {
                if let own, own[r] != BindingBatch.noStatement {
                    guard deferredOwnRows[Int(g)] < PreparedQuery.evidencePerGroup else { continue }
                    deferredOwnRows[Int(g)] += 1
                }
                deferredGroups.append(g)
                for column in batch.evidence { deferredStatements.append(column.isEmpty ? BindingBatch.noStatement : column[r]) }
            }
            if deferredGroups.count > deferredRows { settle(nil) }
            return
        }
        // (A batch of another width, which no join makes, settles what was kept first.)
        settle(nil)
        if hasPaths {
            // A row's list read whole, its chains kept as units.
            var statements: [StatementID] = []
            for (r, g) in groupOfRow.enumerated() where size[Int(g)] < PreparedQuery.evidencePerGroup {
                statements.removeAll(keepingCapacity: true)
                for column in batch.evidence where !column.isEmpty && column[r] != BindingBatch.noStatement { statements.append(column[r]) }
                add(statements, to: Int(g))
            }
            return
        }
        let filled = batch.evidence.indices.filter { !batch.evidence[$0].isEmpty }.map { (column: batch.evidence[$0], own: ownSlots.contains($0)) }
        for (r, g) in groupOfRow.enumerated() where size[Int(g)] < PreparedQuery.evidencePerGroup {
            for (column, own) in filled where column[r] != BindingBatch.noStatement { add(column[r], to: Int(g), own: own) }
        }
    }

    /// Adds `s` to group `g` unless it is there; `own`: it cannot be (see `ownSlots`).
    private mutating func add(_ s: StatementID, to g: Int, own: Bool = false) {
        // Each statement once per group: looked up in one table of (group, statement)
        // pairs, not along the group's list (up to `evidencePerGroup` nodes far apart, for
        // every statement of every row).
        guard own || held.insert(Int32(g), JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))) else { return }
        append(s, to: g)
        size[g] += 1
    }

    /// `s` at the end of group `g`'s list.
    private mutating func append(_ s: StatementID, to g: Int) {
        let n = Int32(statement.count)
        statement.append(s)
        next.append(-1)
        if tail[g] >= 0 { next[Int(tail[g])] = n } else { head[g] = n }
        tail[g] = n
    }

    func of(_ g: Int) -> [StatementID] {
        var out: [StatementID] = []
        var at = head[g]
        while at >= 0 {
            out.append(statement[Int(at)])
            at = next[Int(at)]
        }
        return out
    }
}

extension PreparedQuery {
    /// With `order by` and a `limit` that keeps a few of many groups: the groups the answer
    /// shows (the first offset + limit in order, ties in order of first appearance), found
    /// from each group's ordering keys alone, so that only those groups are made into rows
    /// (with their Values and evidence) and sorted again. nil: every group is needed.
    func topGroups(_ count: Int, _ first: (Int) -> ArraySlice<UInt64>, _ accumulated: (Int) -> [Accumulator], _ join: BatchJoin, _ exec: Execution) throws -> [Int]? {
        let c = compiled
        guard !c.orderBy.isEmpty, let limit = c.limit else { return nil }
        let wanted = PreparedQuery.rowsWanted(c.offset, limit)
        guard wanted < count / 4 else { return nil }
        let projectionCalls = projectionAggregateCount
        let ops = exec.ops
        let source = self.source
        let width = c.orderBy.count
        var keys: [Value] = []
        keys.reserveCapacity(count * width)
        if let direct = directOrderKeys(projectionCalls) {
            // Each key a call's result or a first row's binding, as evaluating it would
            // give; every call's result is still made, so a sum that fails off the page
            // fails the query.
            var positions: [Int: [Int]] = [:]
            for (p, k) in direct.enumerated() { if case .call(let i) = k { positions[i, default: []].append(p) } }
            let shown = (0..<(positions.keys.max().map { $0 + 1 } ?? 0)).map { positions[$0] ?? [] }
            var row = [Value](repeating: .noRecord, count: width)
            for g in 0..<count {
                try exec.tick()
                for (i, a) in accumulated(g).enumerated() {
                    let r = try a.result(ops, source)
                    if i < shown.count { for p in shown[i] { row[p] = r } }
                }
                for (p, k) in direct.enumerated() {
                    guard case .binding(let v) = k else { continue }
                    let b = first(g)[first(g).startIndex + v]
                    row[p] = b == 0 ? .noRecord : join.decode(b)
                }
                keys.append(contentsOf: row)
            }
        } else {
            for g in 0..<count {
                try exec.tick()
                // As the full row would have it: the bindings, then the projections' aliases.
                for (v, b) in first(g).enumerated() { exec.row[v] = b == 0 ? nil : join.decode(b) }
                let results = try accumulated(g).map { try $0.result(ops, source) }
                if c.aliasSlots.contains(where: { $0 != nil }) { _ = try aggregatedProjections(results, exec) }
                var counter = projectionCalls
                for o in c.orderBy { keys.append(try evalAggregated(o.expr, results, &counter, exec)) }
            }
        }
        return PreparedQuery.first(wanted, of: 0..<count, by: { a, b in
            PreparedQuery.keysBefore(keys[a * width..<(a + 1) * width], keys[b * width..<(b + 1) * width], c.orderBy, ops) ?? (a < b)
        })
    }
}

extension PreparedQuery {
    enum DirectKey { case call(Int), binding(Int) }

    /// The ordering terms as calls' results (by the calls' numbers, `aggregateCalls`: the
    /// projections' first, then the ordering terms' own) or variables' bindings, when each
    /// is a call, an alias of a projection that is a call, or a variable no projection
    /// names; nil when some term is anything else (it is then evaluated), or when some
    /// projection is more than a call or a variable (its evaluation, which could fail,
    /// is then made for every group, as it always was).
    func directOrderKeys(_ projectionCalls: Int) -> [DirectKey]? {
        let c = compiled
        guard c.projections.allSatisfy({ p in
            switch p.expr {
            case .aggregate, .slot(.variable): return true
            default: return false
            }
        }) else { return nil }
        var callOfAlias: [Int: Int] = [:]
        var calls = 0
        for (i, p) in c.projections.enumerated() {
            if case .aggregate = p.expr, let a = c.aliasSlots[i] { callOfAlias[a] = calls }
            _ = PreparedQuery.countAggregates(p.expr, &calls)
        }
        let aliases = Set(c.aliasSlots.compactMap { $0 })
        var counter = projectionCalls
        var keys: [DirectKey] = []
        for o in c.orderBy {
            switch o.expr {
            case .aggregate(_, let argument, _, _):
                // Its argument holds no call of its own (the counter would count it).
                if let argument { var n = 0; guard PreparedQuery.countAggregates(argument, &n) == 0 else { return nil } }
                keys.append(.call(counter))
                counter += 1
            case .slot(.variable(let v)) where callOfAlias[v] != nil: keys.append(.call(callOfAlias[v]!))
            case .slot(.variable(let v)) where !aliases.contains(v): keys.append(.binding(v))
            default: return nil
            }
        }
        return keys
    }

    /// Whether the planner expects the last step to make two rows or more of each row it
    /// is given. Counting its matches pays there (P11: four and a half a row, 38 -> 17
    /// ms); at about one a row, making and grouping the rows costs less than counting's
    /// work per row (a left join of 1.1 a row, counted: 6.4 ms against 5.1).
    func lastStepMultiplies() -> Bool {
        let rows = expectedRows
        guard rows.count >= 2, let before = rows[rows.count - 2], let after = rows[rows.count - 1], before > 0 else { return false }
        return after / before >= 2
    }

    /// `topGroups` when every ordering term is a count (the call, or its alias) or a
    /// grouping key: each group's keys read from its counts and its first row's bindings,
    /// with no accumulator, result list or projection made per group (those cost a few
    /// allocations a group, most of the time of a count over tens of thousands of
    /// groups). The keys are the Values the general form computes, compared the same way.
    /// nil: some term is anything else.
    /// `always`: however many groups the page takes (else only a page small beside them).
    func topGroups(
        _ count: Int, _ first: (Int) -> ArraySlice<UInt64>, _ counts: [[Int]], _ keyVariables: [Int], _ join: BatchJoin, _ exec: Execution,
        always: Bool = false, derived: (keys: DerivedKeys, value: (Int, Int) -> Value)? = nil
    ) throws -> [Int]? {
        let c = compiled
        guard !c.orderBy.isEmpty, let limit = c.limit else { return nil }
        let wanted = PreparedQuery.rowsWanted(c.offset, limit)
        guard always || wanted < count / 4 else { return nil }
        enum Key { case count(Int), binding(Int), derived(Int) }
        let projections = c.projections.indices.map { (expr: c.projections[$0].expr, alias: c.aliasSlots[$0]) }
        // The calls, numbered as `aggregateCalls` numbers them: a projection's count call
        // by its alias's slot.
        var calls = 0
        var countOfAlias: [Int: Int] = [:]
        for (i, p) in c.projections.enumerated() {
            if case .aggregate(.count, _, _, _) = p.expr, let a = c.aliasSlots[i] { countOfAlias[a] = calls }
            _ = PreparedQuery.countAggregates(p.expr, &calls)
        }
        var keys: [Key] = []
        for o in c.orderBy {
            switch o.expr {
            case .aggregate(.count, _, _, _):
                keys.append(.count(calls))
                calls += 1
            case .slot(.variable(let v)) where countOfAlias[v] != nil: keys.append(.count(countOfAlias[v]!))
            case .slot(.variable(let v)) where keyVariables.contains(v): keys.append(.binding(v))
            default:
                // A key computed from a variable (`year(?d)`, or its alias): its Value per group.
                guard let k = derived?.keys.key(of: o.expr, projections) else { return nil }
                keys.append(.derived(k))
            }
        }
        guard keys.allSatisfy({ if case .count(let i) = $0 { return i < counts.count && counts[i].count == count } else { return true } }) else {
            return nil
        }
        // Ordered by a count first, a group whose count is worse than the `wanted`-th best
        // has `wanted` groups before it: only the others are given their keys' Values.
        // (Only those groups are listed: a list of every group is 4 MB at half a million.)
        var groups: [Int]
        if case .count(let i) = keys[0], wanted < count {
            let descending = c.orderBy[0].descending
            let bar = PreparedQuery.best(wanted, of: counts[i], descending: descending)
            groups = counts[i].indices.filter { descending ? counts[i][$0] >= bar : counts[i][$0] <= bar }
        } else {
            groups = Array(0..<count)
        }
        let width = keys.count
        var values: [Value] = []
        values.reserveCapacity(groups.count * width)
        for g in groups {
            try exec.tick()
            for k in keys {
                switch k {
                case .count(let i): values.append(.integer(counts[i][g]))
                case .binding(let v):
                    let b = first(g)[first(g).startIndex + v]
                    values.append(b == 0 ? .noRecord : join.decode(b))
                case .derived(let k): values.append(derived!.value(k, g))
                }
            }
        }
        let ops = exec.ops
        // Places in `groups`, whose order is the groups' own.
        return PreparedQuery.first(wanted, of: groups.indices, by: { a, b in
            PreparedQuery.keysBefore(values[a * width..<(a + 1) * width], values[b * width..<(b + 1) * width], c.orderBy, ops) ?? (a < b)
        }).map { groups[$0] }
    }

    /// The `k`th largest of `numbers` (smallest, when not `descending`); 0 < k <= count.
    static func best(_ k: Int, of numbers: [Int], descending: Bool) -> Int {
        PreparedQuery.first(k, of: numbers, by: descending ? (>) : (<)).last!
    }
}

/// Groups of rows by the bindings of some variables, numbered in order of first
/// appearance: an entity key by its number in an array, any other key hashed.
struct BindingGroups {
    let keys: [Int]
    /// A single key's groups by entity number (-1: none yet), made when the first entity
    /// comes: a grouping by predicate, literal or type would otherwise zero (and fault in)
    /// four bytes an entity of the store at every run.
    private var groupOfEntity: [Int32] = []
    private let entityCount: Int
    /// A single key's groups by predicate number, and by type number (-1: none yet).
    private var groupOfPredicate: [Int32] = []
    private var groupOfType: [Int32] = []
    /// And by a derived key's number (`DerivedKeys`: dense from 0).
    private var groupOfDerived: [Int32] = []
    /// Groups by a single key that is not an entity the array covers, and by several keys.
    private var groupOfBindings: GroupKeyTable
    private(set) var count = 0

    init(_ keys: [Int], entityCount: Int) {
        self.keys = keys
        self.entityCount = keys.count == 1 ? entityCount : 0
        groupOfBindings = GroupKeyTable(width: max(1, keys.count))
    }

    /// The entity a single key's binding names, when it is one the array covers.
    @inline(__always) private func entity(_ b: UInt64) -> Int? {
        b & ~0xFFFF_FFFF == JoinPlan.termTag && UInt32(truncatingIfNeeded: b) < UInt32(entityCount)
            ? Int(UInt32(truncatingIfNeeded: b)) : nil
    }

    /// The group of a single key's binding, numbered next when it is new.
    @inline(__always) private mutating func group(single b: UInt64) -> Int32 {
        if let e = entity(b) {
            if groupOfEntity.isEmpty { groupOfEntity = Array(repeating: -1, count: entityCount) }
            if groupOfEntity[e] < 0 {
                groupOfEntity[e] = Int32(count)
                count += 1
            }
            return groupOfEntity[e]
        }
        // Predicates and types are few: an array by number each, grown as they come (a
        // type was a hash probe a row, `?x is_a ?t` grouped by type).
        if let p = predicate(b) { return BindingGroups.group(p, in: &groupOfPredicate, &count) }
        if let t = type(b) { return BindingGroups.group(t, in: &groupOfType, &count) }
        if keys.count == 1, b & ~0xFFFF_FFFF == DerivedKeys.keyTag, UInt32(truncatingIfNeeded: b) < 1 << 16 {
            return BindingGroups.group(Int(UInt32(truncatingIfNeeded: b)), in: &groupOfDerived, &count)
        }
        return group { _ in b }
    }

    /// The group of number `n` in `table` (by number, -1: none yet), numbered next
    /// (`count`) when it is new.
    @inline(__always) private static func group(_ n: Int, in table: inout [Int32], _ count: inout Int) -> Int32 {
        if n >= table.count { table += repeatElement(-1, count: n + 1 - table.count) }
        if table[n] < 0 {
            table[n] = Int32(count)
            count += 1
        }
        return table[n]
    }

    /// The type a single key's binding names, when the array by type covers it.
    @inline(__always) private func type(_ b: UInt64) -> Int? {
        guard keys.count == 1, b & ~0xFFFF_FFFF == JoinPlan.typeTag else { return nil }
        let t = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: b)))
        return t >= 0 && t < 1 << 16 ? t : nil
    }

    /// The predicate a single key's binding names, when the array by predicate covers it.
    @inline(__always) private func predicate(_ b: UInt64) -> Int? {
        guard keys.count == 1, b & ~0xFFFF_FFFF == JoinPlan.predicateTag else { return nil }
        let p = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: b)))
        return p >= 0 && p < 1 << 16 ? p : nil
    }

    /// The group of the key whose `j`th binding is `part(j)`, numbered next when it is new.
    @inline(__always) private mutating func group(_ part: (Int) -> UInt64) -> Int32 {
        if let known = groupOfBindings.find(part) { return known }
        groupOfBindings.insert(part, Int32(count))
        count += 1
        return Int32(count - 1)
    }

    /// The group of row `row` of `batch` if it has one yet.
    func existing(_ batch: BindingBatch, _ row: Int) -> Int32? {
        if keys.isEmpty { return count > 0 ? 0 : nil }
        let keys = self.keys
        guard keys.count == 1 else { return groupOfBindings.find { batch.binding(keys[$0], row) } }
        let b = batch.binding(keys[0], row)
        if let p = predicate(b) { return p < groupOfPredicate.count && groupOfPredicate[p] >= 0 ? groupOfPredicate[p] : nil }
        if let t = type(b) { return t < groupOfType.count && groupOfType[t] >= 0 ? groupOfType[t] : nil }
        guard let e = entity(b) else { return groupOfBindings.find { _ in b } }
        return groupOfEntity.isEmpty || groupOfEntity[e] < 0 ? nil : groupOfEntity[e]
    }

    /// The group of row `row` of `batch`, numbered next when it is new.
    mutating func group(_ batch: BindingBatch, _ row: Int) -> Int32 {
        if keys.isEmpty {
            count = max(count, 1)
            return 0
        }
        if keys.count == 1 { return group(single: batch.binding(keys[0], row)) }
        let keys = self.keys
        return group { batch.binding(keys[$0], row) }
    }

    /// The group of each row of `batch`, new groups numbered as their first rows come.
    mutating func assign(_ batch: BindingBatch, _ groupOf: inout [Int32]) {
        groupOf.removeAll(keepingCapacity: true)
        if keys.isEmpty {
            groupOf.append(contentsOf: repeatElement(0, count: batch.count))
            count = max(count, batch.count > 0 ? 1 : 0)
            return
        }
        if keys.count == 1 {
            let column = batch.columns[keys[0]]
            for r in 0..<batch.count { groupOf.append(group(single: column.isEmpty ? 0 : column[r])) }
            return
        }
        let columns = keys.map { batch.columns[$0] }
        for r in 0..<batch.count {
            groupOf.append(group { columns[$0].isEmpty ? 0 : columns[$0][r] })
        }
    }
}

/// Keys of a fixed number of bindings, each with a number: open addressing over a flat
/// array of the keys, so that a lookup makes no array and hashes no more than its words
/// (a Dictionary keyed by `[UInt64]` made an array and ran SipHash at every row).
struct GroupKeyTable {
    let width: Int
    /// A key's index + 1 (0: empty); a power of two in size, at most half full.
    private var slots = [Int32](repeating: 0, count: 16)
    /// Key i's bindings at `i * width ..< (i + 1) * width`, and its number.
    private var keys: [UInt64] = []
    private var numbers: [Int32] = []

    init(width: Int) { self.width = width }

    @inline(__always) private func hash(_ part: (Int) -> UInt64) -> Int {
        var h: UInt64 = 0
        for j in 0..<width { h = (h ^ part(j)) &* 0x9E37_79B9_7F4A_7C15 }
        return Int(truncatingIfNeeded: h >> 29)
    }

    /// The number of the key whose `j`th binding is `part(j)`, if it is here.
    @inline(__always) func find(_ part: (Int) -> UInt64) -> Int32? {
        let mask = slots.count - 1
        var slot = hash(part) & mask
        while slots[slot] != 0 {
            let i = Int(slots[slot]) - 1
            var same = true
            for j in 0..<width where keys[i * width + j] != part(j) { same = false; break }
            if same { return numbers[i] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Adds the key (which must not be here) with its number.
    @inline(__always) mutating func insert(_ part: (Int) -> UInt64, _ number: Int32) {
        if (numbers.count + 1) * 2 > slots.count { grow() }
        for j in 0..<width { keys.append(part(j)) }
        numbers.append(number)
        place(numbers.count - 1)
    }

    private mutating func place(_ i: Int) {
        let mask = slots.count - 1
        var slot = hash { keys[i * width + $0] } & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(i + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for i in numbers.indices { place(i) }
    }
}

/// A set of (group, binding) pairs, for `distinct` calls: open addressing with a
/// multiplicative hash (Set's seeded hashing cost more than the rest of a distinct count),
/// a power of two in size and at most 70% full, each pair packed in one word (a probe is
/// a cache miss once the table outgrows the cache, and a slot of two words made the table
/// twice as large; half full, 180,000 pairs took a table of 4 MB, which is mapped afresh,
/// zeroed and faulted in at every run, where 2 MB comes from the heap). Bindings are never
/// 0, and lie below `1 << 35` (a tag of three bits above a 32-bit payload: see
/// `JoinPlan.termTag`); a pair whose group or binding does not fit its field is kept in a
/// Set beside.
struct DistinctPairs {
    private static let bindingBits: UInt64 = 35
    private var slots: [UInt64] = []
    private var count = 0
    private var unpacked: Set<Pair> = []
    /// With `useEntityBits`, the pairs of the first `DenseBits.groups` groups whose binding
    /// is an entity are bits, an entity's bit per group: a distinct count per predicate
    /// or per type over a hundred thousand rows probed the table once a row, a cache miss
    /// each. A pair is in exactly one place, decided by its group and binding alone.
    /// (Shared by copies: a DistinctPairs with bits is never copied.)
    private var entityBits: DenseBits? = nil
    /// With `usePredicateBits`, a pair whose binding is a predicate is a bit: group g's
    /// predicates are words `g * predicateWords ..< (g + 1) * predicateWords`. A count of
    /// distinct predicates per subject over a million statements probed a table of a
    /// million pairs, a cache miss a row; a few words a group stay in the caches. Only the
    /// first `predicateGroups` groups have bits (group numbers are dense from 0; a stray
    /// large one must not size the words). A pair is in exactly one place, decided by its
    /// group and binding alone.
    private var predicateBits: [UInt64] = []
    static let predicateGroups: Int32 = 1 << 20
    private var predicateWords = 0
    private var predicateCount = 0

    /// Per group, a bit per entity of the store, made when the group's first entity comes.
    final class DenseBits {
        static let groups = 16
        let entityCount: Int
        let wordCount: Int
        /// Per group, its words (nil until made). A pointer, not an Array: read at every
        /// row, an array property of a class was an exclusivity check and a retain.
        let words: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>

        init(entityCount: Int) {
            self.entityCount = entityCount
            wordCount = max(1, (entityCount + 63) / 64)
            words = .allocate(capacity: DenseBits.groups)
            words.initialize(repeating: nil, count: DenseBits.groups)
        }

        deinit {
            for g in 0..<DenseBits.groups { words[g]?.deallocate() }
            words.deallocate()
        }

        /// Group `g`'s bits, made (all clear) the first time.
        @inline(__always) func bits(_ g: Int) -> UnsafeMutablePointer<UInt64> {
            if let w = words[g] { return w }
            let w = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
            w.initialize(repeating: 0, count: wordCount)
            words[g] = w
            return w
        }
    }

    /// Keeps the first groups' entity bindings as bits (see `entityBits`), for a store of
    /// `entityCount` entities; only before any pair is in, and when the bits stay small
    /// (at most 16 groups of 4 MB).
    mutating func useEntityBits(entityCount: Int) {
        guard count == 0, unpacked.isEmpty, entityBits == nil, entityCount > 0, entityCount <= 1 << 25 else { return }
        entityBits = DenseBits(entityCount: entityCount)
    }

    /// Keeps pairs whose binding is a predicate as bits (see `predicateBits`), for a store
    /// of `count` predicates; only before any pair is in, and when a group's bits are at
    /// most four words.
    mutating func usePredicateBits(predicateCount count: Int) {
        guard self.count == 0, unpacked.isEmpty, predicateWords == 0, count > 0, count <= 256 else { return }
        predicateCount = count
        predicateWords = (count + 63) / 64
    }

    /// The predicate whose bit stands for the pair, when the pair is kept as a bit.
    @inline(__always) private func predicateBit(_ group: Int32, _ binding: UInt64) -> Int? {
        guard predicateWords > 0, group >= 0, group < DistinctPairs.predicateGroups, binding & ~0xFFFF_FFFF == JoinPlan.predicateTag else { return nil }
        let p = Int(UInt32(truncatingIfNeeded: binding))
        return p < predicateCount ? p : nil
    }

    /// Makes room for the predicate bits of groups up to `group`.
    private mutating func predicateRoom(_ group: Int32) {
        let needed = (Int(group) + 1) * predicateWords
        guard needed > predicateBits.count else { return }
        predicateBits.append(contentsOf: repeatElement(0, count: max(needed, 2 * predicateBits.count) - predicateBits.count))
    }

    /// Sets predicate `p`'s bit of group `group`; whether it was clear.
    @inline(__always) private mutating func setPredicateBit(_ group: Int32, _ p: Int) -> Bool {
        predicateRoom(group)
        let at = Int(group) * predicateWords + p >> 6
        let bit = UInt64(1) << UInt64(p & 63)
        guard predicateBits[at] & bit == 0 else { return false }
        predicateBits[at] |= bit
        return true
    }

    /// The entity whose bit stands for the pair, when the pair is kept as a bit.
    @inline(__always) private static func entityBit(_ bits: DenseBits?, _ group: Int32, _ binding: UInt64) -> Int? {
        guard let bits, group >= 0, group < DenseBits.groups, binding & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
        let raw = UInt32(truncatingIfNeeded: binding)
        guard raw >> 30 == Term.entityKind, Int(raw) < bits.entityCount else { return nil }
        return Int(raw)
    }

    /// Sets the pair's bit; whether it was clear.
    @inline(__always) private static func setBit(_ bits: DenseBits, _ group: Int32, _ e: Int) -> Bool {
        let w = bits.bits(Int(group)) + (e >> 6)
        let bit = UInt64(1) << UInt64(e & 63)
        guard w.pointee & bit == 0 else { return false }
        w.pointee |= bit
        return true
    }

    private struct Pair: Hashable {
        let group: Int32
        let binding: UInt64
    }

    /// Adds the pair; whether it was new.
    @inline(__always) mutating func insert(_ group: Int32, _ binding: UInt64) -> Bool {
        if let bits = entityBits, let e = DistinctPairs.entityBit(bits, group, binding) { return DistinctPairs.setBit(bits, group, e) }
        if let p = predicateBit(group, binding) { return setPredicateBit(group, p) }
        guard group >= 0, UInt64(group) < 1 << (64 - DistinctPairs.bindingBits), binding < 1 << DistinctPairs.bindingBits else {
            return unpacked.insert(Pair(group: group, binding: binding)).inserted
        }
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let key = UInt64(group) << DistinctPairs.bindingBits | binding
        return slots.withUnsafeMutableBufferPointer { slots in
            let mask = slots.count - 1
            var slot = DistinctPairs.hash(key) & mask
            while slots[slot] != 0 {
                if slots[slot] == key { return false }
                slot = (slot + 1) & mask
            }
            slots[slot] = key
            count += 1
            return true
        }
    }

    /// Inserts each row's pair (`groups[r]`, `bindings[r]`), skipping rows whose binding
    /// is 0 (unbound), and counts each new pair in `counts` by its group; with no
    /// `bindings`, every row's binding is 1. A block of rows at a time: the block's slots
    /// are brought in together, then probed in row order (a table of a hundred thousand
    /// pairs outgrows the caches, and one probe's miss at a time was most of a distinct
    /// count over a join).
    mutating func insertCounting(_ groups: UnsafeBufferPointer<Int32>, _ bindings: UnsafeBufferPointer<UInt64>?, _ counts: UnsafeMutableBufferPointer<Int>) {
        let block = 16
        let bits = entityBits
        let (table, denseEntities) = (bits?.words, bits?.entityCount ?? 0)
        // Room for every group's predicate bits first: the rows below write them through a
        // pointer, into the words moved out of self for the call (so that they are not
        // shared, and self stays free to grow its table).
        if predicateWords > 0, let last = groups.max() { predicateRoom(min(last, DistinctPairs.predicateGroups - 1)) }
        let (predicateWords, predicateCount) = (self.predicateWords, self.predicateCount)
        var predicateBits = self.predicateBits
        self.predicateBits = []
        defer { self.predicateBits = predicateBits }
        predicateBits.withUnsafeMutableBufferPointer { predicateBits in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: block) { keys in
            var start = 0
            while start < groups.count {
                let end = min(groups.count, start + block)
                if (count + block) * 10 > slots.count * 7 { grow() }
                slots.withUnsafeMutableBufferPointer { slots in
                    let mask = slots.count - 1
                    // 0: nothing to probe (unbound, or a pair kept unpacked, done here).
                    for r in start..<end {
                        let (group, binding) = (groups[r], bindings?[r] ?? 1)
                        keys[r - start] = 0
                        guard binding != 0 else { continue }
                        // A pair kept as a bit (`entityBit`), through plain locals: the
                        // bits' object passed along cost a retain and a release a row.
                        let raw = UInt32(truncatingIfNeeded: binding)
                        if let table, group >= 0, group < DenseBits.groups, binding & ~0xFFFF_FFFF == JoinPlan.termTag,
                           raw >> 30 == Term.entityKind, Int(raw) < denseEntities {
                            let words = table[Int(group)] ?? bits!.bits(Int(group))
                            let (w, bit) = (Int(raw >> 6), UInt64(1) << UInt64(raw & 63))
                            if words[w] & bit == 0 {
                                words[w] |= bit
                                counts[Int(group)] += 1
                            }
                            continue
                        }
                        if predicateWords > 0, group >= 0, group < DistinctPairs.predicateGroups, binding & ~0xFFFF_FFFF == JoinPlan.predicateTag,
                            Int(raw) < predicateCount
                        {
                            let (w, bit) = (Int(group) * predicateWords + Int(raw >> 6), UInt64(1) << UInt64(raw & 63))
                            if predicateBits[w] & bit == 0 {
                                predicateBits[w] |= bit
                                counts[Int(group)] += 1
                            }
                            continue
                        }
                        guard group >= 0, UInt64(group) < 1 << (64 - DistinctPairs.bindingBits), binding < 1 << DistinctPairs.bindingBits else {
                            if unpacked.insert(Pair(group: group, binding: binding)).inserted { counts[Int(group)] += 1 }
                            continue
                        }
                        let key = UInt64(group) << DistinctPairs.bindingBits | binding
                        keys[r - start] = key
                        kbq_prefetch(slots.baseAddress! + (DistinctPairs.hash(key) & mask))
                    }
                    for r in start..<end where keys[r - start] != 0 {
                        let key = keys[r - start]
                        var slot = DistinctPairs.hash(key) & mask
                        var new = true
                        while slots[slot] != 0 {
                            if slots[slot] == key {
                                new = false
                                break
                            }
                            slot = (slot + 1) & mask
                        }
                        guard new else { continue }
                        slots[slot] = key
                        count += 1
                        counts[Int(groups[r])] += 1
                    }
                }
                start = end
            }
        }
        }
    }

    /// Every pair, in no particular order.
    func forEach(_ body: (Int32, UInt64) throws -> Void) rethrows {
        let mask: UInt64 = 1 << DistinctPairs.bindingBits - 1
        for key in slots where key != 0 { try body(Int32(truncatingIfNeeded: key >> DistinctPairs.bindingBits), key & mask) }
        for pair in unpacked { try body(pair.group, pair.binding) }
        for (at, word) in predicateBits.enumerated() where word != 0 {
            var word = word
            while word != 0 {
                let p = (at % predicateWords) * 64 + word.trailingZeroBitCount
                try body(Int32(at / predicateWords), JoinPlan.predicateTag | UInt64(p))
                word &= word - 1
            }
        }
        if let bits = entityBits {
            for g in 0..<DenseBits.groups {
                guard let words = bits.words[g] else { continue }
                for w in 0..<bits.wordCount {
                    var word = words[w]
                    while word != 0 {
                        let e = w * 64 + word.trailingZeroBitCount
                        try body(Int32(g), JoinPlan.termTag | UInt64(e))
                        word &= word - 1
                    }
                }
            }
        }
    }

    private mutating func grow() {
        let old = slots
        // From a thousand slots: a distinct count over a join meets thousands of pairs,
        // and each doubling rehashes every pair met so far. Doubling, not more: a table
        // of 4 MB and more is memory mapped afresh, zeroed and faulted in at every run,
        // and growing four times over made 180,000 pairs' table 8 MB, not 2.
        slots = Array(repeating: 0, count: max(1024, slots.count * 2))
        // Placed through buffers, each pair known to be new: `insert` took a uniqueness
        // check and a probe for an equal pair at each.
        slots.withUnsafeMutableBufferPointer { slots in
            let mask = slots.count - 1
            old.withUnsafeBufferPointer { old in
                for key in old where key != 0 {
                    var slot = DistinctPairs.hash(key) & mask
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                    slots[slot] = key
                }
            }
        }
    }

    /// The key's bits mixed (MurmurHash3's finaliser, first half): the group lies in the
    /// high bits, which a multiplication alone carries into no bit of a small table's.
    @inline(__always) private static func hash(_ key: UInt64) -> Int {
        var k = key ^ key >> 33
        k = k &* 0xFF51_AFD7_ED55_8CCD
        return Int(truncatingIfNeeded: k ^ k >> 33)
    }
}

/// Grouping keys computed from one variable each (`year(?d)`): a batch gets a column per
/// key, in which each row holds its key's number (tagged, so that no binding is one), the
/// same number for keys that are equal Values. A binding's key is computed once, the
/// first time it is met: `year(?d)` over 17,000 births is some 60 computations, not 17,000
/// Values made and hashed.
///
/// Invariant: two rows get the same number exactly when the general form's keys are equal
/// Values (the same Value hashing and equality as its GroupTable). A key that fails to
/// compute fails the query, as there; a batch's keys are computed before its aggregates,
/// so when an aggregate of an earlier row fails too, the general form reports that one.
struct DerivedKeys {
    static let keyTag: UInt64 = 6 << 32
    let keys: [(column: Int, variable: Int, expr: CompiledExpr)]
    /// Per key: each binding's number (a table probed at every row), and each Value's.
    private var ofBinding: [GroupKeyTable]
    private var ofValue: [[Value: Int32]]
    /// An integer's number (`year(?d)`, `length(?s)`): by its bits, with no Value hashed.
    /// (An integer Value equals no Value of another case, so the two tables never share one.)
    private var ofInteger: [GroupKeyTable]
    /// The numbers of integers from 0 below `smallIntegers`, by integer (-1: none yet).
    private var ofSmallInteger: [[Int32]]
    static let smallIntegers = 1 << 14
    /// Per key, each number's Value.
    private(set) var values: [[Value]]
    /// Per key, the number of each entity's key by the entity (-1: not met yet; empty until
    /// an entity is met): an array read, where the table by binding hashed and missed the
    /// cache at every row of a key over tens of thousands of entities.
    private var ofEntity: [[Int32]]
    /// Per key that is its variable's `.type` (an entity's first type), the number of each
    /// list of types (`EntityTable.typeListNumber`), -1 when not met: the key of an entity
    /// is then read off its list, with nothing evaluated for each entity met.
    private var ofTypeList: [[Int32]?]

    init(_ keys: [(column: Int, variable: Int, expr: CompiledExpr)]) {
        self.keys = keys
        ofEntity = keys.map { _ in [] }
        ofTypeList = keys.map { key in
            if case .field(.slot(.variable(key.variable)), .named(.type), _) = key.expr { return [] }
            return nil
        }
        ofBinding = keys.map { _ in GroupKeyTable(width: 1) }
        ofValue = keys.map { _ in [:] }
        ofInteger = keys.map { _ in GroupKeyTable(width: 1) }
        ofSmallInteger = keys.map { _ in [] }
        values = keys.map { _ in [] }
    }

    /// Key `k`'s Value in a row whose column holds `number`.
    func value(_ k: Int, _ number: UInt64) -> Value { values[k][Int(UInt32(truncatingIfNeeded: number))] }

    /// The key whose expression `e` is, or whose value an alias of `projections` names.
    func key(of e: CompiledExpr, _ projections: [(expr: CompiledExpr, alias: Int?)]) -> Int? {
        var target = e
        if case .slot(.variable(let v)) = e, let p = projections.first(where: { $0.alias == v }) { target = p.expr }
        // Expressions compare by their printed form (they are not Equatable; an alias's
        // expression and the key it groups by are the same expression).
        let printed = String(describing: target)
        return keys.firstIndex { String(describing: $0.expr) == printed }
    }

    /// Key `k`'s number for the integer `i`, made when new.
    private mutating func number(ofInteger i: Int, _ k: Int) -> Int32 {
        // Small ones (years, lengths) by an array, not a hash probe a row.
        if i >= 0 && i < DerivedKeys.smallIntegers {
            if i < ofSmallInteger[k].count, ofSmallInteger[k][i] >= 0 { return ofSmallInteger[k][i] }
            if i >= ofSmallInteger[k].count { ofSmallInteger[k] += repeatElement(-1, count: i + 1 - ofSmallInteger[k].count) }
            let n = Int32(values[k].count)
            values[k].append(.integer(i))
            ofSmallInteger[k][i] = n
            return n
        }
        let bits = UInt64(bitPattern: Int64(i))
        if let known = ofInteger[k].find({ _ in bits }) { return known }
        let n = Int32(values[k].count)
        values[k].append(.integer(i))
        ofInteger[k].insert({ _ in bits }, n)
        return n
    }

    /// Key `k`'s number for `value`, made when new. Hashed once per binding met, not per
    /// row: bindings are often new where keys are not (a year for many dates).
    private mutating func number(of value: Value, _ k: Int) -> Int32 {
        if case .integer(let i) = value { return number(ofInteger: i, k) }
        if let known = ofValue[k][value] { return known }
        let n = Int32(values[k].count)
        values[k].append(value)
        ofValue[k][value] = n
        return n
    }

    mutating func addColumns(_ batch: inout BindingBatch, _ join: BatchJoin, _ exec: Execution) throws {
        guard !keys.isEmpty else { return }
        for (k, key) in keys.enumerated() {
            precondition(batch.columns.count == key.column, "a derived key's column follows the join's")
            let bindings = batch.columns[key.variable]
            let (variable, expr) = (key.variable, key.expr)
            var column: [UInt64] = []
            column.reserveCapacity(batch.count)
            // `year(?d)` of a date literal is read off its payload: no Value is made, and
            // the year's number is found by its bits (as the general path finds it).
            var yearOfDates = false
            if case .function(.year, let arguments, _) = expr, arguments.count == 1, case .slot(.variable(variable)) = arguments[0] { yearOfDates = true }
            let literals = join.literals
            let entityCount = join.entities.count
            for r in 0..<batch.count {
                let b = bindings.isEmpty ? 0 : bindings[r]
                // An entity's term: its index, else -1.
                var entity = -1
                if b & ~0xFFFF_FFFF == JoinPlan.termTag {
                    let t = Term(raw: UInt32(truncatingIfNeeded: b))
                    if yearOfDates, t.kind == Term.literalKind, let d = literals.date(t.index) {
                        column.append(DerivedKeys.keyTag | UInt64(number(ofInteger: d.year, k)))
                        continue
                    }
                    if t.kind == Term.entityKind, t.index < entityCount { entity = t.index }
                }
                if entity >= 0 {
                    if ofEntity[k].isEmpty { ofEntity[k] = [Int32](repeating: -1, count: entityCount) }
                    let known = ofEntity[k][entity]
                    if known >= 0 {
                        column.append(DerivedKeys.keyTag | UInt64(known))
                        continue
                    }
                    if ofTypeList[k] != nil {
                        if ofTypeList[k]!.isEmpty { ofTypeList[k] = [Int32](repeating: -1, count: join.entities.allTypeLists.count) }
                        let list = join.entities.typeListNumber(entity)
                        var n = ofTypeList[k]![list]
                        if n < 0 {
                            // As `ValueOps.field` reads `.type`: the list's first type, or no record.
                            n = number(of: join.entities.allTypeLists[list].first.map { .type($0) } ?? .noRecord, k)
                            ofTypeList[k]![list] = n
                        }
                        ofEntity[k][entity] = n
                        column.append(DerivedKeys.keyTag | UInt64(n))
                        continue
                    }
                }
                if entity < 0, let n = ofBinding[k].find({ _ in b }) {
                    column.append(DerivedKeys.keyTag | UInt64(n))
                    continue
                }
                exec.row[variable] = b == 0 ? nil : join.decode(b)
                let n = number(of: try exec.eval(expr), k)
                if entity >= 0 { ofEntity[k][entity] = n } else { ofBinding[k].insert({ _ in b }, n) }
                column.append(DerivedKeys.keyTag | UInt64(n))
            }
            batch.columns.append(column)
        }
    }
}

/// Aggregate arguments computed from one variable each (`min(?s.date)`, `count(?x.email)`,
/// `max(len(?t))`): a batch gets a column per argument, each row holding the argument's
/// binding, so the calls fold it as they fold a variable's. A statement's qualifier
/// (`?s.date`, but `source` and `para`, which the store keeps apart) is its stored term,
/// read with no Value made; any other expression is evaluated once per distinct binding
/// of its variable. A value the store holds is that term's binding, any other is boxed
/// (`boxTag`), the same Value always the same box, so that distinct calls count terms as
/// the general form does. No record is 0, unbound: not counted, as there.
///
/// Invariant: `value` of a row's binding is the Value the general form evaluates for the
/// row. A failing evaluation fails the query, as there.
struct DerivedArguments {
    static let boxTag: UInt64 = 7 << 32
    /// An entity's name (`?x.label`, `?x.id`) as its rank among all entities by that name
    /// (`FactStore.entityRanks`): `boxTag | ranked | byLabel? | rank`. Equal names share a
    /// rank and ranks order as the names do, so a distinct count counts names and min and
    /// max compare ranks, with no String made a row (a first label per country made one
    /// for each of 40,000 people); the name is read back from an entity with the rank.
    static let ranked: UInt64 = 1 << 31, byLabel: UInt64 = 1 << 30
    let arguments: [(column: Int, variable: Int, expr: CompiledExpr)]
    private let literals: LiteralTable
    private let entities: EntityTable
    /// Per rank space (by id, by label): an entity of each rank met (-1: none yet).
    private var entityOfRank: [[Int32]] = [[], []]
    /// Per argument, each binding's result (a variable's binding met again is not
    /// evaluated again: an entity's `?x.label` over its many rows).
    private var ofBinding: [[UInt64: UInt64]]
    private var boxed: [Value] = []
    private var boxOf: [Value: UInt64] = [:]

    init(_ arguments: [(column: Int, variable: Int, expr: CompiledExpr)], _ literals: LiteralTable, _ entities: EntityTable) {
        self.arguments = arguments
        self.literals = literals
        self.entities = entities
        ofBinding = arguments.map { _ in [:] }
    }

    /// A boxed or ranked binding's Value; nil for any other binding.
    @inline(__always) func value(_ b: UInt64) -> Value? {
        guard b & ~0xFFFF_FFFF == DerivedArguments.boxTag else { return nil }
        let low = b & 0xFFFF_FFFF
        guard low & DerivedArguments.ranked != 0 else { return boxed[Int(low)] }
        let label = low & DerivedArguments.byLabel != 0
        let e = Int(entityOfRank[label ? 1 : 0][Int(low & (DerivedArguments.byLabel - 1))])
        return .string(label ? entities.label(e) : entities.id(e))
    }

    /// Whether ranked binding `a` sorts before `b`, when both are ranks of one space.
    @inline(__always) static func rankedBefore(_ a: UInt64, _ b: UInt64) -> Bool? {
        // The tag and the rank space, equal: the words differ in their ranks alone.
        let kind = ~UInt64(0xFFFF_FFFF) | ranked | byLabel
        guard a & ~0xFFFF_FFFF == boxTag, a & ranked != 0, a & kind == b & kind else { return nil }
        return a < b
    }

    /// The key a qualifier field reads, when the argument is one of a statement variable
    /// (and not `source` or `para`).
    private static func qualifierKey(_ expr: CompiledExpr, _ variable: Int, _ store: FactStore) -> Int32? {
        guard case .field(.slot(.variable(variable)), .qualifier(let name), _) = expr, let key = store.keyID(name),
            key != StatementTable.sourceKey, key != StatementTable.paraKey
        else { return nil }
        return key
    }

    /// `v` as a binding: its stored term, else a box.
    private mutating func binding(_ v: Value) -> UInt64 {
        switch v {
        case .noRecord: return 0
        case .entity(let e): return JoinPlan.termTag | UInt64(Term(entity: e).raw)
        case .proposition(let p): return JoinPlan.termTag | UInt64(Term(proposition: p).raw)
        case .statement(let s): return JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))
        case .predicate(let p): return JoinPlan.predicateTag | UInt64(UInt32(bitPattern: p))
        case .type(let t): return JoinPlan.typeTag | UInt64(UInt32(bitPattern: t))
        default:
            if let l = literals.find(v) { return JoinPlan.termTag | UInt64(Term(literal: l).raw) }
            if let known = boxOf[v] { return known }
            let b = DerivedArguments.boxTag | UInt64(boxed.count)
            boxed.append(v)
            boxOf[v] = b
            return b
        }
    }

    mutating func addColumns(_ batch: inout BindingBatch, _ join: BatchJoin, _ exec: Execution) throws {
        for (k, argument) in arguments.enumerated() {
            precondition(batch.columns.count == argument.column, "a derived argument's column follows the join's and the derived keys'")
            let bindings = batch.columns[argument.variable]
            var column = [UInt64](repeating: 0, count: batch.count)
            if bindings.isEmpty {
                // Unbound in the whole batch: evaluated once, for no record.
                exec.row[argument.variable] = nil
                let b = binding(try exec.eval(argument.expr))
                for r in 0..<batch.count { column[r] = b }
            } else if case .field = argument.expr, let (v, label) = argument.expr.entityNameField, v == argument.variable {
                let ranks = join.store.entityRanks(label: label)
                let space = label ? 1 : 0
                if entityOfRank[space].isEmpty { entityOfRank[space] = Array(repeating: -1, count: ranks.count) }
                for r in 0..<batch.count {
                    let b = bindings[r]
                    let t = Term(raw: UInt32(truncatingIfNeeded: b))
                    guard b & ~0xFFFF_FFFF == JoinPlan.termTag, t.kind == Term.entityKind, t.index < ranks.count else {
                        column[r] = try evaluated(k, b, join, exec)
                        continue
                    }
                    let rank = Int(ranks[t.index])
                    if entityOfRank[space][rank] < 0 { entityOfRank[space][rank] = Int32(t.index) }
                    column[r] = DerivedArguments.boxTag | DerivedArguments.ranked | (label ? DerivedArguments.byLabel : 0) | UInt64(rank)
                }
            } else if let key = DerivedArguments.qualifierKey(argument.expr, argument.variable, join.store) {
                let store = join.store
                for r in 0..<batch.count {
                    let b = bindings[r]
                    guard b & ~0xFFFF_FFFF == JoinPlan.statementTag else {
                        column[r] = try evaluated(k, b, join, exec)
                        continue
                    }
                    let t = store.qualifierTerm(Int(UInt32(truncatingIfNeeded: b)), key)
                    column[r] = t.map { JoinPlan.termTag | UInt64($0.raw) } ?? 0
                }
            } else {
                for r in 0..<batch.count { column[r] = try evaluated(k, bindings[r], join, exec) }
            }
            batch.columns.append(column)
        }
    }

    /// Argument `k` evaluated with its variable bound to `b` (0: unbound), once per binding.
    private mutating func evaluated(_ k: Int, _ b: UInt64, _ join: BatchJoin, _ exec: Execution) throws -> UInt64 {
        if let known = ofBinding[k][b] { return known }
        let argument = arguments[k]
        exec.row[argument.variable] = b == 0 ? nil : join.decode(b)
        let result = binding(try exec.eval(argument.expr))
        ofBinding[k][b] = result
        return result
    }
}
