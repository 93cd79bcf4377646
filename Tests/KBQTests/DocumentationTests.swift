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

    /// The README's code blocks of one kind (```kbq, ```kb, ```console).
    static func readmeBlocks(_ kind: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]? = nil
        for line in Support.read("README.md").split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil && line == "```" + kind { current = [] } else if current != nil && line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil { current!.append(line) }
        }
        return blocks
    }

    /// Every ```console block: `$ kbq ...` then exactly what it prints (stdout and stderr).
    @Test func readmeConsoleExamplesPrintWhatTheySay() throws {
        let blocks = Self.readmeBlocks("console")
        #expect(!blocks.isEmpty)
        for b in blocks {
            let lines = b.split(separator: "\n", omittingEmptySubsequences: false)
            let command = String(lines[0].dropFirst(2))
            #expect(command.hasPrefix("kbq "))
            let r = try Support.run("/bin/sh", ["-c", "'\(Support.binary)'" + command.dropFirst(3) + " 2>&1"])
            #expect(r.stdout == lines.dropFirst().joined(separator: "\n") + "\n", "\(command)")
        }
    }

    /// Every ```kb block is a valid knowledge-base text, item by item.
    @Test func readmeKnowledgeBaseExamplesParse() throws {
        let blocks = Self.readmeBlocks("kb")
        #expect(!blocks.isEmpty)
        for b in blocks {
            for line in b.split(separator: "\n") {
                #expect(throws: Never.self, "\(line)") { _ = try Parser.parseKBItem(SourceText(name: "README", text: String(line))) }
            }
        }
    }

    /// Every ```kbq block of the README runs on the bundled case without error.
    @Test func readmeExamplesRun() throws {
        let blocks = Self.readmeBlocks("kbq")
        #expect(blocks.count >= 5)
        for b in blocks {
            let r = try Support.kbq(["-"], stdin: b)
            #expect(r.status == 0, "\(b): \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(b)")
        }
    }
}
