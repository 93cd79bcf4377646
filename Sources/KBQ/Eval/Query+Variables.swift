import CKBQPrefetch

/// Answers that are plain variables (`find ?x, ?y ...`, with or without `distinct`) taken
/// straight from the batch executor's bindings: a repeated answer is recognised by its
/// bindings, and Values are made only for the answers kept.
extension PreparedQuery {
    /// The projected variables, when every column is one and none is an alias.
    static func plainVariables(_ c: CompiledQuery) -> [Int]? {
        guard c.aliasSlots.allSatisfy({ $0 == nil }) else { return nil }
        var vars: [Int] = []
        for p in c.projections {
            guard case .slot(.variable(let v)) = p.expr else { return nil }
            vars.append(v)
        }
        return vars
    }

    /// The join for a query that projects plain variables, or nil.
    func variableJoin(_ exec: Execution) -> (join: BatchJoin, variables: [Int])? {
        guard let vars = projectedVariables, let join = join(exec) else { return nil }
        return (join, vars)
    }

    func streamVariables(_ j: (join: BatchJoin, variables: [Int]), into answers: Answers, _ shown: (Int) throws -> Void) throws {
        // Plain values, not the CompiledQuery: a closure that captures the struct can copy
        // it (dozens of retains) at every answer.
        let limit = compiled.limit ?? Int.max
        if limit == 0 { return }
        var skipped = 0
        let offset = compiled.offset ?? 0
        let variables = j.variables
        do {
            try j.join.runBatches { batch in
                let skip = min(offset - skipped, batch.count)
                skipped += skip
                let take = min(batch.count - skip, limit - answers.count)
                guard take > 0 else { return }
                let first = answers.count
                answers.append(batch, rows: skip..<skip + take, variables: variables)
                for n in first..<answers.count { try shown(n) }
                if answers.count >= limit { throw StopSearch() }
            }
        } catch is StopSearch {}
    }

    /// Every answer, the first of equal ones only with `distinct` (adding the evidence of
    /// the others, up to `evidencePerGroup`), into `answers`; offset and limit come after.
    /// A distinct answer keeps no evidence: it is looked for when asked
    /// (`distinctEvidence`), and merging every repeat's statements was half of a distinct
    /// answer of many rows.
    func collectVariables(_ j: (join: BatchJoin, variables: [Int]), into answers: Answers) throws {
        let later = compiled.distinct
        try collectVariables(j, into: answers, evidence: !later)
        if later { answers.deferEvidenceByCells(find: distinctEvidence(width: j.variables.count)) }
    }

    /// How a distinct answer finds a row's evidence when asked: the query's join runs once
    /// more, collecting every answer with its evidence merged as `collectVariables` merges
    /// it (the same rows in the same order, so the same statements), under the caller's
    /// limits; kept for the rows asked after. A row is found by its cells (distinct rows
    /// differ in some cell).
    func distinctEvidence(width: Int) -> (ArraySlice<UInt64>, Limits) throws -> [Evidence] {
        final class Found {
            var answers: Answers? = nil
            var rowOf: [[UInt64]: Int] = [:]
        }
        let found = Found()
        return { [self] key, limits in
            if found.answers == nil {
                let exec = Execution(store: store, source: source, rules: rules, limits: limits, variableCount: compiled.variables.count, ops: valueOps)
                guard let j = variableJoin(exec) else { return [] }
                let all = Answers(columns: columns, store: store)
                try collectVariables(j, into: all, evidence: true)
                for i in 0..<all.count { found.rowOf[(0..<width).map { all.cell(i, $0) }] = i }
                found.answers = all
            }
            guard let all = found.answers, let row = found.rowOf[Array(key)] else { return [] }
            return try all.evidence(row, limits: limits)
        }
    }

