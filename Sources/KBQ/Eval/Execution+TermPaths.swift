/// Paths of steps, alternatives and inverses (`(employed_by|board_member_of)/located_in`)
/// walked over term ids: the index lists read as addresses, each node reached kept once
/// with the node it came from and the statement crossed, a chain made only for an answer.
/// `reach` over Values made a set of Values and a list of chains at every step of every
/// start node (a path with both ends free starts from tens of thousands of nodes).
///
/// Invariant: the answers, their order and their chains are `reach`'s: a step's statements
/// in index order; a sequence's next nodes and an alternative's nodes each kept once, the
/// first chain that reached them; a lone predicate step keeps every statement. Paths with
/// a closure, a predicate variable, `_`, `is_a` or the inverse of a path longer than one
/// statement are left to `reach`.
extension Execution {
    /// The nodes a walk has reached: node k's term, the node it was reached from (-1: a
    /// start) and the statement crossed.
    struct TermWalk {
        var nodes: [Term] = []
        var parent: [Int32] = []
        var via: [StatementID] = []

        /// Emptied, with `t` as its start; returns the start's node.
        mutating func restart(at t: Term) -> Int32 {
            clear()
            return add(t, from: -1, by: -1)
        }

        mutating func clear() {
            nodes.removeAll(keepingCapacity: true)
            parent.removeAll(keepingCapacity: true)
            via.removeAll(keepingCapacity: true)
        }

        mutating func add(_ t: Term, from p: Int32, by s: StatementID) -> Int32 {
            nodes.append(t)
            parent.append(p)
            via.append(s)
            return Int32(nodes.count - 1)
        }

        /// How many statements lead from the start to node `k`.
        func length(_ k: Int32) -> Int {
            var (n, at) = (0, Int(k))
            while parent[at] >= 0 {
                n += 1
                at = Int(parent[at])
            }
            return n
        }

        /// The statements from the start to node `k`, in the path's order.
        func chain(_ k: Int32, inverse: Bool) -> [StatementID] {
            var out: [StatementID] = []
            var at = Int(k)
            while parent[at] >= 0 {
                out.append(via[at])
                at = Int(parent[at])
            }
            return inverse ? out : out.reversed()
        }
    }

    /// Off in tests that hold this walk to `reach`.
    nonisolated(unsafe) static var allowTermPaths = true

    /// Whether `termReach` walks `path`.
    static func walksTerms(_ path: CompiledPath) -> Bool {
        guard allowTermPaths else { return false }
        return walkable(path)
    }

    private static func walkable(_ path: CompiledPath) -> Bool {
        switch path {
        case .predicates: return true
        // The inverse of a longer path keeps its own chain's order in `reach`, not the
        // order the walk crosses it; a path whose chains cross one statement each
        // (`^(employed_by|board_member_of)`) has no order to keep.
        case .inverse(let p): return JoinPlan.chainSlots(p) == 1 && walkable(p)
        case .sequence(let ps), .alternative(let ps): return ps.allSatisfy(walkable)
        case .oneOrMore(let p), .zeroOrMore(let p): return p.singleStep != nil
        default: return false
        }
    }

    /// The nodes `path` reaches from node `from` of `walk` (added to it), in `reach`'s order.
    func termReach(_ path: CompiledPath, from: Int32, inverse: Bool, _ walk: inout TermWalk) throws -> [Int32] {
        var out: [Int32] = []
        try termReach(path, steps: TermSteps(path, inverse: inverse), from: from, inverse: inverse, &walk, into: &out)
        return out
    }

    /// `termReach` of `path` by its levels when it has them (`steps`: `TermSteps(path,
    /// inverse:)`, made once by the caller, with `tables`, its `levelTable`s, when the
    /// caller made them), else by the recursive walk.
    func termReach(_ path: CompiledPath, steps: TermSteps?, tables: [KeyedStatements]? = nil, from: Int32, inverse: Bool,
                   _ walk: inout TermWalk, into out: inout [Int32]) throws {
        if let steps {
            try termReach(steps, tables: tables, from: from, &walk, into: &out)
        } else {
            try termReach(path, from: from, inverse: inverse, &walk, depth: 0, into: &out)
        }
    }

