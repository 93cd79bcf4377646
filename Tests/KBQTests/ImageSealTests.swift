import Foundation
import Testing

@testable import KBQ

/// Seals (`ImageSeals`): an image this kbq wrote, or checked whole, opens without its column
/// checks; a change of any kind to the file since (written in place, replaced, touched), a
/// seal of another kbq, a damaged seal or `--verify` means its columns are checked again,
/// and damage is found.
@Suite struct ImageSealTests {
    /// A folder with a copy of a small knowledge base, its loaded store and a cache.
    struct Case {
        let dir: String
        let files: [String]
        let store: FactStore
        let cache: ImageCache

        init(writer: String = "test") throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-seal-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let kb = dir + "/case.kb"
            try FileManager.default.copyItem(atPath: Support.root + "/Tests/fixtures/small.kb", toPath: kb)
            files = [kb]
            store = try Loader.load(files: files, into: FactStore()).get()
            cache = ImageCache(directory: dir + "/cache", writer: writer)
        }

        var image: String { cache.imagePath(for: files) }

        /// Whether the image was found, and whether its columns were checked now.
        func open(verify: Bool = false) -> (hit: Bool, checked: Bool, reason: String?) {
            switch cache.lookup(files, verify: verify) {
            case .hit(let store, _, let checked):
                #expect(ImageTests.answers(store, ImageTests.probes) == ImageTests.answers(self.store, ImageTests.probes))
                return (true, checked, nil)
            case .miss(let reason): return (false, false, reason)
            }
        }

        /// Writes `bytes` over the image in place (same file, new contents).
        func overwrite(_ bytes: Data) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
            try handle.write(contentsOf: bytes)
            try handle.close()
        }
    }

    @Test func aWrittenImageOpensSealedUntilTheFileChanges() throws {
        let c = try Case()
        #expect(c.cache.save(c.store, files: c.files) == nil)
        #expect(c.open() == (true, false, nil), "sealed as it was written")
        #expect(c.open() == (true, false, nil))
        // The same bytes written again in place: a change all the same.
        try c.overwrite(try Data(contentsOf: URL(fileURLWithPath: c.image)))
        #expect(c.open() == (true, true, nil), "checked whole, then sealed anew")
        #expect(c.open() == (true, false, nil))
        // A copy put in its place (another inode).
        let copy = c.image + ".copy"
        try FileManager.default.copyItem(atPath: c.image, toPath: copy)
        #expect(rename(copy, c.image) == 0)
        #expect(c.open() == (true, true, nil))
        // Touched: its times change.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: c.image)
        #expect(c.open() == (true, true, nil))
        #expect(c.open(verify: true) == (true, true, nil), "--verify checks a sealed image whole")
    }

    /// Damage written into a column after the image was sealed is found by the column
    /// checks the seal no longer spares (the section checksums are not read: its source
    /// is there).
    @Test func damageAfterSealingIsFound() throws {
        let c = try Case()
        #expect(c.cache.save(c.store, files: c.files) == nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: c.image))
        let statements = ImageTests.sections([UInt8](bytes))[Int(ImageFormat.Tag.statements.rawValue) - 1]
        // The statements section opens with the subject column: count, stride, then terms.
        let firstSubject = statements.offset + 16
        bytes[firstSubject + 3] = 0xFF
        bytes[firstSubject + 2] = 0xFF
        try c.overwrite(bytes)
        let opened = c.open()
        #expect(!opened.hit && opened.reason?.contains("section 'statements' is damaged (subject terms)") == true, "\(opened)")
    }

    @Test func anotherKbqsOrADamagedSealIsNotTrusted() throws {
        let c = try Case()
        #expect(c.cache.save(c.store, files: c.files) == nil)
        guard let identity = ImageSeals.Identity.of(path: c.image) else { Issue.record("no identity"); return }
        #expect(c.cache.seals.holds(c.image, identity))
        #expect(!ImageSeals(directory: c.cache.directory, writer: "another kbq").holds(c.image, identity))
        let seal = c.cache.seals.sealPath(of: c.image)
        var text = try String(contentsOfFile: seal, encoding: .utf8)
        text = text.replacingOccurrences(of: "\(identity.fields[1])", with: "\(identity.fields[1] + 1)")
        try text.write(toFile: seal, atomically: true, encoding: .utf8)
        #expect(c.open() == (true, true, nil))
        try "".write(toFile: seal, atomically: true, encoding: .utf8)
        #expect(c.open() == (true, true, nil))
        #expect(c.open() == (true, false, nil))
    }

    /// An image named by the user is sealed in the user's cache once checked, never beside
    /// the image (which may be a colleague's, in a folder shared read-only).
    @Test func aNamedImageIsSealedInTheCache() throws {
        let c = try Case()
        let path = c.dir + "/shared/case.kbqi"
        try FileManager.default.createDirectory(atPath: c.dir + "/shared", withIntermediateDirectories: true)
        try ImageFile.write(c.store, writer: "test", to: path, durable: true)
        let seals = c.cache.seals
        guard let identity = ImageSeals.Identity.of(path: path) else { Issue.record("no identity"); return }
        #expect(!seals.holds(path, identity))
        let (opened, _) = try ImageFile.open(path, verify: false, seals: seals)
        #expect(ImageTests.answers(opened, ImageTests.probes) == ImageTests.answers(c.store, ImageTests.probes))
        #expect(seals.holds(path, identity) && seals.sealPath(of: path).hasPrefix(c.cache.directory + "/"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: c.dir + "/shared") == ["case.kbqi"])
    }
}
