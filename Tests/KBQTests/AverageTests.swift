import Foundation
@testable import KBQ
import Testing

/// `avg` is the sum over the count, a decimal to three places (grammar/semantics.md):
/// `Accumulator.average` against Foundation's Decimal arithmetic on random sums, scales and
/// counts (seed printed), and the form of every result: no exponent, no `-0`, at most
/// three decimals and no trailing zero.
@Suite struct AverageTests {
    @Test func averagesAreDecimalsRoundedToThreePlaces() {
        let seed = Support.seed("AverageTests")
        var rng = RRandom(seed: seed)
        for _ in 0..<3000 {
            let terms = 1 + rng.int(4)
            var total: Int128 = 0
            for _ in 0..<terms {
                let n = rng.chance(0.3) ? Int(truncatingIfNeeded: rng.next()) : rng.int(20001) - 10000
                total += Int128(n)
            }
            let scale = rng.int(4)
            let count = 1 + rng.int(rng.chance(0.5) ? 7 : 100_000)
            let text = Accumulator.average(total, scale: scale, count: count)
            var exact = Decimal(string: String(total))! / pow(Decimal(10), scale) / Decimal(count)
            var rounded = Decimal()
            NSDecimalRound(&rounded, &exact, 3, .plain)
            #expect(Decimal(string: text) == rounded, "\(total) / 10^\(scale) / \(count): \(text), seed \(seed)")
            #expect(!text.contains("e") && text != "-0" && !(text.contains(".") && text.hasSuffix("0")), "\(text)")
            #expect((text.split(separator: ".").dropFirst().first?.count ?? 0) <= 3, "\(text)")
        }
        // An average of values near Int64's bounds: a decimal, not 9.2e+18.
        #expect(Accumulator.average(Int128(Int64.max) * 2, scale: 0, count: 2) == "9223372036854775807")
        #expect(Accumulator.average(-1, scale: 0, count: 3000) == "0")
        #expect(Accumulator.average(5, scale: 0, count: 2) == "2.5")
        #expect(Accumulator.average(-5, scale: 4, count: 1) == "-0.001")
    }
}