    /// A path that `termReach(_: TermSteps...)` walks level by level, with no recursion: a
    /// sequence whose every part is one step (predicates crossed one way) or alternatives
    /// of such steps, as in `(employed_by|board_member_of)/^located_in`; or such
    /// alternatives alone. Each level is its steps in order, inverses pushed into them.
    ///
    /// The same nodes, in the same order, with the same chains as the recursive walk: there
    /// a level keeps, across the frontier, the first node each term is met at (an
    /// alternative's own dedup keeps first meetings too, so it changes nothing), and that
    /// is what one seen-set per level keeps here. A lone step (`p`, `^p`) is not one: the
    /// recursive walk keeps every statement it crosses, repeats included.
    struct TermSteps {
        struct Step {
            let predicates: [PredicateID]
            let inverse: Bool
        }

        let levels: [[Step]]

        init?(_ path: CompiledPath, inverse: Bool = false) {
            guard let levels = TermSteps.levels(path, inverse: inverse) else { return nil }
            self.levels = levels
        }

        private static func levels(_ path: CompiledPath, inverse: Bool) -> [[Step]]? {
            switch path {
            case .sequence(let parts) where !inverse:
                var levels: [[Step]] = []
                for part in parts {
                    guard let steps = steps(part, inverse: false) else { return nil }
                    levels.append(steps)
                }
                return levels
            case .alternative: return steps(path, inverse: inverse).map { [$0] }
            case .inverse(let inner):
                guard case .alternative = inner else { return nil }
                return levels(inner, inverse: !inverse)
            default: return nil
            }
        }

        private static func steps(_ path: CompiledPath, inverse: Bool) -> [Step]? {
            switch path {
            case .predicates(let ps): return [Step(predicates: ps, inverse: inverse)]
            case .inverse(let inner): return steps(inner, inverse: !inverse)
            case .alternative(let parts):
                var all: [Step] = []
                for part in parts {
                    guard let some = steps(part, inverse: inverse) else { return nil }
                    all += some
                }
                return all
            default: return nil
            }
        }
    }

    /// `termReach` of a path of `TermSteps`, the nodes appended to `out`; each level read
    /// from its table in `tables` (`levelTable`) when given, else each step from the index.
    func termReach(_ steps: TermSteps, tables: [KeyedStatements]? = nil, from: Int32, _ walk: inout TermWalk, into out: inout [Int32]) throws {
        var (frontier, next) = (takeBuffer(0, 0), takeBuffer(0, 1))
        var seen = takeSeen(0)
        defer {
            (walkBuffers[0], walkBuffers[1]) = (frontier, next)
            walkSeen[0] = seen
        }
        frontier.append(from)
        for (l, level) in steps.levels.enumerated() {
            next.removeAll(keepingCapacity: true)
            seen.clear()
            if let table = tables?[l] {
                try table.withGroups { groups in
                    for node in frontier {
                        try tick()
                        groups.forEach(walk.nodes[Int(node)].raw) { value, sid in
                            let t = Term(raw: UInt32(truncatingIfNeeded: value))
                            if seen.insert(t) { next.append(walk.add(t, from: node, by: sid)) }
                        }
                    }
                }
            } else {
                for node in frontier {
                    try tick()
                    let at = walk.nodes[Int(node)]
                    for s in level {
                        step(s.predicates, from: at, inverse: s.inverse) { t, sid in
                            if seen.insert(t) { next.append(walk.add(t, from: node, by: sid)) }
                        }
                    }
                }
            }
            swap(&frontier, &next)
        }
        out.append(contentsOf: frontier)
    }

    /// `termReach` of a path of levels, read from their tables (`levelTable`, one a level,
    /// in order), from each of `starts`, all at once: each level crossed from every start's frontier before the next, so that a
    /// level's table is taken up once, not once a start, and the walk's lists are set up
    /// once (a path with both ends free starts from tens of thousands of nodes, most
    /// reaching a few). Each start's frontier stays together, in the order of `starts`, its
    /// nodes in the order its own walk gives them, met once each (the level's set emptied
    /// where the next start's nodes begin): the same nodes, chains and order as a walk
    /// from each start in turn. `walk` is emptied first; appends the nodes reached to
    /// `out` and to `startOf` the start of each (its place in `starts`).
    func termReach(levels tables: [KeyedStatements], from starts: ArraySlice<Term>, _ walk: inout TermWalk,
                   into out: inout [Int32], startOf: inout [Int32]) throws {
        var (frontier, next, frontierStart, nextStart) = (takeBuffer(0, 0), takeBuffer(0, 1), takeBuffer(0, 2), takeBuffer(1, 0))
        var seen = takeSeen(0)
        defer {
            (walkBuffers[0], walkBuffers[1], walkBuffers[2], walkBuffers[3]) = (frontier, next, frontierStart, nextStart)
            walkSeen[0] = seen
        }
        walk.clear()
        for (k, start) in starts.enumerated() {
            frontier.append(walk.add(start, from: -1, by: -1))
            frontierStart.append(Int32(k))
        }
        for table in tables {
            next.removeAll(keepingCapacity: true)
            nextStart.removeAll(keepingCapacity: true)
            try table.withGroups { groups in
                var current: Int32 = -1
                for (i, node) in frontier.enumerated() {
                    try tick()
                    let start = frontierStart[i]
                    if start != current {
                        seen.clear()
                        current = start
                    }
                    groups.forEach(walk.nodes[Int(node)].raw) { value, sid in
                        let t = Term(raw: UInt32(truncatingIfNeeded: value))
                        if seen.insert(t) {
                            next.append(walk.add(t, from: node, by: sid))
                            nextStart.append(start)
                        }
                    }
                }
            }
            swap(&frontier, &next)
            swap(&frontierStart, &nextStart)
        }
        out.append(contentsOf: frontier)
        startOf.append(contentsOf: frontierStart)
    }

