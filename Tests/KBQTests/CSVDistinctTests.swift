import Foundation
import Testing

@testable import KBQ

/// A sheet's cells numbered by their bytes (`CSVDistinct`), held to a plain dictionary
/// that numbers them in row order: the same cells, the same numbers, in the order of their
/// first rows, on one core and on every core (random cells, seed printed).
@Suite struct CSVDistinctTests {
    @Test(arguments: [300, 20_000])
    func numbersAreGivenInTheOrderOfFirstRows(rows: Int) throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? 20261206
        print("CSVDistinctTests seed \(seed), \(rows) rows")
        var random = RRandom(seed: seed &+ UInt64(rows))
        // Few values in one column, many in another; quoted cells (the same bytes as bare
        // ones), empty cells and doubled quotes (not numbered).
        var text = "a,b\n"
        for _ in 0..<rows {
            let a = random.pick(["x", "y", "\"x\"", "", "z z", "\"q\"\"r\""])
            let b = "v\(random.int(5000))"
            text += "\(a),\(b)\n"
        }
        let table = try CSVTable.read(SourceText(name: "t.csv", text: text))
        let numbered = CSVDistinct.number(table, columns: [0, 1])
        for (k, column) in numbered.enumerated() {
            #expect(column.column == k)
            var seen: [String: Int32] = [:]
            var firstRow: [Int32] = []
            for r in 0..<table.rowCount {
                let cell = r * table.columns + k
                let range = table.content(cell)
                guard !range.isEmpty, table.cellForm[cell] != .escaped else {
                    #expect(column.ids[r] == -1, "row \(r) column \(k)")
                    continue
                }
                let bytes = String(decoding: table.source.bytes[range], as: UTF8.self)
                let expected = seen[bytes] ?? {
                    seen[bytes] = Int32(firstRow.count)
                    firstRow.append(Int32(r))
                    return Int32(firstRow.count - 1)
                }()
                #expect(column.ids[r] == expected, "row \(r) column \(k): \(bytes), seed \(seed)")
                if column.ids[r] != expected { return }
            }
            #expect(column.firstRow == firstRow, "column \(k), seed \(seed)")
        }
    }
}
