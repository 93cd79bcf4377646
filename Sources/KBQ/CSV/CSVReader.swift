/// A spreadsheet exported as CSV (RFC 4180: cells in double quotes may hold separators,
/// newlines and doubled quotes) or TSV (tab-separated, quoted the same way when a cell
/// starts with a quote); a byte-order mark and CRLF line ends are read too. Every row must
/// have as many cells as the header; blank lines are skipped.
struct CSVTable {
    struct Cell {
        var text: String
        /// Where the cell lies in the file (its quotes included), for diagnostics.
        var range: Range<Int>
    }

    struct Row {
        var cells: [Cell]
        /// The row's number as a spreadsheet counts it (the header is row 1; a cell over
        /// several lines is still one row; blank lines are not rows).
        var number: Int
        /// Its first byte.
        var start: Int
    }

    /// How a cell is written: bare, in quotes, or in quotes with a doubled quote inside
    /// (whose text must be decoded, not read in place).
    enum Form: UInt8 { case bare, quoted, escaped }

    var source: SourceText
    var header: [Cell]
    /// The data rows' cells, `columns` to a row, kept as places in the file (no String a
    /// cell: a million-row sheet has millions): where each starts and ends, quotes
    /// included, and how it is written. A row's first byte is its first cell's start, and
    /// its number is known from its index (`number(ofRow:)`), so neither is kept.
    var cellStart: [UInt32] = []
    var cellEnd: [UInt32] = []
    var cellForm: [Form] = []
    var columns: Int { header.count }
    var rowCount: Int { columns == 0 ? 0 : cellStart.count / columns }

    /// Data row `r`'s number as a spreadsheet counts it: the header is row 1, and every
    /// row after it counts (blank lines are skipped, a cell over several lines is in one).
    @inline(__always)
    static func number(ofRow r: Int) -> Int32 { Int32(truncatingIfNeeded: r + 2) }

    /// Row `r` with its cells' texts, for the paths that want Strings.
    func row(_ r: Int) -> Row {
        Row(cells: (r * columns..<(r + 1) * columns).map(cell), number: Int(CSVTable.number(ofRow: r)), start: Int(cellStart[r * columns]))
    }

    /// Every data row, made as it is reached.
    var rows: LazyMapCollection<Range<Int>, Row> { (0..<rowCount).lazy.map(row) }

    /// Cell `k` of the flat list (row `k / columns`), with its text.
    func cell(_ k: Int) -> Cell {
        let (start, end) = (Int(cellStart[k]), Int(cellEnd[k]))
        return Cell(text: text(k), range: start..<max(end, start + 1))
    }

    /// The bytes inside a cell's quotes (all of a bare one).
    func content(_ k: Int) -> Range<Int> {
        cellForm[k] == .bare ? Int(cellStart[k])..<Int(cellEnd[k]) : Int(cellStart[k]) + 1..<Int(cellEnd[k]) - 1
    }

    /// `content(k)` without spaces and tabs at either end, as `trimmingSpaces` trims its
    /// text (the same for a cell with no doubled quote).
    func trimmedContent(_ k: Int) -> Range<Int> {
        source.bytes.withUnsafeBufferPointer { b in
            var r = content(k)
            while let first = r.first, b[first] == 0x20 || b[first] == 0x09 { r = r.dropFirst() }
            while let last = r.last, b[last] == 0x20 || b[last] == 0x09 { r = r.dropLast() }
            return r
        }
    }

    func text(_ k: Int) -> String {
        let bytes = source.bytes[content(k)]
        guard cellForm[k] == .escaped else { return String(decoding: bytes, as: UTF8.self) }
        return CSVTable.unescaped(bytes)
    }

