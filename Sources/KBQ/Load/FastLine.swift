/// The common line of a large knowledge base, `subject predicate object {key: value, ...}`,
/// read straight from the file's bytes: no chunk copy or syntax tree; the prescan keeps where
/// its items are (`Token`, 32 bits each), and the workers that resolve it read those.
///
/// It accepts a strict subset of the grammar (ASCII names that are not keywords, strings
/// without escapes, integers and dates, nothing else on the line); anything else, and any
/// line that fails to resolve, goes through the full parser, which gives the diagnostics.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct FastLine {
    enum Object {
        case name(Range<Int>)
        case string(Range<Int>)
        case integer(Int)
        case date(DateValue)
    }

    var subject: Range<Int>
    var predicate: Range<Int>
    var object: Object

    static let reserved: Set<String> = Parser.kbKeywords.union(Parser.keywords).union(["_"])
    /// Scans the line starting at `start` (the prescan, on every core) into `tokens`: its
    /// subject, predicate and object, then each qualifier's key and value (`Token`); the
    /// offset of its newline, or nil when the line is not of the simple form (tokens may
    /// be left appended; the caller drops them). The workers that resolve the line read
    /// the tokens and never scan it again (a second scan cost 0.04 s a load at 1M).
    /// Nothing is allocated: the loader scans a million lines.
    @inline(__always)
    static func scanTokens(_ b: UnsafeBufferPointer<UInt8>, from start: Int, into tokens: inout [UInt32]) -> Int? {
        var c = Cursor(b: b, i: start)
        guard let subject = c.name(), let s = Token(.name, subject, start), c.blank() else { return nil }
        guard let predicate = c.name(), let p = Token(.name, predicate, start), c.blank() else { return nil }
        let valueStart = c.i
        guard let object = c.value(), let o = Token(object, valueStart..<c.i, start) else { return nil }
        tokens.append(s.raw)
        tokens.append(p.raw)
        tokens.append(o.raw)
        c.spaces()
        if c.peek(UInt8(ascii: "{")) {
            let fits = c.braces { key, value, raw in
                guard let k = Token(.name, key, start), let v = Token(value, raw, start) else { return false }
                tokens.append(k.raw)
                tokens.append(v.raw)
                return true
            }
            guard fits else { return nil }
        }
        return c.endOfLine()
    }

    /// An item of a fast line as the prescan keeps it, in 32 bits: its kind, its offset
    /// from the line's start (lines over 64 KB take the full parser) and its length.
    struct Token {
        enum Kind: UInt32 { case name, string, integer, date }
        let raw: UInt32

        @inline(__always)
        init?(_ kind: Kind, _ range: Range<Int>, _ lineStart: Int) {
            let offset = range.lowerBound - lineStart
            guard offset < 1 << 16, range.count < 1 << 14 else { return nil }
            raw = kind.rawValue << 30 | UInt32(range.count) << 16 | UInt32(offset)
        }

        /// A value's token: a name's or a string's text (inside the quotes), a number's
        /// or a date's characters (`raw`).
        @inline(__always)
        init?(_ value: Object, _ raw: Range<Int>, _ lineStart: Int) {
            switch value {
            case .name(let r): self.init(.name, r, lineStart)
            case .string(let r): self.init(.string, r, lineStart)
            case .integer: self.init(.integer, raw, lineStart)
            case .date: self.init(.date, raw, lineStart)
            }
        }

        init(raw: UInt32) { self.raw = raw }

        func range(_ lineStart: Int) -> Range<Int> {
            let start = lineStart + Int(raw & 0xFFFF)
            return start..<(start + Int(raw >> 16 & 0x3FFF))
        }

        /// The value it stands for; the prescan checked its characters.
        @inline(__always)
        func object(_ b: UnsafeBufferPointer<UInt8>, _ lineStart: Int) -> Object {
            let r = range(lineStart)
            switch raw >> 30 {
            case Kind.name.rawValue: return .name(r)
            case Kind.string.rawValue: return .string(r)
            case Kind.integer.rawValue:
                let negative = b[r.lowerBound] == UInt8(ascii: "-")
                let n = Token.digits(b, (negative ? r.lowerBound + 1 : r.lowerBound)..<r.upperBound)
                return .integer(negative ? -n : n)
            default:
                let s = r.lowerBound
                let day = r.count == 10 ? Token.digits(b, (s + 8)..<(s + 10)) : 0
                return .date(DateValue(year: Token.digits(b, s..<(s + 4)), month: Token.digits(b, (s + 5)..<(s + 7)), day: day))
            }
        }

        private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int {
            var n = 0
            for k in r { n = n &* 10 &+ Int(b[k] &- 0x30) }
            return n
        }
    }

    /// What `scanEntity` finds besides the id and the label, in arrays the caller keeps
    /// and passes again (nothing is allocated a line).
    struct EntityParts {
        var types: [Range<Int>] = []
        var properties: [(key: Range<Int>, value: Object)] = []
    }

    /// `entity ID : Type, Type "Label" {key: value, ...}`, on one line, in the same subset:
    /// the id, the label, the newline's offset; types and properties into `parts`.
    static func scanEntity(
        _ b: UnsafeBufferPointer<UInt8>, from start: Int, into parts: inout EntityParts
    ) -> (id: Range<Int>, label: Range<Int>?, end: Int)? {
        parts.types.removeAll(keepingCapacity: true)
        parts.properties.removeAll(keepingCapacity: true)
        var c = Cursor(b: b, i: start)
        guard c.word("entity"), c.blank(), let id = c.name() else { return nil }
        c.spaces()
        guard c.peek(UInt8(ascii: ":")) else { return nil }
        c.i += 1
        repeat {
            c.spaces()
            guard let t = c.name() else { return nil }
            parts.types.append(t)
            c.spaces()
        } while c.take(UInt8(ascii: ","))
        var label: Range<Int>? = nil
        if c.peek(UInt8(ascii: "\"")) {
            guard case .string(let r)? = c.value() else { return nil }
            label = r
            c.spaces()
        }
        if c.peek(UInt8(ascii: "{")) {
            guard c.braces({ key, value, _ in parts.properties.append((key, value)); return true }) else { return nil }
        }
        guard let end = c.endOfLine() else { return nil }
        return (id, label, end)
    }

    /// Whether `b[r]` (nine bytes or fewer) is a reserved word (`reserved`): its bytes as
    /// one little-endian word against each word's, by a switch (the prescan asks for most
    /// names of a large file; a test checks the list against `reserved`).
    @inline(never)
    static func isReserved(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        let n = r.count
        switch ByteKeyTable.word(b, r.lowerBound, length: n) {
        case 0x5f,  // _
            0x646e61,  // and
            0x7361,  // as
            0x637361,  // asc
            0x7962,  // by
            0x736e6961746e6f63,  // contains
            0x63736564,  // desc
            0x74636e6974736964,  // distinct
            0x797469746e65,  // entity
            0x646e6966,  // find
            0x6d6f7266,  // from
            0x70756f7267,  // group
            0x6e69,  // in
            0x6564756c636e69,  // include
            0x79656b,  // key
            0x74696d696c,  // limit
            0x7365686374616d,  // matches
            0x656e6f6e,  // none
            0x746f6e,  // not
            0x74657366666f,  // offset
            0x6c616e6f6974706f,  // optional
            0x726f,  // or
            0x726564726f,  // order
            0x656c7572,  // rule
            0x65636e617473,  // stance
            0x65707974,  // type
            0x6e776f6e6b6e75,  // unknown
            0x6572656877,  // where
            0x796877:  // why
            return n <= 8
        case 0x7461636964657270:  // predicat(e)
            return n == 9 && b[r.lowerBound + 8] == UInt8(ascii: "e")
        default:
            return false
        }
    }

    /// A position in a line and the tokens of the fast subset.
    struct Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i: Int

        func peek(_ c: UInt8) -> Bool { i < b.count && b[i] == c }

        mutating func take(_ c: UInt8) -> Bool {
            guard peek(c) else { return false }
            i += 1
            return true
        }

        mutating func spaces() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 } }

        /// At least one blank, then any more.
        mutating func blank() -> Bool {
            guard i < b.count, b[i] == 0x20 || b[i] == 0x09 else { return false }
            spaces()
            return true
        }

        /// The keyword `w`, as a whole word.
        mutating func word(_ w: StaticString) -> Bool {
            let n = w.utf8CodeUnitCount
            guard i + n <= b.count, memcmp(b.baseAddress! + i, w.utf8Start, n) == 0, i + n == b.count || !isNameByte(b[i + n]) else { return false }
            i += n
            return true
        }

        /// An ASCII name that is not a keyword (`_` alone and keywords take the full parser).
        @inline(__always)
        mutating func name() -> Range<Int>? {
            let s = i
            guard i < b.count, isNameStart(b[i]) else { return nil }
            var lowerCaseOnly = b[i] >= 0x61
            i += 1
            while i < b.count, isNameByte(b[i]) {
                lowerCaseOnly = lowerCaseOnly && b[i] >= 0x61
                i += 1
            }
            // Keywords are short and lower-case letters only; and `_` alone.
            if lowerCaseOnly ? i - s <= 9 && FastLine.isReserved(b, s..<i) : i - s == 1 && b[s] == 0x5F { return nil }
            return s..<i
        }

        @inline(__always)
        mutating func value() -> Object? {
            guard i < b.count else { return nil }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let s = i + 1
                i = s
                while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] != 0x0A { i += 1 }
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
                i += 1
                return .string(s..<(i - 1))
            }
            if isDigit(c) || c == UInt8(ascii: "-") { return number() }
            return name().map { .name($0) }
        }

        @inline(__always)
        mutating func number() -> Object? {
            let s = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > digits, i - digits <= 18 else { return nil }
            if i < b.count, b[i] == UInt8(ascii: "-"), b[s] != UInt8(ascii: "-"), i - digits == 4 {
                // A date: YYYY-MM or YYYY-MM-DD, checked as DateValue(parsing:) checks it.
                var year = 0
                for k in digits..<i { year = year * 10 + Int(b[k] - 0x30) }
                guard let month = twoDigits(i + 1), (1...12).contains(month) else { return nil }
                i += 3
                var day = 0
                if i < b.count, b[i] == UInt8(ascii: "-") {
                    guard let d = twoDigits(i + 1), (1...DateValue.daysIn(month: month, year: year)).contains(d) else { return nil }
                    day = d
                    i += 3
                }
                if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: ".") || isNameByte(b[i]) { return nil }
                return .date(DateValue(year: year, month: month, day: day))
            }
            if i < b.count, b[i] == UInt8(ascii: ".") || isNameByte(b[i]) { return nil }  // decimals and the like
            var n = 0
            for k in digits..<i { n = n * 10 + Int(b[k] - 0x30) }
            return .integer(b[s] == UInt8(ascii: "-") ? -n : n)
        }

        @inline(__always)
        func twoDigits(_ at: Int) -> Int? {
            guard at + 1 < b.count, isDigit(b[at]), isDigit(b[at + 1]) else { return nil }
            return Int(b[at] - 0x30) * 10 + Int(b[at + 1] - 0x30)
        }

        /// `{key: value, ...}` and the blanks after it, each pair handed to `each` with the
        /// value's characters (it may refuse the pair).
        @inline(__always)
        mutating func braces(_ each: (_ key: Range<Int>, _ value: Object, _ raw: Range<Int>) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            while true {
                spaces()
                guard let key = name() else { return false }
                spaces()
                guard take(UInt8(ascii: ":")) else { return false }
                spaces()
                let valueStart = i
                guard let v = value(), each(key, v, valueStart..<i) else { return false }
                spaces()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return false }
                break
            }
            spaces()
            return true
        }

        /// The offset of the newline, when only blanks (and a CR) are left.
        mutating func endOfLine() -> Int? {
            spaces()
            if i < b.count, b[i] == 0x0D { i += 1 }
            return i == b.count || b[i] == 0x0A ? i : nil
        }
    }

    @inline(__always) static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    @inline(__always) static func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
