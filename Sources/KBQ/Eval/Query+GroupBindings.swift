/// Grouping over the term-id join's bindings: when every grouping key and every aggregate's
/// argument is a plain variable (`find ?a, count(?s) ... group by ?a`), each answer is
/// folded into its group by the bindings' machine words. No row of Values and no evidence
/// list is made per answer (the general `aggregate` decodes every variable an answer reads
/// and copies its evidence), only per group: its first answer, decoded at the end.
extension PreparedQuery {
    /// The groups, as `aggregate` would give them (same groups, in the same order, with the
    /// same results and evidence), or nil when the query is not of that form.
    func aggregateBindings(_ exec: Execution) throws -> [Collected]? {
        guard allowIDJoin, let program = joinProgram else { return nil }
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        var keyVariables: [Int] = []
        for e in keyExprs {
            guard case .slot(.variable(let v)) = e else { return nil }
            keyVariables.append(v)
        }
        let calls = aggregateCalls
        var arguments: [Int?] = []
        for call in calls {
            guard let a = call.argument else { arguments.append(nil); continue }
            guard case .slot(.variable(let v)) = a else { return nil }
            arguments.append(v)
        }
        let fresh = calls.map { Accumulator(function: $0.function, distinct: $0.distinct, range: $0.range) }
        // A count that is not distinct needs no value: only whether the variable is bound.
        let needsValue = calls.map { !($0.function == "count" && !$0.distinct) }
        let join = IDJoin(program, exec, variableCount: c.variables.count)
        let single = keyVariables.count == 1 ? keyVariables[0] : nil
        var groupOfEntity = [Int32](repeating: -1, count: single != nil ? store.entities.count : 0)
        var groupOfBinding: [UInt64: Int32] = [:]
        var groupOfBindings: [[UInt64]: Int32] = [:]
        var firstBindings: [[UInt64]] = []
        var accumulators: [[Accumulator]] = []
        var evidence: [[Evidence]] = []
        let ops = exec.ops
        let source = self.source
        try join.runBindings(parallel: false) { bindings, statements in
            // The group: an entity key by its number, any other key by its words.
            var g: Int32
            let next = Int32(firstBindings.count)
            if let v = single {
                let b = bindings[v]
                if b & ~0xFFFF_FFFF == IDJoin.termTag, UInt32(truncatingIfNeeded: b) < UInt32(groupOfEntity.count) {
                    let e = Int(UInt32(truncatingIfNeeded: b))
                    if groupOfEntity[e] < 0 { groupOfEntity[e] = next }
                    g = groupOfEntity[e]
                } else {
                    g = groupOfBinding[b, default: next]
                    if g == next { groupOfBinding[b] = next }
                }
            } else if keyVariables.isEmpty {
                g = 0
            } else {
                let key = keyVariables.map { bindings[$0] }
                g = groupOfBindings[key, default: next]
                if g == next { groupOfBindings[key] = next }
            }
            let group = Int(g)
            if group == firstBindings.count {
                firstBindings.append(bindings)
                accumulators.append(fresh)
                evidence.append([])
            }
            for (i, argument) in arguments.enumerated() {
                var value = Value.integer(1)
                if let v = argument {
                    let b = bindings[v]
                    if b == 0 { continue }  // unbound: no record, not counted
                    if needsValue[i] { value = join.decode(b) }
                }
                try accumulators[group][i].add(value, ops, source)
            }
            if evidence[group].count < PreparedQuery.evidencePerGroup {
                for s in statements {
                    let e = IDJoin.evidence(s)
                    if !evidence[group].contains(e) { evidence[group].append(e) }
                }
            }
        }
        if firstBindings.isEmpty && keyVariables.isEmpty {
            firstBindings = [Array(repeating: 0, count: c.variables.count)]
            accumulators = [fresh]
            evidence = [[]]
        }
        var out: [Collected] = []
        out.reserveCapacity(firstBindings.count)
        for g in firstBindings.indices {
            exec.row = firstBindings[g].map { $0 == 0 ? nil : join.decode($0) }
            let results = try accumulators[g].map { try $0.result(ops, source) }
            let values = try aggregatedProjections(results, exec)
            out.append((exec.row, values, evidence[g], results, -1))
        }
        return out
    }
}
