/// A deterministic automaton for a `LinearRegex` over ASCII text: one table lookup a byte
/// where the Pike VM follows every live thread and dedupes them. It is the subset
/// construction of the pattern's program (as RE2's DFA), built whole when the pattern is
/// compiled and capped in size, so that it never changes after and every worker reads it
/// without a lock; a pattern past the cap, or one with `\b` (which reads the scalar before
/// as well), is left to the Pike VM, as is any text with a byte past ASCII.
///
/// A state stands for one position in the text: the program counters its threads reached by
/// reading up to there (its kernel), plus the start of a match attempted there (the program's
/// first instruction: every position may start one, and a leading `^` refuses all but the
/// first). Its closure over the non-reading instructions decides, exactly as the Pike VM's
/// `add` does at that position: `^` passes only at the first position (the start state's),
/// `$` only at the last. So each state keeps two answers, one for a position inside the
/// text (a match found there ends the search) and one for the end of the text.
struct AsciiDFA: Sendable {
    /// More states than this and the pattern keeps the Pike VM: tables of a few kilobytes,
    /// built in well under a millisecond. `(a|b)*a(a|b){12}` needs thousands.
    static let maxStates = 200
    /// Programs longer than this are not tried (each state's closure walks the program).
    static let maxProgram = 2_000

    /// A match ends at this position (not the text's end): the search is over.
    static let matchHere: UInt8 = 1
    /// The text ending at this position holds a match.
    static let matchAtEnd: UInt8 = 2
    /// Every byte leads back here and nothing matches here: the answer is `matchAtEnd`,
    /// whatever the rest of the text.
    static let settled: UInt8 = 4

    /// Each ASCII byte's class: bytes that every reading instruction takes alike.
    let classOf: [UInt8]
    let classCount: Int
    /// State s's next state on a byte of class c at `s * classCount + c`; state 0 is the
    /// start.
    let next: [UInt16]
    let flags: [UInt8]

    init?(program: [LinearRegex.Instruction], caseless: Bool) {
        guard program.count <= AsciiDFA.maxProgram else { return nil }
        var reading: [Int] = []
        for (pc, instruction) in program.enumerated() {
            switch instruction {
            case .wordBoundary: return nil
            case .scalar, .any, .set: reading.append(pc)
            default: break
            }
        }
        // Byte classes: a byte's signature is the set of reading instructions that take it.
        let scalars = (0..<128).map { Unicode.Scalar(UInt8($0)) }
        var signatureClass: [[Bool]: UInt8] = [:]
        var classOf = [UInt8](repeating: 0, count: 128)
        var representative: [Unicode.Scalar] = []
        for b in 0..<128 {
            let signature = reading.map { LinearRegex.advances(program[$0], scalars[b], caseless: caseless) }
            if let c = signatureClass[signature] {
                classOf[b] = c
            } else {
                let c = UInt8(representative.count)
                signatureClass[signature] = c
                representative.append(scalars[b])
                classOf[b] = c
            }
        }
        let classCount = representative.count

        var closure = Closure(program)
        // Kernels of the states found, in the order found; the start's is empty, as is a
        // later state's whose threads all died (told apart by their index).
        var kernels: [[Int32]] = [[]]
        var index: [[Int32]: UInt16] = [:]
        var next: [UInt16] = []
        var flags: [UInt8] = []
        var s = 0
        while s < kernels.count {
            let atStart = s == 0
            let inside = closure.of(kernels[s], atStart: atStart, atEnd: false)
            let atEnd = closure.of(kernels[s], atStart: atStart, atEnd: true)
            var f: UInt8 = inside.matched ? AsciiDFA.matchHere : 0
            if atEnd.matched { f |= AsciiDFA.matchAtEnd }
            var selfOnly = !inside.matched
            for c in 0..<classCount {
                let kernel = inside.reading.compactMap { pc in
                    LinearRegex.advances(program[Int(pc)], representative[c], caseless: caseless) ? pc + 1 : nil
                }
                let target: UInt16
                if let known = index[kernel] {
                    target = known
                } else {
                    guard kernels.count < AsciiDFA.maxStates else { return nil }
                    target = UInt16(kernels.count)
                    index[kernel] = target
                    kernels.append(kernel)
                }
                next.append(target)
                if Int(target) != s { selfOnly = false }
            }
            if selfOnly { f |= AsciiDFA.settled }
            flags.append(f)
            s += 1
        }
        (self.classOf, self.classCount, self.next, self.flags) = (classOf, classCount, next, flags)
    }

    /// Whether some part of the text matches; nil at a byte past ASCII (the caller then
    /// asks the Pike VM, which reads scalars).
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        next.withUnsafeBufferPointer { next in
            flags.withUnsafeBufferPointer { flags in
                classOf.withUnsafeBufferPointer { classOf in
                    var s = 0
                    for b in bytes {
                        let f = flags[s]
                        if f & AsciiDFA.matchHere != 0 { return true }
                        if f & AsciiDFA.settled != 0 { return f & AsciiDFA.matchAtEnd != 0 }
                        guard b < 0x80 else { return nil }
                        s = Int(next[s * classCount + Int(classOf[Int(b)])])
                    }
                    return flags[s] & AsciiDFA.matchAtEnd != 0
                }
            }
        }
    }

    /// The instructions reachable from a kernel and a match started at its position without
    /// reading: those that read, in program order, and whether `match` is among them.
    struct Closure {
        let program: [LinearRegex.Instruction]
        var seen: [UInt32]
        var generation: UInt32 = 0
        var stack: [Int32] = []

        init(_ program: [LinearRegex.Instruction]) {
            self.program = program
            seen = [UInt32](repeating: 0, count: program.count)
        }

        mutating func of(_ kernel: [Int32], atStart: Bool, atEnd: Bool) -> (reading: [Int32], matched: Bool) {
            generation += 1
            var reading: [Int32] = []
            var matched = false
            stack.removeAll(keepingCapacity: true)
            // A match may start at every position (`^` refuses all but the first).
            stack.append(0)
            stack.append(contentsOf: kernel.reversed())
            while let pc = stack.popLast() {
                guard seen[Int(pc)] != generation else { continue }
                seen[Int(pc)] = generation
                switch program[Int(pc)] {
                case .match: matched = true
                case .jump(let to): stack.append(Int32(to))
                case .split(let a, let b):
                    stack.append(Int32(b))
                    stack.append(Int32(a))
                case .lineStart: if atStart { stack.append(pc + 1) }
                case .lineEnd: if atEnd { stack.append(pc + 1) }
                case .wordBoundary: break  // never built with one (`init`)
                case .scalar, .any, .set: reading.append(pc)
                }
            }
            reading.sort()
            return (reading, matched)
        }
    }
}
