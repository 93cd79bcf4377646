/// A number compared and added exactly: integers are 64-bit, decimals are kept as written
/// (`1.50`, `-.5` from RDF), and neither goes through a Double, which cannot tell
/// 9000000000000000001 from 9000000000000000000.
struct ExactNumber {
    /// Invariants: `whole` has no leading zeros and `fraction` no trailing ones (so zero is
    /// two empty arrays), and zero is never negative: equal numbers have equal fields.
    let negative: Bool
    let whole: [UInt8]
    let fraction: [UInt8]

    init?(_ v: Value) {
        switch v {
        case .integer(let n): self.init(integer: n)
        case .decimal(let text): self.init(decimal: text)
        default: return nil
        }
    }

    init(integer n: Int) {
        var digits = Array(String(n.magnitude).utf8).map { $0 - 48 }
        if digits == [0] { digits = [] }
        self.init(negative: n < 0, whole: digits, fraction: [])
    }

    /// Reads `[+-]digits[.digits]` with either side possibly empty; nil for anything else.
    init?(decimal text: String) {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var whole: [UInt8] = []
        var fraction: [UInt8] = []
        var afterPoint = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                if afterPoint { return nil }
                afterPoint = true
            } else if (48...57).contains(b) {
                if afterPoint { fraction.append(b - 48) } else { whole.append(b - 48) }
            } else {
                return nil
            }
        }
        if whole.isEmpty && fraction.isEmpty { return nil }
        self.init(negative: negative, whole: whole, fraction: fraction)
    }

    private init(negative: Bool, whole: [UInt8], fraction: [UInt8]) {
        let w = Array(whole.drop { $0 == 0 })
        var f = fraction
        while f.last == 0 { f.removeLast() }
        self.whole = w
        self.fraction = f
        self.negative = negative && !(w.isEmpty && f.isEmpty)
    }

    var isInteger: Bool { fraction.isEmpty }

    /// The number as an Int when it is an integer in Int's range.
    var exactInteger: Int? {
        guard fraction.isEmpty, whole.count <= 19 else { return nil }
        return Int((negative ? "-" : "") + (whole.isEmpty ? "0" : String(decoding: whole.map { $0 + 48 }, as: UTF8.self)))
    }

    /// -1, 0 or 1.
    static func compare(_ a: ExactNumber, _ b: ExactNumber) -> Int {
        if a.negative != b.negative { return a.negative ? -1 : 1 }
        let m = compareMagnitude(a, b)
        return a.negative ? -m : m
    }

    private static func compareMagnitude(_ a: ExactNumber, _ b: ExactNumber) -> Int {
        if a.whole.count != b.whole.count { return a.whole.count < b.whole.count ? -1 : 1 }
        for (x, y) in zip(a.whole, b.whole) where x != y { return x < y ? -1 : 1 }
        for i in 0..<max(a.fraction.count, b.fraction.count) {
            let x = i < a.fraction.count ? a.fraction[i] : 0
            let y = i < b.fraction.count ? b.fraction[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// The number as `mantissa / 10^scale`, or nil when it does not fit 128 bits.
    func scaled(to scale: Int) -> Int128? {
        guard scale >= fraction.count else { return nil }
        var m: Int128 = 0
        for d in whole + fraction + Array(repeating: 0, count: scale - fraction.count) {
            let (times, o1) = m.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int128(d))
            if o1 || o2 { return nil }
            m = plus
        }
        return negative ? -m : m
    }

    /// Text of `mantissa / 10^scale` in the form a decimal is written (`1.5`, `-0.25`, `3.0`).
    static func decimalText(_ mantissa: Int128, scale: Int) -> String {
        var digits = String(mantissa.magnitude)
        if scale > 0 {
            while digits.count <= scale { digits = "0" + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
            while digits.hasSuffix("0") && !digits.hasSuffix(".0") { digits.removeLast() }
        } else {
            digits += ".0"
        }
        return (mantissa < 0 ? "-" : "") + digits
    }

    /// The year a number sorts beside on the scale numbers share with dates: its integer part
    /// (rounded down), clamped to Int's range.
    var floorYear: Int {
        guard whole.count <= 18 else { return negative ? Int.min : Int.max }
        var n = 0
        for d in whole { n = n * 10 + Int(d) }
        if negative { return fraction.isEmpty ? -n : -n - 1 }
        return n
    }
}
