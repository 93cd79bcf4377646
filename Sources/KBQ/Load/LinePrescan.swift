/// Pass 1's first look at a file, on every core: which lines the fast path takes whole (a
/// plain statement or a one-line entity declaration, not continued by the next line), where
/// each ends and, for a statement, where its items are.
///
/// The splitter still walks the file in order, since only it knows where items begin (a
/// line inside a multi-line block may look like a statement); at a line start it asks this
/// table instead of scanning the line itself, and takes the fast lines after it in runs.
struct LinePrescan {
    /// The fast lines of one part of the file, kept as the worker left them (joining the
    /// parts copied 13 MB at 1M statements, on one core). The loader keeps them for pass 2.
    struct Part {
        /// The offset `starts` count from.
        var base = 0
        /// The fast lines' start offsets from `base`, ascending.
        var starts: [UInt32] = []
        /// Per fast line, its length up to its newline; the top bit marks an entity declaration.
        var lengths: [UInt32] = []
        /// Fast line k's tokens (`FastLine.Token`) are `tokens[tokenEnd[k - 1]..<tokenEnd[k]]`
        /// (from 0 for the first): a statement's subject, predicate, object, then its
        /// qualifiers' keys and values; none for an entity declaration.
        var tokenEnd: [UInt32] = []
        var tokens: [UInt32] = []

        func start(_ k: Int) -> Int { base + Int(starts[k]) }
        func end(_ k: Int) -> Int { start(k) + Int(lengths[k] & ~LinePrescan.entityBit) }
        func isEntity(_ k: Int) -> Bool { lengths[k] & LinePrescan.entityBit != 0 }
    }

    private(set) var parts: [Part] = []
    /// Where the last question was answered: questions come in file order.
    private var part = 0
    private var cursor = 0

    static let entityBit: UInt32 = 1 << 31

    /// No fast lines (the fast path off).
    init() {}

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Small files are scanned on the calling thread (no Dispatch start-up); a part's
        // offsets fit 32 bits.
        let workers = bytes.count >= 1 << 20 ? max(Parallel.cores * 4, bytes.count >> 31 + 1) : 1
        let ranges = Parallel.lineParts(bytes, workers)
        let input = SharedBytes(bytes: bytes)
        parts = Parallel.map(ranges.count) { k in LinePrescan.scan(input.bytes, ranges[k]) }.filter { !$0.starts.isEmpty }
    }

    /// The fast lines of one part of the bytes.
    private static func scan(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Part {
        var part = Part(base: range.lowerBound)
        // Room for what a case-shaped file holds (a line of some 50 bytes, five tokens),
        // so that the arrays are not copied as they grow; pages never written are never
        // faulted in.
        part.starts.reserveCapacity(range.count / 32)
        part.lengths.reserveCapacity(range.count / 32)
        part.tokenEnd.reserveCapacity(range.count / 32)
        part.tokens.reserveCapacity(range.count / 8)
        var entityParts = FastLine.EntityParts()
        var p = range.lowerBound
        while p < range.upperBound {
            let tokenCount = part.tokens.count
            var end = FastLine.scanTokens(b, from: p, into: &part.tokens)
            var entity = false
            if end == nil {
                part.tokens.removeSubrange(tokenCount...)
                if b[p] == UInt8(ascii: "e"), let e = FastLine.scanEntity(b, from: p, into: &entityParts)?.end {
                    end = e
                    entity = true
                }
            }
            if let end, end - p < Int(entityBit), p - range.lowerBound <= Int(UInt32.max), !StatementSplitter.nextLineContinues(b, after: end) {
                part.starts.append(UInt32(p - range.lowerBound))
                part.lengths.append(UInt32(end - p) | (entity ? entityBit : 0))
                part.tokenEnd.append(UInt32(part.tokens.count))
                p = end
            } else {
                part.tokens.removeSubrange(tokenCount...)
            }
            // The next line.
            while p < range.upperBound, b[p] != 0x0A { p += 1 }
            p += 1
        }
        return part
    }

    /// Whether the line that starts at offset `p` is fast. Offsets asked must not decrease.
    mutating func isFastLine(at p: Int) -> Bool {
        while part < parts.count {
            let here = parts[part]
            while cursor < here.starts.count, here.start(cursor) < p { cursor += 1 }
            if cursor < here.starts.count { break }
            (part, cursor) = (part + 1, 0)
        }
        return part < parts.count && parts[part].start(cursor) == p
    }

    /// The fast line `isFastLine(at:)` found and every one right after it (the next line,
    /// nothing between): most of a large file, taken without the splitter. Hands them to
    /// `body` in order, in segments of one kind within one part (the part's number and
    /// itself, the segment's lines in it, whether they declare entities); returns the last
    /// one's start and end, and leaves the cursor on the first line after them.
    mutating func takeRun(_ body: (_ number: Int, _ part: Part, _ lines: Range<Int>, _ isEntity: Bool) -> Void) -> (start: Int, end: Int) {
        var last = (start: -1, end: -2)
        while part < parts.count {
            let here = parts[part]
            let (segments, stop) = LinePrescan.segments(here, from: cursor, after: &last)
            for s in segments { body(part, here, s.lines, s.isEntity) }
            if let stop {
                cursor = stop
                return last
            }
            (part, cursor) = (part + 1, 0)
        }
        return last
    }

    /// The consecutive fast lines of `part` from line `first`, continuing `last` (none when
    /// nothing was taken yet), cut where the kind changes; and where the run stops in this
    /// part, if it does.
    private static func segments(
        _ part: Part, from first: Int, after last: inout (start: Int, end: Int)
    ) -> (segments: [(lines: Range<Int>, isEntity: Bool)], stop: Int?) {
        var segments: [(lines: Range<Int>, isEntity: Bool)] = []
        var k = first
        var segmentStart = first
        while k < part.starts.count {
            let start = part.start(k)
            if last.start >= 0, start != last.end + 1 { break }
            if k > segmentStart, part.isEntity(k) != part.isEntity(k - 1) {
                segments.append((segmentStart..<k, part.isEntity(k - 1)))
                segmentStart = k
            }
            last = (start, part.end(k))
            k += 1
        }
        if k > segmentStart { segments.append((segmentStart..<k, part.isEntity(k - 1))) }
        return (segments, k < part.starts.count ? k : nil)
    }

    /// The file's bytes, read by every worker and changed by none.
    private struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
    }
}
