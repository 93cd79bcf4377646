/// A part of the store that writes itself into an image section and reads itself back.
/// `init(image:)` checks what it reads against itself (counts, offsets, spans); references
/// into other parts are checked once the whole store is read (`FactStore.validateImage`).
protocol ImageCodable {
    func write(to w: inout ImageWriter)
    init(image r: inout ImageReader) throws
}

/// The bytes of one section, in native byte order (the header records which): small
/// values gathered in a buffer, large columns kept as the store's own arrays until they are
/// written (copying a 70 MB store into one buffer first cost a third of writing it).
struct ImageWriter {
    private enum Part {
        case bytes([UInt8])
        /// Gives the column's bytes to its argument (the array stays the store's).
        case column((_ body: (UnsafeRawBufferPointer) -> Void) -> Void)
    }
    private var parts: [Part] = []
    private var small: [UInt8] = []
    /// Bytes so far.
    private(set) var count = 0

    mutating func int(_ v: Int) { word(UInt64(bitPattern: Int64(v))) }

    mutating func word(_ v: UInt64) {
        withUnsafeBytes(of: v) { small.append(contentsOf: $0) }
        count += 8
    }

    /// A column of plain values: count, element size, the raw bytes, padding to 8.
    mutating func column<T: BitwiseCopyable>(_ values: [T]) {
        column(values.count, MemoryLayout<T>.stride) { body in values.withUnsafeBytes(body) }
    }

    mutating func column<T: BitwiseCopyable>(_ values: Column<T>) {
        column(values.count, MemoryLayout<T>.stride) { body in values.withUnsafeBytes(body) }
    }

    /// Large columns are not copied: the section holds on to them (through `bytes`) until
    /// it is written.
    private mutating func column(_ n: Int, _ stride: Int, _ bytes: @escaping ((UnsafeRawBufferPointer) -> Void) -> Void) {
        int(n)
        int(stride)
        let length = n * stride
        if length < 4096 {
            bytes { small.append(contentsOf: $0) }
        } else {
            if !small.isEmpty { parts.append(.bytes(small)) }
            small = []
            parts.append(.column(bytes))
        }
        count += length
        pad()
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            int(utf8.count)
            small.append(contentsOf: utf8)
            count += utf8.count
        }
        pad()
    }

    mutating func put<T: ImageCodable>(_ value: T) { value.write(to: &self) }

    /// Bytes as they are (tests forge sections with it).
    mutating func raw(_ bytes: [UInt8]) {
        small.append(contentsOf: bytes)
        count += bytes.count
    }

    private mutating func pad() {
        while count & 7 != 0 {
            small.append(0)
            count += 1
        }
    }

    /// The section's bytes, in pieces, in order.
    func forEachPiece(_ body: (UnsafeRawBufferPointer) -> Void) {
        for part in parts {
            switch part {
            case .bytes(let b): b.withUnsafeBytes(body)
            case .column(let give): give(body)
            }
        }
        small.withUnsafeBytes(body)
    }

    /// The section's bytes in one array (for small sections and tests).
    var bytes: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(count)
        forEachPiece { all.append(contentsOf: $0) }
        return all
    }
}

/// Reads one section: every count and length is checked against what is left of it, so a
/// damaged or forged section ends in an `ImageError`, never a read out of bounds or an
/// allocation larger than the file.
struct ImageReader {
    private let base: UnsafeRawBufferPointer
    private var offset = 0
    /// The section's name, for messages.
    let name: String
    /// The parts of the store read so far, for the references of the next.
    var bounds = ImageBounds()
    /// What keeps `base` mapped (the image's mapping): with one, `view()` uses columns
    /// where they lie; without (bytes that may not outlive the reader), it copies them.
    private let keeper: AnyObject?

    init(_ base: UnsafeRawBufferPointer, name: String, keeper: AnyObject? = nil) {
        self.base = base
        self.name = name
        self.keeper = keeper
    }

