/// The tightest loops of a plain step's scan (`BatchJoin.scanPlain`), each a function of
/// its own over plain pointers. Inside the scan, whose locals outnumber the registers,
/// these loops reloaded their pointers and counters from the stack at every candidate
/// (a third of a count over a key's 240k statements); on their own, everything they read
/// lives in registers.
///
/// Each narrows a chunk in place, in candidate order, writing every candidate's values at
/// the next kept place and moving on only when it is kept (no branch on the outcome, which
/// no predictor learns): place `kept` is never past place `i`, so nothing unread is
/// overwritten.
enum ScanLoops {
    /// Phase 1 over a list with each statement's predicate beside it (tagged negative,
    /// -p-1, when the statement is quoted): candidates `range` that are quoted exactly
    /// when `quoted` and whose predicate `allowed` allows (nil: any). Returns how many.
    @inline(never)
    static func byPredicate(
        _ range: Range<Int>, tags: UnsafePointer<Int16>, ids: UnsafePointer<StatementID>, quoted: Bool,
        allowed: UnsafeMutableBufferPointer<Bool>?,
        positions: UnsafeMutablePointer<Int32>, sids: UnsafeMutablePointer<StatementID>, chosen: UnsafeMutablePointer<PredicateID>
    ) -> Int {
        var k = 0
        if let allowed {
            for i in range {
                let tag = PredicateID(tags[i])
                let predicate = tag < 0 ? -tag - 1 : tag
                positions[k] = Int32(truncatingIfNeeded: i)
                sids[k] = ids[i]
                chosen[k] = predicate
                let keep = (tag < 0) == quoted && Int(predicate) < allowed.count && allowed[Int(predicate)]
                k &+= keep ? 1 : 0
            }
        } else {
            for i in range {
                let tag = PredicateID(tags[i])
                positions[k] = Int32(truncatingIfNeeded: i)
                sids[k] = ids[i]
                chosen[k] = tag < 0 ? -tag - 1 : tag
                k &+= (tag < 0) == quoted ? 1 : 0
            }
        }
        return k
    }

    /// Phase 2 for a step whose one qualifier is the key its list is by: each survivor's
    /// value lies beside it in the list (`values`, by place), and is kept in `found` when
    /// it is the value the row requires (`need`; 0: any). Returns how many are kept.
    @inline(never)
    static func valueBeside(
        _ count: Int, values: UnsafePointer<Term>, need: UInt64,
        positions: UnsafeMutablePointer<Int32>, sids: UnsafeMutablePointer<StatementID>, chosen: UnsafeMutablePointer<PredicateID>,
        found: UnsafeMutablePointer<UInt64>
    ) -> Int {
        var kept = 0
        for i in 0..<count {
            let v = JoinPlan.termTag | UInt64(values[Int(positions[i])].raw)
            (positions[kept], sids[kept], chosen[kept]) = (positions[i], sids[i], chosen[i])
            found[kept] = v
            kept &+= need == 0 || need == v ? 1 : 0
        }
        return kept
    }
}

extension ScanLoops {
    /// How a quick check decided a candidate, as bits: 1 left it undecided (the general
    /// evaluator decides), 2 refused it; 0 kept it. Several checks' verdicts are or-ed.
    static func verdict(_ truth: Bool?) -> UInt8 {
        switch truth {
        case true?: 0
        case false?: 2
        case nil: 1
        }
    }

    /// Decides a quick check of a date or number (`QuickComparison.Plain`) for `count`
    /// candidates whose values lie in `column`, `stride` apart, or-ing each verdict into
    /// `verdicts`. A literal's verdict is looked up in `memo` when there is one (and put
    /// there the first time): the values of a long scan repeat, and a literal's kind and
    /// payload lie far apart in memory, where the memo is a quarter of a byte a literal.
    @inline(never)
    static func decide(
        _ check: QuickComparison.Plain, _ column: UnsafePointer<UInt64>, stride: Int, _ count: Int,
        _ literals: LiteralTable, _ memo: LiteralVerdicts?, into verdicts: UnsafeMutablePointer<UInt8>
    ) {
        guard let memo else {
            for i in 0..<count { verdicts[i] |= verdict(check.truth(column[i * stride], literals)) }
            return
        }
        let literalHigh = (JoinPlan.termTag | UInt64(Term.literalKind) << 30) >> 30
        for i in 0..<count {
            let b = column[i * stride]
            let index = Int(truncatingIfNeeded: b) & Int(Term.indexMask)
            guard b >> 30 == literalHigh, index < memo.count else {
                verdicts[i] |= verdict(check.truth(b, literals))
                continue
            }
            var known = memo[index]
            if known == 0 {
                known = verdict(check.truth(b, literals)) + 1
                memo[index] = known
            }
            verdicts[i] |= known - 1
        }
    }
}

/// One quick check's verdicts (`ScanLoops.verdict`, plus one; 0: not decided yet) per
/// literal of the store, two bits each. A literal never changes once stored, and a
/// check's constant never changes either, so a verdict holds for the query's life.
final class LiteralVerdicts {
    let count: Int
    private let words: UnsafeMutablePointer<UInt64>

    init(count: Int) {
        self.count = count
        let n = (count + 31) / 32
        words = .allocate(capacity: max(1, n))
        words.initialize(repeating: 0, count: max(1, n))
    }

    deinit { words.deallocate() }

    subscript(_ i: Int) -> UInt8 {
        @inline(__always) get { UInt8(truncatingIfNeeded: words[i >> 5] >> UInt64((i & 31) * 2) & 3) }
        @inline(__always) set {
            let shift = UInt64((i & 31) * 2)
            words[i >> 5] = words[i >> 5] & ~(3 << shift) | UInt64(newValue & 3) << shift
        }
    }
}
