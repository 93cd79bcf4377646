/// A column of plain values that either the store owns (built by a load) or that lives in
/// an image mapped from disk (`ImageFile`): an image's columns are used where they lie,
/// so opening a large store reads no data and copies none, and its pages are shared by
/// every process that maps the same file.
///
/// Value semantics, as an array: a mapped column (read-only memory) or a shared buffer is
/// copied into a buffer of its own before its first change.
///
/// Invariants: `base` points at `count` initialised values for as long as `owner` lives.
/// `owner` is the column's own buffer (a `ColumnStorage` of `ownedCapacity >= count`
/// slots, at least one) when `ownedCapacity > 0`; otherwise it is what keeps mapped memory
/// alive (never written through), or nil for an empty column. One reference, not two: a
/// posting list's run is copied into every candidate list, a retain per reference.
/// Values are `BitwiseCopyable`, so slots need no deinitialisation and a copy is a `memcpy`.
struct Column<T: BitwiseCopyable>: @unchecked Sendable {
    private var owner: AnyObject?
    private var base: UnsafePointer<T>
    private(set) var count: Int
    /// The owned buffer's capacity, 0 when the column has none: kept here so that an
    /// append reads no more than this struct and the buffer's reference count.
    private var ownedCapacity: Int

    init() {
        owner = nil
        base = Column.emptyBase
        count = 0
        ownedCapacity = 0
    }

    init(_ values: [T]) {
        // A block copy, not `initialize(from:)`: unspecialised in a debug build, that went
        // value by value through generic witnesses.
        self.init(unsafeUninitializedCount: values.count) { buffer in
            values.withUnsafeBufferPointer { buffer.baseAddress!.initialize(from: $0.baseAddress!, count: $0.count) }
        }
    }

    init(repeating value: T, count n: Int) {
        self.init()
        guard n > 0 else { return }
        let s = ColumnStorage<T>(capacity: n)
        s.pointer.initialize(repeating: value, count: n)
        adopt(s, count: n)
    }

    /// `n` values written by `body` into uninitialised memory (it must write all of them).
    init(unsafeUninitializedCount n: Int, _ body: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows {
        self.init()
        guard n > 0 else { return }
        let s = ColumnStorage<T>(capacity: n)
        try body(UnsafeMutableBufferPointer(start: s.pointer, count: n))
        adopt(s, count: n)
    }

    /// A view of `count` values at `start`, which `keeper` keeps valid (an image's mapping).
    /// `start` must be aligned for `T`.
    init(viewing start: UnsafeRawPointer, count n: Int, keeper: AnyObject) {
        self.init()
        guard n > 0 else { return }
        precondition(Int(bitPattern: start) % MemoryLayout<T>.alignment == 0, "a mapped column out of alignment")
        owner = keeper
        base = start.assumingMemoryBound(to: T.self)
        count = n
    }

    /// A view of `range` of this column, which holds what keeps it valid (this column's
    /// buffer or mapping): nothing is copied until the view or this column is changed.
    func view(_ range: Range<Int>) -> Column {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "a view out of range")
        guard !range.isEmpty, let owner else { return Column() }
        return Column(viewing: UnsafeRawPointer(base + range.lowerBound), count: range.count, keeper: owner)
    }

    /// A valid, aligned address for a column with nothing in it (never read).
    private static var emptyBase: UnsafePointer<T> { UnsafePointer(bitPattern: MemoryLayout<T>.alignment)! }

    private mutating func adopt(_ s: ColumnStorage<T>, count n: Int) {
        owner = s
        base = UnsafePointer(s.pointer)
        count = n
        ownedCapacity = s.capacity
    }

    /// Whether the values are a mapped file's (for the memory report: those pages are the
    /// file's, not the heap's).
    var isMapped: Bool { owner != nil && ownedCapacity == 0 }

    var capacity: Int { ownedCapacity > 0 ? ownedCapacity : count }

    /// Whether the column may write its buffer in place.
    private mutating func ownsUniquely() -> Bool { ownedCapacity > 0 && isKnownUniquelyReferenced(&owner) }

    /// Makes the buffer this column's own, with room for at least `minimum` values.
    private mutating func makeUnique(capacity minimum: Int) {
        if ownedCapacity >= minimum, ownsUniquely() { return }
        let s = ColumnStorage<T>(capacity: Swift.max(minimum, count, 1))
        if count > 0 { s.pointer.initialize(from: base, count: count) }
        adopt(s, count: count)
    }

    /// Room for `n` values, in a buffer of this column's own: an empty column that shares
    /// its buffer with a copy gets its own too, since what it appends next would land in
    /// the copy's spare room (`appendSlots`, `append(contentsOf:)`).
    mutating func reserveCapacity(_ n: Int) {
        if n > capacity || !ownsUniquely() { makeUnique(capacity: Swift.max(n, capacity)) }
    }

    @inline(__always)
    mutating func append(_ v: T) {
        // A mapped or empty column has no owned capacity, so it takes the slow path.
        if _slowPath(count >= ownedCapacity || !isKnownUniquelyReferenced(&owner)) {
            makeUnique(capacity: count == capacity ? Swift.max(16, count * 2) : capacity)
        }
        // `base` is the owned buffer's pointer once unique (see the invariants).
        UnsafeMutablePointer(mutating: base)[count] = v
        count += 1
    }