    var isAtEnd: Bool { offset == base.count }

    func failure(_ what: String) -> ImageError { ImageError("section '\(name)' is damaged (\(what))") }

    /// Whole-column checks, left for the store's reader to run on every core once every
    /// section is read (the store is not returned before they pass): run where they are
    /// read, the largest section's checks kept one core busy while the other sat idle.
    private(set) var deferred: [DeferredCheck] = []

    /// False for an image this kbq has checked whole before (`ImageSeals`): the checks
    /// that read a whole column are skipped then, as an open must not read the data; the
    /// checks of counts and lengths, which make every column's extent right, never are.
    var checksColumns = true

    mutating func checkLater(_ what: String, _ test: @escaping @Sendable () -> Bool) {
        guard checksColumns else { return }
        deferred.append(DeferredCheck(failure: failure(what), test: test))
    }

    /// Throws unless `condition` holds: for the invariants a part checks as it reads.
    func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        if !condition { throw failure(what()) }
    }

    mutating func word() throws -> UInt64 {
        guard base.count - offset >= 8 else { throw failure("ends early") }
        defer { offset += 8 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }

    mutating func int() throws -> Int { Int(Int64(bitPattern: try word())) }

    /// An int in `range`.
    mutating func int(in range: ClosedRange<Int>, _ what: String) throws -> Int {
        let v = try int()
        try check(range.contains(v), "\(what) \(v) out of range")
        return v
    }

    /// A count of items each at least `minimum` bytes long, which must fit in what is left.
    mutating func count(itemBytes minimum: Int = 1) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (base.count - offset) / max(1, minimum) else { throw failure("count \(n) exceeds the section") }
        return n
    }

    /// A column's values, copied into an array (for small columns the store changes).
    mutating func column<T: BitwiseCopyable>(_ type: T.Type = T.self) throws -> [T] {
        let bytes = try columnBytes(T.self)
        return [T](unsafeUninitializedCapacity: bytes.count / MemoryLayout<T>.stride) { buffer, initialized in
            if !bytes.isEmpty { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes) }
            initialized = bytes.count / MemoryLayout<T>.stride
        }
    }

    /// A column's values where they lie in the mapping (copied when there is none, or when
    /// they are out of alignment for `T`, which a damaged table could make them).
    mutating func view<T: BitwiseCopyable>(_ type: T.Type = T.self) throws -> Column<T> {
        let bytes = try columnBytes(T.self)
        let n = bytes.count / MemoryLayout<T>.stride
        guard n > 0 else { return Column() }
        if let keeper, Int(bitPattern: bytes.baseAddress!) % MemoryLayout<T>.alignment == 0 {
            return Column(viewing: bytes.baseAddress!, count: n, keeper: keeper)
        }
        return Column(unsafeUninitializedCount: n) { UnsafeMutableRawBufferPointer($0).copyMemory(from: bytes) }
    }

    /// The bytes of a column's values (after its count and element size), checked to lie
    /// within the section; moves past them and their padding.
    private mutating func columnBytes<T: BitwiseCopyable>(_: T.Type) throws -> UnsafeRawBufferPointer {
        let n = try int()
        let stride = try int()
        guard stride == MemoryLayout<T>.stride else { throw failure("element size \(stride), expected \(MemoryLayout<T>.stride)") }
        guard n >= 0, n <= (base.count - offset) / stride else { throw failure("column of \(n) exceeds the section") }
        let length = n * stride
        let bytes = UnsafeRawBufferPointer(rebasing: base[offset..<offset + length])
        offset += (length + 7) & ~7
        guard offset <= base.count else { throw failure("padding runs past the end") }
        return bytes
    }

    mutating func string() throws -> String {
        let n = try count()
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: base[offset..<offset + n]), as: UTF8.self)
        offset += (n + 7) & ~7
        guard offset <= base.count else { throw failure("padding runs past the end") }
        return s
    }

    mutating func get<T: ImageCodable>(_ type: T.Type = T.self) throws -> T { try T(image: &self) }
}

