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
        "find ?x, ?d where ?x ?p ?y {date: ?d}, ?d >= 2020-07-01, ?x != nso_group",
        "find ?a, ?b where ?a ?p ?b, ?b ?q ?a",
        "find ?x where ?x is_a Person, ?x ?p ?y, ?y is_a Organization",
        "find ?who, ?x where ?who claims [?x ?p ?y], ?x is_a Organization",
        "find ?who, ?s where ?who says [?x ?p ?y] as ?s, not ?x is_a Person",
        "find ?p, ?org where voice_of(?p, ?org), ?org is_a Organization",
        "find ?for, ?against where contested(?p, ?for, ?against), ?for is_a Person",
    ]

    struct Step {
        var number: String
        var counted: Int
        var goal: String
        /// How it ran (`scan, filtered`: a scan that applied filters after it).
        var how = ""
        var filtered: Bool { how.hasSuffix(", filtered") }
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
            let how = String(line[countedEnd..<goalStart]).trimmingCharacters(in: .whitespaces)
            out.append(Step(number: number, counted: n, goal: String(line[goalStart...]), how: how))
        }
        return out
    }

    /// A query that calls a rule says how big its relation is and how its fixpoint ran.
    @Test func rulesRelationsAreShown() throws {
        let explained = try Support.kbq(["-e", ".explain find ?p where contested(?p, ?for, ?against)"])
        let tuples = try Support.kbq(["--format", "tsv", "--no-header", "-e", "find count(*) where contested(?p, ?for, ?against)"])
        let n = tuples.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(n).map { $0 > 0 } == true, "\(tuples.stderr)")
        #expect(explained.stdout.contains("(rule contested: \(n) tuple") && explained.stdout.contains("round"), "\(explained.stdout)")
        #expect(ExplainTests.steps(explained.stdout).first?.how == "rule's relation", "\(explained.stdout)")
    }

    @Test(arguments: queries) func countedRowsAreThePrefixesAnswers(_ query: String) throws {
        let explained = try Support.kbq(["-e", ".explain " + query])
        #expect(explained.status == 0, "\(explained.stderr)")
        let steps = ExplainTests.steps(explained.stdout)
        #expect(!steps.isEmpty, "no steps in: \(explained.stdout)")
        var goals: [String] = []
        func answers(_ goals: [String]) throws -> Int? {
            let prefix = "find count(*) where " + goals.joined(separator: ", ")
            let r = try Support.kbq(["--format", "tsv", "--no-header", "-e", prefix])
            #expect(r.status == 0, "\(prefix): \(r.stderr)")
            return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for (i, step) in steps.enumerated() {
            goals.append(step.goal)
            // A filter or `not` needs its variables bound: the prefix binds them (the plan
            // runs it no sooner).
            let prefix = try answers(goals)
            if step.how.contains("later ends checked") {
                // Later steps' ends, checked at its matches, refused some of the prefix's
                // rows (and let through any that those steps would keep).
                #expect(prefix.map { step.counted <= $0 } == true, "step \(step.number) of \(query): counted \(step.counted), the prefix answers \(prefix ?? -1)")
            } else if step.filtered {
                // Its scan applied some of the filters (and type checks) right after it:
                // it counts no more rows than the prefix and no fewer than the prefix with
                // those steps.
                let filters = steps[(i + 1)...].prefix { $0.how == "filter" || $0.how == "type check" }.map(\.goal)
                let withFilters = try answers(goals + filters)
                #expect(!filters.isEmpty && prefix.map { step.counted <= $0 } == true && withFilters.map { step.counted >= $0 } == true,
                        "step \(step.number) of \(query): counted \(step.counted), the prefix answers \(prefix ?? -1), with \(filters) \(withFilters ?? -1)")
            } else {
                #expect(prefix == step.counted, "step \(step.number) of \(query): counted \(step.counted), the prefix answers \(prefix ?? -1)")
            }
        }
        // A query whose filter refuses rows in the scan shows it, and counts fewer.
        if query.contains("2020-07-01") {
            #expect(steps.first?.filtered == true && steps.first.map { $0.counted < 8 } == true, "\(explained.stdout)")
        }
        let answers = try Support.kbq(["--format", "tsv", "--no-header", "-e", query])
        let rows = answers.stdout.split(separator: "\n").count
        #expect(explained.stdout.contains("then: \(rows) answer"), "\(explained.stdout)")
    }
}
