import Foundation
@testable import KBQ
import Testing

/// A closure joins only with a bound on its chains (`ClosureDepths`), since a row keeps its
/// chain in slots counted at plan time. Held to a breadth-first search from every node, each
/// way, on random graphs with cycles, literals and repeated edges: no chain is longer than
/// the bound (a chain back to its start included), and on a graph without cycles the bound
/// is the longest path, which some chain takes.
@Suite struct ClosureDepthsTests {
    @Test func theBoundHoldsEveryChain() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        print("ClosureDepthsTests seed \(seed)")
        var rng = RRandom(seed: seed)
        for round in 0..<40 {
            let acyclic = round % 2 == 0
            let nodes = round == 1 ? 1 : 2 + rng.int(30)
            var edges: [(Int, Int)] = []
            var text = "type T\ntype Document\npredicate p\npredicate q\nentity D : Document\n"
            for i in 0..<nodes { text += "entity E\(i) : T\n" }
            text += "from D para 1\n"
            // A ring: the chain from a start back to itself crosses every statement, one
            // more than any chain that meets no node twice (a ring of one: a loop).
            let ring = round % 4 == 1
            if ring {
                for i in 0..<nodes {
                    edges.append((i, (i + 1) % nodes))
                    text += "E\(i) p E\((i + 1) % nodes)\n"
                }
            }
            for _ in 0..<(ring ? 0 : rng.int(nodes * 2)) {
                var (a, b) = (rng.int(nodes), rng.int(nodes))
                if acyclic {
                    guard a != b else { continue }
                    (a, b) = (min(a, b), max(a, b))
                }
                edges.append((a, b))
                text += "E\(a) p E\(b)\n"
                if rng.chance(0.2) { text += "E\(a) p E\(b)\n" }
                if rng.chance(0.2) { text += "E\(b) q E\(a)\n" }
            }
            // A literal end: a node of its own, with no way on.
            let hasLiteral = nodes > 2 && !ring
            if hasLiteral { text += "E1 p \(rng.int(3))\n" }
            guard let (store, _) = try BatchJoinTests.generated(text, "closure-\(round).kb") else { return }
            let p = store.predicateID("p")!
            let bound = ClosureDepths.heaviestPath([p], store, cap: 1000)
            var adjacency = [[Int]](repeating: [], count: nodes + 1)
            var reverse = adjacency
            for (a, b) in edges {
                adjacency[a].append(b)
                reverse[b].append(a)
            }
            if hasLiteral {
                adjacency[1].append(nodes)
                reverse[nodes].append(1)
            }
            var longestChain = 0
            for start in 0...nodes {
                longestChain = max(longestChain, ClosureDepthsTests.deepest(from: start, adjacency), ClosureDepthsTests.deepest(from: start, reverse))
            }
            #expect(longestChain <= bound, "round \(round): a chain of \(longestChain) over a bound of \(bound), seed \(seed)")
            if acyclic {
                #expect(bound == ClosureDepthsTests.longestPath(adjacency), "round \(round), seed \(seed)")
            }
            if ring { #expect(longestChain == bound, "round \(round), seed \(seed)") }
            // The store's own answer: the same, either way the predicates are listed.
            #expect(store.closureChainBound([p]) == bound)
        }
    }

    /// Past the cap, no bound: a closure along a chain of 300 statements is left to the
    /// general evaluator, with the same answers.
    @Test func aClosurePastTheCapIsTheGeneralEvaluators() throws {
        var text = "type T\ntype Document\npredicate p\nentity D : Document\n"
        for i in 0...300 { text += "entity E\(i) : T\n" }
        text += "from D para 1\n"
        for i in 0..<300 { text += "E\(i) p E\(i + 1)\n" }
        guard let (store, rules) = try BatchJoinTests.generated(text, "long-chain.kb") else { return }
        let p = store.predicateID("p")!
        #expect(ClosureDepths.heaviestPath([p], store, cap: ClosureDepths.cap) == ClosureDepths.cap + 1)
        #expect(store.closureChainBound([p]) == nil)
        let q = "find ?x where E0 p+ ?x"
        #expect(try !BatchJoinTests.takes(q, store, rules))
        let answers = try BatchJoinTests.answers(q, store, rules, batchJoin: true)
        #expect(answers.count == 300)
        #expect(answers.last?.evidence.contains { if case .path(let c) = $0 { c.count == 300 } else { false } } == true)
    }

    /// The most edges a breadth-first chain from `start` crosses, the chain back to the
    /// start itself (`p+`) included.
    static func deepest(from start: Int, _ adjacency: [[Int]]) -> Int {
        var depth = [Int](repeating: -1, count: adjacency.count)
        depth[start] = 0
        var queue = [start]
        var head = 0
        while head < queue.count {
            let v = queue[head]
            head += 1
            for w in adjacency[v] where depth[w] < 0 {
                depth[w] = depth[v] + 1
                queue.append(w)
            }
        }
        let back = adjacency.indices.filter { depth[$0] >= 0 && adjacency[$0].contains(start) }.map { depth[$0] + 1 }
        return max(depth.max() ?? 0, back.max() ?? 0)
    }

    /// The longest path of an acyclic graph whose edges go from lower to higher numbers
    /// (the literal, numbered last, only ends one).
    static func longestPath(_ adjacency: [[Int]]) -> Int {
        var longest = [Int](repeating: 0, count: adjacency.count)
        for v in adjacency.indices.reversed() {
            for w in adjacency[v] { longest[v] = max(longest[v], longest[w] + 1) }
        }
        return longest.max() ?? 0
    }
}
