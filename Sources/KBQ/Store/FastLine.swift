/// The common line of a large knowledge base, `subject predicate object {key: value, ...}`,
/// read straight from the file's bytes: no chunk copy, tokens or syntax tree.
///
/// It accepts a strict subset of the grammar (ASCII names that are not keywords, strings
/// without escapes, integers and dates, nothing else on the line); anything else, and any
/// line that fails to resolve, goes through the full parser, which gives the diagnostics.
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
    var qualifiers: [(key: Range<Int>, value: Object)]

    static let reserved: Set<String> = Parser.kbKeywords.union(Parser.keywords).union(["_"])

    /// Scans the line starting at `start`; nil when it is not of the simple form. `end` is
    /// the offset of its newline (or of the end of the bytes).
    static func scan(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (line: FastLine, end: Int)? {
        var i = start
        func spaces() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 } }
        func name() -> Range<Int>? {
            let s = i
            guard i < b.count, isNameStart(b[i]) else { return nil }
            i += 1
            while i < b.count, isNameByte(b[i]) { i += 1 }
            // `_` alone and keywords (`unknown`, `entity`, ...: short, lower-case letters only)
            // take the full parser.
            if i - s <= 10, b[s..<i].allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }),
                reserved.contains(String(decoding: UnsafeBufferPointer(rebasing: b[s..<i]), as: UTF8.self))
            {
                return nil
            }
            return s..<i
        }
        func value() -> Object? {
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
        func number() -> Object? {
            let s = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > digits, i - digits <= 18 else { return nil }
            if i < b.count, b[i] == UInt8(ascii: "-"), b[s] != UInt8(ascii: "-"), i - digits == 4 {
                // A date: YYYY-MM or YYYY-MM-DD, checked as DateValue(parsing:) checks it.
                func twoDigits(_ at: Int) -> Int? {
                    guard at + 1 < b.count, isDigit(b[at]), isDigit(b[at + 1]) else { return nil }
                    return Int(b[at] - 0x30) * 10 + Int(b[at + 1] - 0x30)
                }
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
        guard let subject = name() else { return nil }
        guard i < b.count, b[i] == 0x20 || b[i] == 0x09 else { return nil }
        spaces()
        guard let predicate = name() else { return nil }
        guard i < b.count, b[i] == 0x20 || b[i] == 0x09 else { return nil }
        spaces()
        guard let object = value() else { return nil }
        spaces()
        var qualifiers: [(key: Range<Int>, value: Object)] = []
        if i < b.count, b[i] == UInt8(ascii: "{") {
            i += 1
            while true {
                spaces()
                guard let key = name() else { return nil }
                spaces()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                spaces()
                guard let v = value() else { return nil }
                qualifiers.append((key, v))
                spaces()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                break
            }
            spaces()
        }
        if i < b.count, b[i] == 0x0D { i += 1 }
        guard i == b.count || b[i] == 0x0A else { return nil }
        return (FastLine(subject: subject, predicate: predicate, object: object, qualifiers: qualifiers), i)
    }

    @inline(__always) static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    @inline(__always) static func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
