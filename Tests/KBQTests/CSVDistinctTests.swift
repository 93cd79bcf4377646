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
            // Keys past sixteen bytes that agree on their first sixteen: told apart by the
            // rest, read from the file.
            let b = random.int(2) == 0 ? "v\(random.int(5000))" : "a-long-shared-prefix-\(random.int(300))"
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

/// Keys whose hashes agree (as a collision would have them) and whose first sixteen bytes
/// agree are still told apart, by the rest of their bytes; and the table grows past its
/// first size without losing any.
@Suite struct CSVDistinctTableTests {
    @Test func keysAlikeInHashAndHeadAreToldApart() {
        let text = Array("a-long-shared-prefix-1,a-long-shared-prefix-2,a-long-shared-prefix-1".utf8)
        text.withUnsafeBufferPointer { file in
            var seen = CSVDistinct.Seen(file: file)
            defer { seen.free() }
            let keys = [0..<22, 23..<45, 46..<68].map { UnsafeBufferPointer(rebasing: file[$0]) }
            #expect(seen.number(keys[0], hash: 42, next: 0) == 0)
            #expect(seen.number(keys[1], hash: 42, next: 1) == 1)
            #expect(seen.number(keys[2], hash: 42, next: 2) == 0)
        }
    }

    @Test func theTableGrowsWithoutLosingKeys() {
        let text = Array((0..<5000).map { "k\($0)" }.joined(separator: ",").utf8)
        text.withUnsafeBufferPointer { file in
            var seen = CSVDistinct.Seen(file: file)
            defer { seen.free() }
            var keys: [UnsafeBufferPointer<UInt8>] = []
            var start = 0
            for (i, b) in file.enumerated() where b == UInt8(ascii: ",") || i == file.count - 1 {
                let end = b == UInt8(ascii: ",") ? i : i + 1
                keys.append(UnsafeBufferPointer(rebasing: file[start..<end]))
                start = i + 1
            }
            for (n, key) in keys.enumerated() { #expect(seen.number(key, hash: ByteKeyTable.hash(key), next: Int32(n)) == Int32(n)) }
            for (n, key) in keys.enumerated() { #expect(seen.number(key, hash: ByteKeyTable.hash(key), next: -1) == Int32(n)) }
        }
    }
}
