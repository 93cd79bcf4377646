#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which image files this kbq has checked whole (or written itself), so that opening one
/// again reads its counts, not its data: the checks that read every column cost more than
/// everything else an open does, and grow with the store.
///
/// A seal names a file by its identity: device, inode, size, and modification and change
/// times to the nanosecond. Any write to the file, or a file put in its place, changes the
/// change time (which no user can set: the kernel stamps it with the clock), so a file
/// changed in any way since it was sealed is checked whole again, then sealed anew. What a
/// seal cannot see is a change below the file system (a disk that flips a bit under it);
/// `--verify` checks everything, seal or not.
///
/// Seals live in the user's own cache folder, one small file per image path, written
/// atomically; one that cannot be read or written only costs the checks.
public struct ImageSeals: Sendable {
    public let directory: String
    /// The kbq that checked the file: another kbq's checks may differ, so its seals do not
    /// count.
    public let writer: String

    public init(directory: String, writer: String) {
        self.directory = directory
        self.writer = writer
    }

    /// What a seal records of a file: device, inode, size, modification and change times.
    public struct Identity: Equatable, Sendable {
        let fields: [Int64]

        init(_ info: stat) {
            fields = [
                Int64(bitPattern: UInt64(info.st_dev)), Int64(bitPattern: UInt64(info.st_ino)), Int64(info.st_size),
                Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_ctim.tv_sec), Int64(info.st_ctim.tv_nsec),
            ]
        }

        /// The identity of the file open as `fd`; nil when it cannot be had.
        static func of(fd: Int32) -> Identity? {
            var info = stat()
            return fstat(fd, &info) == 0 ? Identity(info) : nil
        }

        /// The identity of the file at `path` now; nil when it cannot be had.
        static func of(path: String) -> Identity? {
            var info = stat()
            return stat(path, &info) == 0 ? Identity(info) : nil
        }

        /// The change time, as (seconds, nanoseconds).
        var changed: (Int64, Int64) { (fields[5], fields[6]) }
    }

    /// The seal file of the image at `path` (by its canonical path).
    func sealPath(of path: String) -> String {
        let canonical = FileSystem.canonical(path)
        let name = canonical.split(separator: "/").last.map(String.init) ?? "image"
        return directory + "/" + ImageCache.fileName(name, key: canonical, suffix: ".seal")
    }

    /// The seal's text: a first line that says what it is, the writer, the identity.
    private func text(_ identity: Identity) -> String {
        "kbq image seal 1\n\(writer)\n" + identity.fields.map(String.init).joined(separator: " ") + "\n"
    }

    /// Whether the image at `path`, whose mapped file has `identity`, was sealed by this kbq
    /// as it is now.
    public func holds(_ path: String, _ identity: Identity) -> Bool {
        guard let bytes = try? FileSystem.read(sealPath(of: path), upTo: 4096) else { return false }
        return bytes.elementsEqual(text(identity).utf8)
    }

    /// Records that the image at `path` with `identity` was checked whole (or written by
    /// this kbq). Best effort: a seal that cannot be written only costs the next open its
    /// checks.
    public func seal(_ path: String, _ identity: Identity) {
        guard ImageSeals.changeTimeHasPassed(identity.changed), Identity.of(path: path) == identity,
            FileSystem.makeDirectories(directory) else { return }
        let target = sealPath(of: path)
        let temporary = target + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let bytes = Array(text(identity).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written != bytes.count || rename(temporary, target) != 0 { unlink(temporary) }
    }

    /// Waits (a clock tick at most) until a change to a file can no longer be stamped with
    /// the change time `changed`; false if it does not come. A kernel that stamps changes
    /// with its coarse clock would give a write in the same tick as the one sealed the same
    /// identity, trusted unchecked: so while the coarse clock still reads `changed`, wait.
    /// Once it reads later, every later change has a later stamp. When it reads earlier, the
    /// stamp is finer than the coarse clock: the file system stamps changes finely (Linux's
    /// multigrain timestamps), and a change after the stamp was looked at (the identity was
    /// taken with `stat`) gets a later one. The caller then looks at the file again.
    static func changeTimeHasPassed(_ changed: (Int64, Int64)) -> Bool {
        var now = timespec()
        for _ in 0..<400 {
            clock_gettime(CLOCK_REALTIME_COARSE, &now)
            if (Int64(now.tv_sec), Int64(now.tv_nsec)) != changed { return true }
            usleep(250)
        }
        return false
    }
}