    /// The text of a quoted cell's bytes (inside its quotes), each doubled quote one.
    static func unescaped(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        var previousQuote = false
        for b in bytes {
            // `""` inside quotes is one quote.
            if b == UInt8(ascii: "\""), previousQuote { previousQuote = false; continue }
            previousQuote = b == UInt8(ascii: "\"")
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Calls `body` with the cells' places read through pointers, valid for the call: the
    /// loops over a million rows read them so (through the table, each access retained and
    /// released its arrays).
    func withCells<R>(_ body: (CSVCells) throws -> R) rethrows -> R {
        try source.bytes.withUnsafeBufferPointer { bytes in
            try cellStart.withUnsafeBufferPointer { starts in
                try cellEnd.withUnsafeBufferPointer { ends in
                    try cellForm.withUnsafeBufferPointer { forms in
                        try body(CSVCells(bytes: bytes, starts: starts, ends: ends, forms: forms, width: columns))
                    }
                }
            }
        }
    }

    /// A `.tsv` file is tab-separated; anything else, comma-separated.
    static func isSheet(_ path: String) -> Bool { path.hasSuffix(".csv") || path.hasSuffix(".tsv") }

    /// Where `readRows` puts the cells it finds. A data part's sink is its place in the
    /// table's own arrays, of a size no part can exceed (`cellBound`): the cells are
    /// written once, where they stay (written to buffers of each part's own and then
    /// copied, they took twice their memory's pages, a good part of reading a sheet). A
    /// sink that `grows` (the header's) owns its memory, freed by `free()`.
    struct CellSink {
        private(set) var starts: UnsafeMutablePointer<UInt32>
        private(set) var ends: UnsafeMutablePointer<UInt32>
        private(set) var forms: UnsafeMutablePointer<Form>
        private(set) var capacity: Int
        let grows: Bool
        /// Cells found, including any past `capacity` that were not written.
        private(set) var count = 0

        init(starts: UnsafeMutablePointer<UInt32>, ends: UnsafeMutablePointer<UInt32>, forms: UnsafeMutablePointer<Form>, capacity: Int) {
            (self.starts, self.ends, self.forms, self.capacity, grows) = (starts, ends, forms, capacity, false)
        }

        init(growing capacity: Int) {
            (starts, ends, forms, self.capacity, grows) = (.allocate(capacity: capacity), .allocate(capacity: capacity), .allocate(capacity: capacity), capacity, true)
        }

        /// More cells were found than there was room for (never, when the room is
        /// `cellBound`'s): what was written is not the part.
        var overflowed: Bool { count > capacity }

        @inline(__always) mutating func append(_ start: Int, _ end: Int, _ form: Form) {
            if count == capacity, grows { grow() }
            if count < capacity {
                starts[count] = UInt32(truncatingIfNeeded: start)
                ends[count] = UInt32(truncatingIfNeeded: end)
                forms[count] = form
            }
            count += 1
        }

        /// Cell `k`'s start and end, if it was written.
        func place(_ k: Int) -> (start: Int, end: Int)? {
            k >= 0 && k < min(count, capacity) ? (Int(starts[k]), Int(ends[k])) : nil
        }

        private mutating func grow() {
            let bigger = capacity * 2
            let (s, e, f) = (UnsafeMutablePointer<UInt32>.allocate(capacity: bigger), UnsafeMutablePointer<UInt32>.allocate(capacity: bigger), UnsafeMutablePointer<Form>.allocate(capacity: bigger))
            s.moveInitialize(from: starts, count: count)
            e.moveInitialize(from: ends, count: count)
            f.moveInitialize(from: forms, count: count)
            free()
            (starts, ends, forms, capacity) = (s, e, f, bigger)
        }

        func free() {
            guard grows else { return }
            starts.deallocate()
            ends.deallocate()
            forms.deallocate()
        }
    }

    /// Reads rows from `i`, the start of a row, numbering them after `number`, until the
    /// end of the file or, with `stop`, the first row that starts at or after it. Every
    /// row must have `cells` cells (nil: the first row's count, the header's). Returns
    /// where it stopped.
    static func readRows(
        _ b: UnsafeBufferPointer<UInt8>, from start: Int, stop: Int? = nil, number: inout Int32, cells expected: inout Int?,
        separator: UInt8, into rows: inout CellSink, _ error: (String, Int, Int) -> Diagnostic
    ) throws(Diagnostic) -> Int {
        var i = start
        let end = min(b.count, stop ?? Int.max)
        let quote = UInt8(ascii: "\"")
        while i < end {
            let rowStart = i
            // A blank line: no row (a spreadsheet's empty row, or the end's extra newline).
            if b[i] == 0x0A || b[i] == 0x0D {
                i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1
                continue
            }
            number += 1
            let firstCell = rows.count
            while true {
                let cellStart = i
                var form = Form.bare
                if i < b.count, b[i] == quote {
                    form = .quoted
                    i += 1
                    while true {
                        guard i < b.count else { throw error("this quoted cell is never closed (a cell's quote is closed by a quote; a quote inside it is doubled: \"\")", cellStart, 1) }
                        if b[i] == UInt8(ascii: "\"") {
                            if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\"") {
                                form = .escaped
                                i += 2
                                continue
                            }
                            i += 1
                            break
                        }
                        i += 1
                    }
                    if i < b.count, b[i] != separator, b[i] != 0x0A, b[i] != 0x0D {
                        throw error("text after the closing quote of a cell (a quote inside a quoted cell is doubled: \"\")", i, 1)
                    }
                } else {
                    // A bare cell ends at a separator, a line end or the file's end. (A
                    // byte is never one of those three when it is above all of them, the
                    // usual case, told with one comparison.)
                    let above = max(separator, 0x0D)
                    while i < b.count {
                        let byte = b[i]
                        if byte <= above, byte == separator || byte == 0x0A || byte == 0x0D { break }
                        i += 1
                    }
                }
                rows.append(cellStart, i, form)
                if i < b.count, b[i] == separator {
                    i += 1
                    continue
                }
                break
            }
            if i < b.count { i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1 }
            let cells = rows.count - firstCell
            if let expected, cells != expected {
                // As a row's k-th cell: the first one too many, or the last one there is.
                let extra = rows.place(firstCell + expected).map(\.start)
                let last = rows.place(rows.count - 1).map { max($0.end, $0.start + 1) - 1 }
                let at = (cells > expected ? extra : last) ?? rowStart
                throw error("row \(number) has \(cells) cells where the header names \(expected) columns", at, 1)
            }
            expected = cells
        }
        return i
    }

    /// Below this size a sheet is read on one thread.
    static let parallelBytes = 1 << 22

    /// The sheet's header and rows; read on every core from `parallelFrom` bytes (tests
    /// make it small, to compare the two ways).
    static func read(_ source: SourceText, parallelFrom: Int = parallelBytes) throws(Diagnostic) -> CSVTable {
        let separator = source.name.hasSuffix(".tsv") ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        let b = source.bytes
        guard b.count < Int(UInt32.max) else {
            throw Diagnostic(.error, "a sheet of 4 GB or more", source: source, range: 0..<0)
        }
        func error(_ message: String, _ at: Int, _ length: Int) -> Diagnostic {
            Diagnostic(.error, message, source: source, range: at..<min(b.count, at + length))
        }
        // The header first (its cell count checks every other row), then the data rows.
        var header = CellSink(growing: 16)
        defer { header.free() }
        var number: Int32 = 0
        var cells: Int? = nil
        var afterHeader = 0
        try b.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Diagnostic) in
            afterHeader = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            while number == 0, afterHeader < b.count {
                afterHeader = try readRows(b, from: afterHeader, stop: afterHeader + 1, number: &number, cells: &cells, separator: separator, into: &header, error)
            }
        }
        guard number > 0, let width = cells else { throw error("the sheet is empty: its first row names its columns", 0, 0) }
        var table = CSVTable(source: source, header: [])
        let headerCells = 0..<header.count
        (table.cellStart, table.cellEnd, table.cellForm) = (headerCells.map { header.starts[$0] }, headerCells.map { header.ends[$0] }, headerCells.map { header.forms[$0] })
        table.header = headerCells.map { k in
            let c = table.cell(k)
            return Cell(text: c.text.trimmingSpaces, range: c.range)
        }
        (table.cellStart, table.cellEnd, table.cellForm) = try readData(
            b, from: afterHeader, width: width, headerNumber: number, separator: separator, parallel: b.count >= parallelFrom, error)
        return table
    }

    /// The most cells `bytes` can hold: every cell but a file's last ends at a separator or
    /// a line end (a quoted cell, after its closing quote), a byte of its own.
    static func cellBound(_ bytes: UnsafeBufferPointer<UInt8>, separator: UInt8) -> Int {
        count(bytes, separator, 0x0A, 0x0D) + 1
    }

    /// How many of `bytes` are `a`, `b` or `c`, eight bytes at a time (a byte loop is not
    /// vectorised, and took a tenth of a large load's time).
    static func count(_ bytes: UnsafeBufferPointer<UInt8>, _ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let (low7, high) = (ones &* 0x7F, ones &* 0x80)
        let (wa, wb, wc) = (ones &* UInt64(a), ones &* UInt64(b), ones &* UInt64(c))
        /// A high bit in each byte of `x` that is zero, exactly (no carry crosses a byte).
        @inline(__always) func zeros(_ x: UInt64) -> UInt64 { ~((x & low7) &+ low7 | x) & high }
        var n = 0
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 8 <= bytes.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            n &+= (zeros(w ^ wa) | zeros(w ^ wb) | zeros(w ^ wc)).nonzeroBitCount
            i += 8
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == a || byte == b || byte == c { n += 1 }
            i += 1
        }
        return n
    }

    /// The data rows' cells (from `start`): the three arrays are made at once at the size
    /// `cellBound` allows and each part of the sheet is read into its place in them, on
    /// every core when `parallel` and the parts pair up (`partStarts`), else on this thread
    /// (which reports the first error where it is). Parts that held fewer cells than their
    /// bound are then moved down to follow the part before.
    private static func readData(
        _ source: [UInt8], from start: Int, width: Int, headerNumber: Int32, separator: UInt8, parallel: Bool,
        _ error: (String, Int, Int) -> Diagnostic
    ) throws(Diagnostic) -> ([UInt32], [UInt32], [Form]) {
        try source.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Diagnostic) in
            let parts = parallel ? partStarts(b, from: start) : [start, b.count]
            let n = parts.count - 1
            let shared = Shared(bytes: b)
            let bounds = n == 1 ? [cellBound(UnsafeBufferPointer(rebasing: b[start...]), separator: separator)]
                : Parallel.map(n) { k in cellBound(UnsafeBufferPointer(rebasing: shared.bytes[parts[k]..<parts[k + 1]]), separator: separator) }
            var sums = [0]
            for bound in bounds { sums.append(sums.last! + bound) }
            let (offsets, total) = (sums, sums[n])
            var failure: Diagnostic? = nil
            var ends: [UInt32] = []
            var forms: [Form] = []
            let starts = [UInt32](unsafeUninitializedCapacity: total) { startsOut, startsCount in
                ends = [UInt32](unsafeUninitializedCapacity: total) { endsOut, endsCount in
                    forms = [Form](unsafeUninitializedCapacity: total) { formsOut, formsCount in
                        let target = CellTarget(starts: startsOut.baseAddress!, ends: endsOut.baseAddress!, forms: formsOut.baseAddress!)
                        var count: Int? = nil
                        if n > 1 {
                            let found = Parallel.map(n) { k -> Int? in
                                var sink = target.sink(at: offsets[k], capacity: bounds[k])
                                var number: Int32 = 0
                                var expected: Int? = width
                                let error = { (_: String, at: Int, _: Int) in Diagnostic(.error, "", source: SourceText(name: "", text: ""), range: at..<at) }
                                guard let end = try? readRows(shared.bytes, from: parts[k], stop: parts[k + 1], number: &number, cells: &expected, separator: separator, into: &sink, error),
                                    end == parts[k + 1], !sink.overflowed
                                else { return nil }
                                return sink.count
                            }
                            if found.allSatisfy({ $0 != nil }) { count = target.compact(offsets, found.map { $0! }) }
                        }
                        if count == nil {
                            // One part (or parts that did not pair up): read whole, numbered on
                            // from the header, so that an error names its true row.
                            var sink = target.sink(at: 0, capacity: total)
                            var number = headerNumber
                            var expected: Int? = width
                            do throws(Diagnostic) {
                                _ = try readRows(b, from: start, number: &number, cells: &expected, separator: separator, into: &sink, error)
                                count = sink.overflowed ? 0 : sink.count
                                if sink.overflowed { failure = error("more cells than the sheet's separators allow (a fault in kbq's reader)", start, 0) }
                            } catch {
                                failure = error
                            }
                        }
                        (startsCount, endsCount, formsCount) = (count ?? 0, count ?? 0, count ?? 0)
                    }
                }
            }
            if let failure { throw failure }
            return (starts, ends, forms)
        }
    }

    /// The table's arrays as `readData` fills them, shared by its workers (each writes the
    /// cells of its own part only).
    private struct CellTarget: @unchecked Sendable {
        let starts: UnsafeMutablePointer<UInt32>
        let ends: UnsafeMutablePointer<UInt32>
        let forms: UnsafeMutablePointer<Form>

        func sink(at offset: Int, capacity: Int) -> CellSink {
            CellSink(starts: starts + offset, ends: ends + offset, forms: forms + offset, capacity: capacity)
        }

        /// Moves part k's `counts[k]` cells from `offsets[k]` to just after part k-1's, in
        /// order (a part only ever moves down, over room no earlier part uses); the total.
        func compact(_ offsets: [Int], _ counts: [Int]) -> Int {
            var at = 0
            for (k, count) in counts.enumerated() {
                if at != offsets[k] {
                    (starts + at).update(from: starts + offsets[k], count: count)
                    (ends + at).update(from: ends + offsets[k], count: count)
                    (forms + at).update(from: forms + offsets[k], count: count)
                }
                at += count
            }
            return at
        }
    }

    /// Where the rows from `start` are split into parts for every core, and the end: a
    /// part starts after a newline outside quotes.
    ///
    /// In RFC 4180 a quote opens or closes a quoted cell, or is doubled inside one, so a
    /// newline is outside quotes where the quotes before it are even in number (counted per
    /// part, on every core). Each part must then end exactly where the next starts, a row
    /// boundary (`readData` checks); part 0 starts at a true row start, so by induction
    /// every part reads the rows a single reader would. A bare cell with a quote inside
    /// (which the reader takes as text) can break the count: then a part does not end
    /// where the next starts, and the sheet is read on one thread.
    private static func partStarts(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> [Int] {
        let n = Parallel.cores * 4
        let b = Shared(bytes: bytes)
        let span = bytes.count - start
        let bounds = (0...n).map { start + span * $0 / n }
        let quote = UInt8(ascii: "\"")
        let quotes = Parallel.map(n) { k in count(UnsafeBufferPointer(rebasing: b.bytes[bounds[k]..<bounds[k + 1]]), quote, quote, quote) }
        // Each part's start: the first newline at or after its bound with an even count of
        // quotes before it.
        var starts = [start]
        var before = quotes[0]
        for k in 1..<n {
            var i = bounds[k]
            var odd = before % 2 == 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\"") { odd.toggle() } else if bytes[i] == 0x0A, !odd { break }
                i += 1
            }
            starts.append(min(bytes.count, max(i + 1, starts.last!)))
            before += quotes[k]
        }
        starts.append(bytes.count)
        return starts
    }

    private struct Shared: @unchecked Sendable { let bytes: UnsafeBufferPointer<UInt8> }
}

