/// Conjunctive queries (patterns and filters, the shape of most questions) evaluated over
/// term ids: bindings are machine words, a candidate is checked by comparing integers from
/// the store's columns, and `Value`s are made only for a filter's operands and for each
/// answer. Candidates come from the same index lists, in the same order, as in the general
/// evaluator (`Execution.solve`), so answers and their order are the same; IDJoinTests
/// checks that on every golden query.
final class IDJoin {
    /// A position of a pattern.
    struct Position {
        enum Kind { case wildcard, constant, variable }
        var kind: Kind
        /// An encoded constant (see `encode`), or the variable's number.
        var value: UInt64
        var variable: Int
    }

    struct PatternStep {
        var subject: Position
        var object: Position
        var qualifiers: [(key: Int32, position: Position)]
        /// The predicates a statement may have (with their sub-predicates), or nil for any.
        var predicates: [PredicateID]?
        var allowed: [Bool]?
        var predicateVariable: Int?
        var statementVariable: Int?
        var quoted: Bool
        /// A constant the store does not hold: nothing matches.
        var impossible: Bool
    }

    indirect enum Step {
        case pattern(PatternStep)
        case filter(CompiledExpr, [Int])
        case not([Step])
        case optional([Step])
        case or([[Step]])
    }

    let exec: Execution
    let store: FactStore
    let steps: [Step]
    var bindings: [UInt64]
    var trail: [Int] = []
    var statements: [StatementID] = []
    let variableCount: Int

    // Encoded bindings: 0 unbound; a stored term, a predicate or a statement, tagged.
    static let termTag: UInt64 = 1 << 32
    static let predicateTag: UInt64 = 2 << 32
    static let statementTag: UInt64 = 3 << 32

    /// nil when a goal is a rule call, a path or a type test: the general evaluator takes
    /// those.
    init?(_ goals: [Goal], _ exec: Execution, variableCount: Int) {
        let store = exec.store
        guard let steps = IDJoin.plan(goals, store) else { return nil }
        self.exec = exec
        self.store = store
        self.steps = steps
        self.variableCount = variableCount
        bindings = Array(repeating: 0, count: variableCount)
    }

    static func plan(_ goals: [Goal], _ store: FactStore) -> [Step]? {
        var steps: [Step] = []
        for g in goals {
            switch g {
            case .filter(let e, _):
                steps.append(.filter(e, Planner.uses(e).sorted()))
            case .pattern(let p):
                guard let step = IDJoin.plan(p, store) else { return nil }
                steps.append(.pattern(step))
            case .not(let inner, _):
                guard let s = plan(inner, store) else { return nil }
                steps.append(.not(s))
            case .optional(let inner, _):
                guard let s = plan(inner, store) else { return nil }
                steps.append(.optional(s))
            case .or(let branches):
                var planned: [[Step]] = []
                for b in branches {
                    guard let s = plan(b, store) else { return nil }
                    planned.append(s)
                }
                steps.append(.or(planned))
            case .call:
                return nil
            }
        }
        return steps
    }

    static func plan(_ p: CompiledPattern, _ store: FactStore) -> PatternStep? {
        var impossible = false
        func position(_ s: Slot) -> Position? {
            switch s {
            case .wildcard: return Position(kind: .wildcard, value: 0, variable: -1)
            case .variable(let v): return Position(kind: .variable, value: 0, variable: v)
            case .constant(let v):
                guard let t = store.term(for: v) else {
                    impossible = true
                    return Position(kind: .constant, value: 0, variable: -1)
                }
                return Position(kind: .constant, value: termTag | UInt64(t.raw), variable: -1)
            case .proposition: return nil
            }
        }
        guard let subject = position(p.subject), let object = position(p.object) else { return nil }
        var qualifiers: [(key: Int32, position: Position)] = []
        for q in p.qualifiers {
            guard let pos = position(q.slot) else { return nil }
            qualifiers.append((q.key, pos))
        }
        var step = PatternStep(
            subject: subject, object: object, qualifiers: qualifiers, predicates: nil, allowed: nil,
            predicateVariable: nil, statementVariable: p.statementVar, quoted: p.quoted, impossible: impossible)
        switch p.path {
        case .predicates(let ps):
            step.predicates = ps
            var allowed = Array(repeating: false, count: store.predicates.count)
            for x in ps where Int(x) < allowed.count { allowed[Int(x)] = true }
            step.allowed = allowed
        case .variable(let v): step.predicateVariable = v
        case .any: break
        default: return nil
        }
        return step
    }

