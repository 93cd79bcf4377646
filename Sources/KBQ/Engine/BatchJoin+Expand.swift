#if canImport(Glibc)
import Glibc
#endif

/// The steps that add statements to rows: a pattern (by index or by hash) and `is_a`.
extension BatchJoin {
    /// Statements a pattern step reads by index before it weighs a hash build; 0 (set by
    /// `KBQ_HASH_JOIN_AFTER`, for the random tests) hashes at once wherever a key allows.
    static let hashJoinAfter: Int = getenv("KBQ_HASH_JOIN_AFTER").flatMap { Int(String(cString: $0)) } ?? 512

    /// A step's output rows as they are found: the input row each came from, the step's
    /// variables (row by row) and its statement; handed on every `batchRows` rows.
    /// A class, so that the loops that fill it take no exclusive access to a local.
    final class Output {
        let variables: [Int]
        let slot: Int
        /// Rows handed on in this run (cleared as a run starts, see `Op.addCounts`).
        var rowsOut = 0
        @exclusivity(unchecked) var parents: [Int32] = []
        @exclusivity(unchecked) var made: [UInt64] = []
        @exclusivity(unchecked) var statements: [StatementID] = []
        /// Counting (see `BatchJoin.runCounting`): matches are counted per input row, the
        /// first match's bindings kept, and a statement kept (in `parents`, `statements`)
        /// only for the rows marked in `collects`; no row is made.
        var counting = false
        @exclusivity(unchecked) var matchesOfRow: [Int] = []
        @exclusivity(unchecked) var collects: [Bool] = []
        /// At most this many of a row's matches are kept (the first ones, in order): a
        /// caller that keeps evidence up to a number of statements per group needs no
        /// more (see `aggregateBindings`).
        var collectsAtMost = Int.max
        @exclusivity(unchecked) var firstMade: [UInt64] = []
        /// The batch the last flush handed on, kept for the next to fill in place: once
        /// the steps after this one are done with it, its arrays are this step's alone
        /// (an array some later step kept a copy of is copied on write, as any is).
        @exclusivity(unchecked) var spare: BindingBatch? = nil

        init(_ variables: [Int], slot: Int) {
            self.variables = variables
            self.slot = slot
        }

        var isFull: Bool { parents.count >= BatchJoin.batchRows }

        /// Counts the matches `group` of a hash side (its statements and their values,
        /// `variables.count` a statement) for input row `row`, as `take` counts one.
        func count(_ row: Int, _ group: Range<Int>, _ statements: [StatementID], _ values: [UInt64]) {
            let width = variables.count
            let before = matchesOfRow[row]
            if before == 0 {
                for j in 0..<width { firstMade[row * width + j] = values[group.lowerBound * width + j] }
            }
            matchesOfRow[row] += group.count
            rowsOut += group.count
            if collects[row], before < collectsAtMost {
                for n in group.prefix(collectsAtMost - before) {
                    parents.append(Int32(row))
                    self.statements.append(statements[n])
                }
            }
        }

        /// Empty, as a call starts (one that ended early, by a limit or an error, may have
        /// left rows).
        func reset() {
            parents.removeAll(keepingCapacity: true)
            made.removeAll(keepingCapacity: true)
            statements.removeAll(keepingCapacity: true)
        }
    }

    /// Adds the match in the scratch row to the output, or counts it (see `runCounting`).
    /// True when the output is full: the caller flushes it.
    @inline(__always) func take(_ out: Output, _ row: Int, _ sid: StatementID) -> Bool {
        if out.counting {
            if out.matchesOfRow[row] == 0 {
                let width = out.variables.count
                for (j, v) in out.variables.enumerated() { out.firstMade[row * width + j] = bindings[v] }
            }
            out.matchesOfRow[row] += 1
            out.rowsOut += 1
            if out.collects[row], out.matchesOfRow[row] <= out.collectsAtMost {
                out.parents.append(Int32(row))
                out.statements.append(sid)
            }
            return false
        }
        keep(out, row, sid)
        return out.isFull
    }

