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
