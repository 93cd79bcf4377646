/// Operations on values that need the store: fields, comparisons, ordering, text.
///
/// A class: as a struct (a store, a source text and an entity table, some twenty
/// references) every call through an evaluator's `ops` copied it, a retain and a release
/// of each reference, and those were a third of a text filter over 40,000 entities.
final class ValueOps {
    let store: FactStore
    let source: SourceText
    /// The entity table, taken once: reached through the store at every comparison of a
    /// sort, it was copied (a retain and a release of each of its columns) every time.
    let entities: EntityTable
    /// The literal table, taken once for the same reason.
    let literals: LiteralTable

    init(store: FactStore, source: SourceText) {
        self.store = store
        self.source = source
        self.entities = store.entities
        self.literals = store.literals
    }

    /// What a field reads from a statement.
    enum StatementField { case subject, predicate, object, id, file, line, qualifier(Int32?) }

    /// The qualifier key last asked for, by name: a filter asks for the same field at every
    /// row, and looking the key up hashed its name each time. Invariant: an instance is
    /// used by one thread at a time (a prepared query's runs share one, one run after
    /// another; a parallel join's workers fork executions with their own).
    private var lastKey: (name: String, key: Int32?)? = nil

    private func statementField(_ field: CompiledField) -> StatementField {
        switch field {
        case .named(.subject): return .subject
        case .named(.pred), .named(.predicate): return .predicate
        case .named(.object): return .object
        case .named(.id): return .id
        case .named(.file): return .file
        case .named(.line): return .line
        default:
            let name = field.name
            if let last = lastKey, last.name == name { return .qualifier(last.key) }
            let key = store.keyID(name)
            lastKey = (name, key)
            return .qualifier(key)
        }
    }