    private func collectVariables(_ j: (join: BatchJoin, variables: [Int]), into answers: Answers, evidence: Bool) throws {
        let vars = j.variables
        let exec = j.join.exec
        // A batch at a time, read in its columns: a row's bindings and statements made into
        // arrays for a closure at each answer were most of a distinct answer's cost.
        guard compiled.distinct else {
            try j.join.runBatches { batch in
                try exec.tick(by: batch.count)
                answers.append(batch, rows: 0..<batch.count, variables: vars)
            }
            return
        }
        // One column of entities: the row of an entity by its number; else by the bindings.
        var rowOfEntity = [Int32](repeating: -1, count: vars.count == 1 ? store.entities.count : 0)
        var rowOfBinding: [UInt64: Int] = [:]
        // Several columns: by their bindings in an open-addressed table (a Dictionary keyed
        // by an array made a row was most of a distinct over pairs).
        var rowOfBindings = GroupKeyTable(width: max(1, vars.count))
        let rowKey = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, vars.count))
        defer { rowKey.deallocate() }
        var statements: [StatementID] = []
        // A batch's new answers are appended together, then its repeats noted in order
        // (a repeat only reads the evidence of its first row, which is in by then): an
        // append a row cost more than the row's own work.
        var fresh: [Int] = []
        var repeats: [(row: Int, of: Int)] = []
        // With no evidence kept, the join drops the rows of entities already answered.
        var answered: AnsweredKeys? = nil
        if !evidence, vars.count == 1, let from = j.join.firstStepBound(vars[0]) {
            answered = AnsweredKeys(variable: vars[0], from: from, entities: store.entities.count)
        }
        j.join.answered = answered
        defer { j.join.answered = nil }
        try j.join.runBatches { batch in
            try exec.tick(by: batch.count)
            let columns = vars.map { batch.columns[$0] }
            let filled = batch.evidence.filter { !$0.isEmpty }
            fresh.removeAll(keepingCapacity: true)
            repeats.removeAll(keepingCapacity: true)
            if vars.count == 1, !columns[0].isEmpty, !rowOfEntity.isEmpty {
                // The batch's entity slots brought in before any is read: at 10M the slots
                // (four bytes an entity) outgrow the caches, and each read missed in turn.
                rowOfEntity.withUnsafeBufferPointer { slots in
                    for b in columns[0] where b & ~0xFFFF_FFFF == JoinPlan.termTag && UInt32(truncatingIfNeeded: b) < UInt32(slots.count) {
                        kbq_prefetch(slots.baseAddress! + Int(UInt32(truncatingIfNeeded: b)))
                    }
                }
            }
            for r in 0..<batch.count {
                let next = answers.count + fresh.count
                var known: Int? = nil
                if vars.count == 1 {
                    let b = columns[0].isEmpty ? 0 : columns[0][r]
                    let entity = b & ~0xFFFF_FFFF == JoinPlan.termTag && UInt32(truncatingIfNeeded: b) < UInt32(rowOfEntity.count) ? Int(UInt32(truncatingIfNeeded: b)) : nil
                    if let e = entity {
                        if rowOfEntity[e] >= 0 { known = Int(rowOfEntity[e]) } else { rowOfEntity[e] = Int32(next) }
                    } else if let r = rowOfBinding[b] {
                        known = r
                    } else {
                        rowOfBinding[b] = next
                    }
                } else {
                    // The row's bindings copied out first: read through `columns` by the
                    // table's probes, each inner array was retained and released.
                    for j in 0..<vars.count { rowKey[j] = columns[j].isEmpty ? 0 : columns[j][r] }
                    let key = { (j: Int) -> UInt64 in rowKey[j] }
                    if let r = rowOfBindings.find(key) { known = Int(r) } else { rowOfBindings.insert(key, Int32(next)) }
                }
                if let i = known {
                    if evidence { repeats.append((r, i)) }
                } else {
                    fresh.append(r)
                    if let answered, !columns[0].isEmpty { answered.mark(columns[0][r]) }
                }
            }
            answers.append(batch, rows: fresh, variables: vars, evidence: evidence)
            guard evidence else { return }
            for (r, i) in repeats {
                // Most repeats of an answer met thousands of times come after its evidence
                // is full, and would be dropped.
                if answers.repeatsDropped(i) { continue }
                statements.removeAll(keepingCapacity: true)
                for column in filled where column[r] != BindingBatch.noStatement { statements.append(column[r]) }
                answers.noteRepeat(of: i, statements, cap: PreparedQuery.evidencePerGroup)
            }
        }
        if evidence { answers.mergeRepeats(cap: PreparedQuery.evidencePerGroup) }
    }
}
