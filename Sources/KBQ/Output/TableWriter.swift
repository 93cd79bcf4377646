/// An aligned table for the terminal, with a row-number column for `why N`. Collects the
/// rows (alignment needs them all), measures in terminal columns, and never truncates.
final class TableWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let headers: Bool
    let color: Bool
    var columns: [String] = []
    var rows: [[String]] = []
    static let noRecord = "—"

    init(out: TextOutput, store: FactStore, headers: Bool, color: Bool) {
        self.out = out
        self.store = store
        self.headers = headers
        self.color = color
    }

    func begin(columns: [String]) throws { self.columns = columns.map { Display.visible($0, keepNewlines: false) } }

    func row(_ values: [Value], number: Int) throws {
        rows.append([String(number)] + values.map { v in
            v == .noRecord ? TableWriter.noRecord : Display.visible(Display.plain(v, store).replacingAll("\n", "␤").replacingAll("\t", " "))
        })
    }

    func end(rowCount: Int) throws {
        let heads = ["#"] + columns
        var widths = heads.map { headers ? DisplayWidth.of($0) : 0 }
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(c)) } }
        let dim = color ? "\u{1B}[2m" : ""
        let bold = color ? "\u{1B}[1m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        let bar = "\(dim)│\(reset)"
        if headers {
            let line = heads.enumerated().map { " " + DisplayWidth.pad($1, to: widths[$0], right: $0 == 0) + " " }
            try out.write(bold + line.joined(separator: reset + bar + bold).trimmingTrailingSpaces() + reset + "\n")
            try out.write(dim + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: "┼") + reset + "\n")
        }
        for r in rows {
            let cells = r.enumerated().map { i, c -> String in
                let padded = " " + DisplayWidth.pad(c, to: widths[i], right: i == 0) + " "
                return i == 0 || c == TableWriter.noRecord ? dim + padded + reset : padded
            }
            try out.write(cells.joined(separator: bar).trimmingTrailingSpaces() + "\n")
        }
        try out.write("\(dim)(\(rowCount) row\(rowCount == 1 ? "" : "s"))\(reset)\n")
        try out.flush()
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
