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
    func closure(_ step: CompiledPath, from start: Value, inverse: Bool, includeStart: Bool) throws -> [(Value, [StatementID])] {
        var out: [(Value, [StatementID])] = includeStart ? [(start, [])] : []
        var seen: Set<Value> = includeStart ? [start] : []
        var queue: [(Value, [StatementID])] = [(start, [])]
        var head = 0
        func visit(_ n: Value, _ chain: [StatementID]) {
            guard seen.insert(n).inserted else { return }
            out.append((n, chain))
            queue.append((n, chain))
        }
        while head < queue.count {
            let (node, ev) = queue[head]
            head += 1
            try tick()
            if case .predicates(let ps) = step {
                // One predicate step (`part_of+`): straight from the index, no list per node.
                for sid in inverse ? store.statements(withObject: node) : store.statements(withSubject: node) {
                    let i = Int(sid)
                    guard asserted[i], ps.contains(predicates[i]) else { continue }
                    let n = store.value(inverse ? subjects[i] : objects[i])
                    if seen.contains(n) { continue }
                    visit(n, inverse ? [sid] + ev : ev + [sid])
                }
                continue
            }
            for (n, e) in try reach(step, from: node, inverse: inverse) where !seen.contains(n) {
                visit(n, inverse ? e + ev : ev + e)
            }
        }
        return out
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

    /// With both ends free: every node that a statement of the path's predicates touches.
    func startNodes(_ path: CompiledPath) -> [Value] {
        var nodes: [Value] = []
        var seen = Set<Value>()
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
        case .field(let inner, let name, _): return ops.field(try eval(inner), name)
        case .function(let name, let args, let range): return try ops.function(name, try eval(args[0]), range)
        case .compare(let op, let l, let r, let range):
            return try ops.compare(op, try eval(l), try eval(r), range) ? .integer(1) : .none
        case .regex(let inner, let regex, _):
            let v = try eval(inner)
            if v == .noRecord { return .none }
            return ops.text(v).contains(regex) ? .integer(1) : .none
        case .aggregate:
            return .noRecord  // evaluated per group by the query runner
        }
    }
}
