import Foundation
import Testing

@testable import KBQ

/// Tables that fit the terminal, stop when cancelled, and the record and markdown modes.
@Suite struct OutputModeTests {
    static func store() throws -> FactStore {
        try ImageTests.load(["Tests/fixtures/small.kb"])
    }

    /// What a writer writes for `rows`, through a temporary file.
    /// What `mode` writes of `rows`. Written twice, from the rows' Values and from an
    /// answer holding them (`RowWriter.row(of:)`, which a writer may read from the cells),
    /// and the two must be the same.
    static func written(_ mode: OutputMode, _ options: Formatters.Options, columns: [String], rows: [[Value]], store: FactStore) throws -> (text: String, error: Error?) {
        let answers = Answers(columns: columns, store: store)
        for r in rows { answers.append(values: r, evidence: []) }
        let (text, error) = try written(mode, options, columns: columns, rows.count, store) { try $0.row(rows[$1], number: $1 + 1) }
        let (fromAnswers, answersError) = try written(mode, options, columns: columns, rows.count, store) { try $0.row(of: answers, $1, number: $1 + 1) }
        #expect(fromAnswers == text && (answersError == nil) == (error == nil), "\(mode) from an answer's cells")
        return (text, error)
    }

    static func written(
        _ mode: OutputMode, _ options: Formatters.Options, columns: [String], _ count: Int, _ store: FactStore, _ row: (RowWriter, Int) throws -> Void
    ) throws -> (text: String, error: Error?) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-mode-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd); unlink(path) }
        let out = TextOutput(fd: fd)
        let writer = DeferredHeaderWriter(Formatters.make(mode, out: out, store: store, options: options))
        var failure: Error? = nil
        do {
            try writer.begin(columns: columns)
            for i in 0..<count { try row(writer, i) }
            try writer.end(rowCount: count)
        } catch {
            failure = error
            writer.finish(rowCount: count)
        }
        try? out.flush()
        return (try String(contentsOfFile: path, encoding: .utf8), failure)
    }

    @Test(arguments: [OutputMode.table, .box], [30, 40, 61, 200, 400])
    func tablesFitTheTerminal(_ mode: OutputMode, _ width: Int) throws {
        var options = Formatters.Options()
        options.width = width
        let long = String(repeating: "a long quote, ", count: 8)
        let rows: [[Value]] = [[.string(long), .integer(42), .string("宮崎 駿 " + long)], [.string("short"), .noRecord, .string("x")]]
        let (text, error) = try OutputModeTests.written(mode, options, columns: ["quote", "n", "other"], rows: rows, store: try OutputModeTests.store())
        #expect(error == nil)
        let lines = text.split(separator: "\n").map(String.init)
        let table = lines.dropLast()  // the footer may be longer than the table
        for line in table { #expect(DisplayWidth.of(line) <= max(width, 3 * 6 + 4 * 3), "\(mode) at \(width): \(line)") }
        let whole = try OutputModeTests.written(mode, Formatters.Options(), columns: ["quote", "n", "other"], rows: rows, store: try OutputModeTests.store()).text
        let natural = whole.split(separator: "\n").dropLast().map { DisplayWidth.of(String($0)) }.max() ?? 0
        let wasCut = text.contains("…")
        #expect(wasCut == (natural > width), "\(mode) at \(width), natural \(natural)")
        #expect(lines.last!.contains("wide values cut") == wasCut)
        // Numbers to the right: 42 ends where its column ends.
        #expect(table.contains { $0.contains(" 42 ") })
    }

    @Test func aCancelledTableStopsAndIsNotPrintedTwice() throws {
        var options = Formatters.Options()
        options.isCancelled = { true }
        let rows = (0..<1000).map { [Value.integer($0)] }
        let (text, error) = try OutputModeTests.written(.table, options, columns: ["n"], rows: rows, store: try OutputModeTests.store())
        #expect(error as? Interruption == .cancelled)
        let printed = text.split(separator: "\n").count
        #expect(printed < 100 && printed > 2, "\(printed) lines")
    }

    /// What `.nullvalue` sets is text like any other: its control characters are escaped.
    @Test func theNullValueNeverDrivesTheTerminal() throws {
        var options = Formatters.Options()
        options.nullValue = "\u{1B}[2J"
        for mode in [OutputMode.table, .box, .line, .markdown, .tsv, .csv] {
            let text = try OutputModeTests.written(mode, options, columns: ["a"], rows: [[.noRecord]], store: try OutputModeTests.store()).text
            #expect(!text.contains("\u{1B}") && text.contains("\\e[2J"), "\(mode): \(text.debugDescription)")
        }
    }

    @Test func recordAndMarkdownModes() throws {
        var options = Formatters.Options()
        options.nullValue = "NULL"
        let rows: [[Value]] = [[.string("a|b\nc"), .noRecord]]
        let line = try OutputModeTests.written(.line, options, columns: ["quote", "when"], rows: rows, store: try OutputModeTests.store()).text
        #expect(line == "── 1 ──\nquote = a|b\nc\n when = NULL\n")
        let markdown = try OutputModeTests.written(.markdown, options, columns: ["quote", "when"], rows: rows, store: try OutputModeTests.store()).text
        #expect(markdown == "| quote | when |\n|---|---|\n| a\\|b<br>c | NULL |\n")
    }

    /// TSV and CSV write an entity's id from the store's bytes when it needs no escaping:
    /// ids that do need it (a separator, a quote, a backslash, a control character, text
    /// beyond ASCII) come out as the text path writes them, beside plain ones.
    @Test func entityIDsAreWrittenAsTheTextPathWritesThem() throws {
        var store = FactStore()
        let ids = ["plain_id", "a,b", "say \"no\"", "back\\slash", "tab\there", "bell\u{7}", "宮崎", "e\u{301}t\u{e9}", "~ok~"]
        let entities = ids.enumerated().map { store.addEntity(EntityTableTests.entity($1, label: $1, line: $0)) }
        let rows = entities.map { [Value.entity($0), .string("x"), .entity($0)] }
        for (mode, csv) in [(OutputMode.tsv, false), (.csv, true)] {
            var options = Formatters.Options()
            options.headers = false
            let text = try OutputModeTests.written(mode, options, columns: ["a", "s", "b"], rows: rows, store: store).text
            let reference = DelimitedWriter(out: TextOutput.memory(asTerminal: false), store: store, headers: false, csv: csv, nullValue: nil)
            let expected = ids.map { id in [reference.field(id), "x", reference.field(id)].joined(separator: csv ? "," : "\t") + (csv ? "\r\n" : "\n") }.joined()
            #expect(text == expected, "\(mode)")
        }
        // What the text path makes of them, spelled out for a few.
        let tsv = DelimitedWriter(out: TextOutput.memory(asTerminal: false), store: store, headers: false, csv: false, nullValue: nil)
        let csv = DelimitedWriter(out: TextOutput.memory(asTerminal: false), store: store, headers: false, csv: true, nullValue: nil)
        #expect(csv.field("a,b") == "\"a,b\"" && csv.field("say \"no\"") == "\"say \"\"no\"\"\"")
        #expect(tsv.field("tab\there") == "tab\\there" && tsv.field("back\\slash") == "back\\\\slash")
    }

    /// Escaping returns text with nothing to replace as it is, and otherwise what replacing
    /// each scalar in turn gives (random text around the special characters, with a seed).
    @Test func escapingAgreesWithReplacingEachScalar() {
        var rng = RRandom(seed: 7)
        let pieces = ["a", "Z", " ", "\t", "\n", "\\", "\"", ",", "é", "宮", "\u{7}", "\u{9B}", "\u{1B}", "abc"]
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<rng.int(8) { s += rng.pick(pieces) }
            for replace in [{ (c: Unicode.Scalar) -> String? in c == "\t" ? "\\t" : (c == "\\" ? "\\\\" : nil) }, { (c: Unicode.Scalar) -> String? in c.value > 0x7F ? "?" : nil }] {
                var expected = ""
                for c in s.unicodeScalars { if let r = replace(c) { expected += r } else { expected.unicodeScalars.append(c) } }
                #expect(Display.escaped(s, replace) == expected, "\(s.debugDescription)")
            }
        }
    }
}
