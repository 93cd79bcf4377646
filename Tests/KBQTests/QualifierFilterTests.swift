import Foundation
@testable import KBQ
import Testing

/// `?s.k = c` beside `... as ?s` is compiled as the qualifier `{k: c}` of that pattern
/// (`Compiler.qualifiersFromFilters`). Each query is held to the same query with the filter
/// behind a double `not`, which the rewrite cannot reach (its conjunction has no pattern),
/// on a random case (seed printed): entity, string and provenance keys, statements with a
/// key twice, constants of the wrong kind, and filters inside `optional` and `not`.
@Suite struct QualifierFilterTests {
    @Test func filtersOnQualifiersAnswerAsFilters() throws {
        let seed = Support.seed("QualifierFilterTests")
        var rng = RRandom(seed: seed)
        var text = "type T\ntype Document\npredicate p\npredicate q\nkey who : entity\nkey note : string\n"
        text += "entity D1 : Document {paragraphs: 3}\nentity D2 : Document {paragraphs: 3}\n"
        for i in 0..<30 { text += "entity E\(i) : T\n" }
        for i in 0..<30 {
            text += "from \(rng.pick(["D1", "D2"])) para \(1 + rng.int(3))\n"
            for _ in 0..<rng.int(6) {
                var qualifiers: [String] = []
                if rng.chance(0.6) { qualifiers.append("who: E\(rng.int(6))") }
                if rng.chance(0.1) { qualifiers.append("who: E\(rng.int(6))") }
                if rng.chance(0.5) { qualifiers.append("note: \"\(rng.pick(["a", "bb", "E1"]))\"") }
                text += "E\(i) \(rng.pick(["p", "q"])) E\(rng.int(30))" + (qualifiers.isEmpty ? "" : " {\(qualifiers.joined(separator: ", "))}") + "\n"
            }
        }
        guard let (store, rules) = try BatchJoinTests.generated(text, "qualifiers.kb") else { return }
        // (query with the filter, the filter's text): the reference writes `not not FILTER`.
        let cases: [(String, String)] = [
            ("find count(*) where ?x ?r ?y as ?s, FILTER", "?s.source = D1"),
            ("find ?x, ?y where ?x p ?y as ?s, FILTER order by ?x, ?y", "?s.who = E3"),
            ("find count(*) where ?x p ?y as ?s, FILTER", "\"a\" = ?s.note"),
            ("find count(*) where ?x p ?y as ?s, ?s.who = E1, FILTER", "?s.note = \"bb\""),
            ("find count(*) where ?x p ?y as ?s, FILTER", "?s.who = \"E1\""),
            ("find count(*) where ?x p ?y as ?s, FILTER", "?s.note = E1"),
            ("find ?x, count(?s) as ?n where ?x ?r ?y as ?s, FILTER group by ?x order by ?n desc, ?x limit 5", "?s.source = D2"),
            ("find count(*), count(?s) where ?x is_a T, optional (?x p ?y as ?s, FILTER)", "?s.who = E2"),
            ("find count(*) where ?x is_a T, not (?x q ?y as ?s, FILTER)", "?s.who = E0"),
            ("find count(*) where ?x p ?y {who: ?w} as ?s, FILTER", "?s.who = E4"),
        ]
        var rewritten = 0
        for (shape, filter) in cases {
            let query = shape.replacingOccurrences(of: "FILTER", with: filter)
            let reference = shape.replacingOccurrences(of: "FILTER", with: "not not " + filter)
            let found = try BatchJoinTests.answers(query, store, rules, batchJoin: true)
            let expected = try BatchJoinTests.answers(reference, store, rules, batchJoin: true)
            #expect(found == expected, "\(query), seed \(seed): \(found) against \(expected)")
            #expect(found == (try BatchJoinTests.answers(query, store, rules, batchJoin: false)), "\(query) (general evaluator), seed \(seed)")
            let source = SourceText(name: "test", text: query)
            guard case .query(let q) = try Parser.parseCommand(source) else { continue }
            if try !Self.hasFilter(PreparedQuery(q, source: source, store: store, rules: rules).compiled.goals) { rewritten += 1 }
        }
        // All but the one whose pattern already reads the key.
        #expect(rewritten == cases.count - 1, "filters made qualifiers: \(rewritten)")
    }

    /// A key given twice with one value matches once; given twice with two values, by its
    /// first only (the qualifier index lists each statement under its first value alone:
    /// it listed `{who: E3, who: E3}` twice, and the answer came twice).
    @Test func aKeyGivenTwiceMatchesOnceByItsFirstValue() throws {
        var text = "type T\ntype Document\npredicate p\nkey who : entity\nentity D : Document {paragraphs: 1}\n"
        for i in 1...3 { text += "entity E\(i) : T\n" }
        text += "from D para 1\nE1 p E2 {who: E3, who: E3}\nE2 p E1 {who: E1, who: E3}\nE3 p E1 {who: E3}\nE3 p E2 {who: E2}\nE1 p E3 {who: E2, who: E3}\n"
        guard let (store, rules) = try BatchJoinTests.generated(text, "twice.kb") else { return }
        for (query, rows) in [
            ("find ?x, ?y where ?x p ?y {who: E3}", [["E1", "E2"], ["E3", "E1"]]),
            ("find ?x, ?y where ?x p ?y {who: E3} order by ?x, ?y", [["E1", "E2"], ["E3", "E1"]]),
            ("find ?x, ?y where ?x p ?y as ?s, ?s.who = E3 order by ?x, ?y", [["E1", "E2"], ["E3", "E1"]]),
            ("find ?w, count(*) where _ p _ {who: ?w} order by ?w", [["E1", "1"], ["E2", "2"], ["E3", "2"]]),
            ("find ?x where ?x p _ {who: E2}", [["E3"], ["E1"]]),
        ] {
            for batchJoin in [true, false] {
                #expect(try BatchJoinTests.answers(query, store, rules, batchJoin: batchJoin).map(\.values) == rows, "\(query), batch join \(batchJoin)")
            }
        }
    }

    static func hasFilter(_ goals: [Goal]) -> Bool {
        goals.contains { g in
            switch g {
            case .filter: return true
            case .not(let inner, _), .optional(let inner, _): return hasFilter(inner)
            case .or(let branches): return branches.contains(where: hasFilter)
            default: return false
            }
        }
    }
}
