import Foundation
import KBQ
import Testing

/// The grammar's and the README's examples are run, so neither can rot.
@Suite struct DocumentationTests {
    static func examples(_ file: String, marker: String) -> [String] {
        Support.read(file).split(separator: "\n").compactMap { line in
            guard line.hasPrefix("(* \(marker): "), line.hasSuffix(" *)") else { return nil }
            return String(line.dropFirst(marker.count + 5).dropLast(3))
        }
    }

    @Test func queryGrammarExamplesRun() throws {
        let examples = Self.examples("grammar/query.ebnf", marker: "example")
        #expect(examples.count >= 10)
        for e in examples {
            let r = try Support.kbq(["-"], stdin: e)
            #expect(r.status == 0, "\(e): \(r.stderr)")
        }
    }

    @Test func kbGrammarExamplesParse() throws {
        let examples = Self.examples("grammar/kb.ebnf", marker: "example-kb")
        #expect(examples.count >= 8)
        for e in examples {
            #expect(throws: Never.self, "\(e)") { _ = try Parser.parseKBItem(SourceText(name: "ex", text: e)) }
        }
    }

    /// Every ```kbq block of the README runs on the bundled case without error.
    @Test func readmeExamplesRun() throws {
        let readme = Support.read("README.md")
        var blocks: [String] = []
        var current: [Substring]? = nil
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil && line == "```kbq" { current = [] } else if current != nil && line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil { current!.append(line) }
        }
        #expect(blocks.count >= 5)
        for b in blocks {
            let r = try Support.kbq(["-"], stdin: b)
            #expect(r.status == 0, "\(b): \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(b)")
        }
    }
}
