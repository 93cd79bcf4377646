import Foundation
import Testing

@testable import KBQ

/// `matches` (LinearRegex, a Pike VM) held to another engine, Python's backtracking `re`
/// (`re.search`), on random patterns and texts (seed printed): ASCII texts, which are read
/// as bytes, and texts with non-ASCII letters, read as scalars. Newlines are left out
/// (`re`'s `$` also matches before a final one). ICU's NSRegularExpression was tried first
/// and is not an oracle here: it misses matches through a lazy loop whose body can match
/// nothing, which `re` and this matcher find.
@Suite struct RegexTests {
    @Test func matchesAgreesWithPythonsRe() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261206
        print("RegexTests seed \(seed)")
        var rng = RRandom(seed: seed)
        let atoms = ["a", "b", "A", "é", "1", "_", " ", "-", ".", "[ab]", "[^a]", "[a-cé]", "\\d", "\\w", "\\s", "\\W", "\\-"]
        func sequence(_ depth: Int) -> String {
            RegexTests.randomSequence(&rng, depth, atoms: atoms, repeats: ["*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "+?"])
        }
        var cases: [(pattern: String, text: String)] = []
        for _ in 0..<150 {
            var pattern = sequence(0)
            if rng.chance(0.3) { pattern = "^" + pattern }
            if rng.chance(0.3) { pattern += "$" }
            if rng.chance(0.15) { pattern = "\\b" + pattern }
            if rng.chance(0.2) { pattern = "(?i)" + pattern }
            for _ in 0..<20 {
                let letters = rng.chance(0.6) ? ["a", "b", "A", "B", "1", "_", " ", "-", "c"] : ["a", "b", "é", "É", "1", " ", "ü", "-"]
                cases.append((pattern, (0..<rng.int(9)).map { _ in rng.pick(letters) }.joined()))
            }
        }
        let input = try JSONSerialization.data(withJSONObject: cases.map { [$0.pattern, $0.text] })
        let python = try Support.run("/usr/bin/env", ["python3", "-c", """
            import json, re, sys
            print("".join("1" if re.search(p, t) else "0" for p, t in json.load(sys.stdin)))
            """], stdin: String(decoding: input, as: UTF8.self))
        #expect(python.status == 0, "\(python.stderr)")
        let expected = Array(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 == "1" }
        #expect(expected.count == cases.count)
        guard expected.count == cases.count else { return }
        var compiled: [String: LinearRegex] = [:]
        var matched = 0
        for (k, c) in cases.enumerated() {
            if compiled[c.pattern] == nil { compiled[c.pattern] = try LinearRegex(c.pattern) }
            let got = compiled[c.pattern]!.matches(c.text)
            #expect(got == expected[k], "'\(c.text)' matches \(c.pattern): \(got), re says \(expected[k]), seed \(seed)")
            if got != expected[k] { return }
            if got { matched += 1 }
        }
        let compared = cases.count
        // Both outcomes are common, so neither a matcher that always says yes nor one
        // that always says no passes.
        #expect(compared == 3_000 && matched > 450 && matched < 2_550, "compared \(compared), matched \(matched)")
    }

    /// The automaton (`AsciiDFA`) held to the Pike VM on ASCII texts: random patterns with
    /// anchors, alternations, counted repeats and case folding, every text of a random set
    /// tried against both. Texts include newlines (`.` refuses them) and the end of text
    /// (`$`). A pattern too large for the automaton must fall back, and still answer.
    @Test func automatonAgreesWithThePikeVM() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261207
        print("RegexTests automaton seed \(seed)")
        var rng = RRandom(seed: seed)
        let atoms = ["a", "b", "B", "z", "1", "_", " ", ".", "[ab]", "[^a]", "[a-c]", "[A-Mx]", "\\d", "\\w", "\\s", "\\W", "\\n", "$", "^"]
        func sequence(_ depth: Int) -> String {
            RegexTests.randomSequence(&rng, depth, atoms: atoms, repeats: ["*", "+", "?", "{2}", "{1,3}", "{0,}", "*?"])
        }
        let letters: [UInt8] = Array("abBzAZ1_ \n-x".utf8)
        var tried = 0, built = 0, compared = 0, matched = 0
        for _ in 0..<400 {
            var pattern = sequence(0)
            if rng.chance(0.3) { pattern = "^" + pattern }
            if rng.chance(0.3) { pattern += "$" }
            if rng.chance(0.2) { pattern = "(?i)" + pattern }
            // A repeated `(^)` is refused, as it should be: such a pattern is not compared.
            guard let regex = try? LinearRegex(pattern) else { continue }
            tried += 1
            if regex.dfa != nil { built += 1 }
            for _ in 0..<40 {
                let text = (0..<rng.int(12)).map { _ in rng.pick(letters) }
                let (got, expected) = text.withUnsafeBufferPointer { (regex.matches(ascii: $0), regex.matchesByThreads(ascii: $0)) }
                #expect(got == expected, "'\(String(decoding: text, as: UTF8.self))' matches \(pattern): automaton \(got), Pike VM \(expected), seed \(seed)")
                if got != expected { return }
                compared += 1
                if got { matched += 1 }
            }
        }
        // Nearly every pattern gets an automaton, and both answers are common.
        #expect(tried > 350 && built > tried * 9 / 10 && matched > compared / 8 && matched < compared * 7 / 8,
                "tried \(tried), built \(built), compared \(compared), matched \(matched)")
        // Past the automaton's size: the Pike VM answers.
        let large = try LinearRegex("(a|b)*a(a|b){12}")
        #expect(large.dfa == nil)
        #expect(large.matches("bbabbbbbbbbbbbbb") && !large.matches("bbbbbbbbbbbbbbba"))
        #expect(try LinearRegex("\\bab").dfa == nil)
    }

    /// A random pattern: one to three pieces, each an atom or a group of one to three
    /// alternatives (two levels deep at most), some repeated (`^` never is).
    static func randomSequence(_ rng: inout RRandom, _ depth: Int, atoms: [String], repeats: [String]) -> String {
        (0..<(1 + rng.int(3))).map { _ in
            var p: String
            if depth < 2 && rng.chance(0.25) {
                let parts = (0..<(1 + rng.int(3))).map { _ in randomSequence(&rng, depth + 1, atoms: atoms, repeats: repeats) }
                p = (rng.chance(0.5) ? "(" : "(?:") + parts.joined(separator: "|") + ")"
            } else {
                p = rng.pick(atoms)
            }
            if p != "^" && rng.chance(0.3) { p += rng.pick(repeats) }
            return p
        }.joined()
    }
}
