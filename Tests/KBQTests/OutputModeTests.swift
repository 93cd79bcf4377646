import Foundation
import Testing

@testable import KBQ

/// Tables that fit the terminal, stop when cancelled, and the record and markdown modes.
@Suite struct OutputModeTests {
    static func store() throws -> FactStore {
        try ImageTests.load(["Tests/fixtures/small.kb"])
    }

    /// What a writer writes for `rows`, through a temporary file.
    static func written(_ mode: OutputMode, _ options: Formatters.Options, columns: [String], rows: [[Value]], store: FactStore) throws -> (text: String, error: Error?) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-mode-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd); unlink(path) }
        let out = TextOutput(fd: fd)
        let writer = DeferredHeaderWriter(Formatters.make(mode, out: out, store: store, options: options))
        var failure: Error? = nil
        do {
            try writer.begin(columns: columns)
            for (i, r) in rows.enumerated() { try writer.row(r, number: i + 1) }
            try writer.end(rowCount: rows.count)
        } catch {
            failure = error
            writer.finish(rowCount: rows.count)
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
}
