import CKBQPrefetch
/// A stored value in 32 bits: its kind in the top two bits, an index below.
///
/// Statements hold terms, not `Value`s, so that a statement is a few integers, indexes
/// are arrays of integers and comparing two stored values is comparing two words.
/// Every value has exactly one term (literals are interned), so terms are equal exactly
/// when their values are.
struct Term: Hashable, Sendable {
    let raw: UInt32

    static let entityKind: UInt32 = 0
    static let literalKind: UInt32 = 1
    static let propositionKind: UInt32 = 2
    static let indexMask: UInt32 = 0x3FFF_FFFF

    init(raw: UInt32) { self.raw = raw }
    init(entity e: EntityID) { raw = UInt32(e) }
    init(literal l: Int) { raw = Term.literalKind << 30 | UInt32(l) }
    init(proposition p: StatementID) { raw = Term.propositionKind << 30 | UInt32(p) }

    var kind: UInt32 { raw >> 30 }
    var index: Int { Int(raw & Term.indexMask) }
}

/// Literal values (strings, numbers, dates, `unknown`, `none`, imported RDF literals),
/// each stored once, compactly: a kind byte and a 64-bit payload per literal, text in one
/// byte arena, and an open-addressing table of literal numbers for interning. A string costs
/// its bytes plus about 17, where a `[Value: Int32]` dictionary cost over 100.
struct LiteralTable: Sendable {
    fileprivate enum Kind: UInt8 { case string, integer, decimal, date, unknown, none, typed }
    private var kinds = Column<UInt8>()
    /// Text: arena offset << 24 | length (lengths of 16 MB and more are kept in `long`);
    /// integer: its bits; date: year << 16 | month << 8 | day; typed: index into `typed`.
    private var payloads = Column<UInt64>()
    private var arena = Column<UInt8>()
    private var long: [Int: String] = [:]
    private var typed: [(String, String)] = []
    /// The decimal literals: the spellings a number may have besides its integer and year
    /// date, few in any case seen, so a lookup by value walks them.
    private var decimals = Column<Int32>()
    /// By hash, literal numbers + 1 (0: empty) in the low 32 bits and the hash's low 32
    /// bits above them: a probe reads a literal only when their hashes agree (it read the
    /// literal of every slot it passed, a cache miss apiece: adding 1M statements in order
    /// took 0.100 s of CPU, 0.090 with this), and growing places entries without hashing
    /// them again. Its size a power of two, at most 3/4 full.
    private var slots = Column<UInt64>(repeating: 0, count: 64)

