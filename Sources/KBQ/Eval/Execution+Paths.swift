extension Execution {
    /// Nodes reachable from `start` along a path, each once, with the statements crossed.
    func reach(_ path: CompiledPath, from start: Value, inverse: Bool) throws -> [(Value, [StatementID])] {
        switch path {
        case .predicates(let ps):
            let list = inverse ? store.statements(withObject: start) : store.statements(withSubject: start)
            var out: [(Value, [StatementID])] = []
            for sid in list {
                let i = Int(sid)
                if asserted[i] && ps.contains(predicates[i]) { out.append((store.value(inverse ? subjects[i] : objects[i]), [sid])) }
            }
            return out
        case .inverse(let inner):
            return try reach(inner, from: start, inverse: !inverse)
        case .sequence(let parts):
            var frontier: [(Value, [StatementID])] = [(start, [])]
            for part in (inverse ? parts.reversed() : parts) {
                var next: [(Value, [StatementID])] = []
                var seen = Set<Value>()
                for (node, ev) in frontier {
                    for (n, e) in try reach(part, from: node, inverse: inverse) where seen.insert(n).inserted {
                        next.append((n, inverse ? e + ev : ev + e))
                    }
                }
                frontier = next
            }
            return frontier
        case .alternative(let parts):
            var out: [(Value, [StatementID])] = []
            var seen = Set<Value>()
            for part in parts {
                for r in try reach(part, from: start, inverse: inverse) where seen.insert(r.0).inserted { out.append(r) }
            }
            return out
        case .oneOrMore(let inner):
            return try closure(inner, from: start, inverse: inverse, includeStart: false)
        case .zeroOrMore(let inner):
            return try closure(inner, from: start, inverse: inverse, includeStart: true)
        default:
            return []
        }
    }

    /// Breadth-first, so each node comes with a shortest chain of evidence.
    /// `includeStart` asks for the zero-length step, which relates only an entity to itself
    /// (grammar/semantics.md): a literal reached on the way is never its own answer.
    func closure(_ step: CompiledPath, from start: Value, inverse: Bool, includeStart requested: Bool) throws -> [(Value, [StatementID])] {
        var includeStart = requested
        if case .entity = start {} else { includeStart = false }
        var out: [(Value, [StatementID])] = includeStart ? [(start, [])] : []
        var seen: Set<Value> = includeStart ? [start] : []
        var queue: [(Value, [StatementID])] = [(start, [])]
        var head = 0
        func visit(_ n: Value, _ chain: [StatementID]) {
            guard seen.insert(n).inserted else { return }
            out.append((n, chain))
            queue.append((n, chain))
        }
        if case .predicates(let ps) = step, let t = store.term(for: start) {
            return try closure(ps, from: t, inverse: inverse, includeStart: includeStart)
        }
        while head < queue.count {
            let (node, ev) = queue[head]
            head += 1
            try tick()
            for (n, e) in try reach(step, from: node, inverse: inverse) where !seen.contains(n) {
                visit(n, inverse ? e + ev : ev + e)
            }
        }
        return out
    }

    /// One predicate step (`part_of+`) over term ids: the subject or object index with the
    /// predicates and other ends beside it, read as addresses, and for each node the node
    /// it was reached from and the statement crossed; chains are made only for the answer.
    /// The nodes, their marks and the lists are the execution's scratch, kept from one
    /// start to the next: with both ends free a closure is run from every node, and
    /// allocating them each time cost more than the walk.
    func closure(_ ps: [PredicateID], from start: Term, inverse: Bool, includeStart requested: Bool) throws -> [(Value, [StatementID])] {
        let includeStart = requested && start.kind == Term.entityKind
        var scratch = pathScratch
        pathScratch = PathScratch()
        defer { pathScratch = scratch }
        scratch.start(entityCount: store.entities.count)
        scratch.add(start, parent: -1, via: -1)
        // Without the start among the answers, a cycle back to it makes it one.
        if !includeStart { scratch.unmark(start) }
        var head = 0
        while head < scratch.nodes.count {
            try tick()
            step(ps, from: scratch.nodes[head], inverse: inverse) { n, sid in
                guard !scratch.isMarked(n) else { return }
                scratch.add(n, parent: Int32(head), via: sid)
            }
            head += 1
        }
        var out: [(Value, [StatementID])] = []
        out.reserveCapacity(scratch.nodes.count)
        for k in 0..<scratch.nodes.count where k > 0 || includeStart {
            // Walking up gives the chain from this node back to the start: the order of an
            // inverse chain; a forward chain is its reverse.
            var chain: [StatementID] = []
            var at = k
            while at > 0 {
                chain.append(scratch.via[at])
                at = Int(scratch.parent[at])
            }
            out.append((store.value(scratch.nodes[k]), inverse ? chain : chain.reversed()))
        }
        return out
    }

    /// One step over predicates `ps` from `node` (backwards when `inverse`): each asserted
    /// statement's other end and the statement, in index order. The subject or object
    /// index's run, with each statement's predicate and other end beside it.
    @inline(__always) func step(_ ps: [PredicateID], from node: Term, inverse: Bool, _ body: (Term, StatementID) -> Void) {
        let run = (inverse ? objectLookup : subjectLookup).run(node)
        let onePredicate = ps.count == 1 ? ps[0] : nil
        for j in 0..<run.count {
            let i = Int(run.ids[j])
            // A negative tag: a quoted statement (see TermPostings).
            let tag = run.predicates.map { PredicateID($0[j]) } ?? (asserted[i] ? predicates[i] : -1)
            guard tag >= 0, onePredicate.map({ $0 == tag }) ?? ps.contains(tag) else { continue }
            body(run.otherEnds?[j] ?? (inverse ? subjects[i] : objects[i]), run.ids[j])
        }
    }

    func solvePath(_ p: CompiledPattern, _ k: () throws -> Void) throws {
        func emit(_ subject: Value, _ object: Value, _ chain: [StatementID]) throws {
            let mark = trail.count
            if unify(p.subject, subject) && unify(p.object, object) {
                evidence.append(.path(chain))
                try k()
                evidence.removeLast()
            }
            undo(to: mark)
        }
        if Execution.walksTerms(p.path) {
            if let s = value(of: p.subject) {
                try solveTermPath(p, store.term(for: s).map { [$0] } ?? [], inverse: false, emit)
            } else if let o = value(of: p.object) {
                try solveTermPath(p, store.term(for: o).map { [$0] } ?? [], inverse: true, emit)
            } else {
                try solveTermPath(p, startTerms(p.path, firstLevel: nil), inverse: false, emit)
            }
            return
        }
        if let s = value(of: p.subject) {
            for (o, chain) in try reach(p.path, from: s, inverse: false) { try emit(s, o, chain) }
        } else if let o = value(of: p.object) {
            for (s, chain) in try reach(p.path, from: o, inverse: true) { try emit(s, o, chain) }
        } else {
            for start in startNodes(p.path) {
                for (o, chain) in try reach(p.path, from: start, inverse: false) { try emit(start, o, chain) }
            }
        }
    }

    /// With both ends free: every node that a statement of the path's predicates touches,
    /// and every entity when the path can take zero steps (`p*`).
    func startNodes(_ path: CompiledPath) -> [Value] {
        var nodes: [Value] = []
        var seen = Set<Value>()
        if path.isNullable {
            for e in 0..<store.entities.count {
                let v = Value.entity(EntityID(e))
                seen.insert(v)
                nodes.append(v)
            }
        }
        for p in path.predicateSet ?? [] {
            for sid in store.statements(withPredicate: p) {
                let i = Int(sid)
                guard asserted[i] else { continue }
                for t in [subjects[i], objects[i]] {
                    let v = store.value(t)
                    if seen.insert(v).inserted { nodes.append(v) }
                }
            }
        }
        return nodes
    }

    // MARK: expressions

    func truth(_ e: CompiledExpr) throws -> Bool {
        switch try eval(e) {
        case .noRecord, .none: return false
        case .integer(let i): return i != 0
        default: return true
        }
    }

    func eval(_ e: CompiledExpr) throws -> Value {
        switch e {
        case .slot(let s): return value(of: s) ?? .noRecord
        case .field(let inner, let field, _): return ops.field(try eval(inner), field)
        case .function(let function, let args, let range): return try ops.function(function, try eval(args[0]), range)
        case .compare(let op, let l, let r, let range):
            return try ops.compare(op, try eval(l), try eval(r), range) ? .integer(1) : .none
        case .regex(let inner, let regex, _):
            let v = try eval(inner)
            if v == .noRecord { return .none }
            return regex.matches(ops.text(v)) ? .integer(1) : .none
        case .aggregate:
            return .noRecord  // evaluated per group by the query runner
        }
    }
}