    mutating func append<S: Sequence>(contentsOf values: S) where S.Element == T {
        let copied: Bool? = values.withContiguousStorageIfAvailable { b in
            guard !b.isEmpty else { return true }
            reserveCapacity(growth(for: b.count))
            (UnsafeMutablePointer(mutating: base) + count).initialize(from: b.baseAddress!, count: b.count)
            count += b.count
            return true
        }
        guard copied == nil else { return }
        reserveCapacity(growth(for: values.underestimatedCount))
        var rest = values.makeIterator()
        if ownedCapacity > 0 {
            // Unique now (reserved): the reserved slots written without a check apiece.
            let slots = UnsafeMutablePointer(mutating: base)
            while count < ownedCapacity, let v = rest.next() {
                (slots + count).initialize(to: v)
                count += 1
            }
        }
        while let v = rest.next() { append(v) }
    }

    /// Grows the column by `n` slots and returns the first's address. The caller writes
    /// every one of them (on any thread) before the column is read or changed again: until
    /// then they hold whatever the memory held (the values have no references, so nothing
    /// is released or retained by an unwritten slot).
    mutating func appendSlots(_ n: Int) -> UnsafeMutablePointer<T> {
        reserveCapacity(growth(for: n))
        let slots = UnsafeMutablePointer(mutating: base) + count
        count += n
        return slots
    }

    /// The capacity to reserve for `n` more values: doubling, so that appending a run at a
    /// time stays linear.
    private func growth(for n: Int) -> Int {
        count + n <= capacity ? capacity : Swift.max(count + n, capacity * 2)
    }

    /// The elements' address, for a reader that holds this column (or a copy) and reads
    /// it at every step of a loop: valid while that holder lives and the column is not
    /// appended to.
    var address: UnsafePointer<T> { base }

    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The first value's address, for a hot loop that reads a column without a retain per
    /// list: valid while this column (or what it was read from) lives and is not changed.
    var unsafeAddress: UnsafePointer<T> { base }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(UnsafeBufferPointer(start: base, count: count)))
    }

    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        makeUnique(capacity: capacity)
        var buffer = UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: base), count: count)
        return try body(&buffer)
    }

    /// A copy with no spare capacity, as `Array.compacted()`: a large buffer is left as it is.
    func compacted() -> Column {
        guard capacity > count, capacity * MemoryLayout<T>.stride < FileSystem.largeBlock else { return self }
        return withUnsafeBufferPointer { b in Column(unsafeUninitializedCount: count) { _ = $0.initialize(from: b) } }
    }
}

extension Column: RandomAccessCollection {
    // Concrete indices, as an array's: with the default (`DefaultIndices`), a slice's
    // `indices` went through generic metadata looked up at run time, in the hot loops.
    typealias Indices = Range<Int>
    typealias SubSequence = ColumnSlice<T>

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var indices: Range<Int> { 0..<count }

    subscript(r: Range<Int>) -> ColumnSlice<T> { ColumnSlice(self, r) }

    @inline(__always)
    subscript(i: Int) -> T {
        get {
            precondition(i >= 0 && i < count, "column index out of range")
            return base[i]
        }
        set {
            precondition(i >= 0 && i < count, "column index out of range")
            if _slowPath(!ownsUniquely()) { makeUnique(capacity: capacity) }
            UnsafeMutablePointer(mutating: base)[i] = newValue
        }
    }

    @inline(__always)
    func index(after i: Int) -> Int { i + 1 }
    @inline(__always)
    func index(before i: Int) -> Int { i - 1 }
}

extension Column: ExpressibleByArrayLiteral {
    init(arrayLiteral values: T...) { self.init(values) }
}

/// An owned column's buffer (never shrinks; freed with its last column).
final class ColumnStorage<T: BitwiseCopyable> {
    let pointer: UnsafeMutablePointer<T>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pointer = UnsafeMutablePointer<T>.allocate(capacity: capacity)
    }

    deinit { pointer.deallocate() }
}

/// A run of a column (a posting list, say), as an `ArraySlice` is of an array: its indices
/// are the column's. Its own type, not the standard `Slice`: through `Slice`, the hot loops
/// called unspecialised generic code and looked up type metadata at run time.
struct ColumnSlice<T: BitwiseCopyable>: RandomAccessCollection, @unchecked Sendable {
    typealias Indices = Range<Int>
    typealias SubSequence = ColumnSlice

    let base: Column<T>
    let startIndex: Int
    let endIndex: Int

    init(_ base: Column<T>, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= base.count, "column slice out of range")
        self.base = base
        startIndex = range.lowerBound
        endIndex = range.upperBound
    }

    /// A run of nothing.
    static var empty: ColumnSlice { ColumnSlice(Column(), 0..<0) }

    var indices: Range<Int> { startIndex..<endIndex }
    var count: Int { endIndex - startIndex }

    /// The address of `self[startIndex]` (see `Column.unsafeAddress`).
    var unsafeAddress: UnsafePointer<T> { base.unsafeAddress + startIndex }
    var isEmpty: Bool { endIndex == startIndex }

    @inline(__always)
    subscript(i: Int) -> T {
        precondition(i >= startIndex && i < endIndex, "column slice index out of range")
        return base[i]
    }

    subscript(r: Range<Int>) -> ColumnSlice {
        precondition(r.lowerBound >= startIndex && r.upperBound <= endIndex, "column slice out of range")
        return ColumnSlice(base, r)
    }

    @inline(__always) func index(after i: Int) -> Int { i + 1 }
    @inline(__always) func index(before i: Int) -> Int { i - 1 }

    /// The run's values in place.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try base.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[startIndex..<endIndex])) }
    }
}
