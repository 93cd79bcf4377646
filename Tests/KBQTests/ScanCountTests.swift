@testable import KBQ
import Testing

/// Counting pushed into a scan (Query+ScanCount) must answer exactly as the general
/// evaluator: each query is asked as written (the fast shape), with a filter of its key
/// that is always true (decided once a group), and without the scan, and the rows and
/// evidence must agree.
@Suite struct ScanCountTests {
    static func rows(_ text: String, _ store: FactStore, scans: Bool) throws -> [(values: [String], evidence: [Evidence])] {
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source) else { throw TestFailure(message: "not a query: \(text)") }
        let rules = try RuleEngine(store: store, rules: store.rules)
        let prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        prepared.allowScanCount = scans
        #expect(prepared.countsInAScan == scans, "\(text): scan-count shape should be \(scans)")
        var out: [(values: [String], evidence: [Evidence])] = []
        try prepared.run(limits: .none) { out.append(($0.values.map { Display.plain($0, store) }, $0.evidence)) }
        return out
    }

    struct TestFailure: Error { var message: String }

    static func store(_ path: String) throws -> FactStore {
        switch Loader.load(files: [Support.root + "/" + path], into: FactStore()) {
        case .success(let s): return s
        case .failure(let d): throw TestFailure(message: "\(d)")
        }
    }

    /// (query, key variable): the key is what the always-true filter repeats.
    static let questions: [(String, String)] = [
        ("find ?p, count(?s) as ?n where _ ?p _ as ?s order by ?n desc, ?p limit 5", "?p"),
        ("find ?p, count(?s) as ?n where _ ?p _ as ?s", "?p"),
        ("find ?d, count(?s) where _ _ _ {source: ?d} as ?s", "?d"),
        ("find ?q, count(?s) as ?n where _ _ _ {quote: ?q} as ?s order by ?n desc limit 3", "?q"),
        ("find ?d, count(?s) as ?n where _ claims _ {source: ?d, quote: _} as ?s", "?d"),
        ("find ?q, count(?s) as ?n where _ _ _ {para: ?q} as ?s order by ?n desc, ?q limit 3", "?q"),
        ("find ?q, count(?s) as ?n where _ _ _ {para: ?q} as ?s order by ?q desc limit 4 offset 2", "?q"),
        ("find ?x, count(?o) as ?n where ?x says ?o order by ?n desc, ?x", "?x"),
        ("find ?o, count(?x) where ?x _ ?o", "?o"),
        // Per subject or object with nothing else bound: the subject or object index's runs.
        ("find ?o, count(?s) as ?n where _ _ ?o as ?s order by ?n desc, ?o limit 6", "?o"),
        ("find ?x, count(*) as ?n where ?x _ _ order by ?n desc, ?x limit 4", "?x"),
        ("find ?x, count(?o) where ?x ?p ?o", "?x"),
        ("find ?o, count(*) as ?n where _ _ ?o, ?o != Pegasus order by ?n desc, ?o limit 3", "?o"),
        ("find ?x, count(?s) as ?n where ?x _ _ {quote: _} as ?s order by ?n, ?x desc limit 2", "?x"),
        ("find ?y, count(?s) where Article _ ?y as ?s", "?y"),
        ("find ?s, count(?x) where ?x _ _ as ?s limit 7", "?s"),
        ("find count(?s) as ?n, ?x where ?x located_in _ as ?s order by ?n desc", "?x"),
        // Qualifiers read per statement, stored (quote) and kept apart (source, para).
        ("find ?p, count(*) as ?n where _ ?p _ {quote: ?q, source: ?d} order by ?n desc, ?p", "?p"),
        ("find ?x, count(*) as ?n where ?x _ _ {para: ?q, quote: _} order by ?n desc, ?x limit 3", "?x"),
        // Filters of the key refuse whole groups (a source's are never spelled out).
        ("find ?d, count(?s) as ?n where _ _ _ {source: ?d} as ?s, ?d != Radi_Report order by ?n desc, ?d limit 3", "?d"),
        ("find ?p, count(*) as ?n where _ ?p _, ?p != claims, ?p != cites order by ?n desc, ?p limit 4", "?p"),
        ("find ?q, count(?s) as ?n where _ _ _ {para: ?q} as ?s, ?q > 3 order by ?n desc, ?q limit 3", "?q"),
    ]

    /// Counts per source in a case of several documents, some refused by a key filter.
    static let sourceQuestions: [(String, String)] = [
        ("find ?d, count(*) as ?n where _ _ _ {source: ?d}, ?d != Letter order by ?n desc, ?d limit 5", "?d"),
        ("find ?d, count(?s) as ?n where _ _ _ {source: ?d} as ?s, ?d != Memo, ?d != Report", "?d"),
        ("find ?d, count(*) where _ _ _ {source: ?d}, ?d = Memo", "?d"),
    ]

    @Test func scanCountAgreesWithTheGeneralEvaluator() throws {
        for (path, questions) in [("kb/main.kb", Self.questions), ("Tests/fixtures/sources.kb", Self.sourceQuestions)] {
            try Self.agree(try Self.store(path), questions)
        }
    }

    /// A case with no quoted statement: a count per qualifier value reads each value's run
    /// length alone (every statement is asserted). Values on some statements only, several
    /// predicates, runs of one statement and of many.
    @Test func countsByQualifierRunsOfAFullyAssertedCaseAgree() throws {
        var rng = RRandom(seed: 20261207)
        var text = "type T\ntype Document\npredicate p\npredicate q\npredicate r\nkey against : entity\nkey weight : integer\nentity D : Document\n"
        for i in 0..<30 { text += "entity E\(i) : T\n" }
        text += "from D para 1\n"
        for _ in 0..<400 {
            let (a, b) = (rng.int(30), rng.int(30))
            let against = rng.chance(0.6) ? " {against: E\(rng.int(rng.chance(0.5) ? 3 : 30))}" : ""
            let weight = rng.chance(0.3) ? (against.isEmpty ? " {weight: \(rng.int(5))}" : "") : ""
            text += "E\(a) \(rng.chance(0.7) ? "p" : "q") E\(b)\(against)\(weight)\n"
        }
        // A predicate of few statements: grouped by a qualifier, they are read from the
        // predicate's list, not the key's runs (`narrowerThanRuns`).
        for _ in 0..<20 { text += "E\(rng.int(30)) r E\(rng.int(30)) {against: E\(rng.int(8))}\n" }
        guard case .success(let store) = Loader.load(text: SourceText(name: "asserted.kb", text: text), into: FactStore()) else {
            Issue.record("the generated case does not load")
            return
        }
        #expect(store.assertedCount == store.statementCount, "the case must have no quoted statement")
        try Self.agree(store, [
            ("find ?a, count(?s) as ?n where _ _ _ {against: ?a} as ?s order by ?n desc, ?a limit 5", "?a"),
            ("find ?a, count(?s) as ?n where _ _ _ {against: ?a} as ?s", "?a"),
            ("find ?w, count(*) as ?n where _ _ _ {weight: ?w} order by ?w", "?w"),
            ("find ?a, count(*) as ?n where _ r _ {against: ?a} order by ?n desc, ?a", "?a"),
            ("find ?p, count(*) as ?n where _ ?p _ {against: ?a} order by ?n desc, ?p", "?p"),
            // Per predicate, from the runs' lengths alone (no statement is quoted).
            ("find ?p, count(?s) as ?n where _ ?p _ as ?s order by ?n desc, ?p", "?p"),
            ("find ?p, count(*) where _ ?p _, ?p != q", "?p"),
            // Per subject and per object, from their runs' lengths alone.
            ("find ?x, count(*) as ?n where ?x _ _ order by ?n desc, ?x limit 3", "?x"),
            ("find ?o, count(?s) where _ _ ?o as ?s", "?o"),
            ("find ?x, count(*) as ?n where ?x _ _ {against: E1} order by ?n desc, ?x limit 3", "?x"),
            ("find ?a, count(?s) where ?x r ?y {against: ?a} as ?s, ?a != E1", "?a"),
        ])
    }

    /// A prepared count by runs keeps its group arrays from run to run (`runCountArrays`):
    /// each run answers as the first, and the answers of earlier runs, kept, read their
    /// rows and evidence after the later runs as they would have at once.
    @Test func aCountRunAgainKeepsEachAnswerItsOwn() throws {
        let store = try Self.store("kb/main.kb")
        let rules = try RuleEngine(store: store, rules: store.rules)
        for q in ["find ?d, count(?s) where _ _ _ {source: ?d} as ?s", "find ?q, count(?s) as ?n where _ _ _ {quote: ?q} as ?s order by ?n desc limit 3",
                  "find ?o, count(?s) as ?n where _ _ ?o as ?s order by ?n desc, ?o limit 4", "find ?x, count(?s) where ?x _ _ as ?s"] {
            let source = SourceText(name: "test", text: q)
            guard case .query(let parsed) = try Parser.parseCommand(source) else { throw TestFailure(message: "not a query: \(q)") }
            let prepared = try PreparedQuery(parsed, source: source, store: store, rules: rules)
            let answers = try (0..<3).map { _ in
                let a = Answers(columns: prepared.columns, store: store)
                try prepared.run(limits: .none, into: a)
                return a
            }
            let expected = try Self.rows(q, store, scans: true)
            #expect(!expected.isEmpty, "\(q) has no rows")
            for (run, a) in answers.enumerated() {
                #expect((0..<a.count).map { a.values($0).map { Display.plain($0, store) } } == expected.map(\.values), "\(q), run \(run)")
                #expect(try (0..<a.count).map { try a.evidence($0, limits: .none) } == expected.map(\.evidence), "\(q), run \(run): evidence")
            }
        }
    }

    static func agree(_ store: FactStore, _ questions: [(String, String)]) throws {
        for (q, key) in questions {
            let fast = try Self.rows(q, store, scans: true)
            // The filter goes after the pattern, so both plans scan the same statements.
            let split = q.components(separatedBy: " order by ")
            let head = split[0].components(separatedBy: " limit ")[0]
            let tail = String(q.dropFirst(head.count))
            let filtered = try Self.rows(head + ", \(key) = \(key)" + tail, store, scans: true)
            let slow = try Self.rows(head + ", \(key) = \(key)" + tail, store, scans: false)
            #expect(fast.map(\.values) == filtered.map(\.values), "\(q), its key filtered")
            #expect(fast.map(\.evidence) == filtered.map(\.evidence), "\(q), its key filtered: evidence differs")
            #expect(!fast.isEmpty, "\(q) has no rows")
            #expect(fast.map(\.values) == slow.map(\.values), "\(q)")
            #expect(fast.map(\.evidence) == slow.map(\.evidence), "\(q): evidence differs")
        }
    }
}
