/// A filter decided on a row's bindings without making Values: an entity's label or id and
/// a string literal read as bytes in place, integers and dates from the literal table's
/// payloads, and `lower`, `upper`, `str`, `len`, `year` applied to those. Any variable of
/// the row may appear on either side (`?f > ?b`, `?x.label = ?y.label`), at any depth
/// (`len(lower(?x.label)) > 20`).
///
/// It decides exactly as `ValueOps` would, or declines (nil) and the general evaluator
/// decides: an unbound variable (no record), a value it does not read this way (a decimal,
/// a typed literal, a statement, text beyond ASCII), a comparison `ValueOps` would refuse
/// with an error. On ASCII, each text operation is the byte operation: upper and lower
/// case map letters alone; equality and order are the bytes' (String compares scalars,
/// one per byte); `contains` and `len` also need no carriage return (a CR before a LF is
/// one Character with it), as `ValueOps.asciiContains` does.
struct BindingFilter {
    /// Where a side starts: a variable's binding or a constant.
    enum Leaf {
        case variable(Int)
        case integer(Int)
        case date(DateValue)
        /// A string constant (ASCII): the side's `text`.
        case text
    }

    /// What is then applied to it, innermost first: a field of an entity, or a function.
    enum Step: UInt8 {
        case label, id, lower, upper, str, len, year
    }

    /// A side of the test: a leaf and the steps applied to it (`len(lower(?x.label))` is
    /// `?x` then label, lower, len). Every field and function takes one value, so a side is
    /// a chain, its steps packed eight bits each in a word: an array, or a tree of boxed
    /// nodes, was retained and released at every row.
    struct Side {
        let leaf: Leaf
        let steps: UInt64
        let stepCount: Int
        let text: [UInt8]

        static let maxSteps = 8

        var variable: Int? { if case .variable(let v) = leaf { v } else { nil } }

        @inline(__always) func step(_ i: Int) -> Step { Step(rawValue: UInt8(truncatingIfNeeded: steps >> (8 * UInt64(i))))! }
    }

    enum Test { case compare, regex }

    let test: Test
    let op: CompareOp
    let left: Side
    let right: Side
    let regex: LinearRegex?

    /// The filter as a test this can decide, or nil when some part of it is never decided
    /// here (those go to the general evaluator whole, with no attempt per row).
    init?(_ e: CompiledExpr) {
        switch e {
        case .compare(let op, let l, let r, _):
            guard op != .matches, let a = BindingFilter.side(l), let b = BindingFilter.side(r) else { return nil }
            (test, self.op, left, right, regex) = (.compare, op, a, b, nil)
        case .regex(let inner, let regex, _):
            guard let a = BindingFilter.side(inner) else { return nil }
            // One side: `right` repeats it, never read.
            (test, op, left, right, self.regex) = (.regex, .matches, a, a, regex)
        default:
            return nil
        }
    }

    private static func side(_ e: CompiledExpr) -> Side? {
        var steps: [Step] = []
        var e = e
        func made(_ leaf: Leaf, text: [UInt8] = []) -> Side? {
            guard steps.count <= Side.maxSteps else { return nil }
            var packed: UInt64 = 0
            for (i, s) in steps.reversed().enumerated() { packed |= UInt64(s.rawValue) << (8 * UInt64(i)) }
            return Side(leaf: leaf, steps: packed, stepCount: steps.count, text: text)
        }
        while true {
            switch e {
            case .slot(.variable(let v)): return made(.variable(v))
            case .slot(.constant(.integer(let n))): return made(.integer(n))
            case .slot(.constant(.date(let d))): return made(.date(d))
            case .slot(.constant(.string(let s))):
                let bytes = Array(s.utf8)
                guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
                return made(.text, text: bytes)
            case .field(let inner, .named(let f), _) where f == .label || f == .id:
                steps.append(f == .label ? .label : .id)
                e = inner
            case .function(let f, let args, _) where args.count == 1:
                steps.append([.lower: .lower, .upper: .upper, .str: .str, .len: .len, .year: .year][f]!)
                e = args[0]
            default:
                return nil
            }
        }
    }

    /// What a side reads as: a value it has in hand, or text (ASCII) left in its buffer.
    enum Scalar {
        case integer(Int)
        case date(DateValue)
        case entity(Int)
        case text
    }

    /// The tables a filter reads from, in place (`EntityTable.withNames`,
    /// `LiteralTable.withPayloads`), for one batch.
    struct Tables {
        let names: EntityTable.Names
        let literals: LiteralTable.Payloads
    }

