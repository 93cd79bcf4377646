import Foundation
import KBQ
import Testing

/// Reading and checking a large file happen in parts on every core; these check that the
/// parts add up to what one pass over the whole would give.
@Suite struct LargeFileTests {
    /// 9 MB of lines (over the 8 MB at which the work is split), with a multi-byte
    /// character on every line so that part ends fall among them.
    static func lines() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(9 << 20)
        var n = 0
        while bytes.count < 9 << 20 {
            bytes.append(contentsOf: "e\(n) label \"Zoë \(n % 977)\"\n".utf8)
            n += 1
        }
        return bytes
    }

    @Test func validUTF8InPartsIsValid() {
        #expect(UTF8Check.firstInvalidByte(Self.lines()) == nil)
    }

    @Test func theFirstInvalidByteIsFoundWhicheverPartHoldsIt() throws {
        let clean = Self.lines()
        let half = clean.count / 2
        // The first line start after the middle: the second part starts near there.
        let lineStart = try #require(clean[half...].firstIndex(of: 0x0A)) + 1
        // A byte that is never valid, at the first byte of a part, late in the last part,
        // and in two parts at once (the first must win).
        for places in [[lineStart], [clean.count - 3], [10, clean.count - 3], [lineStart - 1, lineStart]] {
            var bytes = clean
            for p in places { bytes[p] = 0xFF }
            #expect(UTF8Check.firstInvalidByte(bytes) == places.min(), "\(places)")
        }
        // A lead byte whose sequence a newline cuts, just before a part's end.
        var cut = clean
        cut[lineStart - 2] = 0xC3
        #expect(UTF8Check.firstInvalidByte(cut) == lineStart - 2)
    }

    @Test func aLargeFileReadsWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-read-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Self.lines()
        for size in [bytes.count, 1000, 1] {
            let path = dir.appendingPathComponent("kb-\(size).kb").path
            try Data(bytes[..<size]).write(to: URL(fileURLWithPath: path))
            let read = try FileSystem.read(path)
            #expect(read.count == size)
            #expect(read == Array(bytes[..<size]))
        }
    }
}