    /// Adds the match in the scratch row to the output.
    @inline(__always) func keep(_ out: Output, _ row: Int, _ sid: StatementID) {
        out.parents.append(Int32(row))
        for v in out.variables { out.made.append(bindings[v]) }
        out.statements.append(sid)
    }

    /// Hands on the rows collected so far: the input's rows they came from, with the
    /// step's columns and evidence slot set. The steps after this one use the scratch row:
    /// the caller reloads it.
    dynamic func flush(_ out: Output, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        // A counting step's kept pairs are read by `runCounting`'s caller, not made rows.
        guard !out.parents.isEmpty, !out.counting else { return }
        out.rowsOut += out.parents.count
        // The last flush's batch, refilled: a small query's run then makes no arrays here.
        var made = out.spare ?? BindingBatch(count: 0, width: batch.columns.count, slots: batch.evidence.count)
        out.spare = nil
        made.refill(gathering: batch, out.parents)
        let width = out.variables.count
        for (j, v) in out.variables.enumerated() {
            BindingBatch.fill(&made.columns[v], column: j, of: out.made, stride: width, rows: out.parents.count)
        }
        BindingBatch.fill(&made.evidence[out.slot], column: 0, of: out.statements, stride: 1, rows: out.parents.count)
        out.parents.removeAll(keepingCapacity: true)
        out.made.removeAll(keepingCapacity: true)
        out.statements.removeAll(keepingCapacity: true)
        try next(made)
        out.spare = made
    }

    /// A pair check's end (`PairCheck.Source`) for the match whose values start at
    /// `values[base]`, the row's own variables loaded in the scratch row.
    @inline(__always) func pairValue(_ source: PairCheck.Source, _ values: [UInt64], _ base: Int) -> UInt64 {
        switch source {
        case .constant(let c): return c
        case .match(let r): return values[base + r]
        case .row(let v): return bindings[v]
        }
    }

    /// The scratch row's variables `variables` as row `row` of `rows` (see
    /// `BindingBatch.rows`).
    @inline(__always) func load(_ variables: [Int], _ rows: [UInt64], _ row: Int) {
        let base = row * variables.count
        for j in variables.indices { bindings[variables[j]] = rows[base + j] }
    }

