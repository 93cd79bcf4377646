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

    func text(_ k: Int) -> String {
        let bytes = source.bytes[content(k)]
        guard cellForm[k] == .escaped else { return String(decoding: bytes, as: UTF8.self) }
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

    /// A `.tsv` file is tab-separated; anything else, comma-separated.
    static func isSheet(_ path: String) -> Bool { path.hasSuffix(".csv") || path.hasSuffix(".tsv") }

    static func read(_ source: SourceText) throws(Diagnostic) -> CSVTable {
        let separator = source.name.hasSuffix(".tsv") ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        let b = source.bytes
        guard b.count < Int(UInt32.max) else {
            throw Diagnostic(.error, "a sheet of 4 GB or more", source: source, range: 0..<0)
        }
        func error(_ message: String, _ at: Int, _ length: Int = 1) -> Diagnostic {
            Diagnostic(.error, message, source: source, range: at..<min(b.count, at + length))
        }
        var table = CSVTable(source: source, header: [])
        var number: Int32 = 0
        var headerCells = 0
        try b.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Diagnostic) in
            var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            while i < b.count {
                let start = i
                // A blank line: no row (a spreadsheet's empty row, or the end's extra newline).
                if b[i] == 0x0A || b[i] == 0x0D {
                    i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1
                    continue
                }
                number += 1
                let firstCell = table.cellStart.count
                while true {
                    let cellStart = i
                    var form = Form.bare
                    if i < b.count, b[i] == UInt8(ascii: "\"") {
                        form = .quoted
                        i += 1
                        while true {
                            guard i < b.count else { throw error("this quoted cell is never closed (a cell's quote is closed by a quote; a quote inside it is doubled: \"\")", cellStart) }
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
                            throw error("text after the closing quote of a cell (a quote inside a quoted cell is doubled: \"\")", i)
                        }
                    } else {
                        while i < b.count, b[i] != separator, b[i] != 0x0A, b[i] != 0x0D { i += 1 }
                    }
                    table.cellStart.append(UInt32(cellStart))
                    table.cellEnd.append(UInt32(i))
                    table.cellForm.append(form)
                    if i < b.count, b[i] == separator {
                        i += 1
                        continue
                    }
                    break
                }
                if i < b.count { i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1 }
                let cells = table.cellStart.count - firstCell
                if number == 1 {
                    headerCells = cells
                } else if cells != headerCells {
                    // As a row's k-th cell: the first one too many, or the last one there is.
                    let at = cells > headerCells ? Int(table.cellStart[firstCell + headerCells]) : max(Int(table.cellEnd.last!), Int(table.cellStart.last!) + 1) - 1
                    throw error("row \(number) has \(cells) cells where the header names \(headerCells) columns", at)
                }
                table.rowNumber.append(number)
                table.rowStart.append(UInt32(start))
            }
        }
        guard number > 0 else { throw error("the sheet is empty: its first row names its columns", 0, 0) }
        // The header row, taken out of the data rows.
        table.header = (0..<headerCells).map { k in
            let c = table.cell(k)
            return Cell(text: c.text.trimmingSpaces, range: c.range)
        }
        table.cellStart.removeFirst(headerCells)
        table.cellEnd.removeFirst(headerCells)
        table.cellForm.removeFirst(headerCells)
        table.rowNumber.removeFirst()
        table.rowStart.removeFirst()
        return table
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
