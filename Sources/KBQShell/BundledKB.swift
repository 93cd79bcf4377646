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

    static func find() -> String? {
        if let env = getenv("KBQ_KB") { return String(cString: env) }
        var dir = FileSystem.directory(of: FileSystem.canonical("/proc/self/exe"))
        for _ in 0..<6 {
            for candidate in [dir + "/kb/main.kb", dir + "/share/kbq/kb/main.kb"] where FileSystem.exists(candidate) {
                return candidate
            }
            dir = FileSystem.directory(of: dir)
        }
        let source = FileSystem.directory(of: FileSystem.directory(of: FileSystem.directory(of: #filePath))) + "/kb/main.kb"
        return FileSystem.exists(source) ? source : nil
    }
}
