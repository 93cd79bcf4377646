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
        // The plain lines (23 statements, 9 entities), not the ones with escapes, comments,
        // decimals, keywords, non-ASCII names, `;`, `as`, leading blanks or continuations.
        #expect(taken == 32)
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
        Self.expectSameEntities(fast, full)
    }

    /// The errors of loading `file` with and without the fast path (nil, recorded, when
    /// either loads), their rendering compared.
    static func errorsBothWays(_ file: String) -> (fast: DiagnosticList, full: DiagnosticList)? {
        guard case .failure(let fast) = Loader.load(files: [file], into: FactStore()),
            case .failure(let full) = Loader.load(files: [file], into: FactStore(), fastLines: false).0
        else {
            Issue.record("\(file) loads")
            return nil
        }
        #expect(fast.render(color: false) == full.render(color: false))
        return (fast, full)
    }

    /// Entities declared from the bytes read exactly as those declared through the parser.
    static func expectSameEntities(_ fast: FactStore, _ full: FactStore) {
        #expect(fast.entities.count == full.entities.count)
        for i in 0..<min(fast.entities.count, full.entities.count) {
            let (a, b) = (fast.entities[i], full.entities[i])
            #expect(a.id == b.id && a.label == b.label && a.aliases == b.aliases && a.types == b.types, "entity \(a.id)")
            #expect(a.description == b.description && a.paragraphs == b.paragraphs && a.iri == b.iri, "entity \(a.id)")
            #expect(a.declaredAt == b.declaredAt, "entity \(a.id)")
            #expect(fast.entities(named: a.label) == full.entities(named: b.label), "entity \(a.id)")
            for alias in a.aliases { #expect(fast.entities(named: alias.uppercased()) == [EntityID(i)], "\(alias)") }
        }
    }

    /// Entity lines are read ahead on another core in chunks (EntityScans): across chunk
    /// boundaries, with plain lines, others that take the slower ways, and a duplicate in
    /// a later chunk, the store and the errors are those of the full parser.
    @Test func entitiesReadAheadInChunksBuildTheSameStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-entities-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var text = "type Person\ntype Group\ntype Document\npredicate knows\nentity Doc : Document \"Doc\"\n"
        let count = EntityScans.chunkSize * 2 + 500
        for i in 0..<count {
            switch i % 7 {
            case 0: text += "entity e\(i) : Person \"Person \(i)\" {alias: \"P\(i)\", alias: \"Q\(i)\"}\n"
            case 1: text += "entity e\(i) : Person, Group \"Both \(i)\"\n"
            case 2: text += "entity e\(i) : Person {description: \"no label \(i)\"}\n"
            case 3: text += "entity e\(i) : Group \"Gruppe \(i) \u{00FC}\"\n"
            case 4: text += "entity e\(i) : Person\n"
            default: text += "entity e\(i) : Person \"Person \(i)\" {alias: \"R\(i)\"}\n"
            }
        }
        text += "from Doc para 0\n"
        for i in stride(from: 0, to: count, by: 97) { text += "e\(i) knows e\((i * 31) % count)\n" }
        let good = dir + "/entities.kb"
        try text.write(toFile: good, atomically: true, encoding: .utf8)
        let (fastResult, taken) = Loader.load(files: [good], into: FactStore(), fastLines: true)
        guard case .success(let fast) = fastResult, case .success(let full) = Loader.load(files: [good], into: FactStore(), fastLines: false).0 else {
            Issue.record("entities.kb does not load")
            return
        }
        #expect(taken >= count)
        #expect(fast.entities.count == count + 1)
        Self.expectSameEntities(fast, full)
        #expect(try Self.exported(fast) == Self.exported(full))

        // A duplicate id in the third chunk, reported as the full parser reports it.
        let bad = dir + "/duplicate.kb"
        let line = EntityScans.chunkSize * 2 + 100
        try (text + "entity e\(line) : Person \"again\"\n").write(toFile: bad, atomically: true, encoding: .utf8)
        guard let (fastErrors, _) = Self.errorsBothWays(bad) else { return }
        #expect(fastErrors.render(color: false).contains("duplicate entity id 'e\(line)'"))
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
        guard let (fast, _) = Self.errorsBothWays(file) else { return }
        #expect(fast.errorCount == 9)
    }

    /// CRLF line ends, blank and comment lines between runs of fast lines, a statement
    /// continued by the next line, and no newline at the end: the same store either way,
    /// every statement on its own line.
    @Test func lineEndsAndGapsBetweenRunsOfFastLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-crlf-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lines = [
            "type Person", "type Document", "predicate knows", "entity Doc : Document \"Doc\"",
            "entity Ann : Person \"Ann\"", "entity Bob : Person", "", "# people", "entity Cy : Person {alias: \"C\"}",
            "from Doc para 1", "Ann knows Bob", "Bob knows Ann   ", "", "-- a comment", "Cy knows Ann",
            "Ann knows Cy", "  {source: Doc}", "Cy knows Bob", "Bob knows Cy",
        ]
        let file = dir + "/crlf.kb"
        try lines.joined(separator: "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
        let (fastResult, taken) = Loader.load(files: [file], into: FactStore(), fastLines: true)
        guard case .success(let fast) = fastResult, case .success(let full) = Loader.load(files: [file], into: FactStore(), fastLines: false).0 else {
            Issue.record("crlf.kb does not load")
            return
        }
        // All but the continued statement (and the line that continues it) go the fast way.
        #expect(taken == 9)
        #expect(fast.statementCount == 6 && full.statementCount == 6)
        let where_ = { (s: FactStore) in (0..<s.statementCount).map { "\(Display.statementText(StatementID($0), s, withSource: true)) @\(s.statement(StatementID($0)).location.line)" } }
        #expect(where_(fast) == where_(full))
        #expect(where_(fast).map { $0.split(separator: "@").last.map(String.init) } == ["11", "12", "15", "16", "18", "19"])
        #expect(fast.entities.map(\.declaredAt.line) == full.entities.map(\.declaredAt.line))
    }

    /// The prescan keeps a fast line's items as 32-bit tokens (offset in the line below
    /// 64 KB, length below 16 KB): lines past either limit take the full parser, and every
    /// line around them still the fast path, with the same store either way.
    @Test func linesPastTheTokensLimitsTakeTheFullPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-tokens-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let long = String(repeating: "x", count: (1 << 14) - 1)
        let longer = String(repeating: "y", count: 1 << 14)
        let part = String(repeating: "z", count: 16_380)
        let lines = [
            "type Person", "type Document", "predicate note", "key count : integer", "key since : date",
            "key a : string", "key b : string", "key c : string",
            "entity Doc : Document \"Doc\"", "entity Ann : Person \"Ann\"", "from Doc para 1",
            "Ann note \"\(long)\"",  // the longest token: fast
            "Ann note \"\(longer)\"",  // one byte more: the full parser
            "Ann note \"\(part)\" {a: \"\(part)\", b: \"\(part)\", c: \"\(part)\", count: -12}",  // past 64 KB: the full parser
            "Ann note \"\(part)\" {a: \"\(part)\", b: \"\(part)\", count: -12, since: 2001-02}",  // within: fast
            "Ann note 42 {since: 1999}",
        ]
        let file = dir + "/tokens.kb"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let (fastResult, taken) = Loader.load(files: [file], into: FactStore(), fastLines: true)
        guard case .success(let fast) = fastResult, case .success(let full) = Loader.load(files: [file], into: FactStore(), fastLines: false).0 else {
            Issue.record("tokens.kb does not load")
            return
        }
        #expect(taken == 2 + 3)
        #expect(fast.statementCount == 5)
        #expect(try Self.exported(fast) == Self.exported(full))
        #expect((0..<5).map { fast.statement(StatementID($0)).location.line } == [12, 13, 14, 15, 16])
    }

    /// The workers' scratch columns grow past their first capacity keeping every value,
    /// and start again from a count set back.
    @Test func scratchColumnsGrowAndKeepTheirValues() {
        var s = Scratch<Int32>(capacity: 3)
        for i in 0..<1000 { s.append(Int32(i * 7)) }
        #expect(s.count == 1000 && s.capacity >= 1000)
        #expect(Array(s.buffer) == (0..<1000).map { Int32($0 * 7) })
        s.count = 10
        s.append(-1)
        s.reserve(5000)
        #expect(s.capacity >= 5000 && Array(s.buffer) == (0..<10).map { Int32($0 * 7) } + [-1])
        s.free()
    }

    /// `nextLineContinues` answers most lines before making a String: by a word's first
    /// letter and length. A continuation word added must fit that test.
    /// A pending fast line is 24 bytes: a large file has one a statement (the end of the
    /// line is kept as its length; a line of 2^31 bytes or more never takes the fast path).
    @Test func pendingFastLinesStaySmall() {
        #expect(MemoryLayout<Loader.PendingFastLine>.stride == 24)
        let f = Loader.PendingFastLine(file: 1, start: 5_000_000_000, end: 5_000_000_040, line: 7, from: -1)
        #expect(f.start == 5_000_000_000 && f.end == 5_000_000_040 && f.line == 7 && f.file == 1 && f.from == -1)
    }

    /// The prescan tells reserved words by a switch over their bytes: it must know every
    /// word of `FastLine.reserved` (the parser's keywords) and no other name.
    @Test func reservedWordsAreKnownByTheirBytes() {
        func reserved(_ word: String, padded: Bool) -> Bool {
            let bytes = Array(word.utf8) + (padded ? Array("  tail of the line".utf8) : [])
            return bytes.withUnsafeBufferPointer { FastLine.isReserved($0, 0..<word.utf8.count) }
        }
        for word in FastLine.reserved where word.utf8.count <= 9 {
            #expect(reserved(word, padded: true) && reserved(word, padded: false), "\(word)")
        }
        #expect(FastLine.reserved.allSatisfy { $0.utf8.count <= 9 })
        for other in ["knows", "types", "predicat", "predicatx", "entit", "in_", "ab", "__", "a", "fromm", "optionals"] {
            #expect(!reserved(other, padded: true) && !reserved(other, padded: false), "\(other)")
        }
    }

    @Test func continuationWordsFitTheQuickTest() {
        for word in StatementSplitter.continuationWords {
            #expect(word.utf8.count <= 6 && "wogla".contains(word.first!), "\(word)")
            let line = Array("a b\n\(word) x".utf8)
            #expect(line.withUnsafeBufferPointer { StatementSplitter.nextLineContinues($0, after: 3) }, "\(word)")
        }
        for other in ["entity x", "e1 knows e2", "words x", "ordering x", "#c\n", "] x", ": x"] {
            let line = Array("a b\n\(other)".utf8)
            let expected = other.hasPrefix("]") || other.hasPrefix(":")
            #expect(line.withUnsafeBufferPointer { StatementSplitter.nextLineContinues($0, after: 3) } == expected, "\(other)")
        }
    }

    /// Fast lines on either side of an include, and in the included file: one run of fast
    /// lines in file order spans two files, and each statement keeps its own file and line.
    @Test func fastLinesAcrossAnIncludeKeepTheirFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-include-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            type Person
            type Document
            predicate knows
            entity Doc : Document "Doc"
            entity Ann : Person "Ann"
            entity Bob : Person "Bob"
            from Doc para 1
            Ann knows Bob
            include "more.kb"
            Bob knows Ann
            """.write(toFile: dir + "/main.kb", atomically: true, encoding: .utf8)
        try "from Doc para 2\nAnn knows Ann\nBob knows Bob\n".write(toFile: dir + "/more.kb", atomically: true, encoding: .utf8)
        let (fastResult, taken) = Loader.load(files: [dir + "/main.kb"], into: FactStore(), fastLines: true)
        guard case .success(let fast) = fastResult, case .success(let full) = Loader.load(files: [dir + "/main.kb"], into: FactStore(), fastLines: false).0 else {
            Issue.record("main.kb does not load")
            return
        }
        #expect(taken == 7)
        let places = (0..<fast.statementCount).map { i in "\(fast.statement(StatementID(i)).location) para \(fast.statement(StatementID(i)).paragraph ?? -1)" }
        #expect(places == ["main.kb:8 para 1", "more.kb:2 para 2", "more.kb:3 para 2", "main.kb:10 para 1"].map { dir + "/" + $0 })
        #expect(places == (0..<full.statementCount).map { i in "\(full.statement(StatementID(i)).location) para \(full.statement(StatementID(i)).paragraph ?? -1)" })
    }

    /// Enough lines for more than one block of the parallel scan (Loader.defaultScanBlock), on
    /// every core: the same store as the full parser, and the same errors, in order.
    @Test func blocksScannedInParallelBuildTheSameStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-blocks-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var text = """
            type Person
            type Document
            predicate knows
            predicate born_on
            predicate note
            key since : date
            key per : entity
            entity Doc : Document "Doc" {paragraphs: 9}

            """
        let people = 500
        for i in 0..<people { text += "entity p\(i) : Person \"Person \(i)\"\n" }
        text += "from Doc para 1\n"
        let lines = Loader.defaultScanBlock + 4000
        for i in 0..<lines {
            let a = (i * 7919) % people
            let b = (i * 104_729 + 3) % people
            switch i % 5 {
            case 0: text += "p\(a) knows p\(b)\n"
            case 1: text += "p\(a) knows p\(b) {since: \(1990 + i % 30)-0\(1 + i % 9)-1\(i % 9), per: p\(b)}\n"
            case 2: text += "p\(a) born_on \(1950 + i % 50)\n"
            case 3: text += i % 1000 == 3 ? "p\(a) note \"an \\\"escaped\\\" note \(i)\"\n" : "p\(a) note \"note \(i % 97)\"\n"
            default: text += "p\(a) knows p\(b) {para: \(1 + i % 9)}\n"
            }
        }
        let good = dir + "/big.kb"
        try text.write(toFile: good, atomically: true, encoding: .utf8)
        let (fastResult, taken) = Loader.load(files: [good], into: FactStore(), fastLines: true)
        let fullResult = Loader.load(files: [good], into: FactStore(), fastLines: false).0
        guard case .success(let fast) = fastResult, case .success(let full) = fullResult else {
            for case .failure(let d) in [fastResult, fullResult] { Issue.record("big.kb: \(d.render(color: false).prefix(600))") }
            return
        }
        // Every line but the escaped notes, the entity lines too: none lost where the
        // prescan's parts meet (the file is over 1 MB, scanned in parts on every core).
        let escaped = (0..<lines).filter { $0 % 1000 == 3 }.count
        #expect(text.utf8.count > 1 << 20)
        #expect(taken == lines - escaped + people + 1)
        #expect(fast.statementCount == lines && full.statementCount == lines)
        #expect(try Self.exported(fast) == Self.exported(full))
        // The same in parts of 997 / (4 x cores) lines (124 on two cores): the pipeline's
        // window (24 parts ahead) filled and drained over and over, the escaped lines at
        // every place in a part.
        let (smallResult, smallTaken) = Loader.load(files: [good], into: FactStore(), fastLines: true, scanBlock: 997)
        guard case .success(let small) = smallResult else {
            Issue.record("big.kb does not load in small blocks")
            return
        }
        #expect(smallTaken == taken)
        #expect(try Self.exported(small) == Self.exported(full))
        #expect((0..<lines).allSatisfy { small.statement(StatementID($0)).location == full.statement(StatementID($0)).location })
        // The indexes (built on two cores at this size) against a scan of the columns.
        for name in ["p2", "p3", "p254", "p499"] {
            let term = Term(entity: fast.entityID(exactly: name)!)
            let bySubject = (0..<fast.statementCount).filter { fast.table.subject[$0] == term }.map { StatementID($0) }
            let byObject = (0..<fast.statementCount).filter { fast.table.object[$0] == term }.map { StatementID($0) }
            let s = fast.bySubject.withBeside(term)
            let o = fast.byObject.withBeside(term)
            #expect(Array(s.ids) == bySubject && Array(o.ids) == byObject, "\(name)")
            #expect(Array(s.otherEnds) == bySubject.map { fast.table.object[Int($0)] })
            #expect(Array(o.predicates) == byObject.map { Int16(fast.table.predicate[Int($0)]) })
            #expect(!bySubject.isEmpty && !byObject.isEmpty)
        }
        let knows = fast.predicates.firstIndex { $0.name == "knows" }!
        #expect(Array(fast.statements(withPredicate: PredicateID(knows))) == (0..<fast.statementCount).filter { fast.table.predicate[$0] == knows }.map { StatementID($0) })

        // Errors in both blocks, reported as the full parser reports them.
        let bad = dir + "/bad.kb"
        let broken = text.replacingOccurrences(of: "from Doc para 1\n", with: "from Doc para 1\nq1 knows p2\np1 knows p2 {since: 2020-13}\n")
            + "p1 knows q2\np1 knowz p2\np1 knows p2 {para: 10}\n"
        try broken.write(toFile: bad, atomically: true, encoding: .utf8)
        guard let (fastErrors, _) = Self.errorsBothWays(bad) else { return }
        #expect(fastErrors.errorCount == 5)
    }
}