    /// A pattern step on a batch: each row's matches, in statement order. As a left join
    /// (`optional` of this one pattern) a row with none goes on as it is; as an anti-join
    /// (`not` of it) only such rows go on, and a row's search stops at its first match.
    /// (`dynamic`, as the other operators' `expand` and `flush`: see `scanPlain`.)
    dynamic func expand(_ p: PatternOp, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        // The execution as a local: read through `self` at every row, each read was a
        // retain and a release.
        let exec = self.exec
        let step = p.step
        guard !step.impossible else {
            // Nothing matches: a left join or an anti-join keeps every row as it is.
            if p.joining != .inner { try next(batch) }
            return
        }
        let vars = p.variables
        let rows = batch.rows(vars)
        // The step's own buffers, empty between calls (each call ends with a flush): a step
        // is never re-entered, the steps after it being other steps.
        let out = p.output
        out.reset()
        let allowed = step.allowed
        let quoted = step.quoted
        let needed = p.neededKey
        // A left or anti-join keeps a row that found nothing, with the step's variables as
        // they were and no statement: checked as the next row starts (and after the last),
        // so that every way out of a row's work passes the check. An anti-join keeps only
        // such rows, and stops at a row's first match.
        let keepsUnmatched = p.joining != .inner
        let stopsAtMatch = p.joining == .anti
        var lastRow = -1
        var matched = false
        // The variables the step's pair checks read from the input row, besides its own,
        // with their columns (an empty column is unbound): loaded with the row's own.
        let extra = p.pairCheckRowVariables
        let extraColumns = extra.map { batch.columns[$0] }
        func loadRow(_ r: Int) {
            load(vars, rows, r)
            for (v, column) in zip(extra, extraColumns) { bindings[v] = column.isEmpty ? 0 : column[r] }
        }
        let pairChecks = p.pairChecks
        func keepUnmatched() {
            guard keepsUnmatched, lastRow >= 0, !matched else { return }
            load(vars, rows, lastRow)
            keep(out, lastRow, BindingBatch.noStatement)
        }
        // The hash side once there is one, and its arrays as locals: read through the
        // object at every row, each access was a retain and a release.
        var side: KeyedStatements.Lookup? = nil
        var statements: [StatementID] = []
        var values: [UInt64] = []
        // Made when a row first scans (not at all when every row probes a hash side).
        var setup: ScanSetup? = nil
        // A probing row's bound variables, other than the key, by place in `vars` (made
        // with the hash side: most steps scan).
        var checked: [Int] = []
        // An anti-join whose pairs are built decides each row by its ends: kept (left
        // unmatched) when no statement has them, else dropped.
        let anti = p.antiPairs.flatMap { $0.ready(for: batch.count, self) ? $0 : nil }
        if anti != nil { p.decidedByPairs = true }
        for row in 0..<batch.count {
            if keepsUnmatched {
                keepUnmatched()
                if out.isFull { try flush(out, batch, next) }
                lastRow = row
                matched = false
            }
            loadRow(row)
            if let anti, let found = anti.contains(pairValue(anti.subject, [], 0), pairValue(anti.object, [], 0)) {
                try exec.tick()
                matched = found
                continue
            }
            if side == nil, p.key != nil, let keyed = try hashSide(p, vars, rows, row) {
                side = keyed.lookup
                statements = keyed.statements
                values = keyed.values
                for check in pairChecks { check.expect(statements.count) }
                checked = [Int](repeating: 0, count: vars.count)
            }
            if let key = p.key, let lookup = side {
                let b = bindings[key.variable]
                let width = vars.count
                let group = b & ~0xFFFF_FFFF == JoinPlan.termTag ? lookup.group(UInt32(truncatingIfNeeded: b)) : 0..<0
                // Counting, with the key the row's only binding among the step's variables:
                // every statement of the key's group matches, so they are counted at once.
                if out.counting, vars.allSatisfy({ $0 == key.variable || bindings[$0] == 0 }) {
                    if !group.isEmpty {
                        try exec.tick()
                        matched = true
                        out.count(row, group, statements, values)
                    }
                    continue
                }
                if !out.counting {
                    // A match agrees with the row where the row binds a variable; its values
                    // are then the made row's (a free variable takes the match's value).
                    // Only the row's bound variables other than the key are compared: the
                    // key's value is the group's. Most rows bind none of them, and every
                    // match of the group then agrees.
                    let base = row * width
                    var checks = 0
                    for j in 0..<width where rows[base + j] != 0 && vars[j] != key.variable {
                        checked[checks] = j
                        checks += 1
                    }
                    try exec.tick(by: group.count)
                    // The checks whose pairs are built (a step has one or two): an index
                    // loop, not a closure per match.
                    var ready = 0
                    for check in pairChecks where check.ready(for: group.count, self) { ready += 1 }
                    for n in group {
                        if checks > 0 {
                            var agrees = true
                            for c in 0..<checks where rows[base + checked[c]] != values[n * width + checked[c]] {
                                agrees = false
                                break
                            }
                            guard agrees else { continue }
                        }
                        if ready > 0 {
                            var refused = false
                            for x in 0..<pairChecks.count where !refused {
                                let check = pairChecks[x]
                                refused = !check.mayHold(pairValue(check.subject, values, n * width), pairValue(check.object, values, n * width))
                            }
                            if refused { continue }
                        }
                        matched = true
                        if stopsAtMatch { break }
                        out.parents.append(Int32(row))
                        for j in 0..<width { out.made.append(values[n * width + j]) }
                        out.statements.append(statements[n])
                        if out.isFull {
                            try flush(out, batch, next)
                            loadRow(row)
                        }
                    }
                    continue
                }
                for n in group {
                    let sid = statements[n]
                    try exec.tick()
                    let mark = trail.count
                    // The match's values against the row's: a free variable takes its value.
                    var agrees = true
                    for j in 0..<width {
                        let (v, x) = (vars[j], values[n * width + j])
                        let current = bindings[v]
                        if current == 0 {
                            bindings[v] = x
                            trail.append(v)
                        } else if current != x {
                            agrees = false
                            break
                        }
                    }
                    if agrees && stopsAtMatch {
                        matched = true
                        undo(to: mark)
                        break
                    }
                    if agrees {
                        matched = true
                        if take(out, row, sid) {
                            try flush(out, batch, next)
                            loadRow(row)
                        }
                    }
                    undo(to: mark)
                }
                continue
            }
            var c = candidates(p)
            if let part = topPart, row == 0, batch.count == 1, case .pattern(let first)? = ops.first, first === p {
                // One worker's share of the first step (see runInParallel).
                c = c.part(part, statementCount: statementCount)
            }
            // A lookup's cost: a seek, then its list.
            p.indexWork &+= 16 + c.size(statementCount)
            if let scratch = p.scratch {
                if setup == nil { setup = scanSetup(p, scratch) }
                if try scanPlain(setup!, c, row, into: out, stopsAtMatch: stopsAtMatch, whenFull: {
                    try flush(out, batch, next)
                    loadRow(row)
                }) { matched = true }
                continue
            }
            if c.hasBeside {
                // The predicates beside the list (and whether each statement is asserted)
                // rule out most candidates unread, and the position the list was chosen by
                // needs no check.
                let list = c.ids
                let predicates = c.predicates!
                let otherEnds = c.otherEnds!
                for j in 0..<c.count {
                    let tag = PredicateID(predicates[j])
                    guard (tag < 0) == quoted else { continue }
                    let predicate = tag < 0 ? -tag - 1 : tag
                    if let allowed, !allowed[Int(predicate)] { continue }
                    try exec.tick()
                    let mark = trail.count
                    if matchRest(step, Int(list[j]), predicate, c.known, otherEnds[j]) {
                        matched = true
                        if stopsAtMatch {
                            undo(to: mark)
                            break
                        }
                        if take(out, row, list[j]) {
                            try flush(out, batch, next)
                            loadRow(row)
                        }
                    }
                    undo(to: mark)
                }
                continue
            }
            // A tight first pass over the columns (asserted, predicate, a stored qualifier
            // key the step needs), then the full match on the survivors.
            let count = c.size(statementCount)
            for j in 0..<count {
                let sid = c.everything ? StatementID(c.statement(j)) : c.ids[j]
                let n = Int(sid)
                guard asserted[n] != quoted else { continue }
                if let allowed {
                    let predicate = Int(predicates[n])
                    guard predicate < allowed.count, allowed[predicate] else { continue }
                }
                if let key = needed {
                    var has = false
                    for q in Int(qualifierStart[n])..<Int(qualifierStart[n + 1]) where qualifierKeys[q] == key { has = true }
                    guard has else { continue }
                }
                try exec.tick()
                let mark = trail.count
                if matchRest(step, n, predicates[n], .none) {
                    matched = true
                    if stopsAtMatch {
                        undo(to: mark)
                        break
                    }
                    if take(out, row, sid) {
                        try flush(out, batch, next)
                        loadRow(row)
                    }
                }
                undo(to: mark)
            }
        }
        keepUnmatched()
        try flush(out, batch, next)
    }

