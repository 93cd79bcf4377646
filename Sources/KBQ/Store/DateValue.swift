/// A calendar date with its precision: `2020` (a year), `2020-06` (a month), `2020-07-12`.
///
/// A date stands for an interval of days. Comparisons respect that: `2020-06 in 2020` holds,
/// `2020-06 < 2020-07` holds, and `2020-06 < 2020` does not (they overlap).
public struct DateValue: Hashable, Sendable, CustomStringConvertible {
    public enum Precision: Int, Sendable { case year = 0, month = 1, day = 2 }
    public var year: Int
    public var month: Int  // 0 when precision is .year
    public var day: Int  // 0 unless precision is .day

    public init(year: Int, month: Int = 0, day: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var precision: Precision { day > 0 ? .day : month > 0 ? .month : .year }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checking month and day ranges.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4, let y = Int(parts[0]) else { return nil }
        var m = 0
        var d = 0
        if parts.count >= 2 {
            guard parts[1].count == 2, let mm = Int(parts[1]), (1...12).contains(mm) else { return nil }
            m = mm
        }
        if parts.count == 3 {
            guard parts[2].count == 2, let dd = Int(parts[2]),
                (1...DateValue.daysIn(month: m, year: y)).contains(dd)
            else { return nil }
            d = dd
        }
        self.init(year: y, month: m, day: d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// First and last day, as comparable numbers yyyymmdd.
    public var first: Int { year * 10000 + max(month, 1) * 100 + max(day, 1) }
    public var last: Int {
        let m = month == 0 ? 12 : month
        let d = day == 0 ? DateValue.daysIn(month: m, year: year) : day
        return year * 10000 + m * 100 + d
    }

    /// Entirely before `other`.
    public func isBefore(_ other: DateValue) -> Bool { last < other.first }
    /// Within `other`'s interval (`2020-06-03 in 2020-06`).
    public func isWithin(_ other: DateValue) -> Bool { first >= other.first && last <= other.last }

    /// Writes the date as `description` does (four digits, then two each for a month and a
    /// day where it has them) to `out`, which has room for ten bytes, and returns how many
    /// it wrote; nil for a year beyond four digits, or before year 0. (A filter writes a
    /// date a row without making a String.)
    func writeDigits(into out: UnsafeMutablePointer<UInt8>) -> Int? {
        guard (0...9999).contains(year) else { return nil }
        var at = 0
        func put(_ n: Int, _ digits: Int) {
            var n = n
            for k in stride(from: digits - 1, through: 0, by: -1) {
                out[at + k] = UInt8(0x30 + n % 10)
                n /= 10
            }
            at += digits
        }
        func part(_ n: Int) {
            guard n > 0 else { return }
            out[at] = UInt8(ascii: "-")
            at += 1
            put(n, 2)
        }
        put(year, 4)
        part(month)
        part(day)
        return at
    }

    public var description: String {
        var s = String(year)
        while s.count < 4 { s = "0" + s }
        if month > 0 { s += "-" + (month < 10 ? "0" : "") + String(month) }
        if day > 0 { s += "-" + (day < 10 ? "0" : "") + String(day) }
        return s
    }

    /// Sort order: by first day, then coarser precision first.
    public static func sortsBefore(_ a: DateValue, _ b: DateValue) -> Bool {
        a.first != b.first ? a.first < b.first : a.last > b.last
    }
}
