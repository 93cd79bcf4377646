import Foundation
@testable import KBQ
import Testing

/// Rules' relations (RuleEngine+Fixpoint, read by the batch join's call step) against
/// oracles that share nothing with them: reachability worked out here by a breadth-first
/// search over the generated graph, the path walk (`link+`, its own code), and the
/// general evaluator's naive fixpoint over the same clauses. The graphs are random (cycles,
/// self-loops, a pair stated twice), with a printed seed.
@Suite struct RuleFixpointTests {
    struct Graph {
        let nodes: Int
        let edges: [(Int, Int)]
        let text: String

        init(seed: UInt64, nodes: Int, edges count: Int) {
            var rng = RRandom(seed: seed)
            var edges: [(Int, Int)] = []
            for _ in 0..<count { edges.append((rng.int(nodes), rng.int(nodes))) }
            if let e = edges.first { edges.append(e) }  // one pair stated twice
            self.nodes = nodes
            self.edges = edges
            var t = "type Node\ntype Document\npredicate link\nentity Doc : Document \"Doc\"\n"
            for n in 0..<nodes { t += "entity n\(n) : Node \"node \(n)\"\n" }
            t += "from Doc para 1\n"
            for (a, b) in edges { t += "n\(a) link n\(b)\n" }
            text = t
        }

        /// Pairs (x, y) with a walk of one edge or more from x to y.
        var reach: Set<[String]> {
            var next = Array(repeating: [Int](), count: nodes)
            for (a, b) in edges { next[a].append(b) }
            var out = Set<[String]>()
            for x in 0..<nodes {
                var seen = Set<Int>()
                var queue = next[x]
                while let y = queue.popLast() {
                    guard seen.insert(y).inserted else { continue }
                    out.insert(["n\(x)", "n\(y)"])
                    queue.append(contentsOf: next[y])
                }
            }
            return out
        }

        /// Pairs with a walk of odd length from x to y.
        var odd: Set<[String]> {
            var out = Set<[String]>()
            for x in 0..<nodes {
                var seen = Set<[Int]>()
                var queue = [[x, 0]]
                while let s = queue.popLast() {
                    for (a, b) in edges where a == s[0] {
                        let state = [b, 1 - s[1]]
                        guard seen.insert(state).inserted else { continue }
                        if state[1] == 1 { out.insert(["n\(x)", "n\(b)"]) }
                        queue.append(state)
                    }
                }
            }
            return out
        }
    }

    static let rules = """
    rule left(?x, ?y) := ?x link ?y
    rule left(?x, ?z) := left(?x, ?y), ?y link ?z
    rule right(?x, ?y) := ?x link ?y
    rule right(?x, ?z) := ?x link ?y, right(?y, ?z)
    rule both(?x, ?y) := ?x link ?y
    rule both(?x, ?z) := both(?x, ?y), both(?y, ?z)
    rule lag(?x, ?y) := ?x link ?y
    rule copy(?x, ?y) := lag(?x, ?y)
    rule lag(?x, ?z) := lag(?x, ?y), copy(?y, ?z)
    rule odd(?x, ?y) := ?x link ?y
    rule odd(?x, ?z) := even(?x, ?y), ?y link ?z
    rule even(?x, ?z) := odd(?x, ?y), ?y link ?z
    rule unreached(?x) := ?x is_a Node, not left(n0, ?x)
    rule tagged(?x, "far") := right(n0, ?x)
    rule far_pair(?x, ?y) := tagged(?x, ?t), left(?x, ?y)

    """

    static func load(_ g: Graph, joins: Bool = true) throws -> (FactStore, RuleEngine)? {
        let loaded = Loader.load(text: SourceText(name: "graph.kb", text: g.text + rules), into: FactStore())
        guard case .success(let store) = loaded else {
            Issue.record("the generated graph does not load: \(loaded)")
            return nil
        }
        let engine = try RuleEngine(store: store, rules: store.rules)
        engine.allowJoin = joins
        return (store, engine)
    }

    static func rows(_ text: String, _ store: FactStore, _ rules: RuleEngine, batchJoin: Bool = true) throws -> [BatchJoinTests.Answer] {
        try BatchJoinTests.answers(text, store, rules, batchJoin: batchJoin)
    }

    static func set(_ answers: [BatchJoinTests.Answer]) -> Set<[String]> { Set(answers.map(\.values)) }