    /// A level's statements by the node they leave from, each with the node it reaches:
    /// what its steps (`step(s.predicates, from:, inverse:)`) read from the index, one
    /// after another, for a walk from every start node. Read from the index, a node's
    /// whole run is scanned for each step's predicates; the table holds the level's
    /// statements alone, a node's in one group: each step's in statement order, as the
    /// index gives them, the steps in the level's order. Made once for the store (it
    /// depends on nothing else) and kept for the next query (`FactStore.derived`).
    func levelTable(_ level: [TermSteps.Step]) -> KeyedStatements {
        return store.derived("path level " + Execution.levelKey(level)) {
            var (keys, sids, values): ([UInt32], [StatementID], [UInt64]) = ([], [], [])
            for s in level {
                var stepSids: [StatementID] = []
                for p in s.predicates {
                    for sid in store.statements(withPredicate: p) where asserted[Int(sid)] { stepSids.append(sid) }
                }
                // Several predicates' lists, one after another: a node's statements must
                // come in statement order.
                if s.predicates.count > 1 { stepSids.sort() }
                let (from, to) = s.inverse ? (objects, subjects) : (subjects, objects)
                for sid in stepSids {
                    keys.append(from[Int(sid)].raw)
                    values.append(UInt64(to[Int(sid)].raw))
                }
                sids += stepSids
            }
            return KeyedStatements(keys: keys, sids: sids, values: values, width: 1)
        }
    }

    /// `termReach`, the nodes appended to `out`. `depth`: how many sequences and
    /// alternatives enclose this one, each keeping the nodes it has met in its own level of
    /// `walkSeen` and its lists in its own buffers of `walkBuffers` (a walk runs from every
    /// start node of a path with both ends free: a set and arrays made at every level of
    /// every start cost more than the walk).
    func termReach(_ path: CompiledPath, from: Int32, inverse: Bool, _ walk: inout TermWalk, depth: Int, into out: inout [Int32]) throws {
        switch path {
        case .predicates(let ps):
            step(ps, from: walk.nodes[Int(from)], inverse: inverse) { n, sid in out.append(walk.add(n, from: from, by: sid)) }
        case .inverse(let inner):
            try termReach(inner, from: from, inverse: !inverse, &walk, depth: depth, into: &out)
        case .sequence(let parts):
            var (frontier, next, reached) = (takeBuffer(depth, 0), takeBuffer(depth, 1), takeBuffer(depth, 2))
            var seen = takeSeen(depth)
            defer {
                (walkBuffers[depth * 3], walkBuffers[depth * 3 + 1], walkBuffers[depth * 3 + 2]) = (frontier, next, reached)
                walkSeen[depth] = seen
            }
            frontier.append(from)
            for part in (inverse ? parts.reversed() : parts) {
                next.removeAll(keepingCapacity: true)
                seen.clear()
                for node in frontier {
                    try tick()
                    reached.removeAll(keepingCapacity: true)
                    try termReach(part, from: node, inverse: inverse, &walk, depth: depth + 1, into: &reached)
                    for n in reached where seen.insert(walk.nodes[Int(n)]) { next.append(n) }
                }
                swap(&frontier, &next)
            }
            out.append(contentsOf: frontier)
        case .alternative(let parts):
            var reached = takeBuffer(depth, 0)
            var seen = takeSeen(depth)
            defer {
                walkBuffers[depth * 3] = reached
                walkSeen[depth] = seen
            }
            seen.clear()
            for part in parts {
                reached.removeAll(keepingCapacity: true)
                try termReach(part, from: from, inverse: inverse, &walk, depth: depth + 1, into: &reached)
                for n in reached where seen.insert(walk.nodes[Int(n)]) { out.append(n) }
            }
        case .oneOrMore(let inner), .zeroOrMore(let inner):
            guard let (ps, backwards) = inner.singleStep else { break }
            try termClosure(ps, inverse: inverse != backwards, from: from, zeroSteps: path.isNullable, &walk, depth: depth, into: &out)
        default:
            break
        }
    }