    func decode(_ b: UInt64) -> Value {
        switch b & ~0xFFFF_FFFF {
        case IDJoin.termTag: return store.value(Term(raw: UInt32(truncatingIfNeeded: b)))
        case IDJoin.predicateTag: return .predicate(PredicateID(bitPattern: UInt32(truncatingIfNeeded: b)))
        default: return .statement(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)))
        }
    }

    /// Runs the steps; at each answer, the execution's row and evidence hold it for `k`.
    func run(_ k: () throws -> Void) throws {
        try solve(steps, 0) {
            for v in 0..<variableCount { exec.row[v] = bindings[v] == 0 ? nil : decode(bindings[v]) }
            // A fresh array of the exact size: the answer before may still hold the last one.
            exec.evidence = statements.map { .statement($0) }
            try k()
        }
    }

    /// Runs the steps and hands `k` each answer's bindings and statements, making no
    /// Values: for answers that only project variables (see PreparedQuery+Variables).
    func runBindings(_ k: ([UInt64], [StatementID]) throws -> Void) throws {
        try solve(steps, 0) { try k(bindings, statements) }
    }

    /// The value of a binding; unbound is "no record", as the general evaluator shows it.
    func value(_ b: UInt64) -> Value { b == 0 ? .noRecord : decode(b) }

    /// As `Execution.solve`: steps from `i` on, then `k`.
    private func solve(_ steps: [Step], _ i: Int, _ k: () throws -> Void) throws {
        guard i < steps.count else { return try k() }
        switch steps[i] {
        case .filter(let e, let vars):
            for v in vars { exec.row[v] = bindings[v] == 0 ? nil : decode(bindings[v]) }
            if try exec.truth(e) { try solve(steps, i + 1, k) }
        case .not(let inner):
            let mark = trail.count
            let statementMark = statements.count
            var found = false
            do {
                try solve(inner, 0) { found = true; throw StopSearch() }
            } catch is StopSearch {}
            while trail.count > mark { bindings[trail.removeLast()] = 0 }
            statements.removeSubrange(statementMark...)
            if !found { try solve(steps, i + 1, k) }
        case .optional(let inner):
            var any = false
            try solve(inner, 0) {
                any = true
                try solve(steps, i + 1, k)
            }
            if !any { try solve(steps, i + 1, k) }
        case .or(let branches):
            for b in branches { try solve(b, 0) { try solve(steps, i + 1, k) } }
        case .pattern(let p):
            guard !p.impossible else { return }
            func visit(_ sid: StatementID) throws {
                try exec.tick()
                let mark = trail.count
                if match(p, Int(sid)) {
                    statements.append(sid)
                    try solve(steps, i + 1, k)
                    statements.removeLast()
                }
                while trail.count > mark { bindings[trail.removeLast()] = 0 }
            }
            if let (list, beside, known) = candidates(p) {
                if let (predicates, otherEnds) = beside {
                    // The predicates beside the list (and whether each statement is
                    // asserted) rule out most candidates unread, and the position the list
                    // was chosen by needs no check.
                    for j in list.indices {
                        let tag = predicates[j]
                        guard (tag < 0) == p.quoted else { continue }
                        let predicate = tag < 0 ? -tag - 1 : tag
                        if let allowed = p.allowed, !allowed[Int(predicate)] { continue }
                        try exec.tick()
                        let mark = trail.count
                        if matchRest(p, Int(list[j]), predicate, known, otherEnds[j]) {
                            statements.append(list[j])
                            try solve(steps, i + 1, k)
                            statements.removeLast()
                        }
                        while trail.count > mark { bindings[trail.removeLast()] = 0 }
                    }
                } else {
                    for sid in list { try visit(sid) }
                }
            } else {
                for n in 0..<store.statementCount { try visit(StatementID(n)) }
            }
        }
    }

    /// The bound value of a position as a stored term, or nil when it is free; a bound
    /// value that is not a stored term gives an empty list.
    @inline(__always) private func bound(_ pos: Position) -> UInt64? {
        switch pos.kind {
        case .constant: return pos.value
        case .variable: return bindings[pos.variable] == 0 ? nil : bindings[pos.variable]
        case .wildcard: return nil
        }
    }

    /// A position every statement of a candidate list already has (the one its index is by).
    enum Known { case none, subject, object }

    private typealias Beside = (predicates: ArraySlice<PredicateID>, otherEnds: ArraySlice<Term>)
    private typealias Candidates = (ids: ArraySlice<StatementID>, beside: Beside?, known: Known)

    private func list(_ b: UInt64, _ known: Known, _ lookup: (Term) -> (ArraySlice<StatementID>, Beside?)) -> Candidates {
        guard b & ~0xFFFF_FFFF == IDJoin.termTag else { return ([], nil, .none) }
        let (ids, beside) = lookup(Term(raw: UInt32(truncatingIfNeeded: b)))
        return (ids, beside, known)
    }

    /// As `Execution.candidateStatements`: the smallest list the bound positions select
    /// (with the predicates beside it, for subject and object lists).
    private func candidates(_ p: PatternStep) -> Candidates? {
        var best: Candidates? = nil
        func consider(_ l: Candidates) {
            if best == nil || l.ids.count < best!.ids.count { best = l }
        }
        if let b = bound(p.subject) { consider(list(b, .subject) { store.bySubject.withBeside($0) }) }
        if let b = bound(p.object) { consider(list(b, .object) { store.byObject.withBeside($0) }) }
        for q in p.qualifiers {
            if let b = bound(q.position) {
                consider(Int(q.key) < store.byQualifier.count ? list(b, .none) { (store.byQualifier[Int(q.key)][$0], nil) } : ([], nil, .none))
            } else if let l = store.statements(withKey: q.key) {
                consider((l, nil, .none))
            }
        }
        if let ps = p.predicates {
            if ps.count == 1 { consider((store.statements(withPredicate: ps[0]), nil, .none)) } else if best == nil || best!.ids.count > 64 {
                var all: [StatementID] = []
                for x in ps { all += store.statements(withPredicate: x) }
                consider((all[...], nil, .none))
            }
        }
        return best
    }

    @inline(__always) private func unify(_ pos: Position, _ value: UInt64) -> Bool {
        switch pos.kind {
        case .wildcard: return true
        case .constant: return pos.value == value
        case .variable:
            let current = bindings[pos.variable]
            if current != 0 { return current == value }
            bindings[pos.variable] = value
            trail.append(pos.variable)
            return true
        }
    }

    /// As `Execution.match`, over terms.
    private func match(_ p: PatternStep, _ i: Int) -> Bool {
        guard exec.asserted[i] != p.quoted else { return false }
        let predicate = exec.predicates[i]
        if let allowed = p.allowed {
            guard Int(predicate) < allowed.count, allowed[Int(predicate)] else { return false }
        }
        return matchRest(p, i, predicate, .none)
    }

    /// The rest of a match once the predicate is allowed: the predicate variable, the
    /// positions (but the one known to match), qualifiers and the statement variable.
    private func matchRest(_ p: PatternStep, _ i: Int, _ predicate: PredicateID, _ known: Known, _ otherEnd: Term? = nil) -> Bool {
        if let v = p.predicateVariable {
            guard unify(Position(kind: .variable, value: 0, variable: v), IDJoin.predicateTag | UInt64(UInt32(bitPattern: predicate))) else { return false }
        }
        // The other end of a subject or object list is read beside it, not from the row.
        if known != .subject {
            let subject = known == .object ? otherEnd! : exec.subjects[i]
            if !unify(p.subject, IDJoin.termTag | UInt64(subject.raw)) { return false }
        }
        if known != .object {
            let object = known == .subject ? otherEnd! : exec.objects[i]
            if !unify(p.object, IDJoin.termTag | UInt64(object.raw)) { return false }
        }
        for q in p.qualifiers {
            guard let t = store.qualifierTerm(i, q.key), unify(q.position, IDJoin.termTag | UInt64(t.raw)) else { return false }
        }
        if let s = p.statementVariable {
            guard unify(Position(kind: .variable, value: 0, variable: s), IDJoin.statementTag | UInt64(UInt32(i))) else { return false }
        }
        return true
    }
}

extension Execution {
    /// Solves a query's goals: over term ids when they are plain patterns and filters,
    /// by the general evaluator otherwise.
    func solveTop(_ goals: [Goal], allowIDJoin: Bool, _ k: () throws -> Void) throws {
        if allowIDJoin, let join = IDJoin(goals, self, variableCount: row.count) {
            try join.run(k)
        } else {
            try solve(goals, 0, k)
        }
    }
}
