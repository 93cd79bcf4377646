/// `.mode line`: each answer as a block, one field a line (`name = value`, names aligned),
/// under a line with its number; values whole, for long quotes and propositions.
final class LineWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let options: Formatters.Options
    var columns: [String] = []
    var nameWidth = 0

    init(out: TextOutput, store: FactStore, options: Formatters.Options) {
        self.out = out
        self.store = store
        self.options = options
    }

    func begin(columns: [String]) throws {
        self.columns = columns.map { Display.visible($0, keepNewlines: false) }
        nameWidth = self.columns.map(DisplayWidth.of).max() ?? 0
    }

    func row(_ values: [Value], number: Int) throws {
        var text = number > 1 ? "\n" : ""
        text += "── \(number) ──\n"
        for (i, v) in values.enumerated() {
            let value = Display.visible(v == .noRecord ? (options.nullValue ?? "") : Display.plain(v, store))
            text += DisplayWidth.pad(columns[i], to: nameWidth, right: true) + " = " + value + "\n"
        }
        try out.write(text)
    }

    func end(rowCount: Int) throws { try out.flush() }
}

/// `.mode markdown`: a GitHub table, to paste into notes (`|` escaped, line breaks as `<br>`).
final class MarkdownWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let options: Formatters.Options

    init(out: TextOutput, store: FactStore, options: Formatters.Options) {
        self.out = out
        self.store = store
        self.options = options
    }

    func cell(_ s: String) -> String {
        Display.visible(s.replacingAll("\r\n", "<br>").replacingAll("\n", "<br>"), keepNewlines: false).replacingAll("|", "\\|")
    }

    func begin(columns: [String]) throws {
        try out.write("| " + columns.map(cell).joined(separator: " | ") + " |\n")
        try out.write("|" + columns.map { _ in "---" }.joined(separator: "|") + "|\n")
    }

    func row(_ values: [Value], number: Int) throws {
        let cells = values.map { $0 == .noRecord ? cell(options.nullValue ?? "") : cell(Display.plain($0, store)) }
        try out.write("| " + cells.joined(separator: " | ") + " |\n")
    }

    func end(rowCount: Int) throws { try out.flush() }
}
