/// The cells of some columns of a sheet numbered by their bytes, on every core: cells of a
/// column with the same bytes get the same number, so that what a cell means is worked
/// out once per number, not once per row (a million-row sheet names some hundred
/// thousand things, row after row).
///
/// Hash-partitioned, so that no two workers share a table: each column's rows are hashed
/// and grouped by the top bits of their hash (in row order within a group), then each
/// group is numbered by one worker in a table small enough to stay in cache. A single
/// table probed a row at a time missed the cache on nearly every probe.
struct CSVDistinct {
    /// The sheet's column.
    var column: Int
    /// Per row, the number of the row's cell in this column; -1 when the cell is empty
    /// or its text is not its bytes (a doubled quote inside quotes), which is read apart.
    /// Numbers are given in the order of their first rows: a row's cell is met for the
    /// first time exactly when its number is the next one, so that a walk in row order
    /// tells a first mention from a repeat without reading anything it keeps per number,
    /// and reading the distinct cells in number order reads the file in order.
    var ids: [Int32]
    /// Per number, the first row whose cell has it (increasing).
    var firstRow: [Int32]
    var count: Int { firstRow.count }

    /// Below this many rows, one worker and one group: threads would cost more than they give.
    static let parallelRows = 1 << 13

    /// `columns` of `table` numbered, each on its own (one after the other, in the same
    /// scratch: fresh memory for each cost as much in page faults as the numbering).
    static func number(_ table: CSVTable, columns: [Int]) -> [CSVDistinct] {
        guard !columns.isEmpty else { return [] }
        return table.source.bytes.withUnsafeBufferPointer { bytes in
            table.cellStart.withUnsafeBufferPointer { starts in
                table.cellEnd.withUnsafeBufferPointer { ends in
                    table.cellForm.withUnsafeBufferPointer { forms in
                        let work = Work(Cells(bytes: bytes, starts: starts, ends: ends, forms: forms, width: table.columns))
                        defer { work.free() }
                        return columns.map { column in
                            work.start(column)
                            Parallel.forEach(work.parts) { work.hash(part: $0) }
                            work.placeGroups()
                            Parallel.forEach(work.parts) { work.scatter(part: $0) }
                            Parallel.forEach(work.groups) { work.numberGroup($0) }
                            work.placeNumbers()
                            let firstRow = work.numberByFirstRow()
                            let ids = [Int32](unsafeUninitializedCapacity: work.rows) { ids, count in
                                let out = Work.Out(ids: ids)
                                Parallel.forEach(work.parts) { work.renumber(part: $0, into: out.ids) }
                                count = work.rows
                            }
                            return CSVDistinct(column: column, ids: ids, firstRow: firstRow)
                        }
                    }
                }
            }
        }
    }

    /// A sheet's cells as the workers read them: the table's columns in place (read through
    /// the table, each access retained and released the table's arrays).
    private struct Cells {
        let bytes: UnsafeBufferPointer<UInt8>
        let starts: UnsafeBufferPointer<UInt32>
        let ends: UnsafeBufferPointer<UInt32>
        let forms: UnsafeBufferPointer<CSVTable.Form>
        let width: Int

        /// Where cell `k`'s bytes lie inside its quotes; empty when it is not numbered.
        @inline(__always)
        func content(_ k: Int) -> (start: Int, count: Int) {
            let (start, end) = (Int(starts[k]), Int(ends[k]))
            switch forms[k] {
            case .bare: return (start, end - start)
            case .quoted: return (start + 1, end - start - 2)
            case .escaped: return (start, 0)
            }
        }
    }

    /// A numbered cell as its group holds it: all a worker needs to number it, in group
    /// order (its first sixteen bytes too: a key that short is then never read from the
    /// file, a cache miss a cell).
    private struct Entry {
        var hash: UInt64
        var head: UInt64
        var tail: UInt64
        var start: UInt32
        var count: UInt32
        var row: Int32
    }

    /// The scratch the workers share, for one column at a time. Each writes only its own
    /// part of it: rows of its part (hashing, scattering, renumbering) or its own group's
    /// slots (numbering); the phases are apart (each `Parallel.forEach` returns when all
    /// its workers have).
    private final class Work: @unchecked Sendable {
        struct Out: @unchecked Sendable { let ids: UnsafeMutableBufferPointer<Int32> }
        let cells: Cells
        let rows: Int
        let parts: Int
        let groups: Int
        let groupShift: UInt64
        private(set) var column = 0
        /// Per row: the cell's hash (0: not numbered).
        let hashes: UnsafeMutableBufferPointer<UInt64>
        /// The numbered cells grouped (`groupStart` gives where each group begins), and
        /// their group-local numbers in the same order.
        let grouped: UnsafeMutableBufferPointer<Entry>
        let local: UnsafeMutableBufferPointer<Int32>
        /// Per part, per group: rows counted, then where the part's rows of the group begin.
        let placed: UnsafeMutableBufferPointer<Int>
        /// Per group + 1: where the group's rows begin in `grouped`.
        private(set) var groupStart: [Int] = []
        /// Per group: the first row of each group-local number (written by the group's
        /// worker: one slot each, in storage that is not an Array's).
        let firstRows: UnsafeMutableBufferPointer<[Int32]>
        /// Per group: the number of the group's first local number.
        private(set) var numberStart: [Int32] = []
        /// Per group-ordered number (`numberStart` + local), its number in first-row order.
        let final: UnsafeMutableBufferPointer<Int32>
        /// Per row: the group-ordered number first met there, or -1.
        let firstAt: UnsafeMutableBufferPointer<Int32>

