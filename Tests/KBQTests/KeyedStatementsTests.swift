import Foundation
@testable import KBQ
import Testing

/// A hash join's build side groups matches by key, densely when the keys' range is small
/// and by hashing otherwise: either way each key's group holds its matches in statement
/// order with their values, and a key with none has an empty group. Held to grouping by a
/// dictionary, on keys drawn from small ranges, from past `denseRange`, and from terms of
/// every kind.
@Suite struct KeyedStatementsTests {
    @Test func groupsAreEachKeysMatchesInOrder() {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        print("KeyedStatementsTests seed \(seed)")
        var rng = RRandom(seed: seed)
        for round in 0..<60 {
            let n = rng.int(3000)
            let width = 1 + rng.int(3)
            let range: UInt32 = switch round % 3 {
            case 0: UInt32(1 + rng.int(50))
            case 1: UInt32(KeyedStatements.denseRange(n) * (1 + rng.int(4)))
            default: UInt32.max
            }
            let keys = (0..<n).map { _ in range == UInt32.max ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(rng.int(Int(range))) }
            let sids = (0..<n).map { StatementID($0 * 3) }
            let values = (0..<n * width).map { _ in rng.next() }
            let table = KeyedStatements(keys: keys, sids: sids, values: values, width: width)
            var expected: [UInt32: [Int]] = [:]
            for (i, k) in keys.enumerated() { expected[k, default: []].append(i) }
            for (k, rows) in expected {
                let group = table.group(k)
                #expect(group.map { table.statements[$0] } == rows.map { sids[$0] }, "round \(round), key \(k), seed \(seed)")
                let found: [UInt64] = group.flatMap { (g: Int) -> [UInt64] in Array(table.values[g * width..<(g + 1) * width]) }
                let wanted: [UInt64] = rows.flatMap { (i: Int) -> [UInt64] in Array(values[i * width..<(i + 1) * width]) }
                #expect(found == wanted, "round \(round), key \(k), seed \(seed)")
            }
            for _ in 0..<50 {
                let k = UInt32(truncatingIfNeeded: rng.next()) % (range == UInt32.max ? UInt32.max : range * 2 + 1)
                if expected[k] == nil { #expect(table.group(k).isEmpty, "round \(round), absent key \(k), seed \(seed)") }
            }
        }
    }
}
