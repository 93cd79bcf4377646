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

    var source: SourceText
    var header: [Cell]
    var rows: [Row]

    /// A `.tsv` file is tab-separated; anything else, comma-separated.
    static func isSheet(_ path: String) -> Bool { path.hasSuffix(".csv") || path.hasSuffix(".tsv") }

    static func read(_ source: SourceText) throws(Diagnostic) -> CSVTable {
        let separator = source.name.hasSuffix(".tsv") ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        let b = source.bytes
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var rows: [Row] = []
        var number = 0
        func error(_ message: String, _ at: Int, _ length: Int = 1) -> Diagnostic {
            Diagnostic(.error, message, source: source, range: at..<min(b.count, at + length))
        }
        while i < b.count {
            let start = i
            // A blank line: no row (a spreadsheet's empty row, or the end's extra newline).
            if b[i] == 0x0A || b[i] == 0x0D {
                i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1
                continue
            }
            number += 1
            var cells: [Cell] = []
            while true {
                let cellStart = i
                var text: [UInt8] = []
                if i < b.count, b[i] == UInt8(ascii: "\"") {
                    i += 1
                    while true {
                        guard i < b.count else { throw error("this quoted cell is never closed (a cell's quote is closed by a quote; a quote inside it is doubled: \"\")", cellStart) }
                        if b[i] == UInt8(ascii: "\"") {
                            if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\"") {
                                text.append(b[i])
                                i += 2
                                continue
                            }
                            i += 1
                            break
                        }
                        text.append(b[i])
                        i += 1
                    }
                    if i < b.count, b[i] != separator, b[i] != 0x0A, b[i] != 0x0D {
                        throw error("text after the closing quote of a cell (a quote inside a quoted cell is doubled: \"\")", i)
                    }
                } else {
                    while i < b.count, b[i] != separator, b[i] != 0x0A, b[i] != 0x0D {
                        text.append(b[i])
                        i += 1
                    }
                }
                cells.append(Cell(text: String(decoding: text, as: UTF8.self), range: cellStart..<max(i, cellStart + 1)))
                if i < b.count, b[i] == separator {
                    i += 1
                    continue
                }
                break
            }
            if i < b.count { i += b[i] == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1 }
            rows.append(Row(cells: cells, number: number, start: start))
        }
        guard let first = rows.first else { throw error("the sheet is empty: its first row names its columns", 0, 0) }
        let header = first.cells.map { Cell(text: $0.text.trimmingSpaces, range: $0.range) }
        for row in rows.dropFirst() where row.cells.count != header.count {
            let at = row.cells.count > header.count ? row.cells[header.count].range.lowerBound : row.cells.last!.range.upperBound - 1
            throw error("row \(row.number) has \(row.cells.count) cells where the header names \(header.count) columns", at)
        }
        return CSVTable(source: source, header: header, rows: Array(rows.dropFirst()))
    }
}

extension String {
    /// Without spaces and tabs at either end.
    var trimmingSpaces: String { trimming(" \t") }

    /// Without the (ASCII) characters of `unwanted` at either end.
    func trimming(_ unwanted: String) -> String {
        let drop = Set(unwanted.utf8)
        guard let first = utf8.first, let last = utf8.last, drop.contains(first) || drop.contains(last) else { return self }
        let bytes = Array(utf8)
        guard let start = bytes.firstIndex(where: { !drop.contains($0) }), let end = bytes.lastIndex(where: { !drop.contains($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