        init(_ cells: Cells) {
            let rows = cells.starts.count / max(cells.width, 1)
            (self.cells, self.rows) = (cells, rows)
            parts = rows < CSVDistinct.parallelRows ? 1 : Parallel.cores * 4
            groups = rows < CSVDistinct.parallelRows ? 1 : 64
            groupShift = UInt64(64 - groups.trailingZeroBitCount)
            hashes = .allocate(capacity: rows)
            grouped = .allocate(capacity: rows)
            local = .allocate(capacity: rows)
            placed = .allocate(capacity: parts * groups)
            firstRows = .allocate(capacity: groups)
            firstRows.initialize(repeating: [])
            final = .allocate(capacity: rows)
            firstAt = .allocate(capacity: rows)
        }

        func free() {
            hashes.deallocate()
            grouped.deallocate()
            local.deallocate()
            placed.deallocate()
            firstRows.deinitialize()
            firstRows.deallocate()
            final.deallocate()
            firstAt.deallocate()
        }

        func start(_ column: Int) {
            self.column = column
            placed.initialize(repeating: 0)
        }

        func rows(part k: Int) -> Range<Int> { rows * k / parts..<rows * (k + 1) / parts }

        @inline(__always) func group(_ h: UInt64) -> Int { groups == 1 ? 0 : Int(h >> groupShift) }

        func hash(part: Int) {
            for r in rows(part: part) {
                let (start, count) = cells.content(r * cells.width + column)
                guard count > 0 else {
                    hashes[r] = 0
                    continue
                }
                let h = max(ByteKeyTable.hash(UnsafeBufferPointer(rebasing: cells.bytes[start..<start + count])), 1)
                hashes[r] = h
                placed[part * groups + group(h)] += 1
            }
        }

        /// From the counts, where each part's rows of each group go: groups in order,
        /// parts in order within a group, so a group's rows stay in row order.
        func placeGroups() {
            var at = 0
            groupStart = []
            for g in 0..<groups {
                groupStart.append(at)
                for part in 0..<parts {
                    let n = placed[part * groups + g]
                    placed[part * groups + g] = at
                    at += n
                }
            }
            groupStart.append(at)
        }

        func scatter(part: Int) {
            var next = Array(placed[part * groups..<(part + 1) * groups])
            for r in rows(part: part) where hashes[r] != 0 {
                let g = group(hashes[r])
                let (start, count) = cells.content(r * cells.width + column)
                grouped[next[g]] = Entry(
                    hash: hashes[r], head: ByteKeyTable.word(cells.bytes, start, length: count),
                    tail: ByteKeyTable.word(cells.bytes, start + 8, length: count - 8),
                    start: UInt32(start), count: UInt32(count), row: Int32(r))
                next[g] += 1
            }
        }

        func numberGroup(_ g: Int) {
            let members = groupStart[g]..<groupStart[g + 1]
            var seen = ByteKeyTable(capacity: max(16, members.count / 4))
            var first: [Int32] = []
            for i in members {
                let e = grouped[i]
                let key = UnsafeBufferPointer(rebasing: cells.bytes[Int(e.start)..<Int(e.start) + Int(e.count)])
                if let n = seen.lookup(key, hash: e.hash, head: e.head, tail: e.tail) {
                    local[i] = n
                } else {
                    local[i] = Int32(first.count)
                    seen.insert(distinct: key, hash: e.hash, Int32(first.count))
                    first.append(e.row)
                }
            }
            firstRows[g] = first
        }

        func placeNumbers() {
            var at: Int32 = 0
            numberStart = (0..<groups).map { g in
                defer { at += Int32(firstRows[g].count) }
                return at
            }
        }

        /// Renumbers the distinct cells in the order of their first rows (`final`), and
        /// returns each number's first row: the groups' first rows marked by row, then read
        /// in row order (one pass, no sort).
        func numberByFirstRow() -> [Int32] {
            firstAt.update(repeating: -1)
            for g in 0..<groups {
                for (j, row) in firstRows[g].enumerated() { firstAt[Int(row)] = numberStart[g] + Int32(j) }
            }
            var firstRow: [Int32] = []
            firstRow.reserveCapacity(Int(numberStart.last ?? 0) + (firstRows[groups - 1].count))
            for r in 0..<rows where firstAt[r] >= 0 {
                final[Int(firstAt[r])] = Int32(firstRow.count)
                firstRow.append(Int32(r))
            }
            return firstRow
        }

        /// Each row's number: its group's numbers are read in the order `scatter` placed
        /// its rows (`placed` still says where the part's rows of each group begin), so
        /// nothing is read or written out of order.
        func renumber(part: Int, into ids: UnsafeMutableBufferPointer<Int32>) {
            let starts = numberStart
            var next = Array(placed[part * groups..<(part + 1) * groups])
            for r in rows(part: part) {
                guard hashes[r] != 0 else {
                    ids[r] = -1
                    continue
                }
                let g = group(hashes[r])
                ids[r] = final[Int(local[next[g]] + starts[g])]
                next[g] += 1
            }
        }
    }
}
