import Foundation
import Testing

@testable import KBQ

/// `contains` on bytes (both texts ASCII) against the standard library's search of lower-cased Strings,
/// the meaning grammar/semantics.md gives it, on random texts over a small alphabet (so that
/// matches, near-matches, case and line ends are common).
@Suite struct TextFilterTests {
    /// The operations of a one-entity store, and a generator of the seed `KBQ_SEED` gives
    /// (a random one, printed, otherwise).
    static func seeded(_ what: String) throws -> (ValueOps, UInt64, RRandom) {
        let store = try Loader.load(text: SourceText(name: "t.kb", text: "type T\nentity A : T \"Alpha\"\n"), into: FactStore()).get()
        let ops = ValueOps(store: store, source: SourceText(name: "-e", text: ""))
        let seed = UInt64(ProcessInfo.processInfo.environment["KBQ_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        print("\(what): seed \(seed) (KBQ_SEED=\(seed) replays)")
        return (ops, seed, RRandom(seed: seed))
    }

    @Test func bytesAgreeWithStrings() throws {
        var (ops, seed, rng) = try Self.seeded("text filters")
        let alphabet: [String] = ["a", "A", "b", "B", "ab", " ", "\r", "\n", "\r\n", "é", "e\u{301}", "K", "\u{212A}", "İ", "i"]
        func text(_ n: Int) -> String { (0..<rng.int(n)).map { _ in alphabet[rng.int(alphabet.count)] }.joined() }
        var fast = 0
        for _ in 0..<20_000 {
            let hay = text(8)
            let needle = text(3)
            // The general path (the standard library's search by Character; not Foundation's,
            // which this file's import would pick for `contains`).
            let expected = ValueOps.contains(hay, needle)
            if let found = ops.asciiContains(.string(hay), .string(needle)) {
                fast += 1
                #expect(found == expected, "\(hay.debugDescription) contains \(needle.debugDescription), seed \(seed)")
            }
            #expect(try ops.compare(.contains, .string(hay), .string(needle), 0..<0) == expected, "\(hay.debugDescription) contains \(needle.debugDescription) in full")
        }
        #expect(fast > 1000)
        #expect(ops.asciiContains(.entity(0), .string("LPH")) == true)
    }

    /// The same on longer texts, where the search looks at eight bytes at a time: bytes
    /// that only look like a letter once 0x20 is set in them ('@' and '`', '[' and '{'),
    /// matches at every offset and at the very end, and the ASCII check beside a byte-wise one.
    @Test func wordAtATimeSearchAgreesWithStrings() throws {
        var (ops, seed, rng) = try Self.seeded("word-at-a-time text filters")
        let alphabet: [String] = ["k", "K", "a", "t", "@", "`", "[", "{", "ka", "KAT", " ", "\r", "é", "0"]
        func text(_ n: Int) -> String { (0..<rng.int(n)).map { _ in alphabet[rng.int(alphabet.count)] }.joined() }
        var fast = 0
        for _ in 0..<20_000 {
            let hay = text(40)
            let needle = text(4)
            let expected = ValueOps.contains(hay, needle)
            if let found = ops.asciiContains(.string(hay), .string(needle)) {
                fast += 1
                #expect(found == expected, "\(hay.debugDescription) contains \(needle.debugDescription), seed \(seed)")
            }
            var bytes = hay
            let plain = bytes.withUTF8 { ValueOps.isPlainASCII($0) }
            #expect(plain == hay.utf8.allSatisfy { $0 < 0x80 && $0 != 0x0D }, "\(hay.debugDescription), seed \(seed)")
        }
        #expect(fast > 2_000)
    }

    /// `upper(...)`, `lower(...)` and `str(...)` of a label or a text, then `contains`, read
    /// on the bytes as the plain `contains` is (`QuickComparison`), and a text's `.label`
    /// (none: it read the text's own bytes, a wrong row): the same rows as the
    /// general evaluator on labels and texts with letters whose case changes their length
    /// or leaves ASCII (ß, İ, the Kelvin sign), random needles, a printed seed.
    @Test func caseFoldedContainsAgreesWithTheGeneralEvaluator() throws {
        var (_, seed, rng) = try Self.seeded("case-folded contains")
        let alphabet: [String] = ["a", "A", "s", "S", "ss", "ß", "k", "K", "\u{212A}", "i", "I", "İ", "ı", "é", " "]
        func text(_ n: Int) -> String { (0..<(1 + rng.int(n))).map { _ in alphabet[rng.int(alphabet.count)] }.joined() }
        var kb = "type T\ntype Document\npredicate note\nentity D : Document\n"
        for i in 0..<60 { kb += "entity E\(i) : T \"\(text(6))\"\n" }
        kb += "from D para 1\n"
        for i in 0..<60 { kb += "E\(i) note \"\(text(6))\"\n" }
        let store = try Loader.load(text: SourceText(name: "folded.kb", text: kb), into: FactStore()).get()
        var compared = 0
        for _ in 0..<40 {
            let needle = (0..<(1 + rng.int(2))).map { _ in rng.pick(["a", "S", "ss", "K", "i", "I", "s", "k"]) }.joined()
            let f = rng.pick(["upper", "lower", "str"])
            for q in ["find ?x where ?x is_a T, \(f)(?x.label) contains \"\(needle)\"",
                      "find count(*) where ?x is_a T, \(f)(?x.label) contains \"\(needle)\"",
                      "find ?x, ?t where ?x note ?t, \(f)(?t) contains \"\(needle)\"",
                      // A text has no label: no record, whatever the text holds.
                      "find ?x, ?t where ?x note ?t, \(f)(?t.label) contains \"\(needle)\"",
                      "find count(*) where ?x note ?t, ?t.label contains \"\(needle)\""] {
                let (got, general) = (try CountPerTermTests.run(q, store), try CountPerTermTests.run(q, store, general: true))
                #expect(got.rows.map(\.values) == general.rows.map(\.values), "\(q), seed \(seed)")
                if !general.rows.isEmpty { compared += 1 }
            }
        }
        #expect(compared > 20, "queries with rows to compare: \(compared)")
    }
}
