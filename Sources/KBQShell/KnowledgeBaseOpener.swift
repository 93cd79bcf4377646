#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import KBQ

/// Opens the knowledge base named on the command line: an image named by the user, the
/// cached image of the files when it is current, or the text (whose image is then written
/// to the cache in the background, while the first answer is computed).
final class KnowledgeBaseOpener {
    private let args: Arguments
    private let session: Session
    private let stderr: TextOutput
    private let saving = DispatchGroup()
    /// Written by the thread that saves the image, read after `saving` is waited for.
    private final class SaveResult: @unchecked Sendable { var warning: String? = nil }
    private let saved = SaveResult()

    init(args: Arguments, session: Session, stderr: TextOutput) {
        self.args = args
        self.session = session
        self.stderr = stderr
    }

    /// This kbq, as images record their writer: its version and its executable's size and
    /// time, so that a rebuilt kbq (which may load text differently) never reads an image
    /// an older one wrote.
    static let writer: String = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return KBQMain.version }
        return "\(KBQMain.version) (build \(info.st_size)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec))"
    }()

    /// Loads `files` into the session; an exit status when the run must end.
    func open(_ files: [String]) -> Int32? {
        if let image = files.first(where: ImageFile.looksLikeImage) {
            guard files.count == 1, !args.compile else {
                warn("error: \(image) is an image: open it alone, and compile knowledge-base text, not an image")
                return 2
            }
            return openImage(image)
        }
        // --safe reads the text, where includes are confined (a cached image may have been
        // built without that).
        let cache = args.noCache || args.safe || (args.compile && args.output != nil)
            ? nil : ImageCache.defaultDirectory().map { ImageCache(directory: $0, writer: KnowledgeBaseOpener.writer) }
        if let cache, !args.compile {
            switch cache.lookup(files, verify: args.verify) {
            case .hit(let store, let path, _):
                if session.use(store, origin: "\(files.joined(separator: " ")) (from the cached image \(path))") == .ok { return nil }
                // Rules that no longer compile with this store: the text says why.
            case .miss(let reason):
                if let reason { warn("warning: " + reason) }
            }
        }
        guard session.load(files: files) == .ok else { return 1 }
        session.origin = files.joined(separator: " ") + " (from the text)"
        if args.compile {
            if let output = args.output {
                do {
                    let identity = try ImageFile.write(session.store, writer: KnowledgeBaseOpener.writer, to: output, durable: true)
                    // Written from the text just loaded: sealed, so opening it here checks no column.
                    if let identity, !args.noCache, let directory = ImageCache.defaultDirectory() {
                        ImageSeals(directory: directory, writer: KnowledgeBaseOpener.writer).seal(output, identity)
                    }
                } catch {
                    warn("error: \(error.message)")
                    return 2
                }
            } else {
                guard let cache else {
                    warn("error: no cache folder (set XDG_CACHE_HOME or HOME), and no -o IMAGE to write")
                    return 2
                }
                if let problem = cache.save(session.store, files: files) {
                    warn("error: " + problem)
                    return 2
                }
            }
            return 0
        }
        if let cache {
            let (store, saving, saved) = (session.store, saving, saved)
            saving.enter()
            DispatchQueue.global().async {
                saved.warning = cache.save(store, files: files)
                saving.leave()
            }
        }
        return nil
    }

    private func openImage(_ path: String) -> Int32? {
        do {
            // --safe trusts nothing cached: not even a seal of what was checked before.
            let seals = args.noCache || args.safe
                ? nil : ImageCache.defaultDirectory().map { ImageSeals(directory: $0, writer: KnowledgeBaseOpener.writer) }
            let (store, header) = try ImageFile.open(path, verify: args.verify, seals: seals)
            if let root = session.safeRoot, let outside = header.sources.first(where: { !FileSystem.isInside($0.path, FileSystem.canonical(root)) }) {
                warn("error: --safe: \(path) was built from \(outside.path), outside \(root), the folder of the knowledge base opened")
                return 2
            }
            let sources = header.sources.count == 1 ? "1 file" : "\(header.sources.count) files"
            return session.use(store, origin: "\(path) (an image written by \(header.writer) from \(sources))") == .ok ? nil : 1
        } catch {
            warn("error: \(path): \(error.message)")
            return 2
        }
    }

    /// Waits for the cache image being written, and says once if it could not be.
    func finish() {
        saving.wait()
        if let warning = saved.warning { warn("warning: " + warning) }
    }

    private func warn(_ text: String) {
        try? stderr.write("kbq: \(text)\n")
        try? stderr.flush()
    }
}
