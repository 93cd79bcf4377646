/// Rules' relations computed as id tables (RuleRelation), semi-naively: each round reads,
/// at one recursive call of a clause at a time, only the tuples the round before added
/// (the other calls read every tuple), so each round's derivations use at least one tuple
/// the round before added, and a closure of n tuples costs its derivations, not n rounds
/// of all of them.
///
/// A clause whose body the batch join takes (JoinPlan) runs there, its calls reading the
/// relations' words; any other runs through the general evaluator, which reads the same
/// tables (`values(of:)`) and, in a recursive component, derives naively (every tuple
/// again each round; the set keeps each once).
extension RuleEngine {
    /// Words of values no stored term is: `constantTag | n`, `constants[n]`.
    static let constantTag: UInt64 = 6 << 32
    /// The most derivations the evidence encoding numbers (see `derivationEvidence`).
    static let maxDerivations = 0x3FFF_0000

    /// A value as a word: a stored term, predicate, type or statement as a join binds it,
    /// anything else as a constant of its own.
    func encode(_ v: Value) -> UInt64 {
        switch v {
        case .predicate(let p): return JoinPlan.predicateTag | UInt64(UInt32(bitPattern: p))
        case .type(let t): return JoinPlan.typeTag | UInt64(UInt32(bitPattern: t))
        case .statement(let s): return JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))
        default:
            if let t = store.term(for: v), JoinPlan.decode(JoinPlan.termTag | UInt64(t.raw), store.literals) == v {
                return JoinPlan.termTag | UInt64(t.raw)
            }
            if let n = constantNumbers[v] { return RuleEngine.constantTag | UInt64(n) }
            constantNumbers[v] = constants.count
            constants.append(v)
            return RuleEngine.constantTag | UInt64(constants.count - 1)
        }
    }

    func decode(_ w: UInt64) -> Value {
        w & ~0xFFFF_FFFF == RuleEngine.constantTag ? constants[Int(w & 0xFFFF_FFFF)] : JoinPlan.decode(w, store.literals)
    }

    /// Per rule (by number), whether a join may read it (see `joinable`): its heads name
    /// stored terms and variables every match binds, and so do the rules it calls. Decided
    /// a component at a time, callees first (the components' order).
    static func joinableRules(_ names: [String], _ clauses: [String: [Clause]], _ components: [[String]], _ componentOf: [String: Int], _ engine: RuleEngine) -> [Bool] {
        var numbers: [String: Int] = [:]
        for (n, name) in names.enumerated() { numbers[name] = n }
        var joinable = Array(repeating: false, count: names.count)
        for (c, members) in components.enumerated() {
            var ok = true
            for m in members {
                for clause in clauses[m] ?? [] {
                    let bound = certainlyBound(clause.goals)
                    for slot in clause.head {
                        switch slot {
                        case .constant(let v): if engine.encode(v) & ~0xFFFF_FFFF == constantTag { ok = false }
                        case .variable(let v): if !bound.contains(v) { ok = false }
                        default: ok = false
                        }
                    }
                    calls(in: clause.goals, negated: false) { callee, _, _ in
                        if componentOf[callee] != c, let n = numbers[callee], !joinable[n] { ok = false }
                    }
                }
            }
            for m in members { if let n = numbers[m] { joinable[n] = ok } }
        }
        return joinable
    }

    /// The variables every solution of `goals` binds (patterns and calls; of `or`, those
    /// of every branch; `optional`, `not` and filters bind none for certain).
    static func certainlyBound(_ goals: [Goal]) -> Set<Int> {
        var out = Set<Int>()
        for g in goals {
            switch g {
            case .pattern: out.formUnion(Planner.mayBind(g))
            case .call(_, let args, _): for case .variable(let v) in args { out.insert(v) }
            case .or(let branches):
                var inEvery: Set<Int>? = nil
                for b in branches { inEvery = inEvery.map { $0.intersection(certainlyBound(b)) } ?? certainlyBound(b) }
                out.formUnion(inEvery ?? [])
            case .filter, .not, .optional: break
            }
        }
        return out
    }

    /// The relation of a rule, computed (with everything it depends on) the first time.
    func relation(_ name: String, limits: Limits) throws -> RuleRelation {
        try table(numbers[name]!, limits)
    }

    /// Relation `n`: computed (with everything it depends on) the first time; while its
    /// component's fixpoint runs, as far as it has come.
    func table(_ n: Int, _ limits: Limits) throws -> RuleRelation {
        if let t = tables[n] { return t }
        let c = componentOf[names[n]]!
        let members = components[c]
        var callees = Set<String>()
        for m in members {
            for clause in clauses[m] ?? [] {
                RuleEngine.calls(in: clause.goals, negated: false) { callee, _, _ in if componentOf[callee] != c { callees.insert(callee) } }
            }
        }
        for callee in callees.sorted() { _ = try table(numbers[callee]!, limits) }
        for m in members {
            let k = numbers[m]!
            tables[k] = RuleRelation(name: m, number: k, arity: arity[m]!)
        }
        do {
            try fixpoint(members, limits: limits)
        } catch {
            // Never keep half a relation.
            for m in members {
                tables[numbers[m]!] = nil
                decodedTuples[numbers[m]!] = []
            }
            throw error
        }
        return tables[n]!
    }

    /// Every relation a prepared join's calls read, computed before it runs (its workers
    /// read them at once, and must find them made).
    func prepare(_ calls: [Int], _ limits: Limits) throws {
        for n in calls { _ = try table(n, limits) }
    }

    /// One clause as it runs in the fixpoint.
    private struct ClauseRun {
        let target: RuleRelation
        let clause: Clause
        /// The clause's body as a join, when the batch join takes it.
        let join: BatchJoin?
        /// Per call of this component's rules in the body, the join a round runs with that
        /// call reading the delta: the body with the call moved first when it is a goal of
        /// the body itself (so that the delta, the round's few new tuples, drives the join,
        /// and the other calls are looked up by what it binds), else the body's own join.
        let deltaJoins: [(join: BatchJoin, call: BatchJoin.CallOp)]
        /// Whether the body calls a rule of this component.
        let recursive: Bool
    }

    /// Tuples derived in a round, added once the round is done.
    private struct Derived {
        var target: [Int] = []
        var words: [UInt64] = []
        var statementEnds: [Int] = []
        var statements: [StatementID] = []
        var boxed: [Int: [Evidence]] = [:]
    }

    private func fixpoint(_ members: [String], limits: Limits) throws {
        let started = Clock.nanoseconds()
        let inComponent = Set(members.map { numbers[$0]! })
        var rounds = 1
        defer {
            for k in inComponent {
                tables[k]?.rounds = rounds
                tables[k]?.nanoseconds = Clock.nanoseconds() - started
            }
        }
        var runs: [ClauseRun] = []
        for m in members {
            let target = tables[numbers[m]!]!
            for clause in clauses[m] ?? [] {
                var recursive = false
                RuleEngine.calls(in: clause.goals, negated: false) { callee, _, _ in if inComponent.contains(numbers[callee]!) { recursive = true } }
                let exec = Execution(store: store, source: clause.source, rules: self, limits: limits, variableCount: clause.variableCount)
                func joined(_ goals: [Goal]) -> BatchJoin? {
                    guard allowJoin, let program = JoinPlan.Program(goals, store, rules: self) else { return nil }
                    let j = BatchJoin(program, exec, variableCount: clause.variableCount)
                    // A round sets its calls' ranges on this join's own steps, which a
                    // worker's copy would not have.
                    j.parallelThreshold = .max
                    return j
                }
                let join = joined(clause.goals)
                var deltaJoins: [(join: BatchJoin, call: BatchJoin.CallOp)] = []
                if let join {
                    for (g, goal) in clause.goals.enumerated() {
                        guard case .call(let name, _, _) = goal, inComponent.contains(numbers[name]!) else { continue }
                        var moved = clause.goals
                        moved.remove(at: g)
                        moved.insert(goal, at: 0)
                        if let j = joined(moved), case .call(let first)? = j.ops.first { deltaJoins.append((j, first)) }
                    }
                    // Calls inside `or` and `optional` read the delta in place.
                    let topLevel = join.ops.compactMap { op -> BatchJoin.CallOp? in if case .call(let c) = op { c } else { nil } }
                    for c in join.callOps where inComponent.contains(c.step.rule) && !topLevel.contains(where: { $0 === c }) {
                        deltaJoins.append((join, c))
                    }
                }
                runs.append(ClauseRun(target: target, clause: clause, join: join, deltaJoins: deltaJoins, recursive: recursive))
            }
        }
        // Round 0: every clause, every call reading what its relation holds (nothing, for
        // this component's). After it, each round's delta is what the one before added.
        var derived = Derived()
        for run in runs where !(run.recursive && run.join != nil) { try derive(run, run.join, &derived, limits) }
        _ = try add(derived)
        // Every relation of the component was empty before this round.
        var delta: [Int: Range<Int>] = [:]
        for k in inComponent { delta[k] = 0..<tables[k]!.count }
        // A component without recursion is done after its first round.
        let recursive = runs.contains { $0.recursive }
        while recursive, delta.values.contains(where: { !$0.isEmpty }) {
            rounds += 1
            derived = Derived()
            for run in runs where run.recursive {
                guard run.join != nil else {
                    try derive(run, nil, &derived, limits)
                    continue
                }
                for (join, call) in run.deltaJoins {
                    guard let d = delta[call.step.rule], !d.isEmpty else { continue }
                    call.range = d
                    defer { call.range = nil }
                    try derive(run, join, &derived, limits)
                }
            }
            delta = try add(derived)
        }
    }

    /// Runs a clause (as `join`, or in the general evaluator), gathering the tuples it
    /// derives.
    private func derive(_ run: ClauseRun, _ join: BatchJoin?, _ derived: inout Derived, _ limits: Limits) throws {
        let target = run.target
        let head = run.clause.head
        var tuple = [UInt64](repeating: 0, count: head.count)
        let noRecord = encode(.noRecord)
        if let join {
            join.exec.restart(limits: limits, variableCount: run.clause.variableCount)
            let headWords = head.map { slot -> (variable: Int, word: UInt64) in
                switch slot {
                case .variable(let v): return (v, 0)
                case .constant(let c): return (-1, encode(c))
                default: return (-1, noRecord)
                }
            }
            // Read off the batches' columns: a row and a statement list made per answer
            // (`runBindings`) were most of a large relation's derivation.
            try join.runBatches { batch in
                let filled = batch.evidence.filter { !$0.isEmpty }
                for r in 0..<batch.count {
                    for (i, h) in headWords.enumerated() {
                        let w = h.variable < 0 ? h.word : batch.binding(h.variable, r)
                        tuple[i] = w == 0 ? noRecord : w
                    }
                    // Known tuples are dropped as the round's are added, probes fetched ahead.
                    derived.target.append(target.number)
                    derived.words.append(contentsOf: tuple)
                    for column in filled where column[r] != BindingBatch.noStatement { derived.statements.append(column[r]) }
                    derived.statementEnds.append(derived.statements.count)
                }
            }
            return
        }
        let exec = Execution(store: store, source: run.clause.source, rules: self, limits: limits, variableCount: run.clause.variableCount)
        try exec.solve(run.clause.goals, 0) {
            for (i, slot) in head.enumerated() { tuple[i] = encode(exec.value(of: slot) ?? .noRecord) }
            guard target.find(tuple) == nil else { return }
            derived.boxed[derived.target.count] = exec.evidence
            derived.target.append(target.number)
            derived.words.append(contentsOf: tuple)
            derived.statementEnds.append(derived.statements.count)
        }
    }

    /// Adds a round's tuples; per relation, the range of those it did not hold.
    private func add(_ derived: Derived) throws -> [Int: Range<Int>] {
        var starts: [Int: Int] = [:]
        // A round's tuples come clause by clause: a run of one relation's at a time, added
        // by the relation itself. (The general evaluator's come with boxed evidence, one
        // at a time.)
        var i = 0
        var offset = 0
        while i < derived.target.count {
            let n = derived.target[i]
            let relation = tables[n]!
            if starts[n] == nil { starts[n] = relation.count }
            let boxed = derived.boxed.isEmpty ? nil : derived.boxed[i]
            var end = i + 1
            if boxed == nil {
                while end < derived.target.count, derived.target[end] == n, derived.boxed.isEmpty || derived.boxed[end] == nil { end += 1 }
            }
            let runStart = i == 0 ? 0 : derived.statementEnds[i - 1]
            try addRun(relation, Array(derived.words[offset..<offset + (end - i) * relation.arity]),
                       Array(derived.statements[runStart..<derived.statementEnds[end - 1]]),
                       (i..<end).map { derived.statementEnds[$0] - runStart }, boxed: boxed)
            offset += (end - i) * relation.arity
            i = end
        }
        return starts.reduce(into: [:]) { $0[$1.key] = $1.value..<tables[$1.key]!.count }
    }

    /// Adds tuples to `relation` (tuple j: `words[j * arity ..< (j + 1) * arity]`, its
    /// evidence `statements[ends[j - 1] ..< ends[j]]`, or, for one tuple, `boxed`), each
    /// unless held, numbering the derivations of those added.
    private func addRun(_ relation: RuleRelation, _ words: [UInt64], _ statements: [StatementID], _ ends: [Int], boxed: [Evidence]?) throws {
        guard !ends.isEmpty else { return }
        if derivationRelation.count + ends.count >= RuleEngine.maxDerivations { throw Interruption.memoryLimit }
        let before = relation.count
        let first = Int32(derivationRelation.count)
        words.withUnsafeBufferPointer { words in
            statements.withUnsafeBufferPointer { statements in
                if let boxed {
                    _ = relation.insert(words, statements: statements, boxed: boxed, derivation: first)
                } else {
                    _ = ends.withUnsafeBufferPointer { relation.insert(words: words, statements: statements, ends: $0, 0..<ends.count, firstDerivation: first) }
                }
            }
        }
        for t in before..<relation.count {
            derivationRelation.append(Int32(relation.number))
            derivationTuple.append(Int32(t))
        }
    }

    // MARK: reading relations

    /// Relation `relation`'s tuples as Values (for the general evaluator), as far as it holds.
    func values(of relation: RuleRelation) -> [[Value]] {
        let n = relation.number
        while decodedTuples[n].count < relation.count {
            decodedTuples[n].append(relation.tuple(decodedTuples[n].count).map(decode))
        }
        return decodedTuples[n]
    }

    /// The evidence word of derivation `d` in a join's statement list: a negative word with
    /// its second bit set, which type evidence (`JoinPlan.typeEvidence`, six bits of type)
    /// leaves clear; path markers and `BindingBatch.noStatement` sit above every derivation's.
    static func derivationWord(_ d: Int32) -> StatementID { StatementID(bitPattern: 0xC000_0000 | UInt32(d)) }

    /// The derivation a statement-list word names, if it names one (not a path marker or
    /// `BindingBatch.noStatement`, which sit above every derivation's word).
    @inline(__always) static func derivation(_ s: StatementID) -> Int32? {
        let bits = UInt32(bitPattern: s)
        guard bits & 0xC000_0000 == 0xC000_0000, bits & 0x3FFF_FFFF < UInt32(maxDerivations) else { return nil }
        return Int32(bits & 0x3FFF_FFFF)
    }

    /// Derivation `d` as evidence: its rule, its tuple, and the evidence of the clause that
    /// derived it. Made once each; those it rests on are made first, from a stack of its
    /// own (a closure's chain of derivations is as deep as the closure is long).
    func derivationEvidence(_ d: Int32) -> Evidence {
        if derivationEvidenceMade.count < derivationRelation.count {
            derivationEvidenceMade.append(contentsOf: repeatElement(nil, count: derivationRelation.count - derivationEvidenceMade.count))
        }
        if let made = derivationEvidenceMade[Int(d)] { return made }
        var stack: [Int32] = [d]
        while let top = stack.last {
            if derivationEvidenceMade[Int(top)] != nil {
                stack.removeLast()
                continue
            }
            let relation = tables[Int(derivationRelation[Int(top)])]!
            let t = Int(derivationTuple[Int(top)])
            let list = relation.statementList(t)
            let missing = list.compactMap(RuleEngine.derivation).filter { derivationEvidenceMade[Int($0)] == nil }
            guard missing.isEmpty else {
                stack.append(contentsOf: missing)
                continue
            }
            let because = relation.boxed[t] ?? JoinPlan.evidence(list: list, rules: self)
            derivationEvidenceMade[Int(top)] = .rule(name: relation.name, args: relation.tuple(t).map(decode), because: because)
            stack.removeLast()
        }
        return derivationEvidenceMade[Int(d)]!
    }
}
