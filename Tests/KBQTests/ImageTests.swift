import Foundation
import Testing

@testable import KBQ

/// Store images (`.kbqi`): a store read back from its image is the store that was written
/// (written again, it gives the same bytes), and no image, however damaged or forged, makes
/// the reader or a query on what it read crash.
@Suite struct ImageTests {
    static func load(_ files: [String]) throws -> FactStore {
        switch Loader.load(files: files.map { $0.hasPrefix("/") ? $0 : Support.root + "/" + $0 }, into: FactStore()) {
        case .success(let s): return s
        case .failure(let d): throw ImageError(d.render(color: false))
        }
    }

    static let cases = ["kb/main.kb", "Tests/fixtures/semantics.kb", "Tests/fixtures/small.kb", Support.shared + "/testdata/lubm/University0_0.ntriples"]

    /// Runs `script` against `store`; the text of its answers (what a query on a forged
    /// image does is beside the point: that it ends is).
    static func answers(_ store: FactStore, _ script: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-image-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd); unlink(path) }
        let out = TextOutput(fd: fd)
        let session = Session(store: store, stdout: out, stderr: out, mode: .tsv)
        _ = session.runScript(SourceText(name: "-e", text: script), keepGoing: true)
        try? out.flush()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static let probes = """
        find ?x, ?p, ?y where ?x ?p ?y limit 50
        find ?who, ?c where ?who says ?c limit 20
        find count(*) where ?x is_a _
        .describe Alice
        find ?x where ?x.label matches "a" limit 5
        """

    @Test(arguments: cases)
    func writtenAgainGivesTheSameBytes(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path.hasPrefix("/") ? path : Support.root + "/" + path) else { return }
        let store = try ImageTests.load([path])
        let bytes = ImageFile.bytes(of: store, writer: "test")
        let back = try ImageFile.read(bytes: bytes, verify: true)
        #expect(ImageFile.bytes(of: back, writer: "test") == bytes)
        // What is not written but derived again.
        #expect(back.predicateClosure == store.predicateClosure)
        #expect(back.typeClosure == store.typeClosure)
        #expect(back.statementCount == store.statementCount && back.entities.count == store.entities.count)
        #expect(ImageTests.answers(back, ImageTests.probes) == ImageTests.answers(store, ImageTests.probes))
    }

    /// Equal propositions stay one proposition when facts are added to a store read from
    /// an image (its proposition index is rebuilt then, not written).
    @Test func addingToAStoreFromAnImageSharesPropositions() throws {
        let store = try ImageTests.load(["Tests/fixtures/small.kb"])
        let back = try ImageFile.read(bytes: ImageFile.bytes(of: store, writer: "test"), verify: true)
        let more = SourceText(name: "more.kb", text: "from Doc para 2\nBob claims [Alice member_of Acme]\nCarol denies [Alice member_of Acme]\n")
        let a = try Loader.load(text: more, into: store).get()
        let b = try Loader.load(text: more, into: back).get()
        #expect(a.statementCount == b.statementCount)
        #expect(ImageTests.answers(a, "find ?who, ?c where ?who says ?c") == ImageTests.answers(b, "find ?who, ?c where ?who says ?c"))
    }

    /// An image file's columns are used where they lie (not copied), stay valid once the
    /// file is gone (the mapping holds its pages), and are copied only when the store changes.
    @Test func anImageFileIsUsedWhereItLies() throws {
        let store = try ImageTests.load(["Tests/fixtures/small.kb"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-mapped-\(UUID().uuidString).kbqi").path
        try ImageFile.write(store, writer: "test", to: path, durable: false)
        let (mapped, _) = try ImageFile.open(path, verify: false)
        unlink(path)
        #expect(mapped.table.subject.isMapped && mapped.table.object.isMapped && mapped.byPredicate.ids.isMapped)
        #expect(!store.table.subject.isMapped)
        #expect(ImageTests.answers(mapped, ImageTests.probes) == ImageTests.answers(store, ImageTests.probes))

        let more = SourceText(name: "more.kb", text: "from Doc para 2\nBob claims [Alice member_of Acme]\n")
        let grown = try Loader.load(text: more, into: mapped).get()
        #expect(!grown.table.subject.isMapped && grown.statementCount > mapped.statementCount)
        #expect(mapped.table.subject.isMapped, "the store it grew from is unchanged")
        let expected = try Loader.load(text: more, into: store).get()
        #expect(ImageTests.answers(grown, "find ?who, ?c where ?who says ?c") == ImageTests.answers(expected, "find ?who, ?c where ?who says ?c"))
    }

    /// A store large enough for its sections to be read, and their column checks run, on
    /// every core (`make sanitize` runs this under ThreadSanitizer).
    @Test func aLargeImageIsReadAndCheckedOnEveryCore() throws {
        var text = "type Person\ntype Document\npredicate knows\nentity Doc : Document \"Doc\"\n"
        let n = 70_000
        for i in 0..<n { text += "entity P\(i) : Person \"Person \(i)\"\n" }
        text += "from Doc para 1\n"
        for i in 0..<n { text += "P\(i) knows P\((i * 7 + 1) % n)\n" }
        let store = try Loader.load(text: SourceText(name: "large.kb", text: text), into: FactStore()).get()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-large-\(UUID().uuidString).kbqi").path
        defer { unlink(path) }
        try ImageFile.write(store, writer: "test", to: path, durable: false)
        // Its sections written on every core, where the layout in memory puts them.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(ImageFile.bytes(of: store, writer: "test")))
        let (mapped, _) = try ImageFile.open(path, verify: true)
        #expect(mapped.statementCount == store.statementCount && mapped.table.subject.isMapped)
        let probe = "find ?x, ?y where ?x knows ?y, ?y knows P3\nfind count(*) where ?x knows ?y"
        #expect(ImageTests.answers(mapped, probe) == ImageTests.answers(store, probe))
    }

    /// Section boundaries of an image: each section's offset and length, from its table.
    static func sections(_ bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        let count = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 20, as: UInt32.self)) }
        return (0..<count).map { k in
            bytes.withUnsafeBytes { b in
                let entry = ImageFormat.headerSize + k * ImageFormat.sectionEntrySize
                return (Int(b.loadUnaligned(fromByteOffset: entry + 8, as: UInt64.self)), Int(b.loadUnaligned(fromByteOffset: entry + 16, as: UInt64.self)))
            }
        }
    }

    @Test func truncatedImagesAreRefusedAtEveryBoundary() throws {
        let bytes = ImageFile.bytes(of: try ImageTests.load(["Tests/fixtures/semantics.kb"]), writer: "test")
        var cuts = [0, 7, 8, 63, 64, 65, bytes.count - 1]
        for s in ImageTests.sections(bytes) { cuts += [s.offset - 1, s.offset, s.offset + 1, s.offset + s.length / 2, s.offset + s.length - 1] }
        for cut in Set(cuts) where cut >= 0 && cut < bytes.count {
            #expect(throws: ImageError.self, "cut at \(cut)") { try ImageFile.read(bytes: Array(bytes[..<cut]), verify: false) }
        }
        // Longer than its header says: refused too.
        #expect(throws: ImageError.self) { try ImageFile.read(bytes: bytes + [0], verify: false) }
    }

    /// A changed byte anywhere a checksum covers is found with `verify`; without it, the
    /// reader's checks stand alone: the result is an error or a store that answers queries.
    @Test func flippedBytesAreFoundOrHarmless() throws {
        let bytes = ImageFile.bytes(of: try ImageTests.load(["Tests/fixtures/small.kb"]), writer: "test")
        let seed = UInt64(ProcessInfo.processInfo.environment["KBQ_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        print("image flips: seed \(seed) (KBQ_SEED=\(seed) replays)")
        var rng = RRandom(seed: seed)
        let covered = [(0, 56), (ImageFormat.headerSize, ImageFormat.headerSize + ImageTests.sections(bytes).count * ImageFormat.sectionEntrySize)]
            + ImageTests.sections(bytes).map { ($0.offset, $0.offset + $0.length) }
        var refusedWithoutChecksums = 0
        for _ in 0..<400 {
            var damaged = bytes
            let place = Int(rng.next() % UInt64(bytes.count))
            damaged[place] ^= UInt8(1 << (rng.next() % 8))
            if covered.contains(where: { $0.0 <= place && place < $0.1 }) {
                #expect(throws: ImageError.self, "flip at \(place), seed \(seed)") { try ImageFile.read(bytes: damaged, verify: true) }
            }
            if let store = try? ImageFile.read(bytes: damaged, verify: false) {
                _ = ImageTests.answers(store, ImageTests.probes)
            } else {
                refusedWithoutChecksums += 1
            }
        }
        #expect(refusedWithoutChecksums > 0)
    }

    /// Forged sections (valid checksums, wrong contents): every count and reference is
    /// checked by the reader.
    @Test func forgedSectionsAreRefused() throws {
        let store = try ImageTests.load(["Tests/fixtures/small.kb"])
        var sections = ImageFile.sections(store, writer: "test")
        let seed = UInt64(ProcessInfo.processInfo.environment["KBQ_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        print("image forgeries: seed \(seed)")
        var rng = RRandom(seed: seed)
        var refused = 0
        for _ in 0..<300 {
            let k = 1 + Int(rng.next() % UInt64(sections.count - 1))
            var body = sections[k].1.bytes
            guard !body.isEmpty else { continue }
            // A word of the section set to a value likely to be out of some range.
            let at = Int(rng.next() % UInt64(body.count)) & ~7
            let values: [UInt64] = [0, 1, 0xFFFF_FFFF, UInt64.max, 1 << 31, 1 << 40, rng.next()]
            let v = values[Int(rng.next() % UInt64(values.count))]
            withUnsafeBytes(of: v) { for i in 0..<min(8, body.count - at) { body[at + i] = $0[i] } }
            var forged = sections
            var w = ImageWriter()
            w.raw(body)
            forged[k] = (sections[k].0, w)
            if let s = try? ImageFile.read(bytes: ImageFile.bytes(forged), verify: true) {
                _ = ImageTests.answers(s, ImageTests.probes)
            } else {
                refused += 1
            }
        }
        sections = []
        #expect(refused > 0)
    }

    /// A large file's content hash (taken in parts, on every core) sees a change anywhere.
    @Test func contentHashesSeeEveryByte() {
        var bytes = (0..<(5 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let before = ImageFormat.contentHash(bytes)
        #expect(ImageFormat.contentHash(bytes) == before)
        for place in [0, 1 << 20, (3 << 20) + 5, bytes.count - 1] {
            bytes[place] ^= 1
            #expect(ImageFormat.contentHash(bytes) != before, "change at \(place)")
            bytes[place] ^= 1
        }
        #expect(ImageFormat.contentHash(Array(bytes.dropLast())) != before)
    }

    /// A header field set to `value` (the header's checksum made right again).
    static func withHeader<T: BitwiseCopyable>(_ bytes: [UInt8], at offset: Int, _ value: T) -> [UInt8] {
        var b = bytes
        b.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: value, toByteOffset: offset, as: T.self)
            raw.storeBytes(of: ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<56])), toByteOffset: 56, as: UInt64.self)
        }
        return b
    }

    @Test func foreignImagesSayWhy() throws {
        let bytes = ImageFile.bytes(of: try ImageTests.load(["Tests/fixtures/small.kb"]), writer: "test")
        func reason(_ b: [UInt8]) -> String {
            do { _ = try ImageFile.read(bytes: b, verify: false); return "accepted" } catch { return error.message }
        }
        #expect(reason(Array("not an image at all, but long enough to have a header of sixty-four bytes".utf8)) == "not a kbq image")
        #expect(reason(ImageTests.withHeader(bytes, at: 8, ImageFormat.version + 1)).contains("format version \(ImageFormat.version + 1)"))
        #expect(reason(ImageTests.withHeader(bytes, at: 12, ImageFormat.byteOrderMark.byteSwapped)).contains("other byte order"))
        #expect(reason(ImageTests.withHeader(bytes, at: 16, UInt32(4))).contains("32-bit words"))
        #expect(reason(ImageTests.withHeader(bytes, at: 20, UInt32(1000))).contains("section table"))
        var damagedTable = bytes
        damagedTable[ImageFormat.headerSize + 9] ^= 1
        #expect(reason(damagedTable) == "damaged section table")
    }
}
