/// A page of rows ordered by up to three 64-bit words a row (`PreparedQuery.page(words:)`),
/// sorted as plain values, every two rows different (a row's number is its last key), so
/// that any sort gives the stable order. A comparator closure over the rows' numbers,
/// called through another closure at each comparison, was most of a page of tens of
/// thousands of rows.
///
/// When the keys' spans and the row's number fit in 64 bits (entity ranks and row numbers
/// take some twenty bits each; a date's word, far from zero, spans a few thousand years),
/// each row is one word, its keys packed high to low, each taken from its column's least
/// (`w - min`), or for a descending key from its largest (`max - w`, which reverses the
/// order within the same bits), and the words are radix sorted. Otherwise each row is a
/// `Row` sorted by comparison, a descending word inverted.
enum OrderedWords {
    static let most = 3

    struct Row: Comparable {
        var a: UInt64, b: UInt64, c: UInt64
        var row: UInt32

        @inline(__always) static func < (x: Row, y: Row) -> Bool {
            if x.a != y.a { return x.a < y.a }
            if x.b != y.b { return x.b < y.b }
            if x.c != y.c { return x.c < y.c }
            return x.row < y.row
        }
    }

    /// The rows of the page (`offset`, `limit`) of `count` rows whose keys are
    /// `keys[r * width ..< (r + 1) * width]`, width `descending.count` (at most `most`).
    static func page(_ keys: [UInt64], _ count: Int, descending: [Bool], offset: Int?, limit: Int?) -> ArraySlice<Int> {
        let width = descending.count
        precondition(width >= 1 && width <= most && keys.count == count * width && count < 1 << 32)
        let start = min(offset ?? 0, count)
        let wanted = limit.map { PreparedQuery.rowsWanted(offset, $0) } ?? count
        let topK = wanted < count / 4 && wanted <= PreparedQuery.insertionMost
        let end = limit.map { start + min($0, count - start) } ?? count
        guard start < end else { return [] }
        if let (packed, bits) = packed(keys, count, descending: descending) {
            var words = packed
            if topK { words = PreparedQuery.first(wanted, of: words, by: <) } else { RadixSort.sort(&words, bits: bits) }
            let mask = (UInt64(1) << UInt64(rowBits(count))) - 1
            return ArraySlice(words[start..<end].map { Int($0 & mask) })
        }
        let flip = (0..<most).map { $0 < width && descending[$0] ? UInt64.max : 0 }
        var rows = [Row](unsafeUninitializedCapacity: count) { rows, made in
            keys.withUnsafeBufferPointer { keys in
                for r in 0..<count {
                    let at = r * width
                    rows[r] = Row(
                        a: keys[at] ^ flip[0], b: width > 1 ? keys[at + 1] ^ flip[1] : 0, c: width > 2 ? keys[at + 2] ^ flip[2] : 0,
                        row: UInt32(truncatingIfNeeded: r))
                }
            }
            made = count
        }
        if topK { rows = PreparedQuery.first(wanted, of: rows, by: <) } else { rows.sort() }
        return ArraySlice(rows[start..<end].map { Int($0.row) })
    }

    static func rowBits(_ count: Int) -> Int { max(1, Int.bitWidth - (count - 1).leadingZeroBitCount) }

    /// Each column's least and largest words.
    static func span(_ keys: [UInt64], _ count: Int, _ width: Int) -> [(least: UInt64, most: UInt64)] {
        var span = [(least: UInt64, most: UInt64)](repeating: (.max, 0), count: width)
        keys.withUnsafeBufferPointer { keys in
            for r in 0..<count {
                for k in 0..<width {
                    let w = keys[r * width + k]
                    if w < span[k].least { span[k].least = w }
                    if w > span[k].most { span[k].most = w }
                }
            }
        }
        return span
    }

    static func bits(_ w: UInt64) -> Int { UInt64.bitWidth - w.leadingZeroBitCount }

    /// Each row as one word (keys high, the row's number low) and the word's significant
    /// bits, or nil when they need more than 64 bits.
    static func packed(_ keys: [UInt64], _ count: Int, descending: [Bool]) -> (words: [UInt64], bits: Int)? {
        let width = descending.count
        let span = span(keys, count, width)
        let keyBits = span.map { bits($0.most - $0.least) }
        let low = rowBits(count)
        let total = keyBits.reduce(low, +)
        guard total <= 64 else { return nil }
        let words = [UInt64](unsafeUninitializedCapacity: count) { out, made in
            keys.withUnsafeBufferPointer { keys in
                for r in 0..<count {
                    var v: UInt64 = 0
                    for k in 0..<width {
                        let w = keys[r * width + k]
                        v = v << UInt64(keyBits[k]) | (descending[k] ? span[k].most - w : w - span[k].least)
                    }
                    out[r] = v << UInt64(low) | UInt64(r)
                }
            }
            made = count
        }
        return (words, total)
    }
}
