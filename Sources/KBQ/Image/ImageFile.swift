#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A source file as an image was built from it: when every source still matches, the
/// image holds what loading them would give.
public struct SourceStamp: Sendable, Equatable {
    public var path: String
    public var size: Int
    public var modified: Int
    public var contentHash: UInt64

    /// The file as it is now; nil when it cannot be read.
    static func current(_ path: String, hashing: Bool) -> SourceStamp? {
        guard let (size, modified) = FileSystem.sizeAndModified(path) else { return nil }
        var hash: UInt64 = 0
        if hashing {
            guard let bytes = try? FileSystem.read(path) else { return nil }
            hash = ImageFormat.contentHash(bytes)
        }
        return SourceStamp(path: path, size: size, modified: modified, contentHash: hash)
    }

    /// Whether the file is still as it was: the same size and modification time, or (when
    /// only the time changed, as a `touch` or a checkout does) the same content. Comparing
    /// times first keeps the check at one `stat` a file (hashing 60 MB of text would cost
    /// more than opening the image); a change that keeps size and nanosecond time is not
    /// seen, as with `make` and git.
    func isCurrent() -> Bool {
        guard let now = SourceStamp.current(path, hashing: false), now.size == size else { return false }
        if now.modified == modified { return true }
        return SourceStamp.current(path, hashing: true)?.contentHash == contentHash
    }
}

extension SourceStamp: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.put(path)
        w.int(size)
        w.int(modified)
        w.word(contentHash)
    }
    init(image r: inout ImageReader) throws {
        self.init(path: try r.get(), size: try r.int(), modified: try r.int(), contentHash: try r.word())
    }
}

/// An image file: written whole to a temporary file beside it and renamed over it, read
/// through a read-only mapping that is checked before any section is handed out.
public enum ImageFile {
    /// What an image says of itself, read without reading the store.
    public struct Header: Sendable {
        /// The kbq version that wrote it (a newer kbq may load text differently: rebuilt).
        public var writer: String
        public var sources: [SourceStamp]
        /// The folder the writer ran in: the names of files it read relative to it.
        public var directory: String
    }

    /// Writes `store` (and the files it was loaded from) to `path` atomically: a kill at any moment
    /// leaves the previous file or none, never part of one. `durable`: flushed to the disk
    /// before the rename (for an image made to be shared; a cache image damaged by a crash
    /// of the machine is found by its checksums and rebuilt).
    /// Returns the written file's identity, for its seal (nil when it cannot be had).
    @discardableResult
    public static func write(_ store: FactStore, writer: String, to path: String, durable: Bool) throws(ImageError) -> ImageSeals.Identity? {
        try writeAtomically(sections(store, writer: writer), to: path, durable: durable)
    }

    /// The sections of an image of `store`: the header's own (writer, sources), then the store's.
    static func sections(_ store: FactStore, writer: String) -> [(ImageFormat.Tag, ImageWriter)] {
        var head = ImageWriter()
        head.put(writer)
        head.put(store.sourceStamps)
        head.put(FileSystem.currentDirectory)
        return [(.sources, head)] + store.imageSections()
    }

