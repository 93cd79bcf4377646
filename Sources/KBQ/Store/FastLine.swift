/// The common line of a large knowledge base, `subject predicate object {key: value, ...}`,
/// read straight from the file's bytes: no chunk copy, tokens or syntax tree.
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
    /// The offset of the line's newline (or of the end of the bytes).
    var end: Int

    static let reserved: Set<String> = Parser.kbKeywords.union(Parser.keywords).union(["_"])
    /// The reserved words as bytes, by length: a name is checked without making a String.
    static let reservedByLength: [[[UInt8]]] = {
        var table = [[[UInt8]]](repeating: [], count: (reserved.map(\.utf8.count).max() ?? 0) + 1)
        for word in reserved { table[word.utf8.count].append(Array(word.utf8)) }
        return table
    }()

    /// Scans the line starting at `start`, handing each qualifier to `qualifier` in order
    /// (it returns false to refuse the line); nil when the line is not of the simple form.
    /// Nothing is allocated: the loader scans a million lines on every core.
    @inline(__always)
    static func scan(_ b: UnsafeBufferPointer<UInt8>, from start: Int, qualifier: (Range<Int>, Object) -> Bool) -> FastLine? {
        var c = Cursor(b: b, i: start)
        guard let subject = c.name(), c.blank() else { return nil }
        guard let predicate = c.name(), c.blank() else { return nil }
        guard let object = c.value() else { return nil }
        c.spaces()
        if c.peek(UInt8(ascii: "{")) {
            guard c.braces(qualifier) else { return nil }
        }
        guard let end = c.endOfLine() else { return nil }
        return FastLine(subject: subject, predicate: predicate, object: object, end: end)
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
            guard c.braces({ parts.properties.append(($0, $1)); return true }) else { return nil }
        }
        guard let end = c.endOfLine() else { return nil }
        return (id, label, end)
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
        mutating func name() -> Range<Int>? {
            let s = i
            guard i < b.count, isNameStart(b[i]) else { return nil }
            var lowerCaseOnly = b[i] >= 0x61
            i += 1
            while i < b.count, isNameByte(b[i]) {
                lowerCaseOnly = lowerCaseOnly && b[i] >= 0x61
                i += 1
            }
            // Keywords are short and lower-case letters only.
            if lowerCaseOnly, i - s < FastLine.reservedByLength.count,
                FastLine.reservedByLength[i - s].contains(where: { $0.elementsEqual(b[s..<i]) })
            {
                return nil
            }
            return s..<i
        }

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

        func twoDigits(_ at: Int) -> Int? {
            guard at + 1 < b.count, isDigit(b[at]), isDigit(b[at + 1]) else { return nil }
            return Int(b[at] - 0x30) * 10 + Int(b[at + 1] - 0x30)
        }

        /// `{key: value, ...}` and the blanks after it, each pair handed to `each` (which
        /// may refuse it).
        @inline(__always)
        mutating func braces(_ each: (Range<Int>, Object) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            while true {
                spaces()
                guard let key = name() else { return false }
                spaces()
                guard take(UInt8(ascii: ":")) else { return false }
                spaces()
                guard let v = value(), each(key, v) else { return false }
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
