@testable import KBQ
import Testing

/// Counts per term of one pattern's variable (`find ?a, count(?s) where _ _ _ {according_to:
/// ?a} as ?s`), counted by FactorizedCount from the index lists (a run's length per term,
/// or each entry), must answer as the general evaluator does: each query is asked as
/// written, with a filter of its key that is always true, and by the general evaluator
/// (the batch join off), and the rows and evidence must agree up to the order of rows
/// that tie (which semantics.md leaves open): the same rows as a bag, the same order keys
/// row by row, and a page whose rows are rows of the whole answer.
@Suite struct CountPerTermTests {
    struct Run {
        var columns: [String]
        var rows: [(values: [String], evidence: [Evidence])]
        var factorized: Bool
        /// A distinct count per group read from the group's index runs (`runDistinctCounts`).
        var distinctByRuns = false
    }

    static func run(_ text: String, _ store: FactStore, general: Bool = false) throws -> Run {
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source) else { throw TestFailure(message: "not a query: \(text)") }
        let rules = try RuleEngine(store: store, rules: store.rules)
        let prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        prepared.allowBatchJoin = !general
        var out = Run(columns: prepared.columns, rows: [], factorized: false)
        try prepared.run(limits: .none) { out.rows.append(($0.values.map { Display.plain($0, store) }, $0.evidence)) }
        out.factorized = prepared.countedFactorized
        if case .some(let counter?) = prepared.factorized { out.distinctByRuns = counter.distinctsByRuns > 0 }
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
        // Keys computed from one variable.
        ("find ?x.type as ?t, count(*) as ?n where ?x _ _ group by ?t order by ?n desc, ?t limit 3", "?x"),
        ("find lower(?q) as ?l, count(*) as ?n where _ _ _ {quote: ?q} group by ?l order by ?n desc, ?l limit 3", "?q"),
        ("find ?o.label as ?l, count(?s) where _ _ ?o as ?s group by ?l", "?o"),
    ]

    /// Counts per source in a case of several documents, some refused by a key filter.
    static let sourceQuestions: [(String, String)] = [
        ("find ?d, count(*) as ?n where _ _ _ {source: ?d}, ?d != Letter order by ?n desc, ?d limit 5", "?d"),
        ("find ?d, count(?s) as ?n where _ _ _ {source: ?d} as ?s, ?d != Memo, ?d != Report", "?d"),
        ("find ?d, count(*) where _ _ _ {source: ?d}, ?d = Memo", "?d"),
    ]

    @Test func countsPerTermAgreeWithTheGeneralEvaluator() throws {
        for (path, questions) in [("kb/main.kb", Self.questions), ("Tests/fixtures/sources.kb", Self.sourceQuestions)] {
            try Self.agree(try Self.store(path), questions)
        }
    }

    /// A case with no quoted statement: a count per qualifier value reads each value's run
    /// length alone (every statement is asserted). Values on some statements only, several
    /// predicates, runs of one statement and of many.
    @Test func countsByQualifierRunsOfAFullyAssertedCaseAgree() throws {
        let store = try Self.assertedCase()
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
            // Two qualifiers (the join's to group): grouped by either, filtered, constant.
            ("find ?a, count(*) as ?n where _ _ _ {against: ?a, on: ?d}, ?d >= 2014-01-01 group by ?a order by ?n desc, ?a limit 4", "?a"),
            ("find ?p, count(*) as ?n where _ ?p _ {on: ?d, against: ?a} group by ?p order by ?n desc, ?p", "?p"),
            ("find ?d, count(?s) where _ p _ {against: E1, on: ?d} as ?s", "?d"),
            ("find ?d, count(*) as ?n where ?x _ _ {on: ?d, against: ?a}, ?a != E2, ?x != E3 order by ?n desc, ?d limit 5", "?d"),
            // Keys computed from one variable: counted per term by runs, the terms gathered
            // per key (counted entry by entry, they are the join's to group).
            ("find year(?d) as ?y, count(*) as ?n where _ _ _ {on: ?d} group by ?y order by ?y", "?d"),
            ("find year(?d) as ?y, count(?s) as ?n where _ _ _ {on: ?d} as ?s, ?d < 2016-06-01 group by ?y order by ?n desc, ?y limit 3", "?d"),
            ("find len(str(?d)) as ?m, count(*) where _ _ _ {on: ?d} group by ?m", "?d"),
        ])
    }

    /// A lone pattern counted whole is counted by the runs of one of its variables
    /// (`FactorizedCount.runRoot`), a filter of that variable read once a term: in a case
    /// with quoted statements and in one without, by a qualifier's value, a predicate, an
    /// object and a source, each count and its evidence as the general evaluator has them.
    @Test func lonePatternsCountedByTheirRunsAgree() throws {
        let asserted = try Self.assertedCase()
        let cases: [(FactStore, [String])] = [
            (asserted, [
                "find count(*) where _ _ _ {against: ?a}, ?a != E1",
                "find count(?s) where _ _ _ {weight: ?w} as ?s, ?w > 1",
                "find count(*) where _ ?p _, ?p != q",
                "find count(*) where _ _ ?o, ?o != E3",
            ]),
            (try Self.store("kb/main.kb"), [
                "find count(*) where _ _ _ {source: ?d}, ?d != Radi_Report",
                "find count(*) where _ ?p _, ?p != claims",
                "find count(*) where _ _ _ {quote: ?q}",
                "find count(*) where _ _ ?o, ?o != Pegasus",
            ]),
        ]
        for (store, questions) in cases {
            for q in questions {
                let (got, general) = (try Self.run(q, store), try Self.run(q, store, general: true))
                #expect(got.rows.map(\.values) == general.rows.map(\.values), "\(q)")
                #expect(got.rows.map(\.evidence) == general.rows.map(\.evidence), "\(q): evidence")
                #expect(got.factorized, "\(q): counted from the indexes")
                #expect(general.rows.first?.values != ["0"], "\(q) counts nothing")
            }
        }
    }

    /// Distinct terms of one variable per term of another, both of one pattern, read from
    /// the group's index run by run (`runDistinctCounts`): per subject, object, predicate,
    /// stored qualifier and source, values that are entities, predicates and literals,
    /// filters of the group and of the rest, beside plain counts; in a case with quoted
    /// statements and one without, as the general evaluator answers them.
    @Test func distinctCountsPerGroupFromItsRunsAgree() throws {
        let cases: [(FactStore, [(String, String)])] = [
            (try Self.store("kb/main.kb"), [
                ("find ?x, count(distinct ?p) as ?n where ?x ?p ?y group by ?x order by ?n desc, ?x limit 5", "?x"),
                ("find ?x, count(distinct ?y) as ?n where ?x ?p ?y, ?p != says group by ?x", "?x"),
                ("find ?y, count(distinct ?x) where ?x _ ?y group by ?y", "?y"),
                ("find ?y, count(distinct ?x) as ?n where ?x _ ?y, ?x != Pegasus group by ?y order by ?n desc, ?y limit 3", "?y"),
                ("find ?p, count(distinct ?x) as ?n where ?x ?p ?y group by ?p order by ?n desc, ?p", "?p"),
                ("find ?p, count(distinct ?o) where _ ?p ?o group by ?p", "?p"),
                ("find ?d, count(distinct ?x) as ?n where ?x _ _ {source: ?d} group by ?d order by ?n desc, ?d", "?d"),
                ("find ?d, count(distinct ?p) where _ ?p _ {source: ?d}, ?d != Radi_Report group by ?d", "?d"),
                ("find ?q, count(distinct ?x) where ?x _ _ {quote: ?q} group by ?q", "?q"),
                ("find ?x, count(distinct ?q) as ?n where ?x _ _ {quote: ?q} group by ?x order by ?n desc, ?x", "?x"),
                ("find ?x, count(distinct ?y) as ?n, count(*) as ?m where ?x _ ?y group by ?x order by ?n desc, ?m, ?x limit 4", "?x"),
            ]),
            (try Self.store("Tests/fixtures/sources.kb"), [
                ("find ?d, count(distinct ?x) as ?n where ?x _ _ {source: ?d}, ?d != Letter group by ?d order by ?n desc, ?d", "?d"),
                ("find ?d, count(distinct ?o) where _ _ ?o {source: ?d} group by ?d", "?d"),
            ]),
            (try Self.assertedCase(), [
                ("find ?a, count(distinct ?x) as ?n where ?x _ _ {against: ?a} group by ?a order by ?n desc, ?a", "?a"),
                ("find ?x, count(distinct ?a) where ?x _ _ {against: ?a} group by ?x", "?x"),
                ("find ?w, count(distinct ?p) where _ ?p _ {weight: ?w} group by ?w", "?w"),
                ("find ?x, count(distinct ?d) where ?x _ _ {on: ?d}, ?d >= 2014-01-01 group by ?x", "?x"),
                ("find ?p, count(distinct ?y) where ?x ?p ?y, ?x != E1 group by ?p", "?p"),
            ]),
        ]
        for (store, questions) in cases {
            for (q, key) in questions {
                let head = q.components(separatedBy: " group by ")[0]
                let filtered = head + ", \(key) = \(key)" + q.dropFirst(head.count)
                #expect(try Self.run(q, store).distinctByRuns, "\(q): read from the group's runs")
                #expect(!(try Self.run(filtered, store, general: true)).rows.isEmpty, "\(q) has no rows")
                for text in [q, filtered] {
                    if let difference = try Self.difference(text, store, general: filtered) { Issue.record("\(text): \(difference)") }
                }
            }
        }
    }

    /// Members per type of a lone `is_a` of a variable type, counted per list of declared
    /// types (`FactorizedCount.typeCounts`): the case's types have supertypes (a company is
    /// an organisation and an agent), some entities two types; filters of the member.
    @Test func membersPerTypeAgree() throws {
        let store = try Self.store("kb/main.kb")
        let questions = [
            "find ?t, count(*) as ?n where ?x is_a ?t group by ?t order by ?n desc, ?t",
            "find ?t, count(?x) where ?x is_a ?t, ?x != Pegasus group by ?t",
            "find ?t, count(*) as ?n where ?x is_a ?t, ?x != NSO_Group, ?x != Amnesty_International group by ?t order by ?n, ?t desc limit 4",
            "find count(*) where ?x is_a ?t",
            "find count(*), count(distinct ?t) where ?x is_a ?t, ?x != Pegasus",
        ]
        for q in questions {
            #expect(try Self.run(q, store).factorized, "\(q): counted per list of types")
            #expect(!(try Self.run(q, store, general: true)).rows.isEmpty, "\(q) has no rows")
            if let difference = try Self.difference(q, store, general: q) { Issue.record("\(q): \(difference)") }
        }
    }

    /// A prepared count run again answers as the first time, and the answers of earlier
    /// runs, kept, read their rows and evidence (deferred: `Answers.deferEvidence`) after
    /// the later runs as they would have at once.
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
            let expected = try Self.run(q, store).rows
            #expect(!expected.isEmpty, "\(q) has no rows")
            for (run, a) in answers.enumerated() {
                #expect((0..<a.count).map { a.values($0).map { Display.plain($0, store) } } == expected.map(\.values), "\(q), run \(run)")
                #expect(try (0..<a.count).map { try a.evidence($0, limits: .none) } == expected.map(\.evidence), "\(q), run \(run): evidence")
            }
        }
    }

    /// A generated case with no quoted statement (see `countsByQualifierRunsOfAFullyAssertedCaseAgree`).
    static func assertedCase() throws -> FactStore {
        var rng = RRandom(seed: 20261207)
        var text = "type T\ntype Document\npredicate p\npredicate q\npredicate r\nkey against : entity\nkey weight : integer\nkey on : date\nentity D : Document\n"
        for i in 0..<30 { text += "entity E\(i) : T\n" }
        text += "from D para 1\n"
        for _ in 0..<400 {
            let (a, b) = (rng.int(30), rng.int(30))
            var qualifiers: [String] = []
            if rng.chance(0.6) { qualifiers.append("against: E\(rng.int(rng.chance(0.5) ? 3 : 30))") }
            if rng.chance(0.3), qualifiers.isEmpty { qualifiers.append("weight: \(rng.int(5))") }
            if !qualifiers.contains(where: { $0.hasPrefix("weight") }), rng.chance(0.5) {
                qualifiers.append("on: 20\(10 + rng.int(8))-0\(1 + rng.int(9))-1\(rng.int(10))")
            }
            text += "E\(a) \(rng.chance(0.7) ? "p" : "q") E\(b)\(qualifiers.isEmpty ? "" : " {" + qualifiers.joined(separator: ", ") + "}")\n"
        }
        // A predicate of few statements: grouped by a qualifier, they are read from the
        // predicate's list, not the key's runs.
        for _ in 0..<20 { text += "E\(rng.int(30)) r E\(rng.int(30)) {against: E\(rng.int(8))}\n" }
        guard case .success(let store) = Loader.load(text: SourceText(name: "asserted.kb", text: text), into: FactStore()) else {
            throw TestFailure(message: "the generated case does not load")
        }
        return store
    }

    /// Each question agrees with the general evaluator (see the suite), as written and with
    /// its key filtered by a filter that is always true (which the counting from the
    /// indexes cannot read: the batch join's grouping counts it).
    static func agree(_ store: FactStore, _ questions: [(String, String)]) throws {
        for (q, key) in questions {
            // The filter goes after the pattern, so both plans scan the same statements.
            let head = q.components(separatedBy: " group by ")[0].components(separatedBy: " order by ")[0].components(separatedBy: " limit ")[0]
            let tail = String(q.dropFirst(head.count))
            let filtered = head + ", \(key) = \(key)" + tail
            #expect(!(try Self.run(filtered, store, general: true)).rows.isEmpty, "\(q) has no rows")
            // Two qualifiers are no link: the batch join groups them (a link reading the
            // second from each statement was no faster).
            let joined = q.split(separator: "{").dropFirst().contains { $0.prefix { $0 != "}" }.contains(",") }
            #expect(try Self.run(q, store).factorized == !joined, "\(q): counted without its answers should be \(!joined)")
            for text in [q, filtered] {
                if let difference = try Self.difference(text, store, general: filtered) { Issue.record("\(text): \(difference)") }
            }
        }
    }

    /// How the answer to `text` differs from the general evaluator's answer to `question`
    /// (the same question, its key perhaps filtered), up to the order of tied rows; nil
    /// when it does not.
    static func difference(_ text: String, _ store: FactStore, general question: String) throws -> String? {
        let (got, general) = (try Self.run(text, store), try Self.run(question, store, general: true))
        let (gotWhole, generalWhole) = (try Self.run(Self.withoutPage(text), store), try Self.run(Self.withoutPage(question), store, general: true))
        func key(_ r: (values: [String], evidence: [Evidence])) -> String { "\(r.values) \(r.evidence)" }
        guard gotWhole.rows.map(key).sorted() == generalWhole.rows.map(key).sorted() else { return "not the same rows and evidence as a bag" }
        guard let orderColumns = Self.orderColumns(text, got.columns) else { return "an order term that is not a column: \(got.columns)" }
        func orderKeys(_ run: Run) -> [[String]] { run.rows.map { r in orderColumns.map { r.values[$0] } } }
        guard got.rows.count == general.rows.count else { return "\(got.rows.count) rows, the general evaluator \(general.rows.count)" }
        guard orderKeys(got) == orderKeys(general), orderKeys(gotWhole) == orderKeys(generalWhole) else { return "rows out of order" }
        var left = generalWhole.rows.map(key)
        for r in got.rows {
            guard let at = left.firstIndex(of: key(r)) else { return "row \(r.values) is not a row of the whole answer" }
            left.remove(at: at)
        }
        return nil
    }

    /// The query without its `limit` and `offset`.
    static func withoutPage(_ text: String) -> String { text.components(separatedBy: " limit ")[0] }

    /// The answer columns that `order by` names (`?n` or `?n desc`), in its order; nil
    /// when it names something else.
    static func orderColumns(_ text: String, _ columns: [String]) -> [Int]? {
        let parts = text.components(separatedBy: " order by ")
        guard parts.count == 2 else { return [] }
        var out: [Int] = []
        for term in parts[1].components(separatedBy: " limit ")[0].split(separator: ",") {
            let name = term.split(separator: " ").first.map(String.init) ?? ""
            guard let at = columns.firstIndex(of: name) ?? columns.firstIndex(of: String(name.dropFirst())) else { return nil }
            out.append(at)
        }
        return out
    }
}