    @inline(__always) private static func slot(_ hash: Int, _ i: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: hash)) << 32 | UInt64(i + 1)
    }

    /// The literal in slot `s` if its hash's low bits are those of `hash`.
    @inline(__always) private static func candidate(_ s: UInt64, _ hash: Int) -> Int? {
        s >> 32 == UInt64(UInt32(truncatingIfNeeded: hash)) ? Int(s & 0xFFFF_FFFF) - 1 : nil
    }

    var count: Int { kinds.count }

    mutating func intern(_ v: Value) -> Int {
        let (kind, payload, text) = LiteralTable.parts(v)
        let h = LiteralTable.hash(kind, payload, text)
        var slot = h & (slots.count - 1)
        while slots[slot] != 0 {
            if let i = LiteralTable.candidate(slots[slot], h), matches(i, kind, payload, text) { return i }
            slot = (slot + 1) & (slots.count - 1)
        }
        let i = kinds.count
        kinds.append(kind.rawValue)
        if kind == .decimal { decimals.append(Int32(i)) }
        switch kind {
        case .string, .decimal:
            let bytes = text!.utf8
            if bytes.count < 1 << 24 {
                payloads.append(UInt64(arena.count) << 24 | UInt64(bytes.count))
                arena.append(contentsOf: bytes)
            } else {
                payloads.append(UInt64.max)
                long[i] = String(text!)
            }
        case .typed:
            guard case .typedLiteral(let t, let d) = v else { fatalError("typed literal expected") }
            payloads.append(UInt64(typed.count))
            typed.append((t, d))
        default:
            payloads.append(payload)
        }
        slots[slot] = LiteralTable.slot(h, i)
        if kinds.count * 4 > slots.count * 3 { grow() }
        return i
    }

    /// A string, integer or date literal as the loader finds it in a file: its hash is
    /// computed where the line is scanned (on any core), so interning it is one probe.
    struct Key: Sendable {
        fileprivate var kind: Kind
        var payload: UInt64
        var hash: Int

        /// A string whose bytes the caller keeps (an offset and a length, say).
        static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> Key {
            Key(kind: .string, payload: 0, hash: LiteralTable.hash(.string, bytes))
        }
        static func integer(_ n: Int) -> Key {
            let payload = UInt64(bitPattern: Int64(n))
            return Key(kind: .integer, payload: payload, hash: LiteralTable.hash(.integer, payload))
        }
        static func date(_ d: DateValue) -> Key {
            let payload = UInt64(bitPattern: Int64(d.year) << 16) | UInt64(d.month) << 8 | UInt64(d.day)
            return Key(kind: .date, payload: payload, hash: LiteralTable.hash(.date, payload))
        }
    }

    /// Starts bringing in the slot where interning `key` will look first (the adding
    /// thread interns in order, and knows the keys ahead). Mutating, though it changes
    /// nothing: called on the adding thread's table, a plain method took a copy of it, six
    /// retains and six releases a literal.
    mutating func prefetch(_ key: Key) {
        slots.withUnsafeMutableBufferPointer { kbq_prefetch($0.baseAddress! + (key.hash & ($0.count - 1))) }
    }

    /// The literal of `key` (`text`: a string's bytes, else empty), added if new; the same
    /// number `intern(_: Value)` gives the same value.
    mutating func intern(_ key: Key, text: UnsafeBufferPointer<UInt8>) -> Int {
        var slot = key.hash & (slots.count - 1)
        while slots[slot] != 0 {
            if let i = LiteralTable.candidate(slots[slot], key.hash), kinds[i] == key.kind.rawValue {
                if key.kind == .string {
                    let p = payloads[i]
                    if p != UInt64.max, Int(p & 0xFF_FFFF) == text.count {
                        let start = Int(p >> 24)
                        if text.isEmpty || arena.withUnsafeBufferPointer({ ByteKeyTable.equal($0.baseAddress! + start, text.baseAddress!, text.count) }) { return i }
                    }
                } else if payloads[i] == key.payload {
                    return i
                }
            }
            slot = (slot + 1) & (slots.count - 1)
        }
        guard key.kind != .string || text.count < 1 << 24 else {
            return intern(.string(String(decoding: text, as: UTF8.self)))
        }
        let i = kinds.count
        kinds.append(key.kind.rawValue)
        if key.kind == .string {
            payloads.append(UInt64(arena.count) << 24 | UInt64(text.count))
            arena.append(contentsOf: text)
        } else {
            payloads.append(key.payload)
        }
        slots[slot] = LiteralTable.slot(key.hash, i)
        if kinds.count * 4 > slots.count * 3 { grow() }
        return i
    }

    /// Interns each of `values` but `skipping` as an integer literal (a sheet's paragraph
    /// numbers, one a row, their literals' numbers not wanted). The values are taken in
    /// the order of the slots they hash to, so that the probes walk the table from one end
    /// to the other: in value order, each probe of a table larger than the caches missed
    /// them. (The literals are numbered in that order; nothing reads meaning into the
    /// numbers.)
    mutating func internIntegers(_ values: UnsafeBufferPointer<Int32>, skipping: Int32) {
        var words: [UInt64] = []
        words.reserveCapacity(values.count)
        var previous = skipping
        for v in values where v != skipping && v != previous {
            words.append(UInt64(UInt32(bitPattern: v)) << 32)
            previous = v
        }
        guard !words.isEmpty else { return }
        // Room first: a table that grew midway would place the rest elsewhere.
        reserve(words.count)
        let mask = slots.count - 1
        for i in words.indices {
            let v = Int(Int32(truncatingIfNeeded: words[i] >> 32))
            words[i] |= UInt64(Key.integer(v).hash & mask)
        }
        RadixSort.sort(&words, bits: mask.nonzeroBitCount)
        for w in words { _ = intern(Key.integer(Int(Int32(truncatingIfNeeded: w >> 32))), text: UnsafeBufferPointer(start: nil, count: 0)) }
    }

    func find(_ v: Value) -> Int? {
        let (kind, payload, text) = LiteralTable.parts(v)
        let h = LiteralTable.hash(kind, payload, text)
        var slot = h & (slots.count - 1)
        while slots[slot] != 0 {
            if let i = LiteralTable.candidate(slots[slot], h), matches(i, kind, payload, text) { return i }
            slot = (slot + 1) & (slots.count - 1)
        }
        return nil
    }

    /// Per integer 0..<n, its literal's number, or -1 when no literal is that integer: one
    /// walk over the kinds in order, where finding each of many integers (a paragraph a
    /// statement, as an import without sources gives) probes the table out of order, a
    /// cache miss apiece.
    func integerLiterals(below n: Int) -> [Int32] {
        var dense = [Int32](repeating: -1, count: max(n, 0))
        let integer = Kind.integer.rawValue
        for i in 0..<kinds.count where kinds[i] == integer {
            let v = Int64(bitPattern: payloads[i])
            if v >= 0, v < Int64(n) { dense[Int(v)] = Int32(i) }
        }
        return dense
    }

    /// Whether any literal is a date (a walk over one byte a literal; for the SPARQL compiler).
    var holdsDates: Bool { kinds.contains(Kind.date.rawValue) }

    /// Every stored literal equal by value to a number or date (grammar/semantics.md): `3`
    /// finds `3`, `3.0` and `3.00`; the year `2022` finds the integer and the year date.
    func equalByValue(_ v: Value) -> [Int] {
        var found: [Int] = []
        func add(_ w: Value) { if let i = find(w), !found.contains(i) { found.append(i) } }
        var number: ExactNumber? = ExactNumber(v)
        switch v {
        case .date(let d):
            add(v)
            guard d.precision == .year else { return found }
            number = ExactNumber(integer: d.year)
        case .integer, .decimal: add(v)
        default: return found
        }
        guard let number else { return found }
        if let n = number.exactInteger {
            add(.integer(n))
            if (1000...9999).contains(n) { add(.date(DateValue(year: n))) }
        }
        for i in decimals where ExactNumber.compare(ExactNumber(self[Int(i)])!, number) == 0 && !found.contains(Int(i)) {
            found.append(Int(i))
        }
        return found
    }

    subscript(_ i: Int) -> Value {
        switch Kind(rawValue: kinds[i])! {
        case .string: return .string(text(i))
        case .decimal: return .decimal(text(i))
        case .integer: return .integer(Int(truncatingIfNeeded: payloads[i]))
        case .date:
            let p = payloads[i]
            return .date(DateValue(year: Int(Int64(bitPattern: p) >> 16), month: Int(p >> 8 & 0xFF), day: Int(p & 0xFF)))
        case .unknown: return .unknown
        case .none: return .none
        case .typed: return .typedLiteral(typed[Int(payloads[i])].0, typed[Int(payloads[i])].1)
        }
    }

    /// Drops the spare capacity that appending left (up to half of each column).
    mutating func trim() {
        kinds = kinds.compacted()
        payloads = payloads.compacted()
        arena = arena.compacted()
    }

    /// The date literal `i`, read from its payload; nil for another kind.
    @inline(__always) func date(_ i: Int) -> DateValue? {
        guard kinds[i] == Kind.date.rawValue else { return nil }
        let p = payloads[i]
        return DateValue(year: Int(Int64(bitPattern: p) >> 16), month: Int(p >> 8 & 0xFF), day: Int(p & 0xFF))
    }

    /// Whether literal `a` sorts before literal `b` as `ValueOps.sortsBefore` has it, when
    /// their words decide: two integers, or two dates (the packed year, month and day, each
    /// 0 when not given, order dates by first day and the coarser first, as
    /// `DateValue.sortsBefore`). Nil for any other pair.
    @inline(__always) func wordSortsBefore(_ a: Int, _ b: Int) -> Bool? {
        let k = kinds[a]
        guard k == kinds[b], k == Kind.integer.rawValue || k == Kind.date.rawValue else { return nil }
        return Int64(bitPattern: payloads[a]) < Int64(bitPattern: payloads[b])
    }

    /// Literal `i`'s word in kbq's total order among literals of its kind, when its kind is
    /// integer or date (nil for any other): the payload `wordSortsBefore` compares, its sign
    /// bit flipped so that words compare unsigned. Literals of one kind sort as their words
    /// do; across the two kinds they do not (a number sorts as a year), so a caller compares
    /// words of one kind only.
    @inline(__always) func orderWord(_ i: Int) -> (isDate: Bool, word: UInt64)? {
        let k = kinds[i]
        guard k == Kind.integer.rawValue || k == Kind.date.rawValue else { return nil }
        return (k == Kind.date.rawValue, payloads[i] ^ 1 << 63)
    }

    /// Calls `body` with string literal `i`'s bytes in place; with nil for another kind (or
    /// a string kept apart for its length).
    @inline(__always) func withStringBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>?) -> T) -> T {
        guard kinds[i] == Kind.string.rawValue, payloads[i] != UInt64.max else { return body(nil) }
        let p = payloads[i]
        let start = Int(p >> 24)
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<start + Int(p & 0xFF_FFFF)])) }
    }

    /// Integers, dates and texts read in place, through pointers valid inside `withPayloads`
    /// only (a loop over many literals then counts no references).
    struct Payloads {
        let kinds: UnsafeBufferPointer<UInt8>
        let payloads: UnsafeBufferPointer<UInt64>
        let arena: UnsafeBufferPointer<UInt8>

        @inline(__always) func integer(_ i: Int) -> Int? {
            kinds[i] == Kind.integer.rawValue ? Int(truncatingIfNeeded: payloads[i]) : nil
        }

        @inline(__always) func date(_ i: Int) -> DateValue? {
            guard kinds[i] == Kind.date.rawValue else { return nil }
            let p = payloads[i]
            return DateValue(year: Int(Int64(bitPattern: p) >> 16), month: Int(p >> 8 & 0xFF), day: Int(p & 0xFF))
        }

        /// A string literal's bytes; nil for another kind, or a string kept apart for its length.
        @inline(__always) func string(_ i: Int) -> UnsafeBufferPointer<UInt8>? {
            guard kinds[i] == Kind.string.rawValue, payloads[i] != UInt64.max else { return nil }
            let p = payloads[i]
            let start = Int(p >> 24)
            return UnsafeBufferPointer(rebasing: arena[start..<start + Int(p & 0xFF_FFFF)])
        }
    }

    func withPayloads<R>(_ body: (Payloads) throws -> R) rethrows -> R {
        try kinds.withUnsafeBufferPointer { k in
            try payloads.withUnsafeBufferPointer { p in
                try arena.withUnsafeBufferPointer { a in try body(Payloads(kinds: k, payloads: p, arena: a)) }
            }
        }
    }

    /// The integer literal `i`; nil for another kind.
    @inline(__always) func integer(_ i: Int) -> Int? {
        kinds[i] == Kind.integer.rawValue ? Int(truncatingIfNeeded: payloads[i]) : nil
    }

    var byteCount: Int { kinds.count * 9 + arena.count + slots.count * 8 }

    private func text(_ i: Int) -> String {
        let p = payloads[i]
        if p == UInt64.max { return long[i]! }
        let start = Int(p >> 24)
        return arena.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<start + Int(p & 0xFF_FFFF)]), as: UTF8.self) }
    }

    /// A value's kind, its payload, and its text or typed parts for hashing.
    private static func parts(_ v: Value) -> (Kind, UInt64, Substring?) {
        switch v {
        case .string(let s): return (.string, 0, s[...])
        case .decimal(let d): return (.decimal, 0, d[...])
        case .integer(let n): return (.integer, UInt64(bitPattern: Int64(n)), nil)
        case .date(let d): return (.date, UInt64(bitPattern: Int64(d.year) << 16) | UInt64(d.month) << 8 | UInt64(d.day), nil)
        case .none: return (.none, 0, nil)
        case .typedLiteral(let t, let d): return (.typed, 0, (t + "\u{0}" + d)[...])
        default: return (.unknown, 0, nil)
        }
    }

    private static func hash(_ kind: Kind, _ payload: UInt64, _ text: Substring?) -> Int {
        guard var text else { return hash(kind, payload) }
        return text.withUTF8 { hash(kind, $0) }
    }

    /// FNV-1a over a text's bytes.
    private static func hash(_ kind: Kind, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(kind.rawValue)
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h & 0x7FFF_FFFF_FFFF_FFFF)
    }

    /// A multiplicative mix of a payload.
    private static func hash(_ kind: Kind, _ payload: UInt64) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(kind.rawValue)
        h = (h ^ payload) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h & 0x7FFF_FFFF_FFFF_FFFF)
    }

    private func matches(_ i: Int, _ kind: Kind, _ payload: UInt64, _ text: Substring?) -> Bool {
        guard kinds[i] == kind.rawValue else { return false }
        switch kind {
        case .string, .decimal:
            let p = payloads[i]
            if p == UInt64.max { return long[i]! == text! }
            let start = Int(p >> 24)
            let length = Int(p & 0xFF_FFFF)
            return arena.withUnsafeBufferPointer { a in
                text!.utf8.elementsEqual(UnsafeBufferPointer(rebasing: a[start..<start + length]))
            }
        case .typed:
            let (t, d) = typed[Int(payloads[i])]
            return t + "\u{0}" + d == text!
        default:
            return payloads[i] == payload
        }
    }

    /// Room for `n` more literals: the hash table grown once to hold them (growing by
    /// doubling as they come rehashes every entry at each step), the columns reserved.
    mutating func reserve(_ n: Int) {
        let wanted = count + n
        var size = slots.count
        while wanted * 4 > size * 3 { size *= 2 }
        if size > slots.count { grow(to: size) }
        kinds.reserveCapacity(wanted)
        payloads.reserveCapacity(wanted)
    }

    /// Twice the slots, each entry placed by the hash bits it keeps (a table of more than
    /// 2^32 slots would need more of them).
    private mutating func grow() { grow(to: slots.count * 2) }

    private mutating func grow(to size: Int) {
        // Made in place (an Array made and then copied into a column took the pages of
        // two tables, and the copy).
        var bigger = Column<UInt64>(repeating: 0, count: size)
        let mask = size - 1
        bigger.withUnsafeMutableBufferPointer { bigger in
            slots.withUnsafeBufferPointer { old in
                for s in old where s != 0 {
                    var slot = Int(s >> 32) & mask
                    while bigger[slot] != 0 { slot = (slot + 1) & mask }
                    bigger[slot] = s
                }
            }
        }
        slots = bigger
    }
}

