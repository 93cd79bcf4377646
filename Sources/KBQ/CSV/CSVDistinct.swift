import CKBQPrefetch

/// The cells of some columns of a sheet numbered by their bytes: cells of a column with
/// the same bytes get the same number, so that what a cell means is worked out once per
/// number, not once per row (a million-row sheet names some hundred thousand things, row
/// after row).
///
/// Each column is numbered in one pass over its rows, in row order, by a worker of its
/// own (the columns on every core at once). The table's slots are brought in some rows
/// ahead of their probes (`lookahead`), so that the probes of a column of a few hundred
/// thousand things, whose table outgrows the caches, wait on memory together rather than
/// one after the other.
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

    /// How many rows' slots are brought in before the first is probed: enough probes in
    /// flight to cover a miss.
    static let lookahead = 16

    /// `columns` of `table` numbered, each in a pass of its own, the passes on every core.
    static func number(_ table: CSVTable, columns: [Int]) -> [CSVDistinct] {
        guard !columns.isEmpty else { return [] }
        return table.withCells { cells in
            Parallel.map(columns.count) { numberColumn(cells, columns[$0]) }
        }
    }

    /// Where cell `k` is numbered from: its content, or nothing for a cell with a doubled
    /// quote (read apart).
    @inline(__always)
    private static func numbered(_ cells: CSVCells, _ k: Int) -> UnsafeBufferPointer<UInt8> {
        cells.forms[k] == .escaped ? UnsafeBufferPointer(start: nil, count: 0) : cells.bytes(k)
    }

    private static func numberColumn(_ cells: CSVCells, _ column: Int) -> CSVDistinct {
        let rows = cells.width == 0 ? 0 : cells.starts.count / cells.width
        var seen = Seen(file: cells.bytes)
        defer { seen.free() }
        var firstRow: [Int32] = []
        // Rows are taken a block at a time: every key of the block found and hashed, its
        // slot brought in, then every key probed (an empty key is -1, never probed).
        let block = lookahead
        let ids = [Int32](unsafeUninitializedCapacity: rows) { ids, initialized in
            withUnsafeTemporaryAllocation(of: (key: UnsafeBufferPointer<UInt8>, hash: UInt64).self, capacity: block) { keys in
                var start = 0
                while start < rows {
                    let end = min(rows, start + block)
                    for r in start..<end {
                        let key = numbered(cells, r * cells.width + column)
                        let h = key.isEmpty ? 0 : ByteKeyTable.hash(key)
                        if !key.isEmpty { seen.prefetch(h) }
                        keys[r - start] = (key, h)
                    }
                    for r in start..<end {
                        let (key, h) = keys[r - start]
                        guard !key.isEmpty else {
                            ids[r] = -1
                            continue
                        }
                        let id = seen.number(key, hash: h, next: Int32(truncatingIfNeeded: firstRow.count))
                        ids[r] = id
                        if id == firstRow.count { firstRow.append(Int32(truncatingIfNeeded: r)) }
                    }
                    start = end
                }
            }
            initialized = rows
        }
        return CSVDistinct(column: column, ids: ids, firstRow: firstRow)
    }

    /// A column's numbers by their cells' bytes, which stay in the file: open addressing
    /// over 32-byte slots holding a key's hash, length, place in the file, first sixteen
    /// bytes and number, in memory of its own (an Array's retains and releases were a third
    /// of the numbering). Slots are placed by the hash's low 32 bits, so growing reads no
    /// key. At most half full.
    struct Seen {
        struct Slot {
            var hash: UInt32
            /// 0: empty (keys are never empty).
            var count: UInt32
            var start: UInt32
            var number: Int32
            var head: UInt64
            var tail: UInt64
        }

        let file: UnsafeBufferPointer<UInt8>
        var slots: UnsafeMutableBufferPointer<Slot>
        var used = 0

        init(file: UnsafeBufferPointer<UInt8>) {
            self.file = file
            slots = .allocate(capacity: 1 << 10)
            slots.initialize(repeating: Slot(hash: 0, count: 0, start: 0, number: 0, head: 0, tail: 0))
        }

        func free() { slots.deallocate() }

        @inline(__always) func prefetch(_ h: UInt64) {
            kbq_prefetch(slots.baseAddress! + (Int(UInt32(truncatingIfNeeded: h)) & (slots.count - 1)))
        }

        /// The number of `key` (bytes of `file`, never empty), or `next` when it is new (and
        /// filed under it).
        @inline(__always)
        mutating func number(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64, next: Int32) -> Int32 {
            let tag = UInt32(truncatingIfNeeded: h)
            // Read from the file, where eight bytes past a short key can nearly always be
            // loaded whole (and masked).
            let start = key.baseAddress! - file.baseAddress!
            let head = ByteKeyTable.word(file, start, length: key.count)
            let tail = ByteKeyTable.word(file, start + 8, length: key.count - 8)
            let mask = slots.count - 1
            var i = Int(tag) & mask
            while slots[i].count != 0 {
                let s = slots[i]
                if s.hash == tag, s.head == head, s.tail == tail, Int(s.count) == key.count,
                    key.count <= 16 || ByteKeyTable.equal(file.baseAddress! + Int(s.start) + 16, key.baseAddress! + 16, key.count - 16)
                {
                    return s.number
                }
                i = (i + 1) & mask
            }
            slots[i] = Slot(
                hash: tag, count: UInt32(key.count), start: UInt32(start), number: next,
                head: head, tail: tail)
            used += 1
            if used * 2 > slots.count { grow() }
            return next
        }

        private mutating func grow() {
            let old = slots
            slots = .allocate(capacity: old.count * 2)
            slots.initialize(repeating: Slot(hash: 0, count: 0, start: 0, number: 0, head: 0, tail: 0))
            let mask = slots.count - 1
            for s in old where s.count != 0 {
                var i = Int(s.hash) & mask
                while slots[i].count != 0 { i = (i + 1) & mask }
                slots[i] = s
            }
            old.deallocate()
        }
    }
}
