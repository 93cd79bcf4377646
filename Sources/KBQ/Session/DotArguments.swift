#if canImport(Glibc)
import Glibc
#endif

/// The arguments of a dot-command, split and unquoted as a POSIX shell splits words (what
/// TAB completion inserts and what sqlite3 users type): blanks separate words; '...' is
/// taken as it is; "..." as it is but for \" \\ \$ \`; a backslash outside quotes takes the
/// next character as it is; `~` or `~/` at the start of an unquoted word is $HOME.
enum DotArguments {
    struct Failure: Error { let message: String }

    static func split(_ text: String) -> Result<[String], Failure> {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        var atWordStart = true
        let chars = Array(text)
        var i = 0
        func expandTilde() {
            // `~` alone or `~/...`: the home folder (not `~user`, which needs the user table).
            guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return }
            if i + 1 == chars.count || chars[i + 1] == "/" || chars[i + 1] == " " || chars[i + 1] == "\t" {
                word += home
                inWord = true
                i += 1
            }
        }
        while i < chars.count {
            let c = chars[i]
            if escaped {
                word.append(c)
                escaped = false
                inWord = true
            } else if let q = quote {
                if c == q {
                    quote = nil
                } else if q == "\"" && c == "\\" && i + 1 < chars.count && "\"\\$`".contains(chars[i + 1]) {
                    word.append(chars[i + 1])
                    i += 1
                } else {
                    word.append(c)
                }
            } else if c == " " || c == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
                atWordStart = true
                i += 1
                continue
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == "\\" {
                escaped = true
            } else if c == "~" && atWordStart {
                let before = i
                expandTilde()
                if i != before { atWordStart = false; continue }
                word.append(c)
                inWord = true
            } else {
                word.append(c)
                inWord = true
            }
            atWordStart = false
            i += 1
        }
        if let q = quote { return .failure(Failure(message: "unterminated \(q == "'" ? "single" : "double") quote")) }
        if escaped { word.append("\\") }
        if inWord { words.append(word) }
        return .success(words)
    }
}