    @Test func closuresMatchABreadthFirstSearch() throws {
        let seed = Support.seed("RuleFixpointTests.closures", otherwise: 20261207)
        for round in 0..<4 {
            let g = Graph(seed: seed &+ UInt64(round), nodes: 12 + round * 9, edges: 14 + round * 12)
            guard let (store, rules) = try Self.load(g) else { return }
            let expected = g.reach
            #expect(!expected.isEmpty, "seed \(seed) round \(round): a graph with no walks compares nothing")
            // `copy` lags `lag` by a round: a new tuple of it must meet old ones of `lag`.
            for rule in ["left", "right", "both", "lag"] {
                let answers = try Self.rows("find ?x, ?y where \(rule)(?x, ?y)", store, rules)
                #expect(Self.set(answers) == expected, "\(rule), seed \(seed) round \(round)")
                // A relation is a set: each tuple once.
                #expect(answers.count == expected.count, "\(rule) repeats a tuple, seed \(seed) round \(round)")
            }
            let path = try Self.rows("find distinct ?x, ?y where ?x link+ ?y", store, rules)
            #expect(Self.set(path) == expected, "link+, seed \(seed) round \(round)")
            let odd = try Self.rows("find ?x, ?y where odd(?x, ?y)", store, rules)
            #expect(Self.set(odd) == g.odd, "odd, seed \(seed) round \(round)")
            // Bound arguments read the relation through its index.
            for x in [0, 3] {
                let from = try Self.rows("find ?y where right(n\(x), ?y)", store, rules)
                #expect(Set(from.map { ["n\(x)"] + $0.values }) == expected.filter { $0[0] == "n\(x)" }, "right(n\(x), ?y), seed \(seed)")
            }
            let cycles = try Self.rows("find ?x where both(?x, ?x)", store, rules)
            #expect(Set(cycles.map(\.values)) == Set(expected.filter { $0[0] == $0[1] }.map { [$0[0]] }), "cycles, seed \(seed)")
            let unreached = try Self.rows("find ?x where unreached(?x)", store, rules)
            let reachedFrom0 = Set(expected.filter { $0[0] == "n0" }.map { $0[1] })
            #expect(Set(unreached.map { $0.values[0] }) == Set((0..<g.nodes).map { "n\($0)" }).subtracting(reachedFrom0), "not left(n0, ?x), seed \(seed)")
            // A head naming a value no statement holds: its rule runs through the general
            // evaluator, and a rule calling it too.
            let far = try Self.rows("find ?x, ?y where far_pair(?x, ?y)", store, rules)
            #expect(Self.set(far) == expected.filter { reachedFrom0.contains($0[0]) }, "far_pair, seed \(seed)")
        }
    }

    /// Every answer's evidence is a derivation: its statements are links that lead from
    /// the answer's first node to its second.
    @Test func evidenceIsADerivation() throws {
        let seed = Support.seed("RuleFixpointTests.evidence", otherwise: 20261207)
        let g = Graph(seed: seed, nodes: 15, edges: 25)
        guard let (store, rules) = try Self.load(g) else { return }
        func statements(_ e: [Evidence]) -> [StatementID] {
            e.flatMap { ev -> [StatementID] in
                switch ev {
                case .statement(let s): return [s]
                case .rule(_, _, let because): return statements(because)
                default: return []
                }
            }
        }
        for rule in ["left", "right", "both", "odd"] {
            let answers = try Self.rows("find ?x, ?y where \(rule)(?x, ?y)", store, rules)
            #expect(!answers.isEmpty)
            for a in answers {
                guard a.evidence.count == 1, case .rule(let name, let args, let because) = a.evidence[0] else {
                    Issue.record("\(rule): evidence is not one derivation: \(a.evidence)")
                    continue
                }
                #expect(name == rule && args.map { Display.plain($0, store) } == a.values)
                var next: [String: [String]] = [:]
                for s in statements(because) {
                    let st = store.statement(s)
                    next[Display.plain(st.subject, store), default: []].append(Display.plain(st.object, store))
                }
                var seen = Set<String>()
                var queue = next[a.values[0]] ?? []
                while let n = queue.popLast() { if seen.insert(n).inserted { queue.append(contentsOf: next[n] ?? []) } }
                #expect(seen.contains(a.values[1]), "\(rule) \(a.values): its evidence does not lead there, seed \(seed)")
            }
        }
    }

    final class Countdown: @unchecked Sendable {
        var left: Int
        init(_ n: Int) { left = n }
        func tick() -> Bool {
            left -= 1
            return left < 0
        }
    }

    /// A fixpoint stopped part way (Ctrl-C) keeps no half relation: the next query computes
    /// it whole.
    @Test func anInterruptedFixpointKeepsNothing() throws {
        let g = Graph(seed: 7, nodes: 150, edges: 220)
        guard let (store, rules) = try Self.load(g) else { return }
        let text = "find ?x, ?y where left(?x, ?y)"
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source, rules: Set(store.rules.map(\.syntax.name.text))) else { return }
        let countdown = Countdown(3)
        let stopped = Limits(isCancelled: { countdown.tick() })
        #expect(throws: Interruption.cancelled) {
            try PreparedQuery(q, source: source, store: store, rules: rules).run(limits: stopped) { _ in }
        }
        #expect(countdown.left < 0, "the fixpoint ended before it was stopped: nothing was tested")
        #expect(Self.set(try Self.rows(text, store, rules)) == g.reach)
    }

    /// The semi-naive fixpoint in the batch join and the general evaluator's naive one
    /// derive the same relations; and a query reads them alike through either engine.
    @Test func batchAndGeneralAgree() throws {
        let seed = Support.seed("RuleFixpointTests.agree", otherwise: 20261207)
        let g = Graph(seed: seed, nodes: 20, edges: 30)
        guard let (store, joined) = try Self.load(g), let (_, naive) = try Self.load(g, joins: false) else { return }
        for q in ["find ?x, ?y where left(?x, ?y)", "find ?x, ?y where both(?x, ?y)", "find ?x, ?y where odd(?x, ?y)",
                  "find ?x where unreached(?x)", "find ?x, ?y where far_pair(?x, ?y)",
                  "find ?x, count(*) where ?x link ?y, right(?y, ?z) order by ?x"] {
            // Calls of rules whose heads hold stored terms are join steps.
            #expect(try BatchJoinTests.takes(q, store, joined) == !q.contains("far_pair"), "\(q)")
            let a = try Self.rows(q, store, joined)
            #expect(Self.set(a) == Self.set(try Self.rows(q, store, naive)), "\(q), seed \(seed)")
            #expect(a == (try Self.rows(q, store, joined, batchJoin: false)), "\(q) through the general evaluator, seed \(seed)")
        }
    }
}
