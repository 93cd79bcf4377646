/// Per set of predicates: a bound on the statements a closure over them (`p+`, `p*`)
/// crosses from a start to any node it reaches, found the first time a plan asks, then
/// kept with the store (`FactStore.derived`).
///
/// A closure's chains are breadth-first, so shortest, so simple: a chain never meets a node
/// twice, but for `p+`'s chain from a start back to itself, a simple one and one statement
/// more. A simple chain crosses the strongly connected components of the predicates' graph
/// in an order the graph allows, meeting at most every node of each, so it crosses fewer
/// statements than the heaviest path of components weighs, a component weighing its node
/// count; the chain back to a start stays in the start's component, and crosses at most as
/// many statements as that weighs. So the bound is the heaviest weight, less one when the
/// graph has no cycle: then it is the longest path (`part_of`, `located_in`), which a chain
/// may take. A join's row keeps a chain in slots of its own, so a closure the join can
/// take needs such a bound; past `cap`, none is given.
enum ClosureDepths {
    /// The join's path evidence counts a chain in one byte (`JoinPlan.pathMarker`).
    static let cap = 254

    /// The bound for predicates `ps`, either way; nil when it passes `cap`.
    static func bound(_ ps: [PredicateID], _ store: FactStore) -> Int? {
        let key = ps.sorted()
        let found = store.derived("closure bound \(key)") { heaviestPath(key, store, cap: cap) }
        return found <= cap ? found : nil
    }

    /// The statements a chain can cross: the heaviest path of components, less one without
    /// a cycle; `cap + 1` once that is certain to pass `cap`.
    static func heaviestPath(_ ps: [PredicateID], _ store: FactStore, cap: Int) -> Int {
        let graph = Graph(ps, store)
        let n = graph.nodeCount
        guard n > 0 else { return 0 }
        let component = graph.components()
        let componentCount = Int(component.max().map { $0 + 1 } ?? 0)
        // Tarjan's numbering: a component comes after every component it reaches, so each
        // weight is final before a component that reaches it is weighed.
        var members = [[Int32]](repeating: [], count: componentCount)
        for v in 0..<n { members[Int(component[v])].append(Int32(v)) }
        var weight = [Int](repeating: 0, count: componentCount)
        var heaviest = 0
        var cyclic = false
        for c in 0..<componentCount {
            if members[c].count > cap + 1 { return cap + 1 }
            if members[c].count > 1 { cyclic = true }
            var below = 0
            for v in members[c] {
                for e in graph.edges(of: Int(v)) {
                    let d = Int(component[Int(graph.targets[e])])
                    if d != c { below = max(below, weight[d]) }
                    // A statement from a node to itself: a cycle of one.
                    if graph.targets[e] == v { cyclic = true }
                }
            }
            weight[c] = members[c].count + below
            heaviest = max(heaviest, weight[c])
            if heaviest > cap + 1 { return cap + 1 }
        }
        return cyclic ? heaviest : heaviest - 1
    }

    /// The predicates' asserted statements as edges from subject to object, over nodes
    /// numbered densely, in compressed rows.
    struct Graph {
        var nodeCount = 0
        var starts: [Int32] = [0]
        var targets: [Int32] = []

        init(_ ps: [PredicateID], _ store: FactStore) {
            let table = store.table
            var number = [Int32](repeating: -1, count: store.entities.count)
            var others: [UInt32: Int32] = [:]
            var count: Int32 = 0
            func node(_ t: Term) -> Int32 {
                if t.kind == Term.entityKind, t.index < number.count {
                    if number[t.index] < 0 {
                        number[t.index] = count
                        count += 1
                    }
                    return number[t.index]
                }
                if let k = others[t.raw] { return k }
                others[t.raw] = count
                count += 1
                return count - 1
            }
            var pairs: [(Int32, Int32)] = []
            for p in ps {
                for sid in store.statements(withPredicate: p) where table.asserted[Int(sid)] {
                    pairs.append((node(table.subject[Int(sid)]), node(table.object[Int(sid)])))
                }
            }
            nodeCount = Int(count)
            var degree = [Int32](repeating: 0, count: nodeCount + 1)
            for (s, _) in pairs { degree[Int(s) + 1] += 1 }
            for v in 0..<nodeCount { degree[v + 1] += degree[v] }
            starts = degree
            var at = degree
            targets = [Int32](repeating: 0, count: pairs.count)
            for (s, o) in pairs {
                targets[Int(at[Int(s)])] = o
                at[Int(s)] += 1
            }
        }

        func edges(of v: Int) -> Range<Int> { Int(starts[v])..<Int(starts[v + 1]) }

        /// Each node's strongly connected component (Tarjan's, without recursion: a
        /// chain of a million nodes would overflow the stack), numbered in the order they
        /// close, which is after every component they reach.
        func components() -> [Int32] {
            let n = nodeCount
            var index = [Int32](repeating: -1, count: n)
            var low = [Int32](repeating: 0, count: n)
            var onStack = [Bool](repeating: false, count: n)
            var component = [Int32](repeating: -1, count: n)
            var stack: [Int32] = []
            var calls: [(node: Int32, edge: Int32)] = []
            var (counter, closed): (Int32, Int32) = (0, 0)
            func open(_ v: Int32) {
                index[Int(v)] = counter
                low[Int(v)] = counter
                counter += 1
                stack.append(v)
                onStack[Int(v)] = true
                calls.append((v, starts[Int(v)]))
            }
            for root in 0..<n where index[root] < 0 {
                open(Int32(root))
                while let (v, e) = calls.last {
                    if e < starts[Int(v) + 1] {
                        calls[calls.count - 1].edge += 1
                        let w = targets[Int(e)]
                        if index[Int(w)] < 0 {
                            open(w)
                        } else if onStack[Int(w)] {
                            low[Int(v)] = min(low[Int(v)], index[Int(w)])
                        }
                        continue
                    }
                    calls.removeLast()
                    if low[Int(v)] == index[Int(v)] {
                        while let w = stack.popLast() {
                            onStack[Int(w)] = false
                            component[Int(w)] = closed
                            if w == v { break }
                        }
                        closed += 1
                    }
                    if let parent = calls.last?.node { low[Int(parent)] = min(low[Int(parent)], low[Int(v)]) }
                }
            }
            return component
        }
    }
}
