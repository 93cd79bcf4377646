#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file operations the engine needs, on the C library (no Foundation: start-up time).
public enum FileSystem {
    public struct IOError: Error, Sendable { public var message: String }

    /// The largest file (or standard input) kbq reads, in bytes: a setting (`--max-file-size`),
    /// so that `/dev/zero` or a runaway pipe ends in an error, not in the kernel's OOM killer.
    nonisolated(unsafe) public static var sizeLimit = 16 << 30

    /// Reads `--max-file-size`'s value: bytes, or a number with K, M, G or T.
    public static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last, let power = ["K": 10, "M": 20, "G": 30, "T": 40][String(last).uppercased()] {
            scale = 1 << power
            digits = digits.dropLast()
        }
        guard let n = Int(digits), n > 0 else { return nil }
        let (size, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : size
    }

    static func tooLarge(_ name: String) -> IOError {
        IOError(message: "'\(name)' is larger than the limit of \(sizeLimit) bytes (see --max-file-size)")
    }

    /// A byte-order mark at the start of a text says nothing kbq needs: it is dropped, as
    /// editors on some systems write one.
    static func droppingByteOrderMark(_ bytes: inout [UInt8]) {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { bytes.removeFirst(3) }
    }

    /// The whole file, as bytes. Only a regular file: a device (`/dev/zero`), FIFO or socket
    /// is refused, checked on the open descriptor (opened without blocking, so a FIFO with
    /// no writer cannot hang the open), and so is a file over `sizeLimit`.
    public static func read(_ path: String) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IOError(message: "cannot open '\(path)': \(errorText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError(message: "cannot read '\(path)': \(errorText())") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw IOError(message: "'\(path)' is a directory")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw IOError(message: "'\(path)' is not a regular file (a device, FIFO or socket): kbq reads only files")
        }
        guard st.st_size <= sizeLimit else { throw tooLarge(path) }
        _ = fcntl(fd, F_SETFL, 0)  // blocking reads from here: a regular file never waits
        var bytes = try readWhole(fd, size: Int(st.st_size), path: path)
        droppingByteOrderMark(&bytes)
        return bytes
    }

    private static func readWhole(_ fd: Int32, size: Int, path: String) throws(IOError) -> [UInt8] {
        guard size > 0 else { return try readAll(fd: fd, name: path) }
        // A regular file: read straight into an array of its size (growing one by appending
        // copied a large knowledge base several times), then whatever it grew by meanwhile.
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            (count, failure) = readParts(fd, into: buffer)
        }
        if failure != 0 {
            throw IOError(message: failure == EINTR ? "interrupted" : "cannot read '\(path)': \(String(cString: strerror(failure)))")
        }
        if bytes.count == size, lseek(fd, off_t(size), SEEK_SET) == off_t(size) {
            bytes.append(contentsOf: try readAll(fd: fd, name: path, dropMark: false))
        }
        return bytes
    }

    /// Reads the file into `buffer` from its start, a part on each core when it is large
    /// (a fresh page costs this machine 1.5 µs to fault in, and the two cores fault theirs
    /// at once: 53 MB in 0.028 -> 0.020 s): how many bytes were read before the first part
    /// that came short (the file shrank meanwhile), and any errno.
    private static func readParts(_ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> (count: Int, errno: Int32) {
        let size = buffer.count
        let parts = size >= 1 << 23 ? Parallel.cores : 1
        let target = SharedBuffer(buffer: buffer)
        let results = Parallel.map(parts) { k -> (read: Int, errno: Int32) in
            let range = (size * k / parts)..<(size * (k + 1) / parts)
            var done = 0
            while done < range.count {
                let n = pread(fd, target.buffer.baseAddress! + range.lowerBound + done, range.count - done, off_t(range.lowerBound + done))
                if n < 0 { return (done, errno) }
                if n == 0 { break }
                done += n
            }
            return (done, 0)
        }
        var count = 0
        for (k, r) in results.enumerated() {
            if r.errno != 0 { return (count, r.errno) }
            count += r.read
            if r.read < size * (k + 1) / parts - size * k / parts { break }
        }
        return (count, 0)
    }

    /// The buffer the parts of a read fill, each its own range.
    private struct SharedBuffer: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<UInt8>
    }

    /// At most the first `limit` bytes of a file (a `#!` line, say); never waits on a FIFO.
    public static func read(_ path: String, upTo limit: Int) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IOError(message: "cannot open '\(path)': \(errorText())") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, limit) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Everything readable from `fd` (standard input, say) until end of file, up to
    /// `sizeLimit` bytes, without its byte-order mark.
    public static func readAll(fd: Int32, name: String, dropMark: Bool = true) throws(IOError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { throw IOError(message: "interrupted") }
                throw IOError(message: "cannot read '\(name)': \(errorText())")
            }
            if n == 0 {
                if dropMark { droppingByteOrderMark(&result) }
                return result
            }
            if result.count + n > sizeLimit { throw tooLarge(name) }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    public static func errorText() -> String { String(cString: strerror(errno)) }

    /// The canonical absolute path, or the path itself when it does not exist.
    public static func canonical(_ path: String) -> String {
        guard let p = realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `relative` resolved against the directory of `base`, unless it is absolute.
    public static func resolve(_ relative: String, from base: String) -> String {
        relative.hasPrefix("/") ? relative : directory(of: base) + "/" + relative
    }

    /// The working directory (physical: symbolic links resolved); "/" if it cannot be had.
    public static var currentDirectory: String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// `path` (relative to `directory` unless absolute) as an absolute path without `.` and
    /// `..` segments, read lexically.
    public static func absolute(_ path: String, in directory: String) -> String {
        var parts: [Substring] = []
        for part in (path.hasPrefix("/") ? path : directory + "/" + path).split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// An absolute path as seen from `directory` (also absolute): `../` as needed.
    public static func relative(_ path: String, from directory: String) -> String {
        let (a, d) = (path.split(separator: "/"), directory.split(separator: "/"))
        var k = 0
        while k < a.count, k < d.count, a[k] == d[k] { k += 1 }
        let parts = Array(repeating: "..", count: d.count - k) + a[k...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether the canonical path `path` is the folder `root` or lies under it.
    public static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// Makes a folder and those above it, private to the user (as a cache should be).
    static func makeDirectories(_ path: String) -> Bool {
        var isDir = false
        if exists(path) { isDir = isDirectory(path); if !isDir { errno = ENOTDIR }; return isDir }
        let parent = directory(of: path)
        if parent != path, parent != "/", parent != "." { guard makeDirectories(parent) else { return false } }
        return mkdir(path, 0o700) == 0 || errno == EEXIST
    }

    /// A regular file's size and modification time (nanoseconds since 1970); nil when it is
    /// missing or not a regular file.
    static func sizeAndModified(_ path: String) -> (size: Int, modified: Int)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Int(info.st_size), Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec))
    }

    /// Whether `fd` is a pipe (or socket), whose reader can go away.
    public static func isPipe(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && ((st.st_mode & S_IFMT) == S_IFIFO || (st.st_mode & S_IFMT) == S_IFSOCK)
    }

    /// Whether the reading end of the pipe `fd` writes to is closed: poll reports an error
    /// condition on the writing end then, without writing anything.
    public static func readerHasLeft(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&p, 1, 0) > 0 && (p.revents & Int16(POLLERR | POLLHUP)) != 0
    }

    /// Why `read` would refuse the file, or nil when it would read it.
    public static func unreadable(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return "cannot open '\(path)': \(errno == ENOENT ? "no such file" : errorText())" }
        if (st.st_mode & S_IFMT) == S_IFDIR { return "'\(path)' is a directory" }
        if (st.st_mode & S_IFMT) != S_IFREG { return "'\(path)' is not a regular file (a device, FIFO or socket): kbq reads only files" }
        if st.st_size > sizeLimit { return tooLarge(path).message }
        if access(path, R_OK) != 0 { return "cannot open '\(path)': \(errorText())" }
        return nil
    }
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Entries of a directory (names only), sorted; empty when it cannot be read.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Returns the heap's free pages to the system (glibc's malloc_trim): a load leaves
    /// behind the memory of every parsed line, which would otherwise count as resident.
    public static func releaseFreeMemory() {
        _ = kbq_malloc_trim(0)
    }

    /// Sets glibc's malloc for loads and sessions (three settings, below).
    public static func configureHeap() {
        // Blocks of 4 MB and more out of the heap (M_MMAP_THRESHOLD, -3): each is mapped
        // on its own and unmapped when freed. Left alone, glibc raises the threshold as
        // large blocks are freed, and a load's columns and temporary arrays then share the
        // heap, where the holes they leave stay resident (1M statements: 117 MB resident
        // after the load, 100 MB with this). Smaller blocks stay in the heap, which reuses
        // them without faulting in fresh pages (with 256 KB the load took 9% longer).
        _ = kbq_mallopt(-3, Int32(largeBlock))
        // Fixing the mmap threshold also fixes the trim threshold, at 128 KB: the heap's
        // free top was then given back to the system at every free of a few hundred KB,
        // and each run of a query faulted its temporaries in again (counting statements per
        // `according_to`: 2.1 ms, or 2.9 when the heap's top happened to be free). The
        // end of a load still trims the heap (`releaseFreeMemory`).
        _ = kbq_mallopt(-1, Int32(trimThreshold))
        // And one heap for every thread (M_ARENA_MAX, -8). A worker thread's own arena is
        // trimmed only by its frees, past that threshold, never by `releaseFreeMemory`: a
        // load's workers left some 10 MB resident in theirs. Workers allocate a block of
        // lines at a time, so they seldom wait for the one heap's lock.
        _ = kbq_mallopt(-8, 1)
    }

    static let largeBlock = 4 << 20
    static let trimThreshold = 64 << 20

    // Not asked for: huge pages (MADV_HUGEPAGE) under large blocks. They made a warm load
    // faster (reading 1M statements' file: 0.029 -> 0.012 s), but after other programs
    // had freed much memory, as in the peer benchmark, the load took 0.50 s with them and
    // 0.45 without: this VM hands out memory freed in large blocks slowly.
}

@_silgen_name("malloc_trim") private func kbq_malloc_trim(_ pad: Int) -> Int32
@_silgen_name("mallopt") private func kbq_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
