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
        let name = files.last.map { FileSystem.canonical($0).split(separator: "/").last.map(String.init) ?? "kb" } ?? "kb"
        return directory + "/" + ImageCache.fileName(name, key: key, suffix: ".kbqi")
    }

    /// A cache file's name: `name` made safe and short, a hash of `key` (what the file is
    /// for), `suffix`.
    static func fileName(_ name: String, key: String, suffix: String) -> String {
        let hash = Array(key.utf8).withUnsafeBytes { ImageFormat.checksum($0) }
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(40))
        return safe + "-" + String(hash, radix: 16) + suffix
    }

    /// Where this cache's seals are kept: beside its images.
    public var seals: ImageSeals { ImageSeals(directory: directory, writer: writer) }

    public enum Lookup {
        /// The store, from the image at `path`; `checked`: its columns were checked whole
        /// now (it had no seal that still holds, or `verify` asked for it).
        case hit(FactStore, path: String, checked: Bool)
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
            let sealed = !verify && mapping.identity.map { seals.holds(path, $0) } == true
            var store = try mapping.store(header, sealed: sealed)
            store.renameFiles(header.fileNames(given: files))
            if !sealed, let identity = mapping.identity { seals.seal(path, identity) }
            return .hit(store, path: path, checked: !sealed)
        } catch {
            // An earlier kbq's format is stale by design, as another kbq's image is.
            if error.isOtherVersion { return .miss(reason: nil) }
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
            // Built from the store this kbq loaded: sealed as it is written.
            let path = imagePath(for: files)
            if let identity = try ImageFile.write(store, writer: writer, to: path, durable: false) { seals.seal(path, identity) }
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
            // Images' and seals' temporaries alike.
            let parts = name.split(separator: ".kbqi.tmp-", maxSplits: 1).count == 2
                ? name.split(separator: ".kbqi.tmp-", maxSplits: 1) : name.split(separator: ".seal.tmp-", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let pid = parts[1].prefix { $0.isNumber }
            guard let p = Int32(pid), p != getpid(), kill(p, 0) != 0, errno == ESRCH else { continue }
            unlink(directory + "/" + name)
        }
    }
}

extension ImageFile {
    /// The store in an image named by the user (`kbq case.kbqi`), with its header. Unless
    /// `seals` holds a seal of the file as it is, its columns are checked whole (and the
    /// file sealed): its checksums too with `verify`, and whenever a file it was built from
    /// is gone (a shared image, most likely: nothing else could tell its damage).
    public static func open(_ path: String, verify: Bool, seals: ImageSeals? = nil) throws(ImageError) -> (FactStore, Header) {
        let mapping = try Mapping.open(path, verify: verify)
        let header = try mapping.header()
        let sealed = !verify && seals != nil && mapping.identity.map { seals!.holds(path, $0) } == true
        if !sealed, !verify, !header.sources.allSatisfy({ FileSystem.exists($0.path) }) { try mapping.verify() }
        var store = try mapping.store(header, sealed: sealed)
        store.renameFiles(header.fileNames(given: []))
        if !sealed, let seals, let identity = mapping.identity { seals.seal(path, identity) }
        return (store, header)
    }
}