    /// The step's statements grouped by its key, once reading them by index has cost more
    /// than grouping them would; nil while the index is the better way. Leaves the scratch
    /// row as row `row` of `rows`.
    func hashSide(_ p: PatternOp, _ vars: [Int], _ rows: [UInt64], _ row: Int) throws -> KeyedStatements? {
        if let keyed = p.keyed {
            p.hashed = true
            return keyed
        }
        let force = BatchJoin.hashJoinAfter == 0
        guard force || p.indexWork > BatchJoin.hashJoinAfter else { return nil }
        // A build matches each statement of its list and groups it: some four times the
        // work of passing over it in an index list, or twice for a plain step, whose build
        // is a scan without a scratch row (the index path's lookups are seeks apiece).
        if let work = p.buildWork, !force, p.indexWork <= work { return nil }
        // The side serves every row: free of the row's variables, those its pair checks
        // read included (see `PairCheck`), which are put back after.
        let extra = p.pairCheckRowVariables.map { ($0, bindings[$0]) }
        for v in vars { bindings[v] = 0 }
        for (v, _) in extra { bindings[v] = 0 }
        defer {
            load(vars, rows, row)
            for (v, b) in extra { bindings[v] = b }
        }
        // What a build reads: the list the pattern's constants alone select.
        let c = candidates(p)
        if p.buildWork == nil { p.buildWork = (p.scratch != nil ? 2 : 4) * c.size(statementCount) }
        guard force || p.indexWork > p.buildWork! else { return nil }
        // A worker's side is its fellow workers' too (the scratch row's variables are
        // all free here: the side depends on the step alone).
        if let shared = p.sharedSide, p.pushedMembers.isEmpty {
            p.keyed = try shared.side { try buildSide(p, vars, c) }
        } else {
            p.keyed = try buildSide(p, vars, c)
        }
        p.hashed = true
        return p.keyed
    }

