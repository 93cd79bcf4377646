/// A least-significant-digit radix sort of machine words, for the loaders and the
/// evaluator alike (the store knows nothing of the evaluator's types).
enum RadixSort {
    /// Sorts words of `bits` significant bits: least significant digit first, eleven bits
    /// a pass; a pass whose digit is the same in every word is skipped.
    static func sort(_ words: inout [UInt64], bits: Int) {
        let n = words.count
        guard n > 1 else { return }
        let digit = 11
        let buckets = 1 << digit
        var other = [UInt64](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: buckets)
        var shift = 0
        while shift < bits {
            let s = UInt64(shift)
            let mask = UInt64(buckets - 1)
            var skipped = false
            words.withUnsafeMutableBufferPointer { from in
                other.withUnsafeMutableBufferPointer { to in
                    counts.withUnsafeMutableBufferPointer { counts in
                        for b in 0..<buckets { counts[b] = 0 }
                        for w in from { counts[Int(w >> s & mask)] += 1 }
                        if counts[Int(from[0] >> s & mask)] == n {
                            skipped = true
                            return
                        }
                        var at = 0
                        for b in 0..<buckets {
                            let c = counts[b]
                            counts[b] = at
                            at += c
                        }
                        for w in from {
                            let b = Int(w >> s & mask)
                            to[counts[b]] = w
                            counts[b] += 1
                        }
                    }
                }
            }
            if !skipped { swap(&words, &other) }
            shift += digit
        }
    }
}
