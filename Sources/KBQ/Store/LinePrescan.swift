/// Pass 1's first look at a file, on every core: which lines the fast path takes whole (a
/// plain statement or a one-line entity declaration, not continued by the next line) and
/// where each ends.
///
/// The splitter still walks the file in order, since only it knows where items begin (a
/// line inside a multi-line block may look like a statement); at a line start it asks this
/// table instead of scanning the line itself.
struct LinePrescan {
    /// The fast lines' start offsets, ascending.
    private var starts: [Int] = []
    /// Per fast line, its length up to its newline; the top bit marks an entity declaration.
    private var lengths: [UInt32] = []
    /// Where the last question was answered: questions come in file order.
    private var cursor = 0

    private static let entityBit: UInt32 = 1 << 31

    /// How many fast lines were found.
    var count: Int { starts.count }

    /// No fast lines (the fast path off).
    init() {}

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Small files are scanned on the calling thread (no Dispatch start-up).
        let workers = bytes.count >= 1 << 20 ? Parallel.cores * 4 : 1
        let parts = Parallel.lineParts(bytes, workers)
        let input = SharedBytes(bytes: bytes)
        let found = Parallel.map(parts.count) { k in LinePrescan.scan(input.bytes, parts[k]) }
        starts.reserveCapacity(found.reduce(0) { $0 + $1.starts.count })
        lengths.reserveCapacity(starts.capacity)
        for part in found {
            starts.append(contentsOf: part.starts)
            lengths.append(contentsOf: part.lengths)
        }
    }

    /// The fast lines of one part of the bytes.
    private static func scan(_ b: UnsafeBufferPointer<UInt8>, _ part: Range<Int>) -> (starts: [Int], lengths: [UInt32]) {
        var starts: [Int] = []
        var lengths: [UInt32] = []
        var parts = FastLine.EntityParts()
        var p = part.lowerBound
        while p < part.upperBound {
            var end: Int? = FastLine.scan(b, from: p, qualifier: { _, _ in true })?.end
            var entity = false
            if end == nil, b[p] == UInt8(ascii: "e"), let e = FastLine.scanEntity(b, from: p, into: &parts)?.end {
                end = e
                entity = true
            }
            if let end, end - p < Int(entityBit), !StatementSplitter.nextLineContinues(b, after: end) {
                starts.append(p)
                lengths.append(UInt32(end - p) | (entity ? entityBit : 0))
                p = end
            }
            // The next line.
            while p < part.upperBound, b[p] != 0x0A { p += 1 }
            p += 1
        }
        return (starts, lengths)
    }

    /// The fast line that starts at offset `p`: its newline's offset and whether it declares
    /// an entity. Offsets asked must not decrease.
    mutating func fastLine(at p: Int) -> (end: Int, isEntity: Bool)? {
        while cursor < starts.count, starts[cursor] < p { cursor += 1 }
        guard cursor < starts.count, starts[cursor] == p else { return nil }
        let length = lengths[cursor]
        return (p + Int(length & ~LinePrescan.entityBit), length & LinePrescan.entityBit != 0)
    }

    /// The fast line after the one `fastLine(at:)` gave last, when it starts at `p` (the
    /// next line, nothing between): most of a large file, taken without the splitter.
    mutating func nextFastLine(at p: Int) -> (end: Int, isEntity: Bool)? {
        guard cursor + 1 < starts.count, starts[cursor + 1] == p else { return nil }
        cursor += 1
        let length = lengths[cursor]
        return (p + Int(length & ~LinePrescan.entityBit), length & LinePrescan.entityBit != 0)
    }

    /// The file's bytes, read by every worker and changed by none.
    private struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
    }
}
