import Foundation
@testable import KBQ
import Testing

/// Counts over joins that form a tree are counted without making their answers
/// (FactorizedCount). Each is held to the general evaluator (another engine, which makes
/// every answer): the same counts, and the same evidence, that of the first answers.
@Suite struct FactorizedCountTests {
    /// A generated case: two types, three predicates between entities (`p` skewed so that
    /// some entities have many), integer objects and qualifiers to join on, and a
    /// statement stated twice.
    static func store(_ seed: UInt64) throws -> (FactStore, RuleEngine)? {
        var rng = RRandom(seed: seed)
        var text = "type T\ntype U : T\ntype Document\npredicate p\npredicate q\npredicate r\npredicate s : p\nstance claims\nkey k\nentity D : Document\n"
        for i in 0..<150 { text += "entity E\(i) : \(rng.chance(0.3) ? "U" : "T")\n" }
        text += "from D para 1\n"
        for i in 0..<150 {
            for _ in 0..<rng.int(i % 10 == 0 ? 25 : 5) {
                let qualifier = rng.chance(0.3) ? " {k: \(rng.int(5))}" : ""
                text += "E\(i) \(rng.chance(0.2) ? "s" : "p") E\(rng.int(rng.chance(0.5) ? 20 : 150))\(qualifier)\n"
            }
            if rng.chance(0.6) { text += "E\(i) q \(rng.int(6))\n" }
            if rng.chance(0.3) { text += "E\(i) r E\(rng.int(150))\n" }
            // Quoted statements, in the same index lists as the asserted ones: a pattern
            // must not count them.
            if rng.chance(0.2) { text += "E\(i) claims [E\(rng.int(20)) \(rng.chance(0.5) ? "p" : "s") E\(rng.int(150))]\n" }
        }
        // A statement stated twice, and one that gives its key twice (read by its first value).
        text += "E1 p E2\nE1 p E2\nE2 p E3 {k: 1, k: 4}\n"
        guard case .success(let store) = Loader.load(text: SourceText(name: "trees.kb", text: text), into: FactStore()) else { return nil }
        return (store, try RuleEngine(store: store, rules: []))
    }