extension Int: ImageCodable {
    func write(to w: inout ImageWriter) { w.int(self) }
    init(image r: inout ImageReader) throws { self = try r.int() }
}

extension Int32: ImageCodable {
    func write(to w: inout ImageWriter) { w.int(Int(self)) }
    init(image r: inout ImageReader) throws {
        self = Int32(try r.int(in: Int(Int32.min)...Int(Int32.max), "32-bit number"))
    }
}

extension UInt32: ImageCodable {
    func write(to w: inout ImageWriter) { w.int(Int(self)) }
    init(image r: inout ImageReader) throws { self = UInt32(try r.int(in: 0...Int(UInt32.max), "32-bit number")) }
}

extension Bool: ImageCodable {
    func write(to w: inout ImageWriter) { w.int(self ? 1 : 0) }
    init(image r: inout ImageReader) throws { self = try r.int(in: 0...1, "flag") == 1 }
}

extension String: ImageCodable {
    func write(to w: inout ImageWriter) { w.string(self) }
    init(image r: inout ImageReader) throws { self = try r.string() }
}

extension Optional: ImageCodable where Wrapped: ImageCodable {
    func write(to w: inout ImageWriter) {
        if let v = self { w.int(1); w.put(v) } else { w.int(0) }
    }
    init(image r: inout ImageReader) throws {
        self = try r.int(in: 0...1, "optional's mark") == 1 ? try r.get(Wrapped.self) : nil
    }
}

/// Item by item: for short lists of composite values (large columns use `column`).
extension Array: ImageCodable where Element: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.int(count)
        for v in self { w.put(v) }
    }
    init(image r: inout ImageReader) throws {
        let n = try r.count(itemBytes: 8)
        self = []
        reserveCapacity(n)
        for _ in 0..<n { append(try r.get(Element.self)) }
    }
}

/// Sorted by key, so that the same store always writes the same bytes.
extension Dictionary: ImageCodable where Key: ImageCodable & Comparable, Value: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.int(count)
        for k in keys.sorted() {
            w.put(k)
            w.put(self[k]!)
        }
    }
    init(image r: inout ImageReader) throws {
        let n = try r.count(itemBytes: 16)
        self.init(minimumCapacity: n)
        for _ in 0..<n {
            let k = try r.get(Key.self)
            let v = try r.get(Value.self)
            try r.check(updateValue(v, forKey: k) == nil, "a key written twice")
        }
    }
}

/// A check `ImageReader.checkLater` left to run, with the error it throws when it fails.
struct DeferredCheck: Sendable {
    let failure: ImageError
    let test: @Sendable () -> Bool
}

/// Whole-column checks for the readers, written as branch-free reductions over a buffer
/// so that they vectorise: a store's columns hold tens of millions of values, and checking
/// one at a time (with a throw at each) took longer than copying them.
enum ImageCheck {
    /// Every value in `0..<limit`.
    static func allBelow<T: FixedWidthInteger>(_ values: Column<T>, _ limit: Int) -> Bool {
        values.withUnsafeBufferPointer { allWithin($0, 0, limit - 1) }
    }

    /// Every value in `low...high`.
    static func allWithin<T: FixedWidthInteger>(_ values: Column<T>, _ low: Int, _ high: Int) -> Bool {
        values.withUnsafeBufferPointer { allWithin($0, low, high) }
    }

    static func allWithin<T: FixedWidthInteger>(_ b: UnsafeBufferPointer<T>, _ low: Int, _ high: Int) -> Bool {
        var least = T.max
        var most = T.min
        for v in b {
            least = Swift.min(least, v)
            most = Swift.max(most, v)
        }
        return b.isEmpty || (Int(least) >= low && Int(most) <= high)
    }

