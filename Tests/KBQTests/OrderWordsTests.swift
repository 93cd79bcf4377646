import Foundation
@testable import KBQ
import Testing

/// An ordered page of answers whose keys are all entities, all integers or all dates is
/// chosen by comparing words (`Answers.orderWords`), no Value made. Held on random cases
/// (seed printed) to an order computed here from the generated values (integers by value,
/// dates by first day and the coarser first, entities by id), and to the general
/// evaluator's ordering by Values on every query, mixed kinds included.
@Suite struct OrderWordsTests {
    enum Generated {
        case integer(Int)
        /// Year, and month and day when given.
        case date(Int, Int?, Int?)

        var text: String {
            switch self {
            case .integer(let n): return String(n)
            case .date(let y, let m, let d):
                return String(format: "%04d", y) + (m.map { String(format: "-%02d", $0) } ?? "") + (d.map { String(format: "-%02d", $0) } ?? "")
            }
        }

        /// Sorts as semantics.md's total order sorts values of one kind.
        static func before(_ a: Generated, _ b: Generated) -> Bool? {
            switch (a, b) {
            case (.integer(let x), .integer(let y)): return x == y ? nil : x < y
            case (.date(let y1, let m1, let d1), .date(let y2, let m2, let d2)):
                let first1 = [y1, m1 ?? 1, d1 ?? 1, m1 == nil ? 0 : d1 == nil ? 1 : 2]
                let first2 = [y2, m2 ?? 1, d2 ?? 1, m2 == nil ? 0 : d2 == nil ? 1 : 2]
                return first1 == first2 ? nil : first1.lexicographicallyPrecedes(first2)
            default: fatalError("one kind only")
            }
        }
    }

    static func integer(_ rng: inout RRandom) -> Generated {
        .integer(rng.pick([Int.min + 1, -9_000_000_000, -5, -1, 0, 1, 2, 999, 1000, 2020, 9999, 10000, Int.max, rng.int(50) - 25]))
    }

    static func date(_ rng: inout RRandom, year: Bool) -> Generated {
        let y = rng.pick([1000, 1969, 2019, 2020, 2020, 9999])
        switch rng.int(year ? 3 : 2) {
        case 0: return .date(y, rng.pick([1, 2, 12]), rng.pick([1, 2, 28]))
        case 1: return .date(y, rng.pick([1, 2, 12]), nil)
        default: return .date(y, nil, nil)
        }
    }

    @Test func pagesOrderedByWordsAgree() throws {
        let seed = Support.seed("OrderWordsTests")
        var rng = RRandom(seed: seed)
        for round in 0..<12 {
            let entities = (0..<40).map { String(format: "e%02d", $0) }
            var lines = ["type Document", "entity generated : Document {paragraphs: 1}", "predicate pi", "predicate pd", "predicate pm", "predicate pe", "predicate pq"]
            lines += entities.map { "entity \($0)" }
            lines.append("from generated para 1")
            // Per predicate, the (subject, value) pairs, for the order worked out here.
            var integers: [(String, Generated)] = []
            var dates: [(String, Generated)] = []
            var qualified: [(String, Generated)] = []
            for e in entities {
                for _ in 0..<rng.int(4) {
                    let v = Self.integer(&rng)
                    integers.append((e, v))
                    lines.append("\(e) pi \(v.text)")
                }
                for _ in 0..<rng.int(3) {
                    let v = Self.date(&rng, year: false)
                    dates.append((e, v))
                    lines.append("\(e) pd \(v.text)")
                }
                for _ in 0..<rng.int(3) {
                    // A year date only as a `date` qualifier (a bare year is an integer).
                    let v = Self.date(&rng, year: true)
                    qualified.append((e, v))
                    lines.append("\(e) pq \(rng.pick(entities)) {date: \(v.text)}")
                }
                for _ in 0..<rng.int(3) { lines.append("\(e) pm \(rng.chance(0.5) ? Self.integer(&rng).text : Self.date(&rng, year: false).text)") }
                for _ in 0..<rng.int(3) { lines.append("\(e) pe \(rng.pick(entities))") }
            }
            guard let (store, rules) = try BatchJoinTests.generated(lines.joined(separator: "\n") + "\n", "round \(round)") else { continue }
            let limit = rng.int(8)
            let offset = rng.int(5)
            let page = rng.chance(0.5) ? " limit \(limit)" + (rng.chance(0.5) ? " offset \(offset)" : "") : ""
            let descending = rng.chance(0.5)
            let direction = descending ? " desc" : ""
            // The order worked out here: by value (in the asked direction), then by subject.
            for (query, pairs) in [
                ("find ?v, ?x where ?x pi ?v order by ?v\(direction), ?x\(page)", integers),
                ("find ?v, ?x where ?x pd ?v order by ?v\(direction), ?x\(page)", dates),
                ("find ?v, ?x where ?x pq ?y {date: ?v} order by ?v\(direction), ?x\(page)", qualified),
            ] {
                let sorted = pairs.sorted { a, b in
                    if let before = Generated.before(a.1, b.1) { return before != descending }
                    return a.0 < b.0
                }
                var rows = sorted.map { [$0.1.text, $0.0] }
                if !page.isEmpty {
                    let start = min(rows.count, page.contains("offset") ? offset : 0)
                    rows = Array(rows[start..<min(rows.count, start + limit)])
                }
                let found = try BatchJoinTests.answers(query, store, rules, batchJoin: true).map(\.values)
                #expect(found == rows, "\(query), round \(round), seed \(seed)")
            }
            // Every ordering, mixed kinds too, as the general evaluator orders Values.
            for query in [
                "find ?x, ?v where ?x pm ?v order by ?v\(direction), ?x\(page)",
                "find ?x, ?y where ?x pe ?y order by ?y\(direction), ?x\(page)",
                "find ?v, ?w where ?x pi ?v, ?x pd ?w order by ?w, ?v\(direction)\(page)",
                "find ?v, ?x where ?x pi ?v order by ?v\(direction)\(page)",
            ] {
                let general = try BatchJoinTests.answers(query, store, rules, batchJoin: false)
                #expect(try BatchJoinTests.answers(query, store, rules, batchJoin: true) == general, "\(query), round \(round), seed \(seed)")
            }
        }
    }
}
