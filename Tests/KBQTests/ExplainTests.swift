import Foundation
import Testing

/// `.explain` counts the rows each step of a query's plan leaves. Checked against an oracle
/// that shares no code with the counting: the rows after step i are the answers of
/// `find count(*) where` the first i goals (a conjunction's answers do not depend on the
/// order its goals are written in), asked in a fresh kbq.
@Suite struct ExplainTests {
    static let queries = [
        "find ?s, ?o where ?s ?p ?o, ?o is_a Organization, not ?s is_a Person",
        "find ?who, ?what where ?who denies ?what",
        "find ?x, ?d where ?x ?p ?y {date: ?d}, ?d >= 2019-01-01",
        "find ?a, ?b where ?a ?p ?b, ?b ?q ?a",
        "find ?x where ?x is_a Person, ?x ?p ?y, ?y is_a Organization",
        "find ?who, ?x where ?who claims [?x ?p ?y], ?x is_a Organization",
        "find ?who, ?s where ?who says [?x ?p ?y] as ?s, not ?x is_a Person",
    ]

    struct Step {
        var number: String
        var counted: Int
        var goal: String
    }

    /// The top-level steps of an `.explain` table, read by the heading's columns (the
    /// "how" column has spaces in it).
    static func steps(_ text: String) -> [Step] {
        let lines = text.split(separator: "\n").map { Array($0) }
        guard let header = lines.first.map({ String($0) }),
            let counted = header.range(of: "rows (counted)"), let goal = header.range(of: "goal")
        else { return [] }
        let countedEnd = header.distance(from: header.startIndex, to: counted.upperBound)
        let goalStart = header.distance(from: header.startIndex, to: goal.lowerBound)
        var out: [Step] = []
        for line in lines.dropFirst() where line.count > goalStart && line.first != " " {
            let number = String(line.prefix { $0 != " " })
            let count = String(line[..<countedEnd]).split(separator: " ").last.map { $0.replacingOccurrences(of: ",", with: "") }
            guard !number.contains("."), !number.hasPrefix("then"), let n = count.flatMap({ Int($0) }) else { continue }
            out.append(Step(number: number, counted: n, goal: String(line[goalStart...])))
        }
        return out
    }

    @Test(arguments: queries) func countedRowsAreThePrefixesAnswers(_ query: String) throws {
        let explained = try Support.kbq(["-e", ".explain " + query])
        #expect(explained.status == 0, "\(explained.stderr)")
        let steps = ExplainTests.steps(explained.stdout)
        #expect(!steps.isEmpty, "no steps in: \(explained.stdout)")
        var goals: [String] = []
        for step in steps {
            goals.append(step.goal)
            // A filter or `not` needs its variables bound: the prefix binds them (the plan
            // runs it no sooner).
            let prefix = "find count(*) where " + goals.joined(separator: ", ")
            let r = try Support.kbq(["--format", "tsv", "--no-header", "-e", prefix])
            #expect(r.status == 0, "\(prefix): \(r.stderr)")
            #expect(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == step.counted, "step \(step.number) of \(query): counted \(step.counted), the prefix answers \(r.stdout)")
        }
        let answers = try Support.kbq(["--format", "tsv", "--no-header", "-e", query])
        let rows = answers.stdout.split(separator: "\n").count
        #expect(explained.stdout.contains("then: \(rows) answer"), "\(explained.stdout)")
    }
}
