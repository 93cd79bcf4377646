#if canImport(Glibc)
import Glibc
#endif
import CKBQShim
import CLibEdit
import KBQ

/// libedit behind a small interface: read a line with a prompt, keep history, complete.
/// Only used when stdin and stdout are terminals.
final class LineEditor {
    enum Input {
        case line(String)
        case interrupted
        case endOfInput
    }

    let editor: OpaquePointer
    let history: OpaquePointer
    let historyPath: String?
    /// False when the history file exists but is not libedit's: it is then left untouched.
    var historyWritable = true

    init?(historyPath: String?, historySize: Int32 = 1000, complete: @escaping (String) -> [String]) {
        kbq_set_locale()
        guard let el = kbq_el_open("kbq"), let h = kbq_history_open(historySize) else { return nil }
        editor = el
        history = h
        self.historyPath = historyPath
        kbq_el_set_history(el, h)
        Completion.provider = complete
        kbq_el_set_completer(el, Completion.callback)
        loadHistory()
    }

    deinit {
        history_end(history)
        el_end(editor)
    }

    func loadHistory() {
        guard let path = historyPath, FileSystem.exists(path) else { return }
        let bytes = (try? FileSystem.read(path)) ?? []
        if bytes.isEmpty { return }
        guard bytes.starts(with: Array("_HiStOrY_V2_".utf8)) else {
            historyWritable = false
            try? TextOutput(fd: 2).write("kbq: warning: '\(path)' is not a kbq history file; it is left as it is and this session's history is not saved\n")
            return
        }
        _ = kbq_history_load(history, path)
    }

    func readLine(prompt: String) -> Input {
        kbq_el_set_prompt(prompt)
        var count: Int32 = 0
        errno = 0
        guard let raw = el_gets(editor, &count) else {
            // Ctrl-C: a new prompt. Any other failure (EIO: the terminal is gone, its
            // window closed) ends the session: taken as an interrupt, the prompt was
            // written again at once, and again, a core spinning for ever.
            if errno == EINTR || kbq_interrupt_pending() != 0 { return .interrupted }
            return .endOfInput
        }
        if kbq_interrupt_pending() != 0 && count <= 0 { return .interrupted }
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// Adds one entry (a whole statement, even over several lines) and saves the file, so
    /// history survives a session that is killed.
    func remember(_ entry: String) {
        let trimmed = entry.trimmingTrailingWhitespace()
        guard !trimmed.isEmpty else { return }
        _ = kbq_history_enter(history, trimmed)
        save()
    }

    /// Saves the history without ever leaving it half-written: libedit writes a temporary
    /// file in the same folder, which is flushed to disk and renamed over the history, so a
    /// kill at any moment leaves the old file or the new one. A symbolic link is followed
    /// only to an existing regular file (a dangling one would create its target somewhere
    /// else); a directory, a dangling link or anything else at the path is warned about
    /// once and the session's history is not saved.
    func save() {
        guard historyWritable, let path = historyPath else { return }
        LineEditor.makeDirectories(FileSystem.directory(of: path))
        var target = path
        var st = stat()
        if lstat(path, &st) == 0 {
            var kind = st.st_mode & S_IFMT
            if kind == S_IFLNK {
                guard stat(path, &st) == 0 else { return refuseToSave(path, "is a symbolic link to nothing") }
                target = FileSystem.canonical(path)
                kind = st.st_mode & S_IFMT
            }
            if kind == S_IFDIR { return refuseToSave(path, "is a directory") }
            if kind != S_IFREG { return refuseToSave(path, "is not a regular file") }
        }
        let temporary = FileSystem.directory(of: target) + "/.kbq-history.\(getpid()).tmp"
        guard kbq_history_save(history, temporary) >= 0 else {
            unlink(temporary)
            return refuseToSave(path, "cannot be written (\(FileSystem.errorText()))")
        }
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fchmod(fd, 0o600)
            _ = fsync(fd)
            close(fd)
        }
        if rename(temporary, target) != 0 {
            unlink(temporary)
            refuseToSave(path, "cannot be replaced (\(FileSystem.errorText()))")
        }
    }

    func refuseToSave(_ path: String, _ why: String) {
        historyWritable = false
        try? TextOutput(fd: 2).write("kbq: warning: the history file '\(path)' \(why): this session's history is not saved\n")
    }

    static func makeDirectories(_ path: String) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            mkdir(current, 0o700)
        }
    }

    /// `$XDG_STATE_HOME/kbq/history`, or `~/.local/state/kbq/history`.
    static func defaultHistoryPath() -> String? {
        if let state = getenv("XDG_STATE_HOME"), state.pointee != 0 {
            return String(cString: state) + "/kbq/history"
        }
        guard let home = getenv("HOME") else { return nil }
        return String(cString: home) + "/.local/state/kbq/history"
    }
}

/// TAB completion: libedit calls a C function, which reaches the session's word list here.
enum Completion {
    nonisolated(unsafe) static var provider: ((String) -> [String])? = nil

    static let callback: kbq_complete_fn = { el, _ in
        guard let el, let info = el_line(el) else { return UInt8(CC_ERROR) }
        let start = info.pointee.buffer!
        let cursor = info.pointee.cursor!
        let before = String(decoding: UnsafeRawBufferPointer(start: start, count: cursor - start), as: UTF8.self)
        let word = Completion.currentWord(before)
        let choices = provider?(before) ?? []
        if choices.isEmpty { return UInt8(CC_REFRESH_BEEP) }
        if choices.count == 1 {
            let rest = String(choices[0].dropFirst(word.count))
            _ = el_insertstr(el, rest + (choices[0].hasSuffix("/") ? "" : " "))
            return UInt8(CC_REFRESH)
        }
        let common = Completion.commonPrefix(choices)
        if common.count > word.count {
            _ = el_insertstr(el, String(common.dropFirst(word.count)))
            return UInt8(CC_REFRESH)
        }
        var text = "\n"
        for c in choices.prefix(200) { text += c + "\n" }
        if choices.count > 200 { text += "... and \(choices.count - 200) more\n" }
        let out = TextOutput(fd: 1, lineBuffered: false)
        try? out.write(text)
        try? out.flush()
        return UInt8(CC_REDISPLAY)
    }

    /// The word being typed: back to a space or a bracket, or, inside a `label` still open,
    /// back to its backtick (a label has spaces).
    static func currentWord(_ before: String) -> String {
        if before.filter({ $0 == "`" }).count % 2 == 1, let open = before.lastIndex(of: "`") {
            return String(before[open...])
        }
        var word = ""
        var chars = Array(before)
        while let c = chars.last {
            // A space escaped with a backslash (a file name as TAB inserts it) is in the word.
            if c == " ", chars.count >= 2, chars[chars.count - 2] == "\\" {
                word.insert(contentsOf: "\\ ", at: word.startIndex)
                chars.removeLast(2)
                continue
            }
            if c == " " || c == "\t" || c == "[" || c == "(" || c == "{" || c == "," || c == "\n" { break }
            word.insert(c, at: word.startIndex)
            chars.removeLast()
        }
        return word
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first.map(Array.init) else { return "" }
        for w in words.dropFirst() {
            let a = Array(w)
            var n = 0
            while n < prefix.count && n < a.count && prefix[n] == a[n] { n += 1 }
            prefix = Array(prefix[..<n])
        }
        return String(prefix)
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = self
        while let last = s.last, last == " " || last == "\n" || last == "\t" { s.removeLast() }
        return s
    }
}