/// A sheet's cells in place (`CSVTable.withCells`), for the workers and loops that read
/// every row: cell `k` is row `k / width`'s cell `k % width`, as in the table.
struct CSVCells: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    let starts: UnsafeBufferPointer<UInt32>
    let ends: UnsafeBufferPointer<UInt32>
    let forms: UnsafeBufferPointer<CSVTable.Form>
    let width: Int

    /// Where cell `k`'s bytes lie inside its quotes (`CSVTable.content`).
    @inline(__always)
    func content(_ k: Int) -> (start: Int, count: Int) {
        let (start, end) = (Int(starts[k]), Int(ends[k]))
        return forms[k] == .bare ? (start, end - start) : (start + 1, end - start - 2)
    }

    /// Cell `k`'s bytes inside its quotes (a doubled quote's cell not decoded).
    @inline(__always)
    func bytes(_ k: Int) -> UnsafeBufferPointer<UInt8> {
        let (start, count) = content(k)
        return UnsafeBufferPointer(start: bytes.baseAddress! + start, count: count)
    }

    /// Whether cell `k` holds only spaces and tabs (or nothing).
    @inline(__always)
    func isBlank(_ k: Int) -> Bool { bytes(k).allSatisfy { $0 == 0x20 || $0 == 0x09 } }

    /// Cell `k`'s bytes inside its quotes without spaces and tabs at either end (as
    /// `CSVTable.trimmedContent`); nil when it holds a doubled quote.
    @inline(__always)
    func trimmed(_ k: Int) -> UnsafeBufferPointer<UInt8>? {
        guard forms[k] != .escaped else { return nil }
        var b = bytes(k)[...]
        while let first = b.first, first == 0x20 || first == 0x09 { b = b.dropFirst() }
        while let last = b.last, last == 0x20 || last == 0x09 { b = b.dropLast() }
        return UnsafeBufferPointer(rebasing: b)
    }
}

extension String {
    /// Without spaces and tabs at either end.
    var trimmingSpaces: String { trimming(" \t") }

    /// Without the (ASCII) characters of `unwanted` at either end.
    func trimming(_ unwanted: String) -> String {
        let drop = Array(unwanted.utf8)
        let u = utf8
        guard let first = u.first, let last = u.last, drop.contains(first) || drop.contains(last) else { return self }
        guard let start = u.firstIndex(where: { !drop.contains($0) }), let end = u.lastIndex(where: { !drop.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}
