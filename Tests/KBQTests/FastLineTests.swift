import Foundation
@testable import KBQ
import Testing

/// The loader's fast path (FastLine, Loader+FastLines) must build exactly the store the full
/// parser builds, and fall back to it for everything else, errors included.
@Suite struct FastLineTests {
    static func exported(_ store: FactStore) throws -> String {
        var out = ""
        try NTriplesExporter.export(store, rules: store.rules) { out += $0 }
        return out
    }

    @Test func fastAndFullPathsBuildTheSameStore() throws {
        let file = Support.root + "/Tests/fixtures/fastlines.kb"
        let (fastResult, taken) = Loader.load(files: [file], into: FactStore(), fastLines: true)
        guard case .success(let fast) = fastResult else {
            Issue.record("fastlines.kb does not load")
            return
        }
        // The plain lines (21 statements, 9 entities), not the ones with escapes, comments,
        // decimals, keywords, non-ASCII names, `;`, `as`, leading blanks or continuations.
        #expect(taken == 30)
        guard case .success(let full) = Loader.load(files: [file], into: FactStore(), fastLines: false).0 else {
            Issue.record("fastlines.kb does not load without the fast path")
            return
        }
        #expect(fast.statementCount == full.statementCount)
        #expect(fast.statementCount >= 30)
        for i in 0..<min(fast.statementCount, full.statementCount) {
            let a = fast.statement(StatementID(i))
            let b = full.statement(StatementID(i))
            #expect(Display.statementText(StatementID(i), fast, withSource: true) == Display.statementText(StatementID(i), full, withSource: true))
            #expect(a.location == b.location && a.document == b.document && a.paragraph == b.paragraph && a.asserted == b.asserted && a.name == b.name, "statement \(i)")
        }
        #expect(try Self.exported(fast) == Self.exported(full))
    }

    @Test func errorsReadTheSameEitherWay() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-fastlines-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/bad.kb"
        try """
            type Document
            predicate knows
            key since : date
            entity Memo : Document "A memo" {paragraphs: 2}
            entity Ann : Document "Ann"
            entity Ann : Document "Ann again"
            entity Bea : Persn "Bea"
            entity Cy : Document "Cy" {alas: "C"}
            from Memo para 1
            Ann knows Bobby
            Ann knows Ann {since: 2020-13}
            Ann knows Ann {para: 5}
            Ann knowz Ann
            Ann knows Ann {sinc: 2020}
            Ann knows Ann {since: "soon"}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        guard case .failure(let fast) = Loader.load(files: [file], into: FactStore()),
            case .failure(let full) = Loader.load(files: [file], into: FactStore(), fastLines: false).0
        else {
            Issue.record("bad.kb loads")
            return
        }
        #expect(fast.render(color: false) == full.render(color: false))
        #expect(fast.errorCount == 9)
    }
}