    @discardableResult
    static func writeAtomically(_ sections: [(ImageFormat.Tag, ImageWriter)], to path: String, durable: Bool) throws(ImageError) -> ImageSeals.Identity? {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError("cannot create \(temporary): \(FileSystem.errorText())") }
        let failure = Mutex<String?>(nil)
        @Sendable func writeAll(_ raw: UnsafeRawBufferPointer, at offset: Int) {
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, base + done, raw.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let text = "cannot write \(temporary): \(FileSystem.errorText())"
                    failure.withLock { if $0 == nil { $0 = text } }
                    return
                }
                done += n
            }
        }
        // Each section where the layout puts it, the largest first, on every core: copying
        // the store into the page cache is most of writing it, and the other core is idle
        // once the load is done. The gaps between sections are left as holes (zeros).
        let layout = Layout(sections)
        let order = sections.indices.sorted { sections[$0].1.count > sections[$1].1.count }
        let shared = SharedSections(sections)
        let checksums = Parallel.map(sections.count) { j in
            let k = order[j]
            var checksum = Checksum()
            var at = layout.offsets[k]
            shared.sections[k].1.forEachPiece { piece in
                checksum.add(piece)
                writeAll(piece, at: at)
                at += piece.count
            }
            return (k, checksum.value)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        layout.header(sections.map(\.0), checksums).withUnsafeBytes { writeAll($0, at: 0) }
        var problem = failure.withLock { $0 }
        if problem == nil, ftruncate(fd, off_t(layout.end)) != 0 { problem = "cannot write \(temporary): \(FileSystem.errorText())" }
        if problem == nil, durable, fsync(fd) != 0 { problem = "cannot flush \(temporary): \(FileSystem.errorText())" }
        // Looked at before the rename, the change time the rename stamps is a fine one where
        // the kernel has multigrain timestamps: sealing then need not wait out a clock tick.
        _ = ImageSeals.Identity.of(fd: fd)
        if problem == nil, rename(temporary, path) != 0 { problem = "cannot rename \(temporary) to \(path): \(FileSystem.errorText())" }
        // Taken after the rename, which may stamp the file's change time.
        let identity = problem == nil ? ImageSeals.Identity.of(fd: fd) : nil
        close(fd)
        if let problem {
            unlink(temporary)
            throw ImageError(problem)
        }
        return identity
    }

    /// An image in memory (tests, fuzzing).
    static func bytes(_ sections: [(ImageFormat.Tag, ImageWriter)]) -> [UInt8] {
        let layout = Layout(sections)
        var file = [UInt8](repeating: 0, count: layout.end)
        var checksums: [UInt64] = []
        file.withUnsafeMutableBytes { out in
            for (k, (_, section)) in sections.enumerated() {
                var checksum = Checksum()
                var at = layout.offsets[k]
                section.forEachPiece { piece in
                    checksum.add(piece)
                    UnsafeMutableRawBufferPointer(rebasing: out[at..<at + piece.count]).copyMemory(from: piece)
                    at += piece.count
                }
                checksums.append(checksum.value)
            }
        }
        let head = layout.header(sections.map(\.0), checksums)
        file.replaceSubrange(0..<head.count, with: head)
        return file
    }

    /// Where an image's parts go: the header, the section table, then each section at a
    /// 64-byte boundary (so that columns can be used where they lie in the mapping).
    struct Layout {
        let offsets: [Int]
        let lengths: [Int]
        /// The file's length.
        let end: Int

        init(_ sections: [(ImageFormat.Tag, ImageWriter)]) {
            var end = ImageFormat.headerSize + sections.count * ImageFormat.sectionEntrySize
            var offsets: [Int] = []
            for (_, section) in sections {
                let start = (end + 63) & ~63
                offsets.append(start)
                end = start + section.count
            }
            self.offsets = offsets
            self.lengths = sections.map(\.1.count)
            self.end = end
        }

        /// The header and section table, given each section's tag and checksum.
        func header(_ tags: [ImageFormat.Tag], _ checksums: [UInt64]) -> [UInt8] {
            let tableEnd = ImageFormat.headerSize + tags.count * ImageFormat.sectionEntrySize
            var head = [UInt8](repeating: 0, count: tableEnd)
            head.withUnsafeMutableBytes { h in
                func put<T: BitwiseCopyable>(_ v: T, at offset: Int) { h.storeBytes(of: v, toByteOffset: offset, as: T.self) }
                for k in tags.indices {
                    let entry = ImageFormat.headerSize + k * ImageFormat.sectionEntrySize
                    put(tags[k].rawValue, at: entry)
                    put(UInt64(offsets[k]), at: entry + 8)
                    put(UInt64(lengths[k]), at: entry + 16)
                    put(checksums[k], at: entry + 24)
                }
                for (k, b) in ImageFormat.magic.enumerated() { h[k] = b }
                put(ImageFormat.version, at: 8)
                put(ImageFormat.byteOrderMark, at: 12)
                put(UInt32(MemoryLayout<Int>.size), at: 16)
                put(UInt32(tags.count), at: 20)
                put(UInt64(end), at: 24)
                put(ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: h[ImageFormat.headerSize..<tableEnd])), at: 32)
                put(ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: h[0..<56])), at: 56)
            }
            return head
        }
    }

    /// The sections being written, for the threads writing them (each reads its own; the
    /// columns they hold are the store's, unchanged while it is written).
    private struct SharedSections: @unchecked Sendable {
        let sections: [(ImageFormat.Tag, ImageWriter)]
        init(_ sections: [(ImageFormat.Tag, ImageWriter)]) { self.sections = sections }
    }

    /// The store in an image held in memory (fuzzing and tests): whatever the bytes, an
    /// error or a store every query can use.
    public static func read(bytes: [UInt8], verify: Bool) throws(ImageError) -> FactStore {
        try Mapping.check(bytes: bytes, verify: verify).0
    }

    /// `bytes` with the header's and the section table's checksums made right (for the
    /// fuzzer, whose changes would otherwise stop there): what the sections hold is checked
    /// all the same.
    public static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= ImageFormat.headerSize else { return bytes }
        var b = bytes
        b.withUnsafeMutableBytes { raw in
            let count = Int(raw.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
            let tableEnd = ImageFormat.headerSize + count * ImageFormat.sectionEntrySize
            if count <= ImageFormat.maxSections, tableEnd <= raw.count {
                raw.storeBytes(of: ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: raw[ImageFormat.headerSize..<tableEnd])), toByteOffset: 32, as: UInt64.self)
            }
            raw.storeBytes(of: ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<56])), toByteOffset: 56, as: UInt64.self)
        }
        return b
    }

    /// An image of `store`, in memory.
    public static func bytes(of store: FactStore, writer: String) -> [UInt8] {
        bytes(sections(store, writer: writer))
    }

    /// Whether `path` starts as an image does (so `kbq case.kbqi` needs no option).
    public static func looksLikeImage(_ path: String) -> Bool {
        guard let head = try? FileSystem.read(path, upTo: 8) else { return false }
        return head == ImageFormat.magic
    }

    /// An open, checked image: its sections, mapped for as long as this lives (a store read
    /// from it holds it through its columns).
    final class Mapping {
        private let base: UnsafeRawPointer
        private let length: Int
        let sections: [ImageFormat.Tag: UnsafeRawBufferPointer]
        /// Each section's checksum, as the table gives it.
        private let checksums: [ImageFormat.Tag: UInt64]
        /// The mapped file's identity when it was opened (nil for bytes in memory).
        let identity: ImageSeals.Identity?

        private init(base: UnsafeRawPointer, length: Int, sections: [ImageFormat.Tag: (UnsafeRawBufferPointer, UInt64)],
                     identity: ImageSeals.Identity? = nil) {
            self.base = base
            self.length = length
            self.identity = identity
            self.sections = sections.mapValues(\.0)
            self.checksums = sections.mapValues(\.1)
        }

        /// Checks every section against its checksum.
        func verify() throws(ImageError) {
            for (tag, bytes) in sections where ImageFormat.checksum(bytes) != checksums[tag] {
                throw ImageError("section '\(tag)' is damaged (checksum)")
            }
        }

        deinit { if length > 0 { munmap(UnsafeMutableRawPointer(mutating: base), length) } }

        /// An image held in memory (tests, fuzzing): the same checks as a file's.
        static func check(bytes: [UInt8], verify: Bool) throws(ImageError) -> (FactStore, Header) {
            let result: Result<(FactStore, Header), ImageError> = bytes.withUnsafeBytes { raw in
                Result { () throws(ImageError) in
                    let mapping = Mapping(base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, length: 0,
                        sections: try check(raw, verify: verify))
                    let header = try mapping.header()
                    return (try mapping.store(header), header)
                }
            }
            return try result.get()
        }

        /// Maps `path` and checks its header and section table (and, with `verify`, every
        /// section's checksum).
        static func open(_ path: String, verify: Bool) throws(ImageError) -> Mapping {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw ImageError("cannot open: \(FileSystem.errorText())") }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw ImageError("not a regular file") }
            let length = Int(info.st_size)
            guard length >= ImageFormat.headerSize else { throw ImageError("too short to be an image (\(length) bytes)") }
            guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
                throw ImageError("cannot map: \(FileSystem.errorText())")
            }
            let base = UnsafeRawPointer(mapped)
            do {
                let sections = try check(UnsafeRawBufferPointer(start: base, count: length), verify: verify)
                return Mapping(base: base, length: length, sections: sections, identity: ImageSeals.Identity(info))
            } catch {
                munmap(mapped, length)
                throw error
            }
        }

        /// The sections of `file`, after checking everything the header and table say.
        static func check(_ file: UnsafeRawBufferPointer, verify: Bool) throws(ImageError) -> [ImageFormat.Tag: (UnsafeRawBufferPointer, UInt64)] {
            func read<T: BitwiseCopyable>(_ offset: Int, _: T.Type) -> T { file.loadUnaligned(fromByteOffset: offset, as: T.self) }
            guard file.count >= ImageFormat.headerSize else { throw ImageError("too short to be an image (\(file.count) bytes)") }
            guard Array(file[0..<8]) == ImageFormat.magic else { throw ImageError("not a kbq image") }
            let order = read(12, UInt32.self)
            guard order == ImageFormat.byteOrderMark else {
                throw ImageError(order == ImageFormat.byteOrderMark.byteSwapped ? "written on a machine of the other byte order" : "damaged header")
            }
            guard read(56, UInt64.self) == ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: file[0..<56])) else {
                throw ImageError("damaged header")
            }
            let version = read(8, UInt32.self)
            guard version == ImageFormat.version else {
                throw ImageError("format version \(version), this kbq reads version \(ImageFormat.version)", isOtherVersion: true)
            }
            let wordSize = read(16, UInt32.self)
            guard wordSize == UInt32(MemoryLayout<Int>.size) else { throw ImageError("written on a machine with \(UInt64(wordSize) * 8)-bit words") }
            let count = Int(read(20, UInt32.self))
            guard read(24, UInt64.self) == UInt64(file.count) else {
                throw ImageError("truncated or extended: \(file.count) bytes where its header says \(read(24, UInt64.self))")
            }
            let tableEnd = ImageFormat.headerSize + count * ImageFormat.sectionEntrySize
            guard count <= ImageFormat.maxSections, tableEnd <= file.count else { throw ImageError("damaged section table") }
            guard read(32, UInt64.self) == ImageFormat.checksum(UnsafeRawBufferPointer(rebasing: file[ImageFormat.headerSize..<tableEnd])) else {
                throw ImageError("damaged section table")
            }
            var sections: [ImageFormat.Tag: (UnsafeRawBufferPointer, UInt64)] = [:]
            for k in 0..<count {
                let entry = ImageFormat.headerSize + k * ImageFormat.sectionEntrySize
                let offset = read(entry + 8, UInt64.self)
                let length = read(entry + 16, UInt64.self)
                guard let tag = ImageFormat.Tag(rawValue: read(entry, UInt32.self)), sections[tag] == nil,
                    offset >= UInt64(tableEnd), offset <= UInt64(file.count), length <= UInt64(file.count) - offset
                else { throw ImageError("damaged section table") }
                let bytes = UnsafeRawBufferPointer(rebasing: file[Int(offset)..<Int(offset + length)])
                let checksum = read(entry + 24, UInt64.self)
                if verify, ImageFormat.checksum(bytes) != checksum {
                    throw ImageError("section '\(tag)' is damaged (checksum)")
                }
                sections[tag] = (bytes, checksum)
            }
            return sections
        }

        /// The header (writer and sources), from the `sources` section alone.
        func header() throws(ImageError) -> Header {
            guard let bytes = sections[.sources] else { throw ImageError("no 'sources' section") }
            var r = ImageReader(bytes, name: "sources")
            do {
                let writer: String = try r.get()
                let sources: [SourceStamp] = try r.get()
                let directory: String = try r.get()
                guard r.isAtEnd else { throw r.failure("bytes left over") }
                return Header(writer: writer, sources: sources, directory: directory)
            } catch let e as ImageError {
                throw e
            } catch {
                throw ImageError("\(error)")
            }
        }

        /// The store, with the stamps of the files it was loaded from (`header`'s, so that
        /// an image written from it again records them too). `sealed`: checked whole before
        /// (`ImageSeals`), so its columns are not read now.
        func store(_ header: Header, sealed: Bool = false) throws(ImageError) -> FactStore {
            do {
                // An image in a file is used where it lies (its columns hold the mapping);
                // one in memory (length 0: bytes the caller owns) is copied.
                var store = try FactStore(imageSections: sections, keeper: length > 0 ? self : nil, sealed: sealed)
                store.sourceStamps = header.sources
                return store
            } catch let e as ImageError {
                throw e
            } catch {
                throw ImageError("\(error)")
            }
        }
    }
}