    /// The side of step `p` from candidates `c` (the list its constants select), every
    /// variable of the step free in the scratch row.
    private func buildSide(_ p: PatternOp, _ vars: [Int], _ c: Candidates) throws -> KeyedStatements {
        let atSubject = p.key!.atSubject
        var keys: [UInt32] = []
        var sids: [StatementID] = []
        var values: [UInt64] = []
        func take(_ sid: StatementID) throws {
            try exec.tick()
            let mark = trail.count
            if match(p.step, Int(sid)) {
                keys.append(atSubject ? subjects[Int(sid)].raw : objects[Int(sid)].raw)
                sids.append(sid)
                for v in vars { values.append(bindings[v]) }
            }
            undo(to: mark)
        }
        if let scratch = p.scratch {
            // Every variable free: the scan's rows are the matches, the key among them.
            let found = Output(vars, slot: p.slot)
            _ = try scanPlain(scanSetup(p, scratch), c, 0, into: found, stopsAtMatch: false, bounded: false, whenFull: {})
            let keyAt = vars.firstIndex(of: p.key!.variable)!
            sids = found.statements
            values = found.made
            keys = (0..<sids.count).map { UInt32(truncatingIfNeeded: values[$0 * vars.count + keyAt]) }
        } else if c.everything {
            for n in 0..<statementCount { try take(StatementID(n)) }
        } else {
            for j in 0..<c.count { try take(c.ids[j]) }
        }
        // Several predicates' lists come one after another: each key's statements must be
        // in statement order, as an index lookup gives them.
        let width = vars.count
        if zip(sids, sids.dropFirst()).contains(where: { $0 > $1 }) {
            let order = sids.indices.sorted { sids[$0] < sids[$1] }
            keys = order.map { keys[$0] }
            sids = order.map { sids[$0] }
            values = order.flatMap { values[$0 * width..<($0 + 1) * width] }
        }
        return KeyedStatements(keys: keys, sids: sids, values: values, width: width)
    }