// MARK: image

extension LiteralTable: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.column(kinds)
        w.column(payloads)
        w.column(arena)
        w.put(long)
        w.put(typed.map(\.0))
        w.put(typed.map(\.1))
        w.column(decimals)
        w.column(slots)
    }

    /// Reads the table and checks each literal against its kind (text spans inside the
    /// arena, dates with months and days in range, decimals that parse), and that the hash
    /// table has room, so that every probe ends at an empty slot.
    init(image r: inout ImageReader) throws {
        kinds = try r.view()
        payloads = try r.view()
        arena = try r.view()
        long = try r.get()
        let types: [String] = try r.get()
        let data: [String] = try r.get()
        try r.check(types.count == data.count, "typed literals")
        typed = Array(zip(types, data))
        decimals = try r.view()
        slots = try r.view()

        let n = kinds.count
        try r.check(n == r.bounds.literals, "\(n) literals where the schema says \(r.bounds.literals)")
        try r.check(payloads.count == n && n < 1 << 30, "literal columns")
        try r.check(slots.count.nonzeroBitCount == 1 && n * 4 <= slots.count * 3, "literal slots")
        if r.checksColumns { try checkEachLiteral(r) }
    }

    /// The checks that read every literal (skipped for a sealed image).
    private func checkEachLiteral(_ r: ImageReader) throws {
        let n = kinds.count
        // One pass with no throw inside (a check and a throw per literal took a tenth of
        // opening an image); the rare kinds (long texts, decimals) are checked after it.
        let (arenaCount, typedCount) = (UInt64(arena.count), UInt64(typed.count))
        var (firstBad, longTexts, decimalCount) = (-1, 0, 0)
        kinds.withUnsafeBufferPointer { ks in
            payloads.withUnsafeBufferPointer { ps in
                for i in 0..<n {
                    let p = ps[i]
                    let ok: Bool
                    switch ks[i] {
                    case Kind.string.rawValue, Kind.decimal.rawValue:
                        longTexts &+= p == UInt64.max ? 1 : 0
                        decimalCount &+= ks[i] == Kind.decimal.rawValue ? 1 : 0
                        ok = p == UInt64.max || (p >> 24) + (p & 0xFF_FFFF) <= arenaCount
                    case Kind.date.rawValue: ok = p >> 8 & 0xFF <= 12 && p & 0xFF <= 31
                    case Kind.typed.rawValue: ok = p < typedCount
                    case Kind.integer.rawValue, Kind.unknown.rawValue, Kind.none.rawValue: ok = true
                    default: ok = false
                    }
                    if !ok, firstBad < 0 { firstBad = i }
                }
            }
        }
        try r.check(firstBad < 0, "literal \(firstBad)")
        // Each long text is a string or decimal marked long, and each marked one has one.
        try r.check(long.count == longTexts, "long literals")
        for i in long.keys {
            try r.check(i >= 0 && i < n && payloads[i] == UInt64.max
                && (kinds[i] == Kind.string.rawValue || kinds[i] == Kind.decimal.rawValue), "long literal \(i)")
        }
        if decimalCount > 0 {
            for i in 0..<n where kinds[i] == Kind.decimal.rawValue {
                try r.check(ExactNumber(self[i]) != nil, "decimal literal \(i)")
            }
        }
        for i in decimals { try r.check(i >= 0 && Int(i) < n && kinds[Int(i)] == Kind.decimal.rawValue, "decimal list") }
        for i in long.keys { try r.check(i >= 0 && i < n, "long literal \(i)") }
        // A slot holds a literal number + 1 in its low half, 0 when empty.
        try r.check(slots.allSatisfy { $0 & 0xFFFF_FFFF <= UInt64(n) && ($0 == 0 || $0 & 0xFFFF_FFFF > 0) }, "literal slots")
    }
}