    /// Each value at least the one before it, in `values[range]`.
    static func nondecreasing<T: FixedWidthInteger>(_ values: UnsafeBufferPointer<T>, _ range: Range<Int>) -> Bool {
        guard range.count > 1 else { return true }
        var bad = false
        for i in range.lowerBound + 1..<range.upperBound { bad = bad || values[i] < values[i - 1] }
        return !bad
    }

    /// Each run `values[offsets[k - 1]..<offsets[k]]` nondecreasing (offsets checked to be
    /// in order and within `values` before): every descent of the whole column falls at
    /// a run's start. Counted in one branch-free pass, not a check per run (a subject index
    /// has a run per entity).
    static func runsNondecreasing<T: FixedWidthInteger>(_ values: Column<T>, _ offsets: Column<UInt32>) -> Bool {
        values.withUnsafeBufferPointer { v in
            guard v.count > 1 else { return true }
            var descents = 0
            for j in 1..<v.count { descents &+= v[j] < v[j - 1] ? 1 : 0 }
            guard descents > 0 else { return true }
            var atStarts = 0
            for k in offsets.indices {
                let j = Int(offsets[k])
                // Offsets repeat for empty runs: a start counted once.
                if j > 0, j < v.count, k == 0 || offsets[k - 1] != offsets[k], v[j] < v[j - 1] { atStarts += 1 }
            }
            return descents == atStarts
        }
    }

    static func nondecreasing<T: FixedWidthInteger>(_ values: Column<T>) -> Bool {
        values.withUnsafeBufferPointer { nondecreasing($0, 0..<$0.count) }
    }

    /// Every term names an entity, literal or proposition the store has.
    static func allHeld(_ terms: Column<Term>, _ b: ImageBounds) -> Bool {
        terms.withUnsafeBufferPointer { allHeld($0, b) }
    }

    /// Every term names an entity, literal or proposition the store has, and term i a
    /// proposition only below i (a statement column: propositions come before the statements
    /// that quote them). One pass where two took twice the time.
    static func allHeldAndEarlier(_ terms: Column<Term>, _ b: ImageBounds) -> Bool {
        let (e, l) = (UInt32(clamping: b.entities), UInt32(clamping: b.literals))
        return terms.withUnsafeBufferPointer { ts in
            ts.withMemoryRebound(to: UInt32.self) { raw in
                var bad: UInt32 = 0
                for i in raw.indices {
                    let v = raw[i]
                    let kind = v >> 30
                    let index = v & Term.indexMask
                    let isE = 0 &- ((kind ^ 0) == 0 ? 1 : 0 as UInt32)
                    let isL = 0 &- ((kind ^ 1) == 0 ? 1 : 0 as UInt32)
                    let isP = 0 &- ((kind ^ 2) == 0 ? 1 : 0 as UInt32)
                    let limit = (isE & e) | (isL & l) | (isP & UInt32(truncatingIfNeeded: i))
                    bad |= index >= limit ? 1 : 0
                }
                return bad == 0
            }
        }
    }

    static func allHeld(_ ts: UnsafeBufferPointer<Term>, _ b: ImageBounds) -> Bool {
        // Each kind's limit chosen with masks, not branches, so that the loop vectorises
        // (with a select per kind it ran at a quarter of the speed of copying the column).
        let (e, l, p) = (UInt32(clamping: b.entities), UInt32(clamping: b.literals), UInt32(clamping: b.statements))
        return ts.withMemoryRebound(to: UInt32.self) { raw in
            var bad: UInt32 = 0
            for v in raw {
                let kind = v >> 30
                let index = v & Term.indexMask
                let isE = 0 &- ((kind ^ 0) == 0 ? 1 : 0 as UInt32)
                let isL = 0 &- ((kind ^ 1) == 0 ? 1 : 0 as UInt32)
                let isP = 0 &- ((kind ^ 2) == 0 ? 1 : 0 as UInt32)
                let limit = (isE & e) | (isL & l) | (isP & p)
                bad |= index >= limit ? 1 : 0
            }
            return bad == 0
        }
    }
}
