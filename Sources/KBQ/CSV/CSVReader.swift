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
    /// included, and how it is written.
    var cellStart: [UInt32] = []
    var cellEnd: [UInt32] = []
    var cellForm: [Form] = []
    var rowNumber: [Int32] = []
    var rowStart: [UInt32] = []
    var columns: Int { header.count }
    var rowCount: Int { rowNumber.count }

    /// Row `r` with its cells' texts, for the paths that want Strings.
    func row(_ r: Int) -> Row {
        Row(cells: (r * columns..<(r + 1) * columns).map(cell), number: Int(rowNumber[r]), start: Int(rowStart[r]))
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

    /// The cells of some rows, as `read` finds them (before the header is taken out), in
    /// buffers of their own: appending to five Arrays checked each one's uniqueness and
    /// capacity per cell, most of the time of splitting a sheet of short cells. Freed by
    /// `free()`, once copied out.
    struct Rows: @unchecked Sendable {
        var cellStart: Growable<UInt32>
        var cellEnd: Growable<UInt32>
        var cellForm: Growable<Form>
        var rowNumber: Growable<Int32>
        var rowStart: Growable<UInt32>
        var cellCount: Int { cellStart.count }

        /// Room for `cells` cells (and a row per four of them) before the first growth.
        init(cells: Int = 16) {
            cellStart = Growable(capacity: cells)
            cellEnd = Growable(capacity: cells)
            cellForm = Growable(capacity: cells)
            rowNumber = Growable(capacity: cells / 4)
            rowStart = Growable(capacity: cells / 4)
        }

        func free() {
            cellStart.free()
            cellEnd.free()
            cellForm.free()
            rowNumber.free()
            rowStart.free()
        }
    }

    /// Values appended to memory of its own, which doubles when full; freed by `free()`.
    /// (A plain struct: the owner frees it exactly once, after its last read.)
    struct Growable<T: BitwiseCopyable> {
        private(set) var base: UnsafeMutablePointer<T>
        private(set) var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = max(capacity, 4)
            base = .allocate(capacity: self.capacity)
        }

        @inline(__always) mutating func append(_ value: T) {
            if count == capacity { grow() }
            base[count] = value
            count += 1
        }

        @inline(__always) subscript(_ k: Int) -> T { base[k] }
        var last: T? { count == 0 ? nil : base[count - 1] }
        var buffer: UnsafeBufferPointer<T> { UnsafeBufferPointer(start: base, count: count) }
        var array: [T] { Array(buffer) }

        private mutating func grow() {
            let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }

        func free() { base.deallocate() }
    }

    /// Reads rows from `i`, the start of a row, numbering them after `number`, until the
    /// end of the file or, with `stop`, the first row that starts at or after it. Every
    /// row must have `cells` cells (nil: the first row's count, the header's). Returns
    /// where it stopped.
    static func readRows(
        _ b: UnsafeBufferPointer<UInt8>, from start: Int, stop: Int? = nil, number: inout Int32, cells expected: inout Int?,
        separator: UInt8, into rows: inout Rows, _ error: (String, Int, Int) -> Diagnostic
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
            let firstCell = rows.cellCount
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
                rows.cellStart.append(UInt32(cellStart))
                rows.cellEnd.append(UInt32(i))
                rows.cellForm.append(form)
                if i < b.count, b[i] == separator {
                    i += 1
                    continue
                }
                break
            }
            if i < b.count { i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1 }
            let cells = rows.cellCount - firstCell
            if let expected, cells != expected {
                // As a row's k-th cell: the first one too many, or the last one there is.
                let at = cells > expected ? Int(rows.cellStart[firstCell + expected]) : max(Int(rows.cellEnd.last!), Int(rows.cellStart.last!) + 1) - 1
                throw error("row \(number) has \(cells) cells where the header names \(expected) columns", at, 1)
            }
            expected = cells
            rows.rowNumber.append(number)
            rows.rowStart.append(UInt32(rowStart))
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
        // The header first (its cell count checks every other row), then the data rows: on
        // every core when the sheet is large and that can be done, else on this thread.
        var header = Rows()
        var number: Int32 = 0
        var cells: Int? = nil
        var data: [Rows] = []
        // The parts' rows numbered from 1 each, plus this (the header is row 1).
        var firstNumber: [Int32] = []
        defer {
            header.free()
            for part in data { part.free() }
        }
        try b.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Diagnostic) in
            var afterHeader = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            while number == 0, afterHeader < b.count {
                afterHeader = try readRows(b, from: afterHeader, stop: afterHeader + 1, number: &number, cells: &cells, separator: separator, into: &header, error)
            }
            guard let headerCells = cells else { return }
            if b.count >= parallelFrom, let parts = readInParallel(b, from: afterHeader, cells: headerCells, separator: separator) {
                data = parts
                var first: Int32 = 1
                for part in parts {
                    firstNumber.append(first)
                    first += Int32(part.rowNumber.count)
                }
                return
            }
            // Numbered on from the header (an error names its true row).
            data = [Rows(cells: (b.count - afterHeader) / 4)]
            var count: Int? = headerCells
            _ = try readRows(b, from: afterHeader, number: &number, cells: &count, separator: separator, into: &data[0], error)
            firstNumber = [0]
        }
        guard number > 0, cells != nil else { throw error("the sheet is empty: its first row names its columns", 0, 0) }
        var table = CSVTable(source: source, header: [])
        (table.cellStart, table.cellEnd, table.cellForm, table.rowStart) = (header.cellStart.array, header.cellEnd.array, header.cellForm.array, header.rowStart.array)
        table.header = table.cellStart.indices.map { k in
            let c = table.cell(k)
            return Cell(text: c.text.trimmingSpaces, range: c.range)
        }
        table.cellStart = joined(data.map(\.cellStart.buffer))
        table.cellEnd = joined(data.map(\.cellEnd.buffer))
        table.cellForm = joined(data.map(\.cellForm.buffer))
        table.rowStart = joined(data.map(\.rowStart.buffer))
        table.rowNumber = joined(data.map(\.rowNumber.buffer), adding: firstNumber)
        return table
    }

    /// The parts' values one after the other, copied once, each part by a worker of its own
    /// when the whole is large: the copy of a 1M-row sheet's cells (and the new pages'
    /// faults) was a fifth of reading it.
    private static func joined<T: BitwiseCopyable>(_ parts: [UnsafeBufferPointer<T>]) -> [T] {
        joined(parts) { target, part, _ in target.initialize(from: part.baseAddress!, count: part.count) }
    }

    /// Row numbers joined, part k's each plus `adding[k]`.
    private static func joined(_ parts: [UnsafeBufferPointer<Int32>], adding: [Int32]) -> [Int32] {
        joined(parts) { target, part, k in
            for i in part.indices { (target + i).initialize(to: part[i] + adding[k]) }
        }
    }

    private static func joined<T: BitwiseCopyable>(
        _ parts: [UnsafeBufferPointer<T>], _ copy: @escaping @Sendable (UnsafeMutablePointer<T>, UnsafeBufferPointer<T>, Int) -> Void
    ) -> [T] {
        var at: [Int] = []
        var total = 0
        for part in parts {
            at.append(total)
            total += part.count
        }
        let starts = at
        let shared = SharedParts(parts: parts.map { UnsafeRawBufferPointer($0) })
        return [T](unsafeUninitializedCapacity: total) { out, count in
            let target = Target(base: out.baseAddress)
            let copyPart = { @Sendable (k: Int) in
                let part = shared.parts[k].assumingMemoryBound(to: T.self)
                if part.count > 0 { copy(target.base!.assumingMemoryBound(to: T.self) + starts[k], part, k) }
            }
            if total * MemoryLayout<T>.stride < 1 << 16 {
                for k in parts.indices { copyPart(k) }
            } else {
                Parallel.forEach(parts.count, copyPart)
            }
            count = total
        }
    }

    /// The parts `joined` copies from, read by its workers.
    private struct SharedParts: @unchecked Sendable { let parts: [UnsafeRawBufferPointer] }

    /// Where `joined`'s workers write (each its own part of it).
    private struct Target: @unchecked Sendable {
        let base: UnsafeMutableRawPointer?

        init<T>(base: UnsafeMutablePointer<T>?) { self.base = base.map { UnsafeMutableRawPointer($0) } }
    }

    /// The rows from `start` read in parts on every core, numbered from 1 in each part; nil
    /// when that cannot be done (an error to report, or quotes that do not pair), and the
    /// caller reads them on one thread.
    ///
    /// A part starts after a newline outside quotes: in RFC 4180 a quote opens or closes a
    /// quoted cell, or is doubled inside one, so a newline is outside quotes where the
    /// quotes before it are even in number (counted per part, on every core). Each part
    /// must then end exactly where the next starts, a row boundary; part 0 starts at a true
    /// row start, so by induction every part reads the rows a single reader would. A bare
    /// cell with a quote inside (which the reader takes as text) can break the count: then a
    /// part does not end where the next starts, and the sheet is read on one thread.
    private static func readInParallel(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, cells: Int, separator: UInt8) -> [Rows]? {
        let n = Parallel.cores * 4
        let b = Shared(bytes: bytes)
        let span = bytes.count - start
        let bounds = (0...n).map { start + span * $0 / n }
        let quotes = Parallel.map(n) { k in
            var count = 0
            for byte in b.bytes[bounds[k]..<bounds[k + 1]] where byte == UInt8(ascii: "\"") { count += 1 }
            return count
        }
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
        let partStarts = starts
        let parts = Parallel.map(n) { k -> Rows? in
            // Room for cells of some four bytes, more than most sheets hold (growing copies
            // the buffers; room never written is never given pages).
            var rows = Rows(cells: (partStarts[k + 1] - partStarts[k]) / 4)
            var number: Int32 = 0
            var expected: Int? = cells
            let error = { (_: String, at: Int, _: Int) in Diagnostic(.error, "", source: SourceText(name: "", text: ""), range: at..<at) }
            do {
                let end = try readRows(b.bytes, from: partStarts[k], stop: partStarts[k + 1], number: &number, cells: &expected, separator: separator, into: &rows, error)
                if end == partStarts[k + 1] { return rows }
            } catch {}
            rows.free()
            return nil
        }
        guard parts.allSatisfy({ $0 != nil }) else {
            for case let part? in parts { part.free() }
            return nil
        }
        return parts.map { $0! }
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
