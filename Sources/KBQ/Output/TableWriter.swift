/// An aligned table for the terminal, with a row-number column for `why N`. Collects the
/// rows (alignment needs them all) and measures in terminal columns. Numbers are aligned to
/// the right. Given the terminal's width, a table wider than it has its widest columns cut
/// (with `…`) until it fits, and says so; `.mode line` shows every value whole. `box` draws
/// an outer border too. Printing checks `isCancelled` as it goes, so Ctrl-C stops a long table.
final class TableWriter: RowWriter {
    enum Style { case table, box }
    let out: TextOutput
    let store: FactStore
    let options: Formatters.Options
    let style: Style
    var columns: [String] = []
    var rows: [[String]] = []
    /// Per column, whether every value so far is a number (or no record): right-aligned.
    var numeric: [Bool] = []
    /// Set when printing starts: a second `end` (after an interruption) prints nothing.
    var printed = false
    static let noRecord = "—"
    /// The narrowest a column is cut to.
    static let minimumWidth = 6

    init(out: TextOutput, store: FactStore, options: Formatters.Options, style: Style) {
        self.out = out
        self.store = store
        self.options = options
        self.style = style
    }

    /// What no record shows as, its control characters escaped like any text of a table.
    var nullText: String { options.nullValue.map { Display.visible($0, keepNewlines: false) } ?? TableWriter.noRecord }

    func begin(columns: [String]) throws {
        self.columns = columns.map { Display.visible($0, keepNewlines: false) }
        numeric = [false] + Array(repeating: true, count: columns.count)
    }

    func row(_ values: [Value], number: Int) throws {
        for (i, v) in values.enumerated() where i + 1 < numeric.count {
            switch v {
            case .integer, .decimal, .noRecord: break
            default: numeric[i + 1] = false
            }
        }
        rows.append([String(number)] + values.map { v in
            v == .noRecord ? nullText : Display.visible(Display.plain(v, store).replacingAll("\n", "␤").replacingAll("\t", " "))
        })
    }

    func end(rowCount: Int) throws {
        guard !printed else { return }
        printed = true
        let heads = ["#"] + columns
        var widths = heads.map { options.headers ? DisplayWidth.of($0) : 0 }
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(c)) } }
        let cut = fit(&widths)
        let dim = options.color ? "\u{1B}[2m" : ""
        let bold = options.color ? "\u{1B}[1m" : ""
        let reset = options.color ? "\u{1B}[0m" : ""
        let bar = "\(dim)│\(reset)"
        let (left, right) = style == .box ? (bar, bar) : ("", "")
        func rule(_ l: String, _ m: String, _ r: String) -> String {
            dim + (style == .box ? l : "") + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: m) + (style == .box ? r : "") + reset + "\n"
        }
        func cell(_ text: String, _ i: Int) -> String {
            " " + DisplayWidth.pad(DisplayWidth.cut(text, to: widths[i]), to: widths[i], right: i == 0 || numeric[i]) + " "
        }
        func line(_ cells: [String]) -> String {
            let text = left + cells.joined(separator: bar) + right
            return (style == .box ? text : text.trimmingTrailingSpaces()) + "\n"
        }
        if style == .box { try out.write(rule("┌", "┬", "┐")) }
        if options.headers {
            try out.write(line(heads.enumerated().map { bold + cell($1, $0) + reset }))
            try out.write(rule("├", "┼", "┤"))
        }
        for (n, r) in rows.enumerated() {
            if n & 63 == 63, options.isCancelled() { throw Interruption.cancelled }
            try out.write(line(r.enumerated().map { i, c in
                i == 0 || c == nullText ? dim + cell(c, i) + reset : cell(c, i)
            }))
        }
        if style == .box { try out.write(rule("└", "┴", "┘")) }
        var footer = "(\(rowCount) row\(rowCount == 1 ? "" : "s")"
        if cut { footer += "; wide values cut to fit \(options.width ?? 0) columns: .mode line shows them whole" }
        try out.write("\(dim)\(footer))\(reset)\n")
        try out.flush()
    }

    /// Narrows the widest columns (never the row numbers, never below `minimumWidth`) until
    /// the table fits the terminal; whether any was cut.
    func fit(_ widths: inout [Int]) -> Bool {
        guard let width = options.width, width > 0 else { return false }
        // Each column takes two spaces and a bar; a box two more bars.
        let frame = widths.count * 3 - 1 + (style == .box ? 2 : 0)
        var cut = false
        while widths.reduce(0, +) + frame > width {
            guard let widest = widths.indices.dropFirst().max(by: { widths[$0] < widths[$1] }),
                widths[widest] > TableWriter.minimumWidth
            else { break }
            widths[widest] -= 1
            cut = true
        }
        return cut
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
