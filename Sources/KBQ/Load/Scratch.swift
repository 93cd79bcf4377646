/// A growable run of plain values written without Array's checks: the resolving workers
/// append some fifteen values a line, and each Array append called the runtime to check
/// that the buffer was not shared (3% of a load's CPU at 1M statements, perf). Its owner
/// frees it (`free`), once. For plain values only (no references: values are overwritten
/// and dropped without being deinitialized).
struct Scratch<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    /// How many values are written, from `base`.
    var count = 0

    init(capacity: Int) {
        precondition(_isPOD(Element.self), "Scratch holds plain values only")
        self.capacity = max(capacity, 8)
        base = .allocate(capacity: self.capacity)
    }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow(to: capacity * 2) }
        (base + count).initialize(to: value)
        count += 1
    }

    /// Room for `n` values in all, without growing again on the way.
    mutating func reserve(_ n: Int) {
        if n > capacity { grow(to: n) }
    }

    private mutating func grow(to n: Int) {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: n)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        (base, capacity) = (bigger, n)
    }

    @inline(__always)
    subscript(i: Int) -> Element { base[i] }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    func free() { base.deallocate() }
}
