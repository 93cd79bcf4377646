/// Regular expressions for `matches`, matched in time linear in the text: the pattern is
/// compiled to a Thompson NFA and every possible position in it is followed at once (a
/// Pike VM without captures, as RE2 does), so `^(.+)+!$` cannot backtrack for ever as
/// Swift's backtracking `Regex` did. The price is the constructs that need backtracking:
/// back-references and look-around are refused with a message saying so.
///
/// Syntax: literals, `.` (anything but a newline), `[...]` and `[^...]` with ranges,
/// `\d \w \s \D \W \S \b \B`, escapes of punctuation, `\n \t \r`, `^ $`, groups `(...)` and
/// `(?:...)`, `|`, `* + ?` (and their lazy forms, the same for a yes/no match), `{m}`,
/// `{m,}`, `{m,n}`, and a leading `(?i)` for case-insensitive matching. Text is matched
/// scalar by scalar.
public struct LinearRegex: Sendable {
    public struct SyntaxError: Error, Sendable { public var message: String }

    /// A set of scalars: ranges, the class escapes, possibly negated.
    struct ScalarSet: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var classes: [Character] = []  // d w s D W S
        var negated = false

        func contains(_ c: Unicode.Scalar, caseless: Bool) -> Bool {
            var found = ranges.contains { $0.contains(c.value) } || classes.contains { LinearRegex.inClass($0, c) }
            if !found && caseless {
                for v in LinearRegex.caseVariants(c) where v != c {
                    if ranges.contains(where: { $0.contains(v.value) }) { found = true; break }
                }
            }
            return found != negated
        }
    }

    enum Instruction: Sendable {
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart, lineEnd, wordBoundary(Bool)
        case match
    }

    let program: [Instruction]
    let caseless: Bool
    /// The program as a table over ASCII bytes, when it is small enough to build whole and
    /// has no `\b` (`AsciiDFA`); the Pike VM below is the rest's, and the reference.
    let dfa: AsciiDFA?

    /// The largest program a pattern may compile to (`a{1000}{1000}` would be a million).
    static let maxInstructions = 20_000
    static let maxDepth = 200

    public init(_ pattern: String) throws(SyntaxError) {
        var scalars = Array(pattern.unicodeScalars)
        var caseless = false
        if scalars.starts(with: Array("(?i)".unicodeScalars)) {
            caseless = true
            scalars.removeFirst(4)
        }
        var parser = Parser(scalars: scalars)
        let tree = try parser.parseWhole()
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.program.append(.match)
        self.program = compiler.program
        self.caseless = caseless
        dfa = AsciiDFA(program: program, caseless: caseless)
    }

    // MARK: matching

    /// Whether some part of `text` matches. ASCII text is read as its bytes, each one
    /// scalar, with no array of scalars made (a filter over labels matches a short text a
    /// row, and making that array was a large part of each).
    public func matches(_ text: String) -> Bool {
        var text = text
        if let ascii = text.withUTF8({ b -> Bool? in
            if let dfa, let found = dfa.matches(b) { return found }
            guard b.allSatisfy({ $0 < 0x80 }) else { return nil }
            return matches(input: b.lazy.map { Unicode.Scalar($0) })
        }) {
            return ascii
        }
        return matches(input: Array(text.unicodeScalars))
    }

    /// `matches` of a text of ASCII bytes (each one scalar).
    func matches(ascii bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let dfa, let found = dfa.matches(bytes) { return found }
        return matchesByThreads(ascii: bytes)
    }

    /// `matches(ascii:)` by the Pike VM alone: the reference the automaton is tested against.
    func matchesByThreads(ascii bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        matches(input: bytes.lazy.map { Unicode.Scalar($0) })
    }

    /// `matches` over the text's scalars. The two thread lists live in one temporary
    /// allocation (on the stack for a small pattern), made once a call.
    private func matches<Input: RandomAccessCollection>(input: Input) -> Bool where Input.Element == Unicode.Scalar, Input.Index == Int {
        let n = program.count
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * n) { memory -> Bool in
            memory.initialize(repeating: 0)
            let base = memory.baseAddress!
            var current = ThreadList(items: base, seen: base + n)
            var next = ThreadList(items: base + 2 * n, seen: base + 3 * n)
            var stack: [Int] = []
            // A pattern that starts with `^` can start a match only at the first scalar;
            // once its threads die, nothing later can match.
            let anchored = program.first.map { if case .lineStart = $0 { true } else { false } } ?? false
            for i in 0...input.count {
                // Unanchored: a match may start here.
                if i == 0 || !anchored {
                    if add(0, at: i, input, &current, &stack) { return true }
                } else if current.count == 0 {
                    return false
                }
                if i == input.count { break }
                let c = input[i]
                next.clear()
                for j in 0..<current.count {
                    let pc = Int(current.items[j])
                    if LinearRegex.advances(program[pc], c, caseless: caseless) && add(pc + 1, at: i + 1, input, &next, &stack) { return true }
                }
                swap(&current, &next)
            }
            return false
        }
    }

    /// Whether a thread at `instruction` reads scalar `c` and goes on (false for an
    /// instruction that reads nothing).
    @inline(__always)
    static func advances(_ instruction: Instruction, _ c: Unicode.Scalar, caseless: Bool) -> Bool {
        switch instruction {
        case .scalar(let s): return s == c || (caseless && LinearRegex.sameIgnoringCase(s, c))
        case .any: return c != "\n"
        case .set(let set): return set.contains(c, caseless: caseless)
        default: return false
        }
    }

    /// Adds `pc` and everything reachable from it without reading a scalar; true when that
    /// reaches the end of the pattern. `stack`: the caller's, empty between calls (one
    /// allocated per call was most of the time of a short text).
    private func add<Input: RandomAccessCollection>(
        _ start: Int, at i: Int, _ input: Input, _ list: inout ThreadList, _ stack: inout [Int]
    ) -> Bool where Input.Element == Unicode.Scalar, Input.Index == Int {
        stack.removeAll(keepingCapacity: true)
        stack.append(start)
        while let pc = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let to): stack.append(to)
            case .split(let a, let b):
                stack.append(b)
                stack.append(a)
            case .lineStart: if i == 0 { stack.append(pc + 1) }
            case .lineEnd: if i == input.count { stack.append(pc + 1) }
            case .wordBoundary(let wanted):
                let before = i > 0 && LinearRegex.isWord(input[i - 1])
                let after = i < input.count && LinearRegex.isWord(input[i])
                if (before != after) == wanted { stack.append(pc + 1) }
            default: break
            }
        }
        return false
    }

    /// The threads at one position: each instruction once, in a sparse set over memory the
    /// caller owns (`items` and `seen`, a slot per instruction each; `seen` zeroed first).
    struct ThreadList {
        let items: UnsafeMutablePointer<UInt32>
        let seen: UnsafeMutablePointer<UInt32>
        var count = 0
        var generation: UInt32 = 1

        init(items: UnsafeMutablePointer<UInt32>, seen: UnsafeMutablePointer<UInt32>) { (self.items, self.seen) = (items, seen) }

        mutating func clear() {
            count = 0
            generation += 1
        }

        mutating func insert(_ pc: Int) -> Bool {
            if seen[pc] == generation { return false }
            seen[pc] = generation
            items[count] = UInt32(pc)
            count += 1
            return true
        }
    }

    // MARK: character classes

    static func isWord(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || c.properties.numericType == .decimal
    }

    static func inClass(_ k: Character, _ c: Unicode.Scalar) -> Bool {
        switch k {
        case "d": return c.properties.numericType == .decimal
        case "D": return c.properties.numericType != .decimal
        case "w": return isWord(c)
        case "W": return !isWord(c)
        case "s": return c.properties.isWhitespace
        default: return !c.properties.isWhitespace  // S
        }
    }

    static func caseVariants(_ c: Unicode.Scalar) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = [c]
        for mapped in [c.properties.lowercaseMapping, c.properties.uppercaseMapping] {
            let s = mapped.unicodeScalars
            if s.count == 1, let v = s.first, !out.contains(v) { out.append(v) }
        }
        return out
    }

    static func sameIgnoringCase(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        caseVariants(a).contains(b)
    }

    // MARK: syntax

    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case lineStart, lineEnd, wordBoundary(Bool)
        case concat([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var at = 0
        var depth = 0

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var current: Unicode.Scalar? { at < scalars.count ? scalars[at] : nil }

        func fail(_ message: String) -> SyntaxError { SyntaxError(message: "\(message) (at character \(at + 1))") }

        mutating func parseWhole() throws(SyntaxError) -> Node {
            let n = try alternation()
            if at < scalars.count { throw fail("unmatched ')'") }
            return n
        }

        mutating func alternation() throws(SyntaxError) -> Node {
            var branches = [try concatenation()]
            while current == "|" {
                at += 1
                branches.append(try concatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func concatenation() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let c = current, c != "|", c != ")" {
                items.append(try repetition())
            }
            return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
        }

        mutating func repetition() throws(SyntaxError) -> Node {
            var node = try atom()
            while let c = current {
                var bounds: (Int, Int?)
                switch c {
                case "*": bounds = (0, nil); at += 1
                case "+": bounds = (1, nil); at += 1
                case "?": bounds = (0, 1); at += 1
                case "{":
                    guard let b = try braces() else { return node }
                    bounds = b
                default: return node
                }
                if current == "?" || current == "+" { at += 1 }  // lazy or possessive: the same yes/no
                if case .lineStart = node { throw fail("nothing to repeat") }
                node = .repeated(node, min: bounds.0, max: bounds.1)
            }
            return node
        }

        /// `{m}`, `{m,}`, `{m,n}`; nil (and `{` read as itself) when it is not one.
        mutating func braces() throws(SyntaxError) -> (Int, Int?)? {
            let start = at
            at += 1
            func number() -> Int? {
                var digits = ""
                while let c = current, ("0"..."9").contains(c), digits.count < 6 { digits.unicodeScalars.append(c); at += 1 }
                return Int(digits)
            }
            guard let low = number() else { at = start; return nil }
            var high: Int? = low
            if current == "," {
                at += 1
                high = number()
            }
            guard current == "}" else { at = start; return nil }
            at += 1
            if let h = high, h < low { throw fail("{\(low),\(h)}: the larger number comes second") }
            if low > 1000 || (high ?? 0) > 1000 { throw fail("a repetition count above 1000") }
            return (low, high)
        }

        mutating func atom() throws(SyntaxError) -> Node {
            guard let c = current else { throw fail("unexpected end") }
            at += 1
            switch c {
            case ".": return .any
            case "^": return .lineStart
            case "$": return .lineEnd
            case "(":
                depth += 1
                defer { depth -= 1 }
                if depth > LinearRegex.maxDepth { throw fail("groups nested too deep") }
                if current == "?" {
                    guard at + 1 < scalars.count, scalars[at + 1] == ":" else {
                        throw fail("'(?' is look-around or a flag, which kbq's linear-time matcher does not support (only '(?:' and a leading '(?i)')")
                    }
                    at += 2
                }
                let inner = try alternation()
                guard current == ")" else { throw fail("'(' is not closed") }
                at += 1
                return inner
            case ")": throw fail("unmatched ')'")
            case "*", "+", "?": throw fail("nothing to repeat before '\(c)'")
            case "[": return .set(try bracket())
            case "\\": return try escape(inClass: false).node
            default: return .scalar(c)
            }
        }

        /// After `\`: a node, or for a class the scalar or class letter it stands for.
        mutating func escape(inClass: Bool) throws(SyntaxError) -> (node: Node, scalar: Unicode.Scalar?, cls: Character?) {
            guard let c = current else { throw fail("'\\' at the end") }
            at += 1
            switch c {
            case "d", "D", "w", "W", "s", "S":
                let k = Character(c)
                return (.set(ScalarSet(classes: [k])), nil, k)
            case "b", "B":
                if inClass { throw fail("\\\(c) inside [...]") }
                return (.wordBoundary(c == "b"), nil, nil)
            case "n": return (.scalar("\n"), "\n", nil)
            case "t": return (.scalar("\t"), "\t", nil)
            case "r": return (.scalar("\r"), "\r", nil)
            case "1"..."9": throw fail("back-references (\\\(c)) need backtracking, which kbq's linear-time matcher does not do")
            default:
                if c.properties.isAlphabetic || ("0"..."9").contains(c) { throw fail("unknown escape '\\\(c)'") }
                return (.scalar(c), c, nil)
            }
        }

        mutating func bracket() throws(SyntaxError) -> ScalarSet {
            var set = ScalarSet()
            if current == "^" { set.negated = true; at += 1 }
            var first = true
            while true {
                guard let c = current else { throw fail("'[' is not closed") }
                if c == "]" && !first { at += 1; return set }
                first = false
                at += 1
                var low: Unicode.Scalar
                if c == "\\" {
                    let e = try escape(inClass: true)
                    if let k = e.cls { set.classes.append(k); continue }
                    low = e.scalar!
                } else if c == "[" && current == ":" {
                    throw fail("POSIX classes ([:alpha:]) are not supported: use \\w, \\d, \\s or ranges")
                } else {
                    low = c
                }
                if current == "-", at + 1 < scalars.count, scalars[at + 1] != "]" {
                    at += 1
                    var high = current!
                    at += 1
                    if high == "\\" {
                        guard let e = try? escape(inClass: true), let s = e.scalar else { throw fail("a range must end with a character") }
                        high = s
                    }
                    if high.value < low.value { throw fail("range \(low)-\(high) is out of order") }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
        }
    }

    struct Compiler {
        var program: [Instruction] = []

        mutating func append(_ i: Instruction) throws(SyntaxError) {
            if program.count >= LinearRegex.maxInstructions {
                throw SyntaxError(message: "the regular expression is too large (more than \(LinearRegex.maxInstructions) steps)")
            }
            program.append(i)
        }

        mutating func emit(_ n: Node) throws(SyntaxError) {
            switch n {
            case .empty: break
            case .scalar(let s): try append(.scalar(s))
            case .any: try append(.any)
            case .set(let s): try append(.set(s))
            case .lineStart: try append(.lineStart)
            case .lineEnd: try append(.lineEnd)
            case .wordBoundary(let b): try append(.wordBoundary(b))
            case .concat(let items): for i in items { try emit(i) }
            case .alternation(let branches):
                // split L1, next; L1: a; jump end; next: split L2, ...
                var jumps: [Int] = []
                for (k, b) in branches.enumerated() {
                    if k < branches.count - 1 {
                        let split = program.count
                        try append(.split(split + 1, 0))
                        try emit(b)
                        jumps.append(program.count)
                        try append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(b)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repeated(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Each optional copy: split into it or past all of them.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        try append(.split(0, 0))
                        try emit(inner)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    // loop: split body, out; body; jump loop
                    let loop = program.count
                    try append(.split(0, 0))
                    try emit(inner)
                    try append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