    /// A side's text: bytes in memory of its own (a caller's, one per thread, kept between
    /// rows), up to `capacity`; a longer text is declined.
    struct Text {
        let base: UnsafeMutablePointer<UInt8>
        var count = 0

        static let capacity = 1 << 12

        static func allocate() -> Text { Text(base: .allocate(capacity: capacity)) }
        func free() { base.deallocate() }

        var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

        /// Holds `bytes` when they are ASCII and fit; false (and nothing held) otherwise.
        @inline(__always) mutating func set(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard bytes.count <= Text.capacity, ValueOps.isASCII(bytes) else { return false }
            if let from = bytes.baseAddress { base.update(from: from, count: bytes.count) }
            count = bytes.count
            return true
        }

        mutating func set<S: Sequence>(_ text: S) -> Bool where S.Element == UInt8 {
            count = 0
            for b in text {
                guard count < Text.capacity, b < 0x80 else { return false }
                base[count] = b
                count += 1
            }
            return true
        }
    }

    /// The two sides' texts.
    struct Scratch {
        var left = Text.allocate()
        var right = Text.allocate()

        func free() {
            left.free()
            right.free()
        }
    }

    /// The filter's truth at row `r`, whose sides' variables are bound in `leftColumn` and
    /// `rightColumn` (empty: unbound in every row); nil when the general evaluator must
    /// decide.
    @inline(__always)
    func truth(_ r: Int, _ leftColumn: UnsafeBufferPointer<UInt64>, _ rightColumn: UnsafeBufferPointer<UInt64>, _ tables: Tables, _ scratch: inout Scratch) -> Bool? {
        guard let a = BindingFilter.scalar(left, r, leftColumn, tables, &scratch.left) else { return nil }
        if test == .regex {
            // As `ValueOps.text`: an entity matches by its label, a number or date as written.
            guard BindingFilter.text(of: a, tables, &scratch.left) else { return nil }
            return regex!.matches(ascii: scratch.left.bytes)
        }
        guard let b = BindingFilter.scalar(right, r, rightColumn, tables, &scratch.right) else { return nil }
        return BindingFilter.compare(op, a, b, tables, &scratch)
    }

    /// A side's value at row `r`; nil to decline.
    @inline(__always)
    static func scalar(_ side: Side, _ r: Int, _ column: UnsafeBufferPointer<UInt64>, _ tables: Tables, _ text: inout Text) -> Scalar? {
        var s: Scalar
        switch side.leaf {
        case .integer(let i): s = .integer(i)
        case .date(let d): s = .date(d)
        case .text:
            guard side.text.withUnsafeBufferPointer({ text.set($0) }) else { return nil }
            s = .text
        case .variable:
            guard !column.isEmpty else { return nil }
            let b = column[r]
            guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
            let t = Term(raw: UInt32(truncatingIfNeeded: b))
            switch t.kind {
            case Term.entityKind: s = .entity(t.index)
            case Term.literalKind:
                if let i = tables.literals.integer(t.index) {
                    s = .integer(i)
                } else if let d = tables.literals.date(t.index) {
                    s = .date(d)
                } else {
                    guard let bytes = tables.literals.string(t.index), text.set(bytes) else { return nil }
                    s = .text
                }
            default:
                return nil
            }
        }
        for i in 0..<side.stepCount {
            let step = side.step(i)
            switch step {
            case .label, .id:
                // A field of anything but an entity is no record, or a name kbq keeps elsewhere.
                guard case .entity(let e) = s, let bytes = tables.names.bytes(e, label: step == .label), text.set(bytes) else { return nil }
                s = .text
            case .year:
                switch s {
                case .date(let d): s = .integer(d.year)
                case .integer(let y) where (1000...9999).contains(y): s = .integer(y)
                default: return nil  // an error, reported by the general evaluator
                }
            case .len:
                guard BindingFilter.text(of: s, tables, &text), ValueOps.isPlainASCII(text.bytes) else { return nil }
                s = .integer(text.count)
            case .str:
                guard BindingFilter.text(of: s, tables, &text) else { return nil }
                s = .text
            case .lower, .upper:
                guard BindingFilter.text(of: s, tables, &text) else { return nil }
                let (from, to): (UInt8, UInt8) = step == .lower ? (0x41, 0x5A) : (0x61, 0x7A)
                for k in 0..<text.count where text.base[k] >= from && text.base[k] <= to { text.base[k] ^= 0x20 }
                s = .text
            }
        }
        return s
    }

