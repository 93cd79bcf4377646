import Foundation
import KBQ
import Testing

/// LUBM, a data set and queries no one here wrote: the ontology's inference as kbq rules
/// (Tests/lubm/rules.kb), the 14 queries in kbq (Tests/lubm/queries.kbq), every answer
/// count checked against an independent engine: pyoxigraph over the data materialised by an
/// OWL 2 RL reasoner (Tests/lubm/reference.py; these are the counts it gives).
@Suite struct LUBMTests {
    static let expected: [String: Int] = [
        "Q1": 4, "Q2": 0, "Q3": 6, "Q4": 34, "Q5": 719, "Q6": 678, "Q7": 67, "Q8": 678, "Q9": 13,
        "Q10": 4, "Q11": 10, "Q12": 1, "Q13": 1, "Q14": 532,
    ]
    static let lubm = Support.shared + "/testdata/lubm"

    /// Each query of the script with the name of the `-- Qn` comment above it.
    static func queries() throws -> [(String, SourceText)] {
        let text = try String(contentsOfFile: Support.root + "/Tests/lubm/queries.kbq", encoding: .utf8)
        var result: [(String, SourceText)] = []
        var splitter = StatementSplitter(name: "queries.kbq", bytes: Array(text.utf8))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.insert("", at: 0)
        while let piece = splitter.next(parse: { chunk in Result { () throws(Diagnostic) in try Parser.parseCommand(chunk, rules: []) } }) {
            guard case .statement(let chunk, _) = piece else { continue }
            let name = String(lines[chunk.firstLine - 1].dropFirst(3))
            result.append((name, chunk))
        }
        return result
    }

    @Test func everyQueryMatchesTheIndependentEngine() throws {
        let files = [Self.lubm + "/univ-bench.ntriples", Self.lubm + "/University0_0.ntriples", Support.root + "/Tests/lubm/rules.kb"]
        guard case .success(let store) = Loader.load(files: files, into: FactStore()) else {
            Issue.record("LUBM does not load")
            return
        }
        let rules = try RuleEngine(store: store, rules: store.rules)
        let queries = try Self.queries()
        #expect(queries.map(\.0) == (1...14).map { "Q\($0)" })
        for (name, source) in queries {
            guard case .query(let q) = try Parser.parseCommand(source, rules: Set(rules.ruleNames)) else { continue }
            var count = 0
            try PreparedQuery(q, source: source, store: store, rules: rules).run(limits: .none) { _ in count += 1 }
            #expect(count == Self.expected[name], "\(name)")
        }
    }

    /// The reference counts above, recomputed by the independent engine when it is installed
    /// (make test installs it in .venv).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Support.root + "/.venv/bin/python")))
    func referenceCountsAreTheIndependentEnginesOwn() throws {
        let r = try Support.run(Support.root + "/.venv/bin/python", [Support.root + "/Tests/lubm/reference.py", Self.lubm], timeout: 600)
        #expect(r.status == 0, "\(r.stderr)")
        let counts = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Int]
        #expect(counts == Self.expected)
    }
}