extension ImageFile.Header {
    /// How a store from this image names the files it was read from, so that it names them
    /// as a load of the text from here would: a file named on the command line (`given`) as
    /// it is written there; an include as the loader names it, from the first file given
    /// (`./case.kb` beside `main.kb`, `../case.kb` beside `../main.kb`); with none given (an
    /// image opened by its own name), absolute names stay so and relative ones are made
    /// relative to here. The writer's names are relative to its folder; names that are no
    /// source of the image (`-e`) are left alone.
    func fileNames(given: [String]) -> (String) -> String {
        let here = FileSystem.currentDirectory
        let sourcePaths = Set(sources.map(\.path))
        let givenCanonical = given.map { (FileSystem.canonical($0), $0) }
        let anchor = given.first.map { ($0, FileSystem.directory(of: FileSystem.canonical($0))) }
        var done: [String: String] = [:]
        let directory = self.directory
        return { name in
            if let known = done[name] { return known }
            let canonical = FileSystem.canonical(FileSystem.absolute(name, in: directory))
            var renamed = name
            if sourcePaths.contains(canonical) {
                if let same = givenCanonical.first(where: { $0.0 == canonical }) {
                    renamed = same.1
                } else if let (first, folder) = anchor {
                    renamed = FileSystem.resolve(FileSystem.relative(canonical, from: folder), from: first)
                } else if !name.hasPrefix("/") {
                    renamed = FileSystem.relative(canonical, from: here)
                }
            }
            done[name] = renamed
            return renamed
        }
    }
}