    /// Per list of declared types (`EntityTable.typeListNumber`), its types and their
    /// supertypes (`FactStore.allTypes`): entities share a few lists, each closed once.
    func typeClosures(_ a: IsAOp) -> [[Int32]] {
        if let known = a.typeClosures { return known }
        let closures = entities.allTypeLists.map { store.allTypes(declared: $0) }
        a.typeClosures = closures
        return closures
    }

    /// An `is_a` step on a batch: entity numbers against the entity table's type lists, in
    /// the order the general evaluator meets them (`Execution.solveIsA`).
    dynamic func expandIsA(_ a: IsAOp, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        let exec = self.exec
        let step = a.step
        let vars = a.variables
        let rows = batch.rows(vars)
        let out = a.output
        out.reset()
        // The common step, a bound subject against a constant type, is a filter of the
        // rows: each one that passes goes on as it is, with the type as its evidence.
        let constantType = a.step.subject.kind == .variable && !out.counting ? a.constantType : nil
        let subjects = constantType != nil ? batch.columns[a.step.subject.variable] : []
        // Made at the batch's first row that needs them, and read from this local after.
        var closures: [[Int32]] = []
        for row in 0..<batch.count {
            if let t = constantType, !subjects.isEmpty, subjects[row] != 0 {
                let b = subjects[row]
                let term = Term(raw: UInt32(truncatingIfNeeded: b))
                guard b & ~0xFFFF_FFFF == JoinPlan.termTag, term.kind == Term.entityKind else { continue }
                let e = EntityID(term.index)
                guard isMember(a, e, t) else { continue }
                try exec.tick()
                out.parents.append(Int32(row))
                out.made.append(b)
                out.statements.append(JoinPlan.typeEvidence(e, t))
                if out.isFull { try flush(out, batch, next) }
                continue
            }
            if let t = constantType, subjects.isEmpty || subjects[row] == 0 {
                // A free subject: the type's members, in order, each a row.
                let members = members(a, t)
                var m = 0
                while m < members.count {
                    let end = min(members.count, m + BatchJoin.batchRows - out.parents.count)
                    try exec.tick(by: end - m)
                    out.parents.append(contentsOf: repeatElement(Int32(row), count: end - m))
                    for e in members[m..<end] {
                        out.made.append(JoinPlan.termTag | UInt64(Term(entity: e).raw))
                        out.statements.append(JoinPlan.typeEvidence(e, t))
                    }
                    m = end
                    if out.isFull { try flush(out, batch, next) }
                }
                continue
            }
            load(vars, rows, row)
            func emit(_ e: EntityID, _ t: Int32) throws {
                try exec.tick()
                let mark = trail.count
                if unify(step.subject, JoinPlan.termTag | UInt64(Term(entity: e).raw)) && unify(step.type, JoinPlan.typeTag | UInt64(UInt32(bitPattern: t))) {
                    if take(out, row, JoinPlan.typeEvidence(e, t)) {
                        try flush(out, batch, next)
                        load(vars, rows, row)
                    }
                }
                undo(to: mark)
            }
            let type = bound(step.type).map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            if let b = bound(step.subject) {
                let term = Term(raw: UInt32(truncatingIfNeeded: b))
                guard b & ~0xFFFF_FFFF == JoinPlan.termTag, term.kind == Term.entityKind else { continue }
                let e = EntityID(term.index)
                if let t = type {
                    if isMember(a, e, t) { try emit(e, t) }
                } else {
                    // Its list of declared types' closure, found once a list (an entity's
                    // types made afresh at every row were most of a count per type).
                    if closures.isEmpty { closures = typeClosures(a) }
                    for t in closures[entities.typeListNumber(Int(e))] { try emit(e, t) }
                }
            } else if let t = type {
                for e in members(a, t) { try emit(e, t) }
            } else {
                // Every entity with every type: the types of each list of declared types
                // (entities share a few) found once, not a list made an entity.
                if closures.isEmpty { closures = typeClosures(a) }
                // Written straight out only when the row has two bindings to take: both ends
                // variables (a wildcard binds nothing), and not the same one.
                guard !out.counting, step.subject.kind == .variable, step.type.kind == .variable, step.subject.variable != step.type.variable else {
                    for e in entities.indices {
                        for t in closures[entities.typeListNumber(e)] { try emit(EntityID(e), t) }
                    }
                    continue
                }
                // Each pair is a row: the subject's binding then the type's (the output's
                // variables, in the step's order). The lists' types laid end to end and the
                // entities' list numbers read in place: an array per list, read an entity at
                // a time, was a retain and a release each.
                var flat: [Int32] = []
                var starts = [0]
                for c in closures {
                    flat += c
                    starts.append(flat.count)
                }
                // The rows a batch at a time in buffers of their own, then added to the output
                // whole: appended to its arrays one by one, each row checked them for sharing.
                let room = BatchJoin.batchRows
                let parents = UnsafeMutablePointer<Int32>.allocate(capacity: room)
                let made = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * room)
                let statements = UnsafeMutablePointer<StatementID>.allocate(capacity: room)
                defer {
                    parents.deallocate()
                    made.deallocate()
                    statements.deallocate()
                }
                var held = 0
                try entities.withTypeListNumbers { listOf in
                    for e in listOf.indices {
                        if e & 1023 == 0 { try exec.tick(by: 1024) }
                        let n = Int(listOf[e])
                        let subject = JoinPlan.termTag | UInt64(Term(entity: EntityID(e)).raw)
                        for k in starts[n]..<starts[n + 1] {
                            let t = flat[k]
                            parents[held] = Int32(row)
                            made[2 * held] = subject
                            made[2 * held + 1] = JoinPlan.typeTag | UInt64(UInt32(bitPattern: t))
                            statements[held] = JoinPlan.typeEvidence(EntityID(e), t)
                            held += 1
                            // The output never holds more than a batch's rows.
                            if out.parents.count + held == room {
                                out.parents.append(contentsOf: UnsafeBufferPointer(start: parents, count: held))
                                out.made.append(contentsOf: UnsafeBufferPointer(start: made, count: 2 * held))
                                out.statements.append(contentsOf: UnsafeBufferPointer(start: statements, count: held))
                                held = 0
                                try flush(out, batch, next)
                            }
                        }
                    }
                }
                out.parents.append(contentsOf: UnsafeBufferPointer(start: parents, count: held))
                out.made.append(contentsOf: UnsafeBufferPointer(start: made, count: 2 * held))
                out.statements.append(contentsOf: UnsafeBufferPointer(start: statements, count: held))
                if out.isFull { try flush(out, batch, next) }
            }
        }
        try flush(out, batch, next)
    }

    /// Members of `t`, kept for the next row when the type is the step's constant.
    func members(_ a: IsAOp, _ t: Int32) -> [EntityID] {
        guard a.step.type.kind == .constant else { return store.members(of: t) }
        if let m = a.members { return m }
        a.members = store.members(of: t)
        return a.members!
    }

    /// Whether `e` is a `t`: a bit per entity, made once, when the type is the step's
    /// constant and the step meets many rows.
    func isMember(_ a: IsAOp, _ e: EntityID, _ t: Int32) -> Bool {
        guard a.step.type.kind == .constant else { return store.entity(e, isA: t) }
        return BatchJoin.has(memberBits(a, t), e)
    }

    /// The bits of a constant type's members (see `isMember`): the store's, held by the step.
    func memberBits(_ a: IsAOp, _ t: Int32) -> [UInt64] {
        if let bits = a.memberBits { return bits }
        a.memberBits = store.memberBits(of: t)
        return a.memberBits!
    }

    @inline(__always) static func has(_ bits: [UInt64], _ e: EntityID) -> Bool {
        let i = Int(e)
        return i >> 6 < bits.count && bits[i >> 6] & (1 << UInt64(i & 63)) != 0
    }
}