    func error(_ message: String, _ range: Range<Int>) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range)
    }

    /// `?s.source`, `?x.label`, `?s.quote`...; no record when the value has no such field.
    func field(_ v: Value, _ field: CompiledField) -> Value {
        switch v {
        case .entity(let e):
            // One column each: a row asking for `?x.label` makes no whole entity.
            let i = Int(e)
            switch field {
            case .named(.id): return .string(entities.id(i))
            case .named(.label): return .string(entities.label(i))
            case .named(.description): return entities.description(i).map { .string($0) } ?? .noRecord
            case .named(.type): return entities.types(i).first.map { .type($0) } ?? .noRecord
            case .named(.aliases):
                let aliases = entities.aliases(i)
                return aliases.isEmpty ? .noRecord : .string(aliases.joined(separator: "; "))
            case .named(.file): return .string(entities.declaredAt(i).file)
            case .named(.line): return .integer(entities.declaredAt(i).line)
            default: return .noRecord
            }
        case .statement(let s), .proposition(let s):
            // One column each, as for entities.
            switch statementField(field) {
            case .subject: return store.subject(of: s)
            case .predicate: return .predicate(store.predicate(of: s))
            case .object: return store.object(of: s)
            case .id: return .string(Display.statementName(s, store))
            case .file: return .string(store.location(of: s).file)
            case .line: return .integer(store.location(of: s).line)
            case .qualifier(let key):
                guard let key else { return .noRecord }
                return store.qualifier(of: s, key, literals) ?? .noRecord
            }
        case .predicate(let p):
            return field == .named(.label) || field == .named(.id) ? .string(store.predicateName(p)) : .noRecord
        case .type(let t):
            return field == .named(.label) || field == .named(.id) ? .string(store.typeName(t)) : .noRecord
        default:
            return .noRecord
        }
    }

    func function(_ function: ValueFunction, _ v: Value, _ range: Range<Int>) throws(Diagnostic) -> Value {
        if v == .noRecord { return .noRecord }
        switch function {
        case .lower: return .string(text(v).lowercased())
        case .upper: return .string(text(v).uppercased())
        case .str: return .string(text(v))
        case .len: return .integer(text(v).count)
        case .year:
            if v == .unknown || v == .none { return .noRecord }
            guard let d = asDate(v) else { throw error("year() takes a date, found \(kindName(v))", range) }
            return .integer(d.year)
        }
    }

    /// Text of a value for `contains`, `matches`, `lower`: an entity's label, a string itself.
    func text(_ v: Value) -> String {
        switch v {
        case .entity(let e): return entities.label(Int(e))
        case .string(let s), .typedLiteral(let s, _): return s
        default: return Display.plain(v, store)
        }
    }

    /// `contains` on the bytes when both texts are ASCII without a carriage return: then
    /// comparing lower-cased bytes is exactly comparing lower-cased Characters (a CR
    /// before a LF is one Character with it), and no String is made or searched by
    /// grapheme (a String search was nine tenths of a filter over 40,000 labels). nil:
    /// the texts are not both such, and the general search decides.
    func asciiContains(_ a: Value, _ b: Value) -> Bool? {
        withTextBytes(b) { needle in
            guard let needle, ValueOps.isPlainASCII(needle) else { return nil }
            return withTextBytes(a) { hay -> Bool? in
                guard let hay, ValueOps.isPlainASCII(hay) else { return nil }
                return ValueOps.lowercasedFind(needle, in: hay)
            }
        }
    }

    /// The UTF-8 bytes of a value's text when it has them at hand (an entity's label, a
    /// string); nil otherwise.
    private func withTextBytes<T>(_ v: Value, _ body: (UnsafeBufferPointer<UInt8>?) -> T) -> T {
        switch v {
        case .entity(let e): return entities.withLabelBytes(Int(e)) { body($0) }
        case .string(var s): return s.withUTF8 { body($0) }
        default: return body(nil)
        }
    }

    /// `contains` as the language defines it: the standard library's search (by Character)
    /// of the lower-cased texts.
    static func contains(_ hay: String, _ needle: String) -> Bool {
        hay.lowercased().contains(needle.lowercased())
    }

    static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var high: UInt8 = 0
        for c in b { high |= c }
        return high < 0x80
    }

    /// ASCII with no carriage return: eight bytes at a time (a filter over tens of thousands
    /// of labels asks this of every one).
    static func isPlainASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress else { return true }
        let n = b.count
        var flags: UInt64 = 0
        var i = 0
        while i + 8 <= n {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // A byte's high bit: set in w (beyond ASCII), or in w's bytes that are 0x0D.
            flags |= w | SWAR.zeroBytes(w ^ SWAR.repeated(0x0D))
            i += 8
        }
        while i < n {
            let c = base[i]
            flags |= UInt64(c) | (c == 0x0D ? 0x80 : 0)
            i += 1
        }
        return flags & SWAR.highBits == 0
    }

    /// Whether `needle` occurs in `hay`, ASCII letters compared without case. The first
    /// byte's candidates are found eight bytes at a time, each then compared whole.
    static func lowercasedFind(_ needle: UnsafeBufferPointer<UInt8>, in hay: UnsafeBufferPointer<UInt8>) -> Bool {
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        let n = needle.count
        guard n > 0 else { return true }
        guard hay.count >= n, let base = hay.baseAddress else { return false }
        let first = lower(needle[0])
        @inline(__always) func matches(at i: Int) -> Bool {
            var k = 1
            while k < n && lower(base[i + k]) == lower(needle[k]) { k += 1 }
            return k == n
        }
        let last = hay.count - n
        var i = 0
        // A letter is found in either case by setting 0x20 in every byte, which also makes
        // some other bytes look like it ('@' like '`'): candidates, told apart by `matches`.
        let isLetter = first >= 0x61 && first <= 0x7A
        let fold = isLetter ? SWAR.repeated(0x20) : 0
        let target = SWAR.repeated(first)
        while i + 8 <= last + 1 {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) | fold
            var found = SWAR.zeroBytes(w ^ target)
            while found != 0 {
                let at = i + found.trailingZeroBitCount / 8
                if lower(base[at]) == first, matches(at: at) { return true }
                found &= found - 1
            }
            i += 8
        }
        while i <= last {
            if lower(base[i]) == first, matches(at: i) { return true }
            i += 1
        }
        return false
    }

    func kindName(_ v: Value) -> String {
        switch v {
        case .entity: return "an entity"
        case .string: return "a string"
        case .integer: return "an integer"
        case .decimal: return "a decimal"
        case .typedLiteral(_, let t): return "a literal of type \(t)"
        case .date: return "a date"
        case .unknown: return "unknown"
        case .none: return "none"
        case .proposition: return "a proposition"
        case .statement: return "a statement"
        case .predicate: return "a predicate"
        case .type: return "a type"
        case .noRecord: return "no record"
        }
    }

    /// Equality as queries see it: numbers by exact value, everything else exactly.
    func equal(_ a: Value, _ b: Value) -> Bool {
        if case .integer(let x) = a, case .integer(let y) = b { return x == y }
        if let x = ExactNumber(a), let y = ExactNumber(b) { return ExactNumber.compare(x, y) == 0 }
        // A year written as a number (`2020`, `2020.0`) equals the year date.
        if case .date(let d) = a, let y = ExactNumber(b)?.exactInteger { return (1000...9999).contains(y) && d == DateValue(year: y) }
        if case .date(let d) = b, let y = ExactNumber(a)?.exactInteger { return (1000...9999).contains(y) && d == DateValue(year: y) }
        return a == b
    }

    func compare(_ op: CompareOp, _ a: Value, _ b: Value, _ range: Range<Int>) throws(Diagnostic) -> Bool {
        if a == .noRecord || b == .noRecord { return false }
        switch op {
        case .equal: return equal(a, b)
        case .notEqual: return !equal(a, b)
        case .contains:
            return asciiContains(a, b) ?? ValueOps.contains(text(a), text(b))
        case .within:
            // As with `<`: unknown and none are in no date.
            if a == .unknown || b == .unknown || a == .none || b == .none { return false }
            guard let x = asDate(a), let y = asDate(b) else {
                throw error("'in' compares dates, found \(kindName(a)) and \(kindName(b))", range)
            }
            return x.isWithin(y)
        case .matches:
            return false  // compiled to .regex
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            if let c = numberOrder(a, b) {
                switch op {
                case .less: return c < 0
                case .lessOrEqual: return c <= 0
                case .greater: return c > 0
                default: return c >= 0
                }
            }
            if let x = asDate(a), let y = asDate(b), isDateLike(a) || isDateLike(b) {
                // Precision-aware: `<` is "entirely before"; `<=` is "not entirely after".
                switch op {
                case .less: return x.isBefore(y)
                case .lessOrEqual: return !y.isBefore(x)
                case .greater: return y.isBefore(x)
                default: return !x.isBefore(y)
                }
            }
            if case .string(let x) = a, case .string(let y) = b {
                switch op {
                case .less: return x < y
                case .lessOrEqual: return x <= y
                case .greater: return x > y
                default: return x >= y
                }
            }
            if a == .unknown || b == .unknown || a == .none || b == .none { return false }
            throw error("cannot compare \(kindName(a)) with \(kindName(b)) using '\(op.rawValue)'", range)
        }
    }

    /// -1, 0 or 1 for two numbers by value; nil when either is not one. Two integers are
    /// compared as themselves (ExactNumber makes each a list of digits).
    func numberOrder(_ a: Value, _ b: Value) -> Int? {
        if case .integer(let x) = a, case .integer(let y) = b { return x < y ? -1 : x == y ? 0 : 1 }
        guard let x = ExactNumber(a), let y = ExactNumber(b) else { return nil }
        return ExactNumber.compare(x, y)
    }

    func isDateLike(_ v: Value) -> Bool {
        if case .date = v { return true }
        return false
    }

    /// A date, or a year written as an integer (`2020`).
    func asDate(_ v: Value) -> DateValue? {
        switch v {
        case .date(let d): return d
        case .integer(let y) where (1000...9999).contains(y): return DateValue(year: y)
        default: return nil
        }
    }

    /// A total order for `order by`, `min` and `max` (grammar/semantics.md): it agrees with
    /// `<` wherever `<` is defined.
    func sortsBefore(_ a: Value, _ b: Value) -> Bool {
        if a.kindRank != b.kindRank { return a.kindRank < b.kindRank }
        switch (a, b) {
        case (.date(let x), .date(let y)): return DateValue.sortsBefore(x, y)
        case (.date(let d), _): return ValueOps.scaleOrder(number: ExactNumber(b)!, date: d) > 0
        case (_, .date(let d)): return ValueOps.scaleOrder(number: ExactNumber(a)!, date: d) < 0
        case (.integer(let x), .integer(let y)): return x < y  // as ExactNumber.compare, without making two
        case (.string(let x), .string(let y)): return x < y
        case (.entity(let x), .entity(let y)): return entities.idBefore(Int(x), Int(y)) ?? (entities.id(Int(x)) < entities.id(Int(y)))
        case (.predicate, .predicate), (.type, .type), (.proposition, .proposition), (.statement, .statement):
            return Display.plain(a, store) < Display.plain(b, store)
        default:
            if let x = ExactNumber(a), let y = ExactNumber(b) { return ExactNumber.compare(x, y) < 0 }
            return false
        }
    }

    /// Where a number sorts against a date, -1, 0 or 1: an integer as the year it compares
    /// as (tied with the year date itself, before the months and days of that year); a
    /// number with a fraction after every date of its year. With dates ordered by first day
    /// and coarser first, this keeps the order total and transitive.
    static func scaleOrder(number n: ExactNumber, date d: DateValue) -> Int {
        let year = n.floorYear
        if year != d.year { return year < d.year ? -1 : 1 }
        if !n.isInteger { return 1 }
        return d.precision == .year ? 0 : -1
    }
}

/// Bytes eight at a time in a machine word (SIMD within a register).
enum SWAR {
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func repeated(_ b: UInt8) -> UInt64 { UInt64(b) &* 0x0101_0101_0101_0101 }

    /// The high bit of each byte of `x` that is zero, and of no other: the carries of the
    /// addition stay within each byte's low seven bits.
    @inline(__always) static func zeroBytes(_ x: UInt64) -> UInt64 {
        let low7 = (x & ~highBits) &+ ~highBits
        return ~(low7 | x | ~highBits)
    }
}
