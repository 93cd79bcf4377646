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
    func collectVariables(_ j: (join: BatchJoin, variables: [Int]), into answers: Answers) throws {
        let distinct = compiled.distinct
        let vars = j.variables
        // One column of entities: the row of an entity by its number; else by the bindings.
        var rowOfEntity = [Int32](repeating: -1, count: distinct && vars.count == 1 ? store.entities.count : 0)
        var rowOfBinding: [UInt64: Int] = [:]
        var rowOfBindings: [[UInt64]: Int] = [:]
        try j.join.runBindings { bindings, statements in
            if distinct {
                var known: Int? = nil
                if vars.count == 1 {
                    let b = bindings[vars[0]]
                    let entity = b & ~0xFFFF_FFFF == JoinPlan.termTag && UInt32(truncatingIfNeeded: b) < UInt32(rowOfEntity.count) ? Int(UInt32(truncatingIfNeeded: b)) : nil
                    if let e = entity {
                        if rowOfEntity[e] >= 0 { known = Int(rowOfEntity[e]) } else { rowOfEntity[e] = Int32(answers.count) }
                    } else if let r = rowOfBinding[b] {
                        known = r
                    } else {
                        rowOfBinding[b] = answers.count
                    }
                } else {
                    let key = vars.map { bindings[$0] }
                    if let r = rowOfBindings[key] { known = r } else { rowOfBindings[key] = answers.count }
                }
                if let i = known {
                    answers.noteRepeat(of: i, statements)
                    return
                }
            }
            answers.append(bindings: bindings, variables: vars, statements: statements)
        }
        answers.mergeRepeats(cap: PreparedQuery.evidencePerGroup)
    }
}
