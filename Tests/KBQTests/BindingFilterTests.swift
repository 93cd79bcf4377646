import Foundation
@testable import KBQ
import Testing

/// Filters decided on the join's bindings (`BindingFilter`: texts as bytes, numbers and
/// dates from the literal table, functions on those) must answer as the general
/// evaluator's Values do, and fail where it fails, with the same error.
@Suite struct BindingFilterTests {
    /// What a query gives: its answers, or the error that stopped it.
    static func outcome(_ q: String, _ store: FactStore, _ rules: RuleEngine, batchJoin: Bool, parallel: Bool = false) -> String {
        do {
            return "\(try BatchJoinTests.answers(q, store, rules, batchJoin: batchJoin, parallel: parallel))"
        } catch let d as Diagnostic {
            return "error: \(d.message)"
        } catch {
            return "error: \(error)"
        }
    }

    /// A random case of labels (cases, digits, non-ASCII, a carriage return, labels that
    /// two entities share) and values of every kind: texts, integers, decimals, dates of
    /// three precisions, unknown, none and entities; the filters read them on both sides,
    /// through fields and functions, in the join and against the general evaluator.
    @Test func filtersOnBindingsAgreeWithTheGeneralEvaluator() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261206
        print("BindingFilterTests seed \(seed)")
        var rng = RRandom(seed: seed)
        let words = ["Alpha", "alpha", "ALPHA", "Beta", "bETa", "Zoë", "Émile", "Ωmega", "Ab\\u{D}\\ncd", "2020", "x-12-y", "ab", "AB", "cab", "Dvorak", "kator"]
        var text = "type T\ntype Document\npredicate p\npredicate val\npredicate born\npredicate died\nentity D : Document\n"
        for i in 0..<120 { text += "entity E\(i) : T \"\(rng.pick(words)) \(rng.pick(words))\(rng.chance(0.3) ? "" : " \(rng.int(20))")\"\n" }
        text += "from D para 1\n"
        func date() -> String {
            let y = 1990 + rng.int(40)
            return rng.pick(["\(y)", "\(y)-0\(1 + rng.int(9))", "\(y)-1\(rng.int(3))-1\(rng.int(9))"])
        }
        for i in 0..<120 {
            for _ in 0..<rng.int(3) { text += "E\(i) p E\(rng.int(120))\n" }
            for _ in 0..<rng.int(3) {
                let value = rng.pick([
                    "\"\(rng.pick(words))\"", "\"\(rng.pick(words)) \(rng.pick(words))\"", "\(rng.int(3000) - 500)", "\(rng.int(100)).5",
                    date(), "unknown", "none", "E\(rng.int(120))", "\"\(date())\"",
                ])
                text += "E\(i) val \(value)\n"
            }
            if rng.chance(0.7) { text += "E\(i) born \(date())\n" }
            if rng.chance(0.5) { text += "E\(i) died \(date())\n" }
        }
        guard let (store, rules) = try BatchJoinTests.generated(text, "filters.kb") else { return }
        var decided = 0
        for q in [
            "find ?x where ?x is_a T, len(?x.label) >= 12",
            "find ?x where ?x is_a T, upper(?x.label) contains \"AB\"",
            "find ?x where ?x is_a T, lower(?x.label) = \"alpha beta\"",
            "find ?x where ?x is_a T, ?x.id matches \"^E1[0-4]\"",
            "find ?x where ?x is_a T, ?x.label matches \"^[a-c].*[0-9]$\"",
            "find ?x where ?x is_a T, ?x matches \"ph\"",
            "find ?x, ?y where ?x p ?y, ?x.label = ?y.label",
            "find ?x, ?y where ?x p ?y, ?x.label < ?y.label",
            "find ?x, ?y where ?x p ?y, upper(?x.label) >= lower(?y.label)",
            "find ?x, ?y where ?x p ?y, len(?x.label) = len(?y.label)",
            "find ?x, ?y where ?x p ?y, ?x.label contains ?y.id",
            "find ?x, ?y where ?x p ?y, ?x != ?y",
            "find ?x, ?d, ?e where ?x born ?d, ?x died ?e, ?d < ?e",
            "find ?x, ?d, ?e where ?x born ?d, ?x died ?e, ?d <= ?e",
            "find ?x, ?d, ?e where ?x born ?d, ?x died ?e, ?d = ?e",
            "find ?x, ?d, ?e where ?x born ?d, ?x died ?e, ?d in ?e",
            "find ?x, ?d where ?x born ?d, year(?d) >= 2010",
            "find ?x, ?d where ?x born ?d, str(?d) contains \"-1\"",
            "find ?x, ?d where ?x born ?d, len(str(?d)) = 7",
            // Values of every kind: some rows compare, some fail (the same error both ways).
            "find ?x, ?v where ?x val ?v, len(?v) > 6",
            "find ?x, ?v where ?x val ?v, str(?v) contains \"a\"",
            "find ?x, ?v where ?x val ?v, lower(?v) = \"alpha\"",
            "find ?x, ?v where ?x val ?v, upper(?v) contains \"\\u{D}\"",
            "find ?x, ?v where ?x val ?v, ?v matches \"^[A-C]\"",
            "find ?x, ?v where ?x val ?v, ?v = 2020",
            "find ?x, ?v where ?x val ?v, ?v != 2020",
            "find ?x, ?v where ?x val ?v, ?v = \"2020\"",
            "find ?x, ?v, ?d where ?x val ?v, ?x born ?d, ?v = ?d",
            "find ?x, ?v, ?d where ?x val ?v, ?x born ?d, ?v != ?d",
            "find ?x, ?v, ?w where ?x val ?v, ?x val ?w, ?v = ?w",
            "find ?x, ?v, ?y where ?x val ?v, ?x p ?y, ?v = ?y",
            "find ?x, ?v, ?y where ?x val ?v, ?x p ?y, ?v contains ?y.id",
            "find ?x, ?v where ?x val ?v, year(?v) = 2020",
            "find ?x, ?v where ?x val ?v, ?v < 2020",
            "find ?x, ?v where ?x val ?v, ?v in 2020",
            "find ?x, ?v, ?w where ?x val ?v, ?x val ?w, ?v < ?w",
            "find ?x, ?v where ?x val ?v, ?v.label = \"Alpha\"",
            // Equalities across steps that share no variable: hash joins (see hashJoinsAreTaken).
            "find ?x, ?y where ?x is_a T, ?y is_a T, ?x.label = ?y.label, ?x != ?y",
            "find ?x, ?d, ?y, ?e where ?x born ?d, ?y died ?e, ?d = ?e",
            "find ?x, ?v, ?y, ?w where ?x val ?v, ?y val ?w, ?v = ?w",
            "find ?x, ?y, ?z where ?x is_a T, ?y p ?z, lower(?x.label) = upper(?z.label)",
            "find ?x, ?y where ?x is_a T, ?y is_a T, len(?x.label) = len(?y.label), ?x.id < ?y.id",
            "find ?x, ?v, ?y where ?x val ?v, ?y is_a T, str(?v) = ?y.label",
            "find ?x where ?x is_a T, not (?y is_a T, ?y.label = ?x.label, ?y != ?x)",
            "find ?x, ?y where ?x is_a T, optional (?y p ?z, ?y.label = ?x.label)",
            "find ?x, ?y where ?x born ?d, (?y died ?e, year(?e) = year(?d) or ?y born ?d)",
        ] {
            #expect(try BatchJoinTests.takes(q, store, rules), "\(q)")
            let general = Self.outcome(q, store, rules, batchJoin: false)
            #expect(Self.outcome(q, store, rules, batchJoin: true) == general, "\(q), seed \(seed)")
            #expect(Self.outcome(q, store, rules, batchJoin: true, parallel: true) == general, "on every core: \(q), seed \(seed)")
            if !general.hasPrefix("error"), general != "[]" { decided += 1 }
        }
        // Most compare something (not every query errs, nor finds nothing).
        #expect(decided >= 25, "only \(decided) queries had answers, seed \(seed)")
    }

    /// The equalities above across steps that share no variable are joined by hash (so the
    /// agreement above is the hash join's), at the top and inside `not` and `optional`.
    @Test func hashJoinsAreTaken() throws {
        let text = "type T\npredicate p\nentity D : T\nentity E : T \"Alpha\"\nentity F : T \"alpha\"\nfrom D para 1\nE p F\n"
        guard let (store, rules) = try BatchJoinTests.generated(text, "hash.kb") else { return }
        for q in [
            "find ?x, ?y where ?x is_a T, ?y is_a T, ?x.label = ?y.label, ?x != ?y",
            "find ?x where ?x is_a T, not (?y is_a T, lower(?y.label) = lower(?x.label), ?y != ?x)",
            "find ?x, ?y where ?x is_a T, optional (?y p ?z, ?y.label = ?x.label)",
        ] {
            let source = SourceText(name: "test", text: q)
            guard case .query(let parsed) = try Parser.parseCommand(source, rules: []) else { return }
            let prepared = try PreparedQuery(parsed, source: source, store: store, rules: rules)
            try prepared.run(limits: .none) { _ in }
            func hashJoins(_ ops: [BatchJoin.Op]) -> Int {
                ops.reduce(0) { n, op in
                    switch op {
                    case .hashJoin: return n + 1
                    case .not(let inner, _, _), .optional(let inner, _, _): return n + hashJoins(inner)
                    case .or(let branches, _, _): return n + branches.map(hashJoins).reduce(0, +)
                    default: return n
                    }
                }
            }
            #expect(hashJoins(prepared.keptJoin?.ops ?? []) == 1, "\(q)")
            #expect(prepared.explanation(answers: 0).contains("hash join on the next filter"), "\(q)")
        }
    }
}