    @Test func treeCountsAgreeWithTheGeneralEvaluator() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261205
        print("FactorizedCountTests seed \(seed)")
        guard let (store, rules) = try Self.store(seed) else {
            Issue.record("the generated case does not load")
            return
        }
        var factorized = 0
        var pages = 0
        var queries: [String] = [
            // Atoms read from the index lists (FactorizedCount.linkCounts): a predicate
            // variable and its filters, a constant end, sub-predicates, a filter on an end.
            "find count(*) where ?a ?p ?b, ?p != q, ?b is_a U",
            "find count(*) where ?a ?p ?b, ?p = s, ?b p ?c",
            "find ?b, count(*) as ?n where ?a ?p ?b, ?p != r, ?b is_a U group by ?b order by ?n desc, ?b limit 3",
            "find count(*) where ?a p E3, ?a p ?b",
            // Links with a qualifier (and a statement variable, free).
            "find ?n, count(?s) as ?c where _ _ ?b {k: ?n} as ?s, ?b is_a U group by ?n order by ?c desc, ?n limit 3",
            "find count(*) where ?a p ?b {k: ?n}, ?b p ?c, ?n > 1",
            "find count(*) where ?a p ?b {k: 2}, ?b r ?c",
            "find ?b, count(*) as ?c where ?a ?p ?b {k: ?n}, ?b q _ group by ?b order by ?c desc, ?b limit 4",
            "find count(distinct ?n) where ?a s ?b {k: ?n}, ?a p E1",
            "find ?p, count(*) as ?n where ?a ?p ?b, ?a is_a U group by ?p order by ?n desc, ?p limit 3",
            "find ?p, count(*) as ?n where ?a ?p ?b, ?b p ?c, ?p != s group by ?p order by ?n, ?p limit 2",
            "find count(*) where E1 p ?a, ?a p ?b, ?b r ?c",
            "find count(*) where ?a s ?b, ?b p ?c, ?c != E2",
            "find count(*) where ?a p ?b, ?b q ?n, ?n > 2",
            "find count(distinct ?b) where ?a ?p ?b, ?p != claims, ?b p ?c",
            // Chains, a star, two trees, a join on a literal and on a qualifier's value.
            "find count(*) where ?a p ?b, ?b p ?c",
            "find count(*) where ?a p ?b, ?b p ?c, ?c p ?d, ?d q _",
            "find count(*) where ?a p ?b, ?a r ?c, ?a q ?n",
            "find count(*) where ?a p ?b, ?c r ?d",
            "find count(*) where ?a q ?n, ?b q ?n",
            "find count(*) where ?a p ?b {k: ?n}, ?c q ?n",
            "find count(?b), count(*) where ?a p ?b, ?b r ?c",
            // Distinct counts, each rooted at its own variable.
            "find count(distinct ?b) where ?a p ?b, ?b q ?n",
            "find count(distinct ?a), count(*), count(distinct ?c) where ?a p ?b, ?b p ?c",
            "find count(distinct ?n) where ?a p ?b, ?b q ?n, ?c r ?a",
            // Types, constants, filters of one variable, a sub-predicate.
            "find count(*) where ?a p ?b, ?b is_a U",
            "find count(*) where ?x is_a T, ?x p _, ?x q ?n, ?n >= 3",
            "find count(*) where ?a p E3, ?a p ?b, ?b r _",
            "find count(*) where ?a s ?b, ?b p ?c, ?c is_a U",
            "find count(*) as ?n where ?a p ?b, ?b q ?m, ?m > 1 order by ?n",
            // A page of groups, ordered by their counts and terms (so that none tie).
            "find ?b, count(*) as ?n where ?a p ?b, ?b p ?c order by ?n desc, ?b limit 5",
            "find ?c, count(?a) as ?n where ?a p ?b, ?b r ?c order by ?n desc, ?c limit 3",
            "find ?a, count(*) where ?a p ?b, ?b q ?n order by count(*), ?a limit 4 offset 2",
            "find ?b, count(*) as ?n where ?a p ?b, ?b is_a U, ?a r _ order by ?b desc limit 6",
            "find ?c, count(*) as ?n where ?a p ?b, ?b p ?c, ?d r ?a group by ?c order by ?n desc, ?c limit 4",
            // Groups by predicate (names: none tie).
            "find ?p, count(*) as ?n where ?x ?p ?y, ?x is_a U group by ?p order by ?n desc, ?p limit 3",
            "find ?p, count(*) as ?n where ?a ?p ?b, ?b q _ order by ?n, ?p limit 2",
            // Groups that may tie, or are literals, or a distinct count per group: the join's.
            "find ?b, count(*) as ?n where ?a p ?b, ?b p ?c order by ?n desc limit 5",
            "find ?n, count(*) as ?k where ?a q ?n, ?a p ?b order by ?k desc, ?n limit 2",
            "find ?b, count(distinct ?c) as ?n where ?a p ?b, ?b p ?c order by ?n desc, ?b limit 3",
            // `not` and `optional` of one join variable: a term ruled out, or kept once
            // when it has no answer; `count(?v)` of a variable only an `optional` binds.
            "find count(*) where ?a is_a T, not ?a q _",
            "find count(*) where ?a p ?b, not (?b r ?c, ?c is_a U)",
            // A filter the planner puts first in the `not` (its variable bound outside):
            // the atom, read whole, must not run it before its pattern binds that variable.
            "find count(*) where ?a p ?b, not (?a r ?c, ?a != E3)",
            "find count(*) where ?a p ?b, ?b != E2, not (?b q ?c, ?b != E7, ?c != E1)",
            "find ?b, count(*) as ?n where ?a p ?b, optional (?b r ?c, ?b != E4) order by ?n desc, ?b limit 5",
            "find count(*) where ?a is_a U, optional (?a p ?b)",
            "find count(?b), count(*) where ?a is_a U, optional (?a p ?b)",
            "find count(?m) where ?a p ?b, optional (?b q ?m), not ?a r _",
            "find count(distinct ?a) where ?a p ?b, optional (?b p ?c, ?c q ?n)",
            "find ?b, count(*) as ?n where ?a p ?b, not ?a q 2 order by ?n desc, ?b limit 4",
            "find ?b, count(?c) as ?n where ?a p ?b, optional (?a r ?c) order by ?n desc, ?b limit 4",
            "find count(*) where ?a p ?b, optional (?b p ?a)",
            // A join variable only a filter or a nested goal of the `not` or `optional`
            // reads (read whole, it would be unbound there), and a variable only a nested
            // `optional` or `or` binds: left to the join. A count of 0 over answers that
            // exist keeps their evidence.
            "find count(*) where ?a p ?b, not ?b = E1",
            "find ?a, count(*) as ?n where ?a p ?b, not (?a = E10) order by ?a limit 5",
            "find count(*) where ?a p ?b, not (?c r ?d, ?d != ?b)",
            "find count(*) where ?a p ?b, not (?c r ?d, not (?d p ?b))",
            "find count(*) where ?a r ?b, optional (?c p ?d, ?d = ?b)",
            "find count(?z), count(*) where ?a p ?b, optional (?b p ?c, optional (?c r ?z))",
            "find count(?z), count(*) where ?a p ?b, optional (?b p ?c, (?c q ?z or ?c r ?d))",
            "find count(?z) where ?a p ?b, optional (?b r ?z), ?b = E5",
            "find count(?z) where ?a p ?b, optional (?b r ?z), ?b = E7, ?a is_a U",
            "find count(*) where ?a p ?b, not (?b p ?a)",
            // A `not` or `optional` of a tree of its own, for many terms: counted along its
            // joins (`innerCounts`), not by its join from each term.
            "find count(*), count(?c) where ?a is_a U, optional (?a p ?b, ?b r ?c)",
            "find count(*) where ?a is_a T, not (?a p ?b, ?b p ?c)",
            "find ?b, count(?d) as ?n where ?a p ?b, optional (?b p ?c, ?c r ?d) order by ?n desc, ?b limit 4",
            "find count(?n), count(*) where ?a p ?b, optional (?b p ?c, ?c q ?n, ?n > 1)",
            "find count(*) where ?a s ?b, not (?b p ?c, ?c p ?d, ?d is_a U)",
            // No answer (no evidence), and shapes it must leave to the join.
            "find count(*) where ?a p ?b, ?b q ?n, ?n < 0",
            "find count(*) where ?a p ?b, ?b p ?c, ?c p ?a",
            "find count(*) where ?a p ?b, ?a r ?b",
            "find count(*) where ?a p ?b, ?b p ?c, ?a != ?c",
            "find count(*) where ?a p ?b, not ?b q _",
            "find sum(?n) where ?a p ?b, ?b q ?n",
        ]
        var rng = RRandom(seed: seed)
        // Random chains and stars over the three predicates, with a type or a filter.
        for _ in 0..<40 {
            var goals: [String] = []
            var variables = ["?v0"]
            for i in 1...(1 + rng.int(4)) {
                let from = rng.pick(variables)
                let (predicate, forward) = (rng.pick(["p", "q", "r", "s"]), rng.chance(0.7))
                let to = predicate == "q" ? "?n\(i)" : "?v\(i)"
                goals.append(forward || predicate == "q" ? "\(from) \(predicate) \(to)" : "\(to) \(predicate) \(from)")
                if predicate != "q" { variables.append(to) }
            }
            if rng.chance(0.3) { goals.append("\(rng.pick(variables)) is_a U") }
            let body = goals.joined(separator: ", ")
            if rng.chance(0.3) {
                let g = rng.pick(variables)
                queries.append("find \(g), count(*) as ?count where \(body) order by ?count\(rng.chance(0.5) ? " desc" : ""), \(g) limit \(1 + rng.int(4))")
                continue
            }
            let counted = rng.chance(0.5) ? "count(*)" : "count(distinct \(rng.pick(variables)))"
            queries.append("find \(counted) where " + body)
        }
        let linksBefore = FactorizedCount.linksCounted
        let innersBefore = FactorizedCount.innersCounted
        for q in queries {
            let general = try BatchJoinTests.answers(q, store, rules, batchJoin: false)
            let (joined, way) = try Self.answersAndWay(q, store, rules)
            #expect(joined == general, "\(q), seed \(seed)")
            #expect(try Self.answersAndWay(q, store, rules, parallel: true).0 == general, "on every core: \(q), seed \(seed)")
            if way { factorized += 1 }
            if way, q.contains("order by") { pages += 1 }
        }
        #expect(pages >= 10, "pages of groups counted without their answers: \(pages)")
        print("FactorizedCountTests: \(factorized) of \(queries.count) counted without their answers")
        #expect(factorized >= 35, "queries counted without their answers: \(factorized)")
        // Atoms counted from the index lists, not by a join (other suites may add to it).
        #expect(FactorizedCount.linksCounted - linksBefore >= 40, "atoms counted from the indexes: \(FactorizedCount.linksCounted - linksBefore)")
        #expect(FactorizedCount.innersCounted - innersBefore >= 4, "not and optional counted along their joins: \(FactorizedCount.innersCounted - innersBefore)")
    }

    /// One pattern counted per term of one variable (a group, or a distinct count's) is
    /// read from the index lists (`FactorizedCount.link`), not joined row by row and then
    /// grouped: the same counts and evidence as the general evaluator. Filters off the
    /// group's variable keep these from the scan count.
    @Test func onePatternCountsPerTermAgreeWithTheGeneralEvaluator() throws {
        guard let (store, rules) = try Self.store(20261207) else {
            Issue.record("the generated case does not load")
            return
        }
        for q in [
            "find ?a, count(*) as ?c where ?a p ?b {k: ?n}, ?n > 1 order by ?c desc, ?a limit 3",
            "find ?b, count(?s) as ?c where ?a s ?b as ?s, ?a != E1 order by ?c desc, ?b limit 4",
            "find ?a, count(*) as ?c where ?a s ?b, ?b != E2 order by ?c, ?a limit 3",
            "find ?b, count(*) as ?c where ?a p ?b, ?b is_a U order by ?c desc, ?b limit 5",
            "find count(distinct ?b) where ?a p ?b {k: ?n}, ?n > 1",
            "find ?p, count(*) as ?c where E1 ?p ?b, ?b != E2 order by ?c desc, ?p limit 2",
            "find ?b, count(*) as ?c where ?a p ?b, ?a != E0 order by ?c desc, ?b limit 3 offset 2",
        ] {
            let general = try BatchJoinTests.answers(q, store, rules, batchJoin: false)
            let (counted, way) = try Self.answersAndWay(q, store, rules)
            #expect(counted == general, "\(q)")
            #expect(way, "counted from the indexes: \(q)")
            #expect(try Self.answersAndWay(q, store, rules, parallel: true).0 == general, "on every core: \(q)")
            #expect(!general.isEmpty, "\(q)")
        }
    }

    /// A distinct count per group, counted from the pairs of the atom that joins the group's
    /// variable and the counted one (`FactorizedCount.distinctCounts`): a branch below
    /// either end, a `not` at the counted end, a count of every answer beside it, a
    /// statement stated twice (one term), a group by predicate. Each is counted without
    /// its answers, with the general evaluator's counts and first answers' evidence.
    @Test func distinctCountsPerGroupAgreeWithTheGeneralEvaluator() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261206
        guard let (store, rules) = try Self.store(seed) else {
            Issue.record("the generated case does not load")
            return
        }
        let queries = [
            "find ?c, count(distinct ?a) as ?n where ?a p ?c, ?a q _ order by ?n desc, ?c limit 5",
            "find ?b, count(distinct ?a) as ?n, count(*) as ?m where ?a p ?b, ?b r ?c order by ?n desc, ?b limit 4",
            "find ?a, count(distinct ?b) as ?n where ?a s ?b, not ?b q 2 order by ?n desc, ?a limit 4",
            "find ?a, count(distinct ?b) as ?n where ?a p ?b, ?a r _ order by ?n desc, ?a limit 6",
            "find ?p, count(distinct ?a) as ?n where ?a ?p ?b, ?a is_a U group by ?p order by ?n desc, ?p limit 3",
            "find ?b, count(distinct ?c) as ?n where ?a p ?b, ?b p ?c, ?c is_a U order by ?n, ?b limit 7",
        ]
        try Self.expectCountedAsTheGeneralEvaluatorCounts(queries, store, rules, seed: seed)
    }

    /// Paths as atoms: each path's pairs of ends counted once, walked without their
    /// chains: from every start node, from the terms of the variable it joins on, or from
    /// a constant; alone, joined to patterns and types, grouped by either end, distinct,
    /// with both ends one variable (closures, `p+` and `p*`, are the general evaluator's).
    /// Each is counted without its answers, and held to the general evaluator's counts and
    /// first answers' evidence (chains included), on one core and on every core.
    @Test func pathCountsAgreeWithTheGeneralEvaluator() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261206
        guard let (store, rules) = try Self.store(seed) else {
            Issue.record("the generated case does not load")
            return
        }
        let queries = [
            "find ?a, count(*) as ?n where ?a (s|r)/^p ?d group by ?a order by ?n desc, ?a limit 5",
            "find ?c, count(*) as ?n where ?a (s|r)/p ?c group by ?c order by ?n desc, ?c limit 5",
            "find count(*) where ?a p/r ?b",
            "find count(*), count(distinct ?b) where ?a p/s ?b, ?b is_a U",
            "find ?a, count(*) as ?n where ?a p/(p|r) ?b, ?b q 3 order by ?n desc, ?a limit 4",
            "find count(distinct ?b) where ?a p/p ?b",
            "find count(*) where E1 p/p ?b",
            "find ?b, count(*) as ?n where ?a r ?b, ?b p/p ?c order by ?n desc, ?b limit 5",
            "find count(*) where ?a ^p/p ?a",
        ]
        try Self.expectCountedAsTheGeneralEvaluatorCounts(queries, store, rules, seed: seed)
    }

    /// Each query counted without its answers, with the general evaluator's rows and
    /// evidence, on one core and on every core; and with a first count above zero (or the
    /// comparison would hold vacuously).
    static func expectCountedAsTheGeneralEvaluatorCounts(_ queries: [String], _ store: FactStore, _ rules: RuleEngine, seed: UInt64) throws {
        for q in queries {
            let general = try BatchJoinTests.answers(q, store, rules, batchJoin: false)
            let (joined, way) = try Self.answersAndWay(q, store, rules)
            #expect(way, "counted without its answers: \(q)")
            #expect(joined == general, "\(q), seed \(seed)")
            #expect(try Self.answersAndWay(q, store, rules, parallel: true).0 == general, "on every core: \(q), seed \(seed)")
            #expect(general.first?.values.first.map { $0 != "0" } ?? false, "\(q)")
        }
    }

    /// The answers, and whether FactorizedCount counted them.
    /// `parallel`: every join (an atom's too) on every core, however small.
    /// A link with a constant end read for the few terms another atom knows at its other
    /// end (`linkCounts`'s `within`): each known term's list holds statements of every
    /// subject (or object), and only the constant's count. E0 has a thousand `p`
    /// statements, so its list is long beside the few terms `?b q 3` leaves.
    @Test func aConstantEndReadForKnownTermsCountsOnlyItsOwn() throws {
        var rng = RRandom(seed: 20261208)
        var text = "type T\ntype Document\npredicate p\npredicate q\nentity D : Document\n"
        for i in 0..<60 { text += "entity E\(i) : T\n" }
        text += "from D para 1\n"
        for _ in 0..<1000 { text += "E0 p E\(rng.int(60))\n" }
        for _ in 0..<600 { text += "E\(1 + rng.int(59)) p E\(rng.int(60))\n" }
        for i in 0..<60 where rng.chance(0.15) { text += "E\(i) q 3\n" }
        for i in 0..<60 where rng.chance(0.5) { text += "E\(i) q \(rng.int(3))\n" }
        guard case .success(let store) = Loader.load(text: SourceText(name: "within.kb", text: text), into: FactStore()) else {
            Issue.record("the case does not load")
            return
        }
        let rules = try RuleEngine(store: store, rules: [])
        for q in ["find count(*) where E0 p ?b, ?b q 3", "find ?b, count(*) as ?n where E0 p ?b, ?b q 3 order by ?n desc, ?b limit 4",
                  "find count(*) where ?b p E7, ?b q 3"] {
            let general = try BatchJoinTests.answers(q, store, rules, batchJoin: false)
            let (counted, way) = try Self.answersAndWay(q, store, rules)
            #expect(counted == general, "\(q)")
            #expect(way, "counted without its answers: \(q)")
            #expect(general.first?.values.last != "0", "\(q) counts nothing")
        }
    }

    static func answersAndWay(_ text: String, _ store: FactStore, _ rules: RuleEngine, parallel: Bool = false) throws -> ([BatchJoinTests.Answer], Bool) {
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source, rules: []) else { return ([], false) }
        let prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        if parallel { prepared.parallelThreshold = 1 }
        var out: [BatchJoinTests.Answer] = []
        // Twice: the second run reuses the atoms' joins.
        for _ in 0..<2 {
            out = []
            try prepared.run(limits: .none) { out.append(BatchJoinTests.Answer(values: $0.values.map { Display.plain($0, store) }, evidence: $0.evidence)) }
        }
        return (out, prepared.countedFactorized)
    }
}
