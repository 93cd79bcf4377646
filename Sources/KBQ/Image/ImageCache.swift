#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Images of the knowledge bases a user opens, kept in `$XDG_CACHE_HOME/kbq/` (default
/// `~/.cache/kbq/`), one per list of files named on the command line: the second run on
/// the same files opens the image instead of parsing the text.
///
/// An image is used only when it was written by this very kbq (`writer`) and every file
/// it was loaded from is unchanged (`SourceStamp.isCurrent`); otherwise the text is loaded
/// and the image written again. Nothing here ever fails a run: a cache that cannot be
/// read or written is reported in one line, and the text is used.
public struct ImageCache: Sendable {
    public let directory: String
    /// Identifies the kbq that writes and reads the images (its version and build): a kbq
    /// that may load text differently never uses another's image.
    public let writer: String

    public init(directory: String, writer: String) {
        self.directory = directory
        self.writer = writer
    }

    /// `$XDG_CACHE_HOME/kbq`, or `$HOME/.cache/kbq`; nil when neither is set.
    public static func defaultDirectory() -> String? {
        if let xdg = getenv("XDG_CACHE_HOME").map({ String(cString: $0) }), xdg.hasPrefix("/") { return xdg + "/kbq" }
        if let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty { return home + "/.cache/kbq" }
        return nil
    }

    /// The image of a list of knowledge-base files: named by a hash of their canonical paths.
    public func imagePath(for files: [String]) -> String {
        let key = files.map(FileSystem.canonical).joined(separator: "\u{0}")
        let hash = Array(key.utf8).withUnsafeBytes { ImageFormat.checksum($0) }
        let name = files.last.map { FileSystem.canonical($0).split(separator: "/").last.map(String.init) ?? "kb" } ?? "kb"
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(40))
        return directory + "/" + safe + "-" + String(hash, radix: 16) + ".kbqi"
    }

    public enum Lookup {
        /// The store, from the image at `path`.
        case hit(FactStore, path: String)
        /// No usable image; `reason` says why when there was one (damaged, stale by design
        /// is silent).
        case miss(reason: String?)
    }

    /// The store of `files` from its image, when there is a current one.
    public func lookup(_ files: [String], verify: Bool = false) -> Lookup {
        let path = imagePath(for: files)
        guard FileSystem.exists(path) else { return .miss(reason: nil) }
        do {
            let mapping = try ImageFile.Mapping.open(path, verify: verify)
            let header = try mapping.header()
            // Another kbq's image, or sources changed since: rebuilt, as expected.
            guard header.writer == writer, header.sources.allSatisfy({ $0.isCurrent() }) else { return .miss(reason: nil) }
            return .hit(try mapping.store(header), path: path)
        } catch {
            return .miss(reason: "the cached image \(path) is not usable (\(error.message)); loading the text")
        }
    }

    /// Writes the image of `files`; the reason when it could not be written.
    public func save(_ store: FactStore, files: [String]) -> String? {
        guard FileSystem.makeDirectories(directory) else {
            return "cannot create the cache folder \(directory): \(FileSystem.errorText()); the knowledge base is not cached"
        }
        removeAbandonedTemporaries()
        do {
            try ImageFile.write(store, writer: writer, to: imagePath(for: files), durable: false)
            return nil
        } catch {
            return "cannot write the cache image: \(error.message)"
        }
    }

}

extension ImageCache {
    /// Removes the temporary files of writers that were killed (`NAME.tmp-PID-N`, whose
    /// process is gone): a kill leaves no chance to remove them, and they would pile up.
    func removeAbandonedTemporaries() {
        for name in FileSystem.list(directory) {
            let parts = name.split(separator: ".kbqi.tmp-", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let pid = parts[1].prefix { $0.isNumber }
            guard let p = Int32(pid), p != getpid(), kill(p, 0) != 0, errno == ESRCH else { continue }
            unlink(directory + "/" + name)
        }
    }
}

extension ImageFile {
    /// The store in an image named by the user (`kbq case.kbqi`), with its header. Its
    /// checksums are checked with `verify`, and whenever a file it was built from is gone
    /// (a shared image, most likely: nothing else could tell its damage).
    public static func open(_ path: String, verify: Bool) throws(ImageError) -> (FactStore, Header) {
        let mapping = try Mapping.open(path, verify: verify)
        let header = try mapping.header()
        if !verify, !header.sources.allSatisfy({ FileSystem.exists($0.path) }) { try mapping.verify() }
        return (try mapping.store(header), header)
    }
}
