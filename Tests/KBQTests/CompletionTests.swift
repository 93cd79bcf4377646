import KBQ
import Testing

@testable import KBQShell

/// TAB completion, as the REPL computes it (the pseudo-terminal test checks the wiring).
@Suite struct CompletionTests {
    nonisolated(unsafe) static let session: Session = {
        let s = Session(stdout: TextOutput(fd: 1), stderr: TextOutput(fd: 2), mode: .tsv)
        s.load(files: [Support.root + "/kb/main.kb"])
        return s
    }()

    func complete(_ line: String) -> [String] { REPL.completions(line, session: Self.session) }

    @Test func keywordsPredicatesAndEntities() {
        #expect(complete("fi").contains("find"))
        #expect(complete("find ?x wh").contains("where"))
        #expect(complete("find ?x where ?x spea") == ["speaks_for"])
        #expect(complete("find ?x where Omar_") == ["Omar_Radi"])
        #expect(complete("find ?x where ?x is_a Gover").contains("Government"))
    }

    @Test func labelsInBackticks() {
        #expect(complete("find ?x where `Danna") == ["`Danna Ingleton`"])
    }

    @Test func variablesFieldsAndKeys() {
        #expect(complete("find ?who where ?who claims _ as ?s, ?w") == ["?who"])
        #expect(complete("find ?s.qu").contains("?s.quote"))
        #expect(complete("find ?x where ?x claims ?p {da").contains("date:"))
    }

    @Test func dotCommandsAndFiles() {
        #expect(complete(".hel") == [".help"])
        #expect(complete(".read kb/quer") == ["kb/queries/"])
        #expect(complete(".load kb/ent") == ["kb/entities.kb"])
        // A name with spaces is inserted as a shell reads it, and read back so.
        #expect(complete(".read Tests/fixtures/dir") == ["Tests/fixtures/dir\\ with\\ space/"])
        #expect(complete(".read Tests/fixtures/dir\\ with\\ space/q") == ["Tests/fixtures/dir\\ with\\ space/q\\ 1.kbq"])
    }

    /// A label is completed whole, spaces and all; a key where a key goes.
    @Test func labelsWithSpacesAndKeysInBraces() {
        #expect(Completion.currentWord("find ?x where ?x works_for `Amnesty T") == "`Amnesty T")
        #expect(complete("find ?x where ?x works_for `Amnesty T") == ["`Amnesty Tech`"])
        #expect(complete("find ?x where ?x claims _ {da").allSatisfy { $0.hasSuffix(":") })
        #expect(complete("find ?x where ?x claims _ {da") == ["date:"])
        #expect(complete("find ?x where ?x claims _ {date: 2020, quo") == ["quote:"])
        #expect(complete("find ?x where ?x claims _ {source: Art").contains("Article"))
    }

    /// After a setting's command, its values: `.mode j` is a mode, not `judge_at`.
    @Test func settingsCompleteTheirValues() {
        #expect(complete(".mode j") == ["json", "jsonl"])
        #expect(complete(".mode ") == OutputMode.allCases.map(\.rawValue).sorted())
        #expect(complete(".headers o") == ["off", "on"])
        #expect(complete(".help de") == ["describe"])
        #expect(complete(".param u") == ["unset"])
    }
}
