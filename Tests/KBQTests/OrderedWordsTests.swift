@testable import KBQ
import Testing

/// Pages of rows ordered by words (`OrderedWords`: packed and radix sorted, or compared as
/// rows) and `PreparedQuery.first` (a sorted buffer, or a sort past its size), held on
/// random cases (seed printed) to a stable sort of the rows' numbers by a comparison
/// written here, one key at a time.
@Suite struct OrderedWordsTests {
    /// The expected page: rows sorted stably by their keys, each in its direction.
    static func expected(_ keys: [UInt64], _ count: Int, _ descending: [Bool], offset: Int?, limit: Int?) -> [Int] {
        let width = descending.count
        let sorted = (0..<count).sorted { a, b in
            for k in 0..<width where keys[a * width + k] != keys[b * width + k] {
                return (keys[a * width + k] < keys[b * width + k]) != descending[k]
            }
            return a < b
        }
        let start = min(offset ?? 0, count)
        let end = limit.map { min(count, start + $0) } ?? count
        return Array(sorted[start..<max(start, end)])
    }

    /// A column's words: few values (many ties), small ranks, a date-like span far from
    /// zero, or any 64 bits (which cannot be packed).
    static func column(_ rng: inout RRandom, _ count: Int) -> [UInt64] {
        switch rng.int(4) {
        case 0: return (0..<count).map { _ in UInt64(rng.int(3)) }
        case 1: return (0..<count).map { _ in UInt64(rng.int(100_000)) }
        case 2: return (0..<count).map { _ in (1 << 63) + 2020 << 16 + UInt64(rng.int(5000)) }
        default: return (0..<count).map { _ in rng.next() }
        }
    }

    @Test func pagesAgreeWithAStableSort() {
        let seed = Support.seed("OrderedWordsTests")
        var rng = RRandom(seed: seed)
        for round in 0..<400 {
            let count = rng.pick([0, 1, 2, 5, 40, 300, 3000, 9000])
            let width = 1 + rng.int(OrderedWords.most)
            let columns = (0..<width).map { _ in OrderedWordsTests.column(&rng, count) }
            var keys: [UInt64] = []
            for r in 0..<count { for k in 0..<width { keys.append(columns[k][r]) } }
            let descending = (0..<width).map { _ in rng.chance(0.5) }
            let offset: Int? = rng.chance(0.5) ? nil : rng.pick([0, 1, 7, count / 2, count, count + 3])
            let limit: Int? = rng.chance(0.3) ? nil : rng.pick([0, 1, 3, 10, 2500, count])
            let got = Array(OrderedWords.page(keys, count, descending: descending, offset: offset, limit: limit))
            let want = OrderedWordsTests.expected(keys, count, descending, offset: offset, limit: limit)
            #expect(got == want, "seed \(seed) round \(round): count \(count) width \(width) descending \(descending) offset \(String(describing: offset)) limit \(String(describing: limit))")
            if got != want { return }
        }
    }

    @Test func firstKeepsTheStableOrderBelowAndAboveItsBuffer() {
        let seed = Support.seed("OrderedWordsTests.first")
        var rng = RRandom(seed: seed)
        for round in 0..<40 {
            let items = (0..<rng.pick([10, 5000, 20000])).map { (key: rng.int(50), at: $0) }
            let k = rng.pick([1, 10, PreparedQuery.insertionMost, PreparedQuery.insertionMost + 1, 4000, 30000])
            let got = PreparedQuery.first(k, of: items, by: { $0.key < $1.key }).map(\.at)
            let want = Array(items.sorted { $0.key != $1.key ? $0.key < $1.key : $0.at < $1.at }.prefix(k).map(\.at))
            #expect(got == want, "seed \(seed) round \(round): \(items.count) items, k \(k)")
        }
    }
}