/// The nodes of one closure and which terms it has reached: entities by a mark per entity
/// (a closure's number, so that starting the next one clears nothing), other terms in a
/// table made fresh only when one is met.
struct PathScratch {
    var nodes: [Term] = []
    var parent: [Int32] = []
    var via: [StatementID] = []
    private var mark: [UInt32] = []
    private var current: UInt32 = 0
    private var others = TermMemo()
    private var hasOthers = false

    mutating func start(entityCount: Int) {
        nodes.removeAll(keepingCapacity: true)
        parent.removeAll(keepingCapacity: true)
        via.removeAll(keepingCapacity: true)
        if mark.count != entityCount {
            mark = Array(repeating: 0, count: entityCount)
            current = 0
        }
        if current == UInt32.max {
            for i in mark.indices { mark[i] = 0 }
            current = 0
        }
        current += 1
        if hasOthers {
            others = TermMemo()
            hasOthers = false
        }
    }

    @inline(__always) func isMarked(_ t: Term) -> Bool {
        if t.kind == Term.entityKind, t.index < mark.count { return mark[t.index] == current }
        return hasOthers && others.truth(of: UInt64(t.raw)) == true
    }

    /// Adds node `t`, reached from node `parent` by statement `via`, and marks it.
    mutating func add(_ t: Term, parent p: Int32, via s: StatementID) {
        nodes.append(t)
        parent.append(p)
        via.append(s)
        if t.kind == Term.entityKind, t.index < mark.count {
            mark[t.index] = current
        } else {
            others.remember(UInt64(t.raw), true)
            hasOthers = true
        }
    }

    /// Leaves `t` (the start) reachable again: a cycle back to it then makes it an answer.
    mutating func unmark(_ t: Term) {
        if t.kind == Term.entityKind, t.index < mark.count {
            mark[t.index] = 0
        } else {
            others.remember(UInt64(t.raw), false)
        }
    }
}