    /// A closure of one step (`part_of+`, `part_of*`) from node `from`, breadth first: the
    /// nodes in `closure`'s order, each once with its first (shortest) chain. The nodes
    /// reached are themselves the queue, read from where this call began appending.
    /// `zeroSteps` adds the start itself first, when it is an entity; without it the start
    /// is left unmet, so that a cycle back to it makes it an answer.
    private func termClosure(_ ps: [PredicateID], inverse: Bool, from: Int32, zeroSteps: Bool, _ walk: inout TermWalk,
                             depth: Int, into out: inout [Int32]) throws {
        var seen = takeSeen(depth)
        defer { walkSeen[depth] = seen }
        seen.clear()
        let base = out.count
        // With zero steps the start is the first node reached (and expanded from there);
        // without, it is expanded first, unmet.
        let expandsStart = !(zeroSteps && walk.nodes[Int(from)].kind == Term.entityKind)
        if !expandsStart {
            _ = seen.insert(walk.nodes[Int(from)])
            out.append(from)
        }
        /// The breadth-first walk, each node expanded by `expand` in the order reached.
        func breadthFirst(_ expand: (Int32) -> Void) throws {
            if expandsStart {
                try tick()
                expand(from)
            }
            var head = base
            while head < out.count {
                try tick()
                expand(out[head])
                head += 1
            }
        }
        // Past a few closures in a run (one from every start), the step is read from its
        // table (`levelTable`, kept with the store, and by this execution for the run):
        // from the index, each node's whole run was read for the step's predicates, a
        // cache miss at nearly every statement of a store of millions.
        closureWalks += 1
        guard closureWalks > Execution.closureTablesAfter else {
            try breadthFirst { node in
                step(ps, from: walk.nodes[Int(node)], inverse: inverse) { n, sid in
                    if seen.insert(n) { out.append(walk.add(n, from: node, by: sid)) }
                }
            }
            return
        }
        if closureTable?.predicates != ps || closureTable?.inverse != inverse {
            closureTable = (ps, inverse, levelTable([TermSteps.Step(predicates: ps, inverse: inverse)]))
        }
        try closureTable!.table.withGroups { groups in
            try breadthFirst { node in
                groups.forEach(walk.nodes[Int(node)].raw) { value, sid in
                    let t = Term(raw: UInt32(truncatingIfNeeded: value))
                    if seen.insert(t) { out.append(walk.add(t, from: node, by: sid)) }
                }
            }
        }
    }

    /// How many closures a run walks from the index before reading their steps' tables.
    /// (Tests make it 0, so that every closure reads the table.)
    nonisolated(unsafe) static var closureTablesAfter = 64

    /// Buffer `k` of level `depth`, emptied and moved out (so that appending to it copies
    /// nothing); the caller puts it back.
    private func takeBuffer(_ depth: Int, _ k: Int) -> [Int32] {
        while walkBuffers.count < (depth + 1) * 3 { walkBuffers.append([]) }
        var b: [Int32] = []
        swap(&b, &walkBuffers[depth * 3 + k])
        b.removeAll(keepingCapacity: true)
        return b
    }

    /// Level `depth` of `walkSeen` (made when first needed), moved out (so that marking it
    /// copies nothing); the caller empties it and puts it back.
    private func takeSeen(_ depth: Int) -> TermSeen {
        while walkSeen.count <= depth { walkSeen.append(TermSeen(entityCount: store.entities.count)) }
        var seen = TermSeen(entityCount: 0)
        swap(&seen, &walkSeen[depth])
        return seen
    }

    /// `solvePath` for a path `termReach` walks, from each start term: the answers as
    /// `reach` gives them, Values and chains made for the answers alone.
    func solveTermPath(_ p: CompiledPattern, _ starts: [Term], inverse: Bool, _ emit: (Value, Value, [StatementID]) throws -> Void) throws {
        var walk = TermWalk()
        let steps = TermSteps(p.path, inverse: inverse)
        var reached: [Int32] = []
        for start in starts {
            try tick()
            let root = walk.restart(at: start)
            reached.removeAll(keepingCapacity: true)
            try termReach(p.path, steps: steps, from: root, inverse: inverse, &walk, into: &reached)
            guard !reached.isEmpty else { continue }
            let from = store.value(start)
            for n in reached {
                let to = store.value(walk.nodes[Int(n)])
                try inverse ? emit(to, from, walk.chain(n, inverse: true)) : emit(from, to, walk.chain(n, inverse: false))
            }
        }
    }

