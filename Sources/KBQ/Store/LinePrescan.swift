/// Pass 1's first look at a file, on every core: which lines the fast path takes whole (a
/// plain statement or a one-line entity declaration, not continued by the next line) and
/// where each ends.
///
/// The splitter still walks the file in order, since only it knows where items begin (a
/// line inside a multi-line block may look like a statement); at a line start it asks this
/// table instead of scanning the line itself.
struct LinePrescan {
    /// The fast lines of one part of the file, kept as the worker left them (joining the
    /// parts copied 13 MB at 1M statements, on one core).
    private struct Part {
        /// The offset `starts` count from.
        var base = 0
        /// The fast lines' start offsets from `base`, ascending.
        var starts: [UInt32] = []
        /// Per fast line, its length up to its newline; the top bit marks an entity declaration.
        var lengths: [UInt32] = []
    }

    private var parts: [Part] = []
    /// Where the last question was answered: questions come in file order.
    private var part = 0
    private var cursor = 0

    private static let entityBit: UInt32 = 1 << 31

    /// How many fast lines were found.
    let count: Int

    /// No fast lines (the fast path off).
    init() { count = 0 }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Small files are scanned on the calling thread (no Dispatch start-up); a part's
        // offsets fit 32 bits.
        let workers = bytes.count >= 1 << 20 ? max(Parallel.cores * 4, bytes.count >> 31 + 1) : 1
        let ranges = Parallel.lineParts(bytes, workers)
        let input = SharedBytes(bytes: bytes)
        parts = Parallel.map(ranges.count) { k in LinePrescan.scan(input.bytes, ranges[k]) }.filter { !$0.starts.isEmpty }
        count = parts.reduce(0) { $0 + $1.starts.count }
    }

    /// The fast lines of one part of the bytes.
    private static func scan(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Part {
        var part = Part(base: range.lowerBound)
        var parts = FastLine.EntityParts()
        var p = range.lowerBound
        while p < range.upperBound {
            var end: Int? = FastLine.scan(b, from: p, qualifier: { _, _ in true })?.end
            var entity = false
            if end == nil, b[p] == UInt8(ascii: "e"), let e = FastLine.scanEntity(b, from: p, into: &parts)?.end {
                end = e
                entity = true
            }
            if let end, end - p < Int(entityBit), p - range.lowerBound <= Int(UInt32.max), !StatementSplitter.nextLineContinues(b, after: end) {
                part.starts.append(UInt32(p - range.lowerBound))
                part.lengths.append(UInt32(end - p) | (entity ? entityBit : 0))
                p = end
            }
            // The next line.
            while p < range.upperBound, b[p] != 0x0A { p += 1 }
            p += 1
        }
        return part
    }

    /// The fast line that starts at offset `p`: its newline's offset and whether it declares
    /// an entity. Offsets asked must not decrease.
    mutating func fastLine(at p: Int) -> (end: Int, isEntity: Bool)? {
        while part < parts.count {
            let here = parts[part]
            while cursor < here.starts.count, here.base + Int(here.starts[cursor]) < p { cursor += 1 }
            if cursor < here.starts.count { break }
            (part, cursor) = (part + 1, 0)
        }
        guard part < parts.count, parts[part].base + Int(parts[part].starts[cursor]) == p else { return nil }
        let length = parts[part].lengths[cursor]
        return (p + Int(length & ~LinePrescan.entityBit), length & LinePrescan.entityBit != 0)
    }

    /// The fast line `fastLine(at:)` gave last and every one right after it (the next
    /// line, nothing between), handed to `body` (start, end, whether an entity) in order:
    /// most of a large file, taken without the splitter. Returns the last one's start and
    /// end, and leaves the cursor on the first line after them.
    mutating func takeRun(_ body: (_ start: Int, _ end: Int, _ isEntity: Bool) -> Void) -> (start: Int, end: Int) {
        var last = (start: -1, end: -2)
        // Through each part's buffers (a line at a time, reading a part retained its arrays).
        while part < parts.count {
            let base = parts[part].base
            let stop = parts[part].starts.withUnsafeBufferPointer { starts in
                parts[part].lengths.withUnsafeBufferPointer { lengths -> Int? in
                    var k = cursor
                    while k < starts.count {
                        let start = base + Int(starts[k])
                        if last.start >= 0, start != last.end + 1 { return k }
                        let end = start + Int(lengths[k] & ~LinePrescan.entityBit)
                        body(start, end, lengths[k] & LinePrescan.entityBit != 0)
                        last = (start, end)
                        k += 1
                    }
                    return nil
                }
            }
            if let stop {
                cursor = stop
                return last
            }
            (part, cursor) = (part + 1, 0)
        }
        return last
    }

    /// The file's bytes, read by every worker and changed by none.
    private struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
    }
}
