import Testing

@testable import KBQ

/// `Column`, checked against `Array` (the oracle): the same values after the same random
/// appends, bulk appends, writes and copies, and copies never share a change.
@Suite struct ColumnTests {
    @Test func behavesAsAnArray() {
        var seed: UInt64 = 20261205
        print("ColumnTests seed \(seed)")
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        var column = Column<Int32>()
        var array: [Int32] = []
        var copies: [(Column<Int32>, [Int32])] = []
        for _ in 0..<5000 {
            switch next(6) {
            case 0, 1:
                let v = Int32(next(1000))
                column.append(v)
                array.append(v)
            case 2:
                let run = (0..<next(40)).map { _ in Int32(next(1000)) }
                if next(2) == 0 {
                    column.append(contentsOf: run)
                } else {
                    column.append(contentsOf: run.lazy.map { $0 })
                }
                array.append(contentsOf: run)
            case 3 where !array.isEmpty:
                let i = next(array.count)
                column[i] = -column[i]
                array[i] = -array[i]
            case 4:
                copies.append((column, array))
            default:
                column = column.compacted()
            }
            #expect(column.count == array.count)
        }
        #expect(Array(column) == array)
        for (c, a) in copies { #expect(Array(c) == a) }
        let slice = column[10..<20]
        #expect(Array(slice) == Array(array[10..<20]))
        #expect(slice.withUnsafeBufferPointer { Array($0) } == Array(array[10..<20]))
    }

    /// An empty column with room, copied: what either appends (slots, or a run) lands in a
    /// buffer of its own, never in the other's spare room.
    @Test func appendsToACopiedEmptyColumnStayApart() {
        var a = Column<Int32>()
        a.reserveCapacity(16)
        var b = a
        let slotsA = a.appendSlots(3)
        for k in 0..<3 { slotsA[k] = Int32(k) }
        let slotsB = b.appendSlots(2)
        for k in 0..<2 { slotsB[k] = Int32(10 + k) }
        #expect(Array(a) == [0, 1, 2] && Array(b) == [10, 11])
        var c = Column<Int32>()
        c.reserveCapacity(8)
        var d = c
        c.append(contentsOf: [1, 2])
        d.append(contentsOf: [3])
        #expect(Array(c) == [1, 2] && Array(d) == [3])
    }

    /// A view of memory another object keeps (as an image's mapping) is copied on change.
    @Test func aViewIsCopiedOnWrite() {
        final class Keeper {
            let bytes: UnsafeMutableBufferPointer<UInt32>
            init() {
                bytes = .allocate(capacity: 8)
                _ = bytes.initialize(from: 0..<8)
            }
            deinit { bytes.deallocate() }
        }
        let keeper = Keeper()
        let view = Column<UInt32>(viewing: UnsafeRawPointer(keeper.bytes.baseAddress!), count: 8, keeper: keeper)
        var changed = view
        changed.append(8)
        changed[0] = 100
        #expect(view.isMapped && !changed.isMapped)
        #expect(Array(view) == Array(0..<8))
        #expect(Array(changed) == [100] + Array(1..<9))
        #expect(Array(keeper.bytes) == Array(0..<8))
    }

    /// A view of part of a column shares its values until either changes; the buffer it
    /// shares outlives the column it came from.
    @Test func aViewOfPartSharesUntilWritten() {
        var whole = Column<UInt32>(Array(0..<100))
        var part = whole.view(10..<20)
        #expect(Array(part) == Array(10..<20) && part.isMapped)
        #expect(whole.view(5..<5).isEmpty && Column<UInt32>().view(0..<0).isEmpty)
        whole[10] = 1000
        #expect(part.first == 10, "the column copied before it was written")
        part[0] = 7
        part.append(20)
        #expect(Array(part) == [7] + Array(11..<21) && whole[10] == 1000 && whole[11] == 11)
        var survivor = Column<UInt32>(Array(0..<50)).view(40..<50)
        #expect(Array(survivor) == Array(40..<50))
        survivor.append(50)
        #expect(Array(survivor) == Array(40...50))
    }
}
