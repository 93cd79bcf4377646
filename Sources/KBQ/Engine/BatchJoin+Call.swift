/// A rule call as a join step: each row's matching tuples of the rule's relation (an id
/// table, RuleRelation), in tuple order, each a row with the tuple's derivation as its
/// evidence. A row that binds some arguments reads the tuples through an index on those
/// columns; one that binds none reads them all.
extension BatchJoin {
    final class CallOp {
        let step: JoinPlan.CallStep
        let slot: Int
        let variables: [Int]
        let output: Output
        /// The tuples read: nil for every tuple the relation holds; a fixpoint round sets
        /// the range the round before added (see `RuleEngine.fixpoint`).
        var range: Range<Int>? = nil

        init(_ step: JoinPlan.CallStep, slot: Int) {
            self.step = step
            self.slot = slot
            variables = step.variables
            output = Output(variables, slot: slot)
        }
    }

    /// Every call step of the join, inner ones included, in the order they were made.
    var callOps: [CallOp] {
        var out: [CallOp] = []
        func visit(_ ops: [Op]) {
            for op in ops {
                switch op {
                case .call(let c): out.append(c)
                case .not(let inner, _, _), .optional(let inner, _, _): visit(inner)
                case .or(let branches, _, _): for b in branches { visit(b) }
                default: break
                }
            }
        }
        visit(ops)
        return out
    }

    /// Computes the relations the join's calls read, before any step runs (the workers of
    /// a parallel run read them at once).
    func prepareCalls() throws {
        let calls = callOps
        guard !calls.isEmpty else { return }
        try exec.rules.prepare(calls.map(\.step.rule), exec.limits)
    }

    dynamic func expandCall(_ c: CallOp, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        let relation = try exec.rules.table(c.step.rule, exec.limits)
        let range = c.range ?? 0..<relation.count
        guard !range.isEmpty else { return }
        let arguments = c.step.arguments
        let arity = relation.arity
        let vars = c.variables
        let rows = batch.rows(vars)
        let out = c.output
        out.reset()
        var key: [UInt64] = []
        // Read in place: the relation is not changed while a join reads it.
        let (words, derivations) = (relation.words, relation.derivations)
        try words.withUnsafeBufferPointer { words in
            for row in 0..<batch.count {
                load(vars, rows, row)
                // The bound arguments, as a mask of columns and their words in column order.
                var mask = 0
                key.removeAll(keepingCapacity: true)
                for (i, a) in arguments.enumerated() {
                    if let b = bound(a) {
                        mask |= 1 << i
                        key.append(b)
                    }
                }
                func consider(_ t: Int) throws {
                    try exec.tick()
                    let mark = trail.count
                    var matches = true
                    for i in 0..<arity where !unify(arguments[i], words[t * arity + i]) {
                        matches = false
                        break
                    }
                    if matches, take(out, row, RuleEngine.derivationWord(derivations[t])) {
                        try flush(out, batch, next)
                        load(vars, rows, row)
                    }
                    undo(to: mark)
                }
                if mask != 0, arity < Int.bitWidth - 1 {
                    try relation.lookup(mask: mask, key: key, in: range, consider)
                } else {
                    for t in range { try consider(t) }
                }
            }
        }
        try flush(out, batch, next)
    }
}
