/// Counts without groups over a forest of joins (`find count(*) where ?x knows ?y, ?y
/// knows ?z`), counted by FactorizedCount without making the answers; the evidence is
/// that of the answers' first rows, taken from the join run only until it has them.
extension PreparedQuery {
    /// The query's one row, or nil when it is not such a count (or a count overflows:
    /// the join then counts, as it always did).
    func factorizedCounts(_ exec: Execution) throws -> [Collected]? {
        let c = compiled
        guard allowBatchJoin, let program = joinProgram, c.groupBy.isEmpty, c.projections.allSatisfy({ $0.expr.hasAggregate }) else { return nil }
        let calls = aggregateCalls
        var distinct = Set<Int>()
        for call in calls {
            guard call.function == "count" else { return nil }
            guard let a = call.argument else {
                guard !call.distinct else { return nil }
                continue
            }
            // Every variable of an inner conjunction is bound in every answer: `count(?v)`
            // counts them all.
            guard case .slot(.variable(let v)) = a else { return nil }
            if call.distinct { distinct.insert(v) }
        }
        if factorized == nil {
            factorized = .some(FactorizedCount(program, distinct: distinct, exec, variableCount: c.variables.count))
        }
        guard case .some(let counter?) = factorized else { return nil }
        var results: [Value] = []
        var total: Int? = nil
        for call in calls {
            let n: Int?
            if call.distinct, case .slot(.variable(let v))? = call.argument {
                n = try counter.countDistinct(v, exec)
            } else {
                if total == nil { total = try counter.count(exec) }
                n = total
            }
            guard let n else { return nil }
            results.append(.integer(n))
        }
        countedFactorized = true
        // Any answer makes every count positive; none, every count zero.
        let answered = results.contains { $0 != .integer(0) }
        guard let join = join(exec) else { return nil }
        let width = c.variables.count
        var first = [UInt64](repeating: 0, count: width)
        var evidence = GroupEvidence(ownSlots: join.ownEvidenceSlots)
        evidence.addGroups(1)
        if answered {
            // On one core, in order: the parallel join reads every part before the first.
            join.parallelThreshold = Int.max
            defer { join.parallelThreshold = parallelThreshold }
            var met = false
            do {
                try join.runBatches { batch in
                    try exec.checkLimits()
                    if !met {
                        first = batch.gathered([0]).rows(Array(0..<width))
                        met = true
                    }
                    evidence.add(batch, [Int32](repeating: 0, count: batch.count))
                    if !evidence.hasRoom(0) { throw StopSearch() }
                }
            } catch is StopSearch {}
        }
        exec.row = first.map { $0 == 0 ? nil : join.decode($0) }
        let values = try aggregatedProjections(results, exec)
        return [(exec.row, values, evidence.of(0).map(JoinPlan.evidence), results, -1)]
    }
}
