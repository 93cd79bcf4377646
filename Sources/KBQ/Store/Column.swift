/// A column of plain values that either the store owns (built by a load) or that lives in
/// an image mapped from disk (`ImageFile`): an image's columns are used where they lie,
/// so opening a large store reads no data and copies none, and its pages are shared by
/// every process that maps the same file.
///
/// Value semantics, as an array: a mapped column (read-only memory) or a shared buffer is
/// copied into a buffer of its own before its first change.
///
/// Invariants: `base` points at `count` initialised values for as long as `keeper` (the
/// owned buffer or the mapping) lives; `storage`, when present, is that owned buffer and
/// holds `capacity >= count` slots. Values are `BitwiseCopyable`, so slots need no
/// deinitialisation and a copy is a `memcpy`.
struct Column<T: BitwiseCopyable>: @unchecked Sendable {
    private var storage: ColumnStorage<T>?
    /// What keeps a mapped column's memory alive (nil for an owned or empty column).
    private var keeper: AnyObject?
    private var base: UnsafePointer<T>
    private(set) var count: Int
    /// `storage`'s capacity, 0 when there is none: kept here so that an append reads no
    /// more than this struct and the buffer's reference count.
    private var ownedCapacity: Int

    init() {
        storage = nil
        keeper = nil
        base = Column.emptyBase
        count = 0
        ownedCapacity = 0
    }

    init(_ values: [T]) {
        self.init()
        guard !values.isEmpty else { return }
        let s = ColumnStorage<T>(capacity: values.count)
        values.withUnsafeBufferPointer { s.pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        adopt(s, count: values.count)
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
        self.keeper = keeper
        base = start.assumingMemoryBound(to: T.self)
        count = n
    }

    /// A valid, aligned address for a column with nothing in it (never read).
    private static var emptyBase: UnsafePointer<T> { UnsafePointer(bitPattern: MemoryLayout<T>.alignment)! }

    private mutating func adopt(_ s: ColumnStorage<T>, count n: Int) {
        storage = s
        keeper = nil
        base = UnsafePointer(s.pointer)
        count = n
        ownedCapacity = s.capacity
    }

    /// Whether the values are a mapped file's (for the memory report: those pages are the
    /// file's, not the heap's).
    var isMapped: Bool { keeper != nil }

    var capacity: Int { storage == nil ? count : ownedCapacity }

    /// Makes the buffer this column's own, with room for at least `minimum` values.
    private mutating func makeUnique(capacity minimum: Int) {
        if ownedCapacity >= minimum, isKnownUniquelyReferenced(&storage) { return }
        let s = ColumnStorage<T>(capacity: Swift.max(minimum, count))
        if count > 0 { s.pointer.initialize(from: base, count: count) }
        adopt(s, count: count)
    }

    mutating func reserveCapacity(_ n: Int) {
        let owned = storage != nil && isKnownUniquelyReferenced(&storage)
        if n > capacity || (!owned && count > 0) { makeUnique(capacity: Swift.max(n, capacity)) }
    }

    @inline(__always)
    mutating func append(_ v: T) {
        // A nil storage is never uniquely referenced, so a mapped column is copied here too.
        if _slowPath(count == ownedCapacity || !isKnownUniquelyReferenced(&storage)) {
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
            (storage.unsafelyUnwrapped.pointer + count).initialize(from: b.baseAddress!, count: b.count)
            count += b.count
            return true
        }
        guard copied == nil else { return }
        reserveCapacity(growth(for: values.underestimatedCount))
        var rest = values.makeIterator()
        if let s = storage {
            // Unique now (reserved): the reserved slots written without a check apiece.
            while count < s.capacity, let v = rest.next() {
                (s.pointer + count).initialize(to: v)
                count += 1
            }
        }
        while let v = rest.next() { append(v) }
    }

    /// The capacity to reserve for `n` more values: doubling, so that appending a run at a
    /// time stays linear.
    private func growth(for n: Int) -> Int {
        count + n <= capacity ? capacity : Swift.max(count + n, capacity * 2)
    }

    mutating func removeAll() { self = Column() }

    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(UnsafeBufferPointer(start: base, count: count)))
    }

    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        makeUnique(capacity: capacity)
        var buffer = UnsafeMutableBufferPointer(start: storage.unsafelyUnwrapped.pointer, count: count)
        return try body(&buffer)
    }

    /// A copy with no spare capacity, as `Array.compacted()`: a large buffer is left as it is.
    func compacted() -> Column {
        guard capacity > count, capacity * MemoryLayout<T>.stride < FileSystem.largeBlock else { return self }
        return withUnsafeBufferPointer { b in Column(unsafeUninitializedCount: count) { _ = $0.initialize(from: b) } }
    }
}

extension Column: RandomAccessCollection, MutableCollection {
    var startIndex: Int { 0 }
    var endIndex: Int { count }

    @inline(__always)
    subscript(i: Int) -> T {
        get {
            precondition(i >= 0 && i < count, "column index out of range")
            return base[i]
        }
        set {
            precondition(i >= 0 && i < count, "column index out of range")
            if _slowPath(!isKnownUniquelyReferenced(&storage)) { makeUnique(capacity: capacity) }
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

extension Column: Equatable where T: Equatable {
    static func == (a: Column, b: Column) -> Bool { a.elementsEqual(b) }
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

/// A run of a column (a posting list, say): indices are the column's, as an `ArraySlice`'s
/// are its array's.
typealias ColumnSlice<T: BitwiseCopyable> = Slice<Column<T>>

/// What `ColumnSlice` needs of its base: contiguous values and a way to make one.
protocol ContiguousColumn: RandomAccessCollection where Index == Int, Element: BitwiseCopyable, SubSequence == Slice<Self> {
    init(_ values: [Element])
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R
}

extension Column: ContiguousColumn {}

extension Slice where Base: ContiguousColumn {
    /// A run of nothing (a slice cannot be written `[]`: the conformance would be public).
    static var empty: Slice { Base([])[...] }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Base.Element>) throws -> R) rethrows -> R {
        try base.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[startIndex..<endIndex])) }
    }
}
