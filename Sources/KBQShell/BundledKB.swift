#if canImport(Glibc)
import Glibc
#endif
import KBQ

/// Where the bundled knowledge base is: `$KBQ_KB`, else `kb/main.kb` beside or above the
/// executable (a build tree or an install), else the source tree this was built from.
enum BundledKB {
    static func path() -> String? {
        guard let found = find() else { return nil }
        return relativeToWorkingDirectory(found)
    }

    /// Shorter names in diagnostics and `why`: `kb/main.kb` when run from the project.
    static func relativeToWorkingDirectory(_ path: String) -> String {
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let prefix = String(cString: cwd) + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Relative to the program itself, never through the path it was built from (an
    /// installed copy must not depend on the build machine's tree): `PREFIX/bin/kbq` finds
    /// `PREFIX/share/kbq/kb/main.kb`, and `.build/debug/kbq` the project's `kb/main.kb`.
    static func find() -> String? {
        if let env = getenv("KBQ_KB"), env.pointee != 0 { return String(cString: env) }
        var dir = FileSystem.directory(of: FileSystem.canonical("/proc/self/exe"))
        for _ in 0..<6 {
            for candidate in [dir + "/share/kbq/kb/main.kb", dir + "/kb/main.kb"] where FileSystem.exists(candidate) {
                return candidate
            }
            dir = FileSystem.directory(of: dir)
        }
        return nil
    }
}

extension BundledKB {
    /// For a session whose named files leave out the bundled case: a note, for a name no
    /// entity has, when the bundled case's files use that name (read once, on the first
    /// such error), saying the case is not loaded and how to load both.
    /// Nothing is looked up until then: a script that never misses a name pays nothing.
    static func missingNameHint(named files: [String]) -> (String) -> String? {
        nonisolated(unsafe) var words: Set<Substring>? = nil
        return { name in
            guard let bundled = path() else { return nil }
            let folder = FileSystem.directory(of: bundled)
            if words == nil {
                var all = Set<Substring>()
                for f in FileSystem.list(folder) where f.hasSuffix(".kb") {
                    guard let bytes = try? FileSystem.read(folder + "/" + f) else { continue }
                    let text = String(decoding: bytes, as: UTF8.self)
                    for w in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) { all.insert(w) }
                }
                words = all
            }
            guard words!.contains(Substring(name)) else { return nil }
            let both = ([bundled] + files).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
            return "'\(name)' is in the bundled case, which is not loaded when a knowledge base is named; to load both: kbq \(both)"
        }
    }
}