    /// A level's steps as a key of `FactStore.derived`.
    static func levelKey(_ level: [TermSteps.Step]) -> String {
        level.map { "\($0.inverse ? "^" : "")\($0.predicates)" }.joined(separator: "|")
    }

    /// `startTerms` for a walk from every start, made once for the store and kept
    /// (`FactStore.derived`): with the path's first level and its table (`levelTable`),
    /// only the terms that level leaves from.
    func startTerms(_ path: CompiledPath, firstLevel: (steps: [TermSteps.Step], table: KeyedStatements)?) -> [Term] {
        let leaving = firstLevel.map { "from " + Execution.levelKey($0.steps) } ?? "all"
        return store.derived("path starts \(path.predicateSet ?? []) \(path.isNullable) \(leaving)") {
            startTerms(path, leaves: firstLevel.map { level in { !level.table.group($0.raw).isEmpty } })
        }
    }

    /// `startNodes` as terms, in its order. With
    /// `leaves` (whether the path's first level leaves from a node), only those nodes: a
    /// walk from any other reaches nothing, so the answers and their order are the same,
    /// without a walk started from every country a `located_in` points at.
    func startTerms(_ path: CompiledPath, leaves: ((Term) -> Bool)? = nil) -> [Term] {
        var nodes: [Term] = []
        // A set, not marks per entity, for a path of few statements: the general evaluator
        // asks at every solution that reaches a path with both ends free, and clearing a
        // mark per entity each time would cost more than the path's statements. For many
        // statements, a bit per entity (a hash a statement's end was most of the search).
        let entityCount = store.entities.count
        let statements = (path.predicateSet ?? []).reduce(0) { $0 + store.statements(withPredicate: $1).count }
        var entityBits = [UInt64](repeating: 0, count: statements * 8 >= entityCount ? (entityCount + 63) / 64 : 0)
        var seen = Set<UInt32>()
        func add(_ t: Term) {
            let new: Bool
            if t.kind == Term.entityKind, t.index < entityBits.count * 64 {
                let (word, bit) = (t.index >> 6, UInt64(1) << UInt64(t.index & 63))
                new = entityBits[word] & bit == 0
                entityBits[word] |= bit
            } else {
                new = seen.insert(t.raw).inserted
            }
            if new, leaves?(t) ?? true { nodes.append(t) }
        }
        for p in path.predicateSet ?? [] {
            for sid in store.statements(withPredicate: p) {
                let i = Int(sid)
                guard asserted[i] else { continue }
                add(subjects[i])
                add(objects[i])
            }
        }
        // A path of zero steps relates every entity to itself: they come first, in id
        // order, then the other terms its statements touch (`startNodes`). (Such a path
        // has no levels, so no `leaves`.)
        if path.isNullable { return (0..<entityCount).map { Term(entity: EntityID($0)) } + nodes.filter { $0.kind != Term.entityKind } }
        return nodes
    }
}

/// The terms one level of a term walk has met: in a set at first; once the level has met
/// many over the execution's walks (a walk from every start node), entities by a mark per
/// entity (the level's round number, so that emptying it clears nothing) and other terms
/// in the set. An execution whose walks meet few terms never pays for marks as many as the
/// entities.
struct TermSeen {
    private let entityCount: Int
    private var mark: [UInt32] = []
    private var round: UInt32 = 1
    private var others = Set<UInt32>()
    private var met = 0

    init(entityCount: Int) { self.entityCount = entityCount }

    mutating func clear() {
        if mark.isEmpty, met > 4096 { mark = Array(repeating: 0, count: entityCount) }
        if round == UInt32.max {
            for i in mark.indices { mark[i] = 0 }
            round = 0
        }
        round += 1
        if !others.isEmpty { others.removeAll(keepingCapacity: true) }
    }

    /// Whether `t` was not met yet (it is now).
    @inline(__always) mutating func insert(_ t: Term) -> Bool {
        guard t.kind == Term.entityKind, t.index < mark.count else {
            met += 1
            return others.insert(t.raw).inserted
        }
        if mark[t.index] == round { return false }
        mark[t.index] = round
        return true
    }
}
