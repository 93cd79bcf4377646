import Foundation
import Testing

@testable import KBQ

/// Dot-command arguments are words as a POSIX shell makes them; `/bin/sh` itself is the
/// oracle (it prints each word it makes on a line of its own).
@Suite struct DotArgumentsTests {
    static func shell(_ text: String) throws -> [String] {
        let r = try Support.run("/bin/sh", ["-c", "for w in \(text); do printf '%s\\n' \"$w\"; done"])
        return r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test(arguments: [
        "plain words", "'my file.kbq'", "\"a b\" c", "a\\ b", "'it''s'", "\"say \\\"hi\\\"\"", "\"back\\\\slash\"",
        "'|wc -l'", "  spaced   out  ", "mixed'quo ted'\"and more\"", "~", "~/notes.kbq", "'~/quoted'", "a~b",
        "\"$HOME\"x",
    ])
    func wordsAreTheShells(_ text: String) throws {
        guard case .success(let words) = DotArguments.split(text) else {
            Issue.record("\(text) was refused")
            return
        }
        // `$HOME` inside double quotes is the shell's expansion, which kbq does not make.
        if text.contains("$") { #expect(words == ["$HOMEx"]); return }
        #expect(words == (try DotArgumentsTests.shell(text)), "\(text)")
    }

    @Test func unterminatedQuotesAreErrors() {
        for text in ["'open", "\"open", "a 'b"] {
            guard case .failure(let f) = DotArguments.split(text) else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(f.message.hasPrefix("unterminated"))
        }
    }
}
