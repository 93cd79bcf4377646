#if canImport(Glibc)
import Glibc
#endif

/// The user's start-up file, as `.sqliterc` and `.psqlrc`: settings, parameters and rules
/// run before the first prompt of a session.
enum StartupFile {
    /// `$XDG_CONFIG_HOME/kbq/kbqrc`, or `~/.config/kbq/kbqrc`.
    static func defaultPath() -> String? {
        if let config = getenv("XDG_CONFIG_HOME"), config.pointee != 0 { return String(cString: config) + "/kbq/kbqrc" }
        guard let home = getenv("HOME"), home.pointee != 0 else { return nil }
        return String(cString: home) + "/.config/kbq/kbqrc"
    }
}