    /// A hash of a side's value that equal values share (`equal`): an integer and a date by
    /// the number and the year (a year date equals its year as an integer), a text by its
    /// bytes, an entity by its number.
    static func hashKey(_ s: Scalar, _ text: Text) -> UInt64 {
        func mixed(_ x: UInt64) -> UInt64 { (x ^ (x >> 31)) &* 0x9E37_79B9_7F4A_7C15 }
        switch s {
        case .integer(let i): return mixed(UInt64(bitPattern: Int64(i)))
        case .date(let d): return mixed(UInt64(bitPattern: Int64(d.year)))
        case .entity(let e): return mixed(UInt64(e) | 1 << 62)
        case .text: return mixed(ByteKeyTable.hash(text.bytes) ^ 1 << 63)
        }
    }

    /// Leaves in `text` the text `ValueOps.text` reads from a value (an entity's label, an
    /// integer's digits, a date as written); false when it cannot be had as ASCII here.
    @inline(__always)
    private static func text(of s: Scalar, _ tables: Tables, _ text: inout Text) -> Bool {
        switch s {
        case .text: return true
        case .entity(let e): return tables.names.bytes(e, label: true).map { text.set($0) } ?? false
        case .integer(let i): return text.set(String(i).utf8)
        case .date(let d):
            guard let n = d.writeDigits(into: text.base) else { return text.set(d.description.utf8) }
            text.count = n
            return true
        }
    }

    /// `ValueOps.compare` on what the two sides read as; nil where it would go on to a case
    /// this does not take (or throw).
    private static func compare(_ op: CompareOp, _ a: Scalar, _ b: Scalar, _ tables: Tables, _ scratch: inout Scratch) -> Bool? {
        switch op {
        case .equal, .notEqual:
            return equal(a, b, scratch).map { $0 == (op == .equal) }
        case .contains:
            // Both as text: an entity by its label; a number or a date as written.
            guard text(of: a, tables, &scratch.left), text(of: b, tables, &scratch.right),
                ValueOps.isPlainASCII(scratch.left.bytes), ValueOps.isPlainASCII(scratch.right.bytes)
            else { return nil }
            return ValueOps.lowercasedFind(scratch.right.bytes, in: scratch.left.bytes)
        case .within:
            guard let x = asDate(a), let y = asDate(b) else { return nil }
            return x.isWithin(y)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let c: Int
            switch (a, b) {
            case (.integer(let x), .integer(let y)): c = x < y ? -1 : x == y ? 0 : 1
            case (.text, .text): c = order(scratch.left.bytes, scratch.right.bytes)
            default:
                // Dates (a year written as an integer with them), precision-aware as
                // `ValueOps.compare`: `<` is "entirely before", `<=` "not entirely after".
                guard let x = asDate(a), let y = asDate(b) else { return nil }
                switch op {
                case .less: return x.isBefore(y)
                case .lessOrEqual: return !y.isBefore(x)
                case .greater: return y.isBefore(x)
                default: return !x.isBefore(y)
                }
            }
            switch op {
            case .less: return c < 0
            case .lessOrEqual: return c <= 0
            case .greater: return c > 0
            default: return c >= 0
            }
        case .matches:
            return nil
        }
    }

    /// `ValueOps.equal`: numbers by value, a year date equal to its year as an integer,
    /// texts by their bytes, entities by identity; other pairs are of different kinds.
    private static func equal(_ a: Scalar, _ b: Scalar, _ scratch: Scratch) -> Bool? {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x == y
        case (.date(let x), .date(let y)): return x == y
        case (.date(let d), .integer(let y)), (.integer(let y), .date(let d)): return (1000...9999).contains(y) && d == DateValue(year: y)
        case (.text, .text): return scratch.left.bytes.elementsEqual(scratch.right.bytes)
        case (.entity(let x), .entity(let y)): return x == y
        default: return false
        }
    }

    /// A date, or a year written as an integer (`ValueOps.asDate`).
    private static func asDate(_ s: Scalar) -> DateValue? {
        switch s {
        case .date(let d): return d
        case .integer(let y) where (1000...9999).contains(y): return DateValue(year: y)
        default: return nil
        }
    }

    /// The order of two ASCII texts, byte by byte (a prefix first).
    private static func order(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
        for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
        return x.count < y.count ? -1 : x.count == y.count ? 0 : 1
    }
}
