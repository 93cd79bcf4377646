import Foundation
import Testing

@testable import KBQ

/// Spreadsheets in: a two-sheet case answers as the same case written as .kb text does;
/// cells are read as Python's csv module writes them (RFC 4180, random cells, seed printed);
/// bad sheets are located errors; the stances a sheet gets by default are kb/schema.kb's.
@Suite struct CSVImportTests {
    /// The README's example sheets ("Your own case").
    static let dir = Support.root + "/examples/own-case"

    static let probes = [
        "find ?s, ?p, ?o where ?s ?p ?o",
        "find ?who, ?c, ?q where ?who says ?c {quote: ?q}",
        "find ?who, ?d where ?who denies _ {date: ?d}",
        "find ?s, ?doc, ?n where _ _ _ {source: ?doc, para: ?n} as ?s",
        "find ?t where Ministry_X bought _ {target: ?t}",
        "find ?d where Lab published _ {date: ?d}, ?d in 2021",
        "find ?x where ?x is_a Organization",
        "find ?l where Report1 is_a Document, ?x works_for ?l",
    ]

    @Test func aTwoSheetCaseAnswersAsItsKBTextDoes() throws {
        let args = CSVImportTests.probes.flatMap { ["-e", $0] }
        let sheets = try Support.kbq(["--empty", CSVImportTests.dir + "/entities.csv", CSVImportTests.dir + "/statements.csv"] + args)
        let text = try Support.kbq(["--empty", Support.root + "/Tests/fixtures/csv/same.kb"] + args)
        #expect(sheets.status == 0 && sheets.stderr.isEmpty, "\(sheets.stderr)")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(sheets.stdout == text.stdout)
        // Names by label and alias, a BOM, CRLF, quotes inside quoted cells.
        #expect(sheets.stdout.contains("Lab\tpublished\tReport1") && sheets.stdout.contains("found \"beyond doubt\" on her phone"))
        // why: the sheet and row.
        let why = try Support.kbq(["--empty", CSVImportTests.dir + "/entities.csv", CSVImportTests.dir + "/statements.csv",
                                   "-e", "find ?o where Vendor sells_to ?o", "-e", "why 1"])
        #expect(why.stdout.contains("source: statements_csv ¶2  at ") && why.stdout.contains("/statements.csv:2\n"), "\(why.stdout)")
    }

    @Test func aSheetIsIncludedFromText() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-csv-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "include \"\(CSVImportTests.dir)/entities.csv\"\ninclude \"\(CSVImportTests.dir)/statements.csv\"\n"
            .write(toFile: dir + "/case.kb", atomically: true, encoding: .utf8)
        let run = try Support.kbq(["--empty", dir + "/case.kb", "-e", "find count(*) where _ _ _"])
        #expect(run.stdout == "count(*)\n6\n", "\(run.stderr)")
    }

    /// Random cells (separators, quotes, newlines, CRLF, tabs, spaces, non-ASCII) written by
    /// Python's csv module, read back cell for cell.
    @Test func cellsAreReadAsPythonsCSVModuleWritesThem() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(Int.init) ?? 20261205
        print("CSVImportTests seed \(seed)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-csv-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (sheet, dialect) in [("cells.csv", "excel"), ("cells.tsv", "excel-tab")] {
            let write = try Support.run("/usr/bin/env", ["python3", "-c", """
                import csv, json, random, sys
                r = random.Random(int(sys.argv[1]))
                parts = ['a', 'B', ',', '"', '\\n', '\\r\\n', ' ', '\\t', 'é', '字', "'", ';', '1', '-']
                rows = [["S%d" % i, "p", "".join(r.choice(parts) for _ in range(r.randint(1, 12)))] for i in range(300)]
                with open(sys.argv[2], 'w', newline='', encoding='utf-8') as f:
                    w = csv.writer(f, dialect=sys.argv[3])
                    w.writerow(["subject", "predicate", "object:string"])
                    w.writerows(rows)
                print(json.dumps([{"s": a, "o": c} for a, _, c in rows]))
                """, String(seed), dir + "/" + sheet, dialect])
            #expect(write.status == 0, "\(write.stderr)")
            let read = try Support.kbq(["--empty", dir + "/" + sheet, "--format", "json", "-e", "find ?s, ?o where ?s p ?o"])
            #expect(read.status == 0, "\(read.stderr)")
            let expected = try JSONSerialization.jsonObject(with: Data(write.stdout.utf8)) as! [[String: String]]
            let got = try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as! [[String: String]]
            #expect(got == expected, "\(sheet), seed \(seed)")
            // The same cells through .kb text (its string escapes: quotes, CR, tabs, newlines).
            let text = try Support.kbq(["--empty", dir + "/" + sheet, "--export", "kb"])
            #expect(text.status == 0, "\(text.stderr)")
            try text.stdout.write(toFile: dir + "/" + sheet + ".kb", atomically: true, encoding: .utf8)
            let again = try Support.kbq(["--empty", dir + "/" + sheet + ".kb", "--format", "json", "-e", "find ?s, ?o where ?s p ?o"])
            #expect(again.stdout == read.stdout, "\(sheet) through .kb text, seed \(seed)")
        }
    }

    /// A sheet read in parts on every core is the sheet read on one thread, cell for cell
    /// and error for error (the one-thread reader is the one Python's csv module checks,
    /// above): random cells with quotes, doubled quotes, newlines and CRLF inside quotes,
    /// blank lines, and bare cells with a stray quote (which make the parts' quote count
    /// wrong, and the reader fall back to one thread).
    @Test func aSheetReadInPartsIsTheSheetReadWhole() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(Int.init) ?? 20261205
        print("CSVImportTests parts seed \(seed)")
        var rng = RRandom(seed: UInt64(seed))
        let pieces = ["a", "B", "1", " ", "é", "字", "-", ","]
        func cell() -> String {
            var text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            if Int.random(in: 0..<4, using: &rng) == 0 { text += ["\"\"", "\n", "\r\n"].randomElement(using: &rng)! }
            if text.contains(where: { $0 == "," || $0 == "\n" || $0 == "\"" || $0 == "\r\n" }) { return "\"" + text + "\"" }
            return text
        }
        for stray in [false, true] {
            var sheet = "a,b,c\r\n"
            // Enough rows that joining the parts' cell positions is split over the cores too.
            for row in 0..<6000 {
                // One stray quote early: every quote count after it is odd where it should be even.
                let first = stray && row == 100 ? "x\"y" : cell()
                sheet += ([first] + (0..<2).map { _ in cell() }).joined(separator: ",") + (row % 7 == 0 ? "\r\n" : "\n")
                if row % 97 == 0 { sheet += "\n" }
            }
            for bad in [false, true] {
                let text = bad ? sheet + "x,y\n" + sheet : sheet
                let source = SourceText(name: "t.csv", text: text)
                let whole = Result { () throws(Diagnostic) in try CSVTable.read(source, parallelFrom: Int.max) }
                let parts = Result { () throws(Diagnostic) in try CSVTable.read(source, parallelFrom: 0) }
                switch (whole, parts) {
                case (.success(let a), .success(let b)):
                    #expect(!bad)
                    #expect(a.rowCount == 6000 && a.header.map(\.text) == b.header.map(\.text), "seed \(seed)")
                    #expect(a.cellStart == b.cellStart && a.cellEnd == b.cellEnd && a.cellForm == b.cellForm, "seed \(seed)")
                    #expect(a.rows.map(\.number) == b.rows.map(\.number) && a.rows.map(\.start) == b.rows.map(\.start), "seed \(seed)")
                case (.failure(let a), .failure(let b)):
                    #expect(bad)
                    #expect(a.message == b.message && a.range == b.range, "seed \(seed)")
                default:
                    Issue.record("read whole: \(whole), in parts: \(parts), seed \(seed)")
                }
            }
        }
    }

    @Test(arguments: [
        ("subject,predicate,object,date\nA,knows,B,June 2020\n", "2:11: error: the date of row 2 is not a date (2020, 2020-06 or 2020-06-14)"),
        ("subject,predicate,object\nA,knows,B,C\n", "2:11: error: row 2 has 4 cells where the header names 3 columns"),
        ("subject,predicate,object\nA,knows,\"B\n", "2:9: error: this quoted cell is never closed"),
        ("subject,predicate,object\nA,knows,\"B\"x\n", "2:12: error: text after the closing quote of a cell"),
        ("name,age\nA,3\n", "1:1: error: a sheet's first row names its columns"),
        ("subject,predicate,object,speaker,stance\nA,knows,B,C,\n", "2:13: error: row 2 has a speaker but no stance"),
        ("subject,predicate,object,para\nA,knows,B,3\n", "2:11: error: a paragraph with no source"),
        ("subject,predicate,object,speaker,stance\nA,knows,B,C,knows\n", "2:13: error: 'knows' is a predicate, not a stance"),
        ("subject,predicate,object,speaker,stance\nA,claims,B,,\n", "2:3: error: 'claims' is a stance"),
        ("subject,predicate,object\r\nA,knows,B,C\r\n", "2:11: error: row 2 has 4 cells where the header names 3 columns\n  A,knows,B,C\n"),
        ("id,type,colour\nA,Thing,red\n", "1:9: error: an entities sheet has the columns id, type, label"),
        ("id,label\nA,One\nB,One\nsubject,predicate,object\n", "error:"),
        ("subject,predicate,object:int\nA,knows,B\n", "1:19: error: unknown column type ':int'"),
    ])
    func badSheetsAreLocatedErrors(_ sheet: String, _ expected: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-bad-\(UUID()).csv").path
        try sheet.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try Support.kbq(["--empty", path, "-e", "find count(*) where _ _ _"])
        #expect(run.status == 1 && run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix(path + ":" + expected) || (expected == "error:" && run.stderr.contains(expected)), "\(run.stderr)")
    }

    /// A name two entities share is an error where it is used, not a guess.
    @Test func anAmbiguousNameIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-csv-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "id,label\nA,One\nB,One\n".write(toFile: dir + "/e.csv", atomically: true, encoding: .utf8)
        try "subject,predicate,object\nOne,knows,A\n".write(toFile: dir + "/s.csv", atomically: true, encoding: .utf8)
        let run = try Support.kbq(["--empty", dir + "/e.csv", dir + "/s.csv"])
        #expect(run.status == 1 && run.stderr.contains("s.csv:2:1: error: 'One' names 2 entities (A, B): use an id"), "\(run.stderr)")
    }

    @Test func theDefaultStancesAreTheStandardSchemas() throws {
        let schema = try String(contentsOfFile: Support.root + "/kb/schema.kb", encoding: .utf8)
        let declared = schema.split(separator: "\n").filter { $0.hasPrefix("stance ") }.map { line -> String in
            let words = line.split(separator: "\"")[0].split(separator: " ").map(String.init)
            let description = String(line.split(separator: "\"")[1])
            return "\(words[1]) \(words.count > 3 ? words[3] : "-") \(description)"
        }
        #expect(declared == Loader.standardStances.map { "\($0.0) \($0.1 ?? "-") \($0.2)" })
    }

    /// Sheets whose rows repeat names, values and sources (the fast path's case) mixed with
    /// what it leaves to the full path (claims, doubled quotes, new names, blank and
    /// padded cells, paragraphs past a document's end): loaded with and without the fast
    /// path, the stores are the same statement for statement, and the errors the same.
    @Test func theFastPathMakesTheStoreTheFullPathMakes() throws {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(Int.init) ?? 20261205
        print("CSVImportTests fast path seed \(seed)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-csv-fast-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let write = try Support.run("/usr/bin/env", ["python3", "-c", """
            import csv, random, sys
            r = random.Random(int(sys.argv[1]))
            d = sys.argv[2]
            # Labels and aliases padded with spaces or tabs on some rows (read trimmed).
            ents = [("E%d" % i, r.choice(["Person", "Organization", "Thing", "", " Person ", "Person|Organization", "Group"]),
                     "Name %d" % i if i % 3 else " Name %d\t" % i, "al%d|other %d" % (i, i) if i % 4 else "al%d |\tother %d " % (i, i)) for i in range(40)]
            # Rows the entity sheet's fast way leaves to the full one: an id to trim or to
            # make a name of, a non-ASCII label or alias, a description, a doubled quote.
            odd = [(" E40 ", "Person", "", "", ""), ("E-41", "", "Forty one", "", ""), ("E42", "Thing", "Zoë", "", ""),
                   ("E43", "", "", "x|ÿ", ""), ("E44", "", "", "", "described"), ("E45", 'A"B', "", "", ""), ("E46", "", 'say "x"', "", "")]
            with open(d + "/entities.csv", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["id", "type", "label", "aliases", "description"])
                w.writerows([e + ("",) for e in ents] + odd)
                w.writerow(["Doc", "Document", "The doc", "", ""])
            # Names made on first mention, some of which other cells write as text first
            # ("new 3" before "New_3") or as a literal ("2020" as a subject, then an object).
            news = ["New_%d" % i for i in range(6)] + ["new %d" % i for i in range(6)] + ["Odd-%d" % i for i in range(4)]
            names = [e[0] for e in ents] + [e[2] for e in ents] + ["al3", "other 7", " E1 ", r.choice(news)]
            # Named only as objects: made as the rows are added, after the cells were read
            # ahead ("late 2" is text until "Late_2" makes an entity of that label).
            later = ["Late_%d" % i for i in range(4)] + ["late %d" % i for i in range(4)]
            values = names + news + later + ["12", "-3", "4.5", "2020", "2020-06", "2021-02-03", "unknown", "none", "some text", "x, y", 'say "hi"', "  padded  ", "é字"]
            values += ["text %d" % i for i in range(3000)] + ["%d" % i for i in range(3000)]
            subjects = names + news + ["2020", "12", "Free %d" % r.randint(0, 3)]
            # A sheet that names only declared entities (nothing made: every cell read
            # ahead can be read from its bytes).
            declared = [e[0] for e in ents] + [e[2] for e in ents] + ["al3", "other 7", " E1 ", "e1", "name 2"]
            plain = declared + ["12", "-3", "0", "-0", "007", "4.5", "2020", "2020-06", "2021-02-03", "unknown", "none", "Unknown", "some text", "x, y",
                                "é 字", "  padded  ", "_x y", "a-b c", "99999999999999999999"] + ["text %d" % i for i in range(3000)]
            def row(bad, only=False):
                if only:
                    return [r.choice(declared), r.choice(["knows", "likes", "p 1"]), r.choice(plain), r.choice(["", "Doc", "The doc"]), "",
                            r.choice(["", "2020-01", "2019"]), r.choice(["", "a", "b"]), "", ""]
                claim = r.random() < 0.1
                source = r.choice(["", "", "Doc", "The doc"])
                para = r.choice(["", "1", "2", " 3 ", "+4"]) if source else ""
                if bad and r.random() < 0.5: para = r.choice(["99", "0", "x"]) if source else "5"
                return [r.choice(subjects), r.choice(["knows", "likes", "rates", "p 1"]), r.choice(values), source, para,
                        r.choice(["", "2020-01", "2019", "2020-01-05"]), r.choice(["", "a", "b", '"q"']),
                        r.choice(names) if claim else "", r.choice(["claims", "denies"]) if claim else ""]
            for name, bad in [("good", False), ("bad", True)]:
                with open(d + "/" + name + ".csv", "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(["subject", "predicate", "object", "source", "para", "date", "note:string", "speaker", "stance"])
                    # Past 4096 rows: the cells are resolved in parts, on every core.
                    w.writerows(row(bad and i > 150) for i in range(12000 if name == "good" else 400))
            with open(d + "/plain.csv", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["subject", "predicate", "object", "source", "para", "date", "note:string", "speaker", "stance"])
                w.writerows(row(False, True) for i in range(12000))
            """, String(seed), dir])
        #expect(write.status == 0, "\(write.stderr)")
        // With the entities sheet, and without it (every name then made on first mention).
        for files in [[dir + "/entities.csv", dir + "/good.csv"], [dir + "/good.csv"], [dir + "/entities.csv", dir + "/plain.csv"]] {
            let (fastResult, taken) = Loader.load(files: files, into: FactStore(), fastLines: true)
            #expect(taken > 3000, "rows the fast path took: \(taken) of 12000")
            guard case .success(let fast) = fastResult,
                case .success(let full) = Loader.load(files: files, into: FactStore(), fastLines: false).0
            else {
                Issue.record("the sheets do not load both ways, seed \(seed)")
                return
            }
            #expect(fast.statementCount == full.statementCount && fast.statementCount >= 12000)
            for i in 0..<min(fast.statementCount, full.statementCount) {
                let (a, b) = (fast.statement(StatementID(i)), full.statement(StatementID(i)))
                let (shown, expected) = (Display.statementText(StatementID(i), fast, withSource: true), Display.statementText(StatementID(i), full, withSource: true))
                if shown != expected {
                    Issue.record("statement \(i): \(shown) against \(expected), seed \(seed)")
                    break
                }
                #expect(a.location == b.location && a.document == b.document && a.paragraph == b.paragraph && a.asserted == b.asserted, "statement \(i)")
            }
            #expect(try FastLineTests.exported(fast) == FastLineTests.exported(full))
            FastLineTests.expectSameEntities(fast, full)
        }
        // Errors: the same list either way, the rows before them read by the fast path.
        let bad = [dir + "/entities.csv", dir + "/bad.csv"]
        guard case .failure(let fastErrors) = Loader.load(files: bad, into: FactStore(), fastLines: true).0,
            case .failure(let fullErrors) = Loader.load(files: bad, into: FactStore(), fastLines: false).0
        else {
            Issue.record("the bad sheet loads, seed \(seed)")
            return
        }
        #expect(fastErrors.render(color: false) == fullErrors.render(color: false))
    }

    /// What a cell read fast remembers holds once names change: "late 0" read as text
    /// (nothing is called so), then an entity made whose label it is ("Late_0"), then
    /// "late 0" again, which is still the text; and a label read as its entity stays that
    /// entity once another is made with the same label.
    @Test func whatAFastRowRemembersHoldsAfterNamesChange() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-csv-memo-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "id,type,label\nE1,Person,First One\nE2,Person,Other\n".write(toFile: dir + "/entities.csv", atomically: true, encoding: .utf8)
        // The first two rows name the predicates (read in order), so the next two are taken
        // as the workers read them.
        try "subject,predicate,object\nE2,knows,E1\nE2,likes,E1\nE1,knows,late 0\nE2,likes,first one\nE1,knows,Late_0\nE2,likes,First_One\nE1,knows,late 0\nE2,likes,first one\n"
            .write(toFile: dir + "/statements.csv", atomically: true, encoding: .utf8)
        let files = [dir + "/entities.csv", dir + "/statements.csv"]
        guard case .success(let fast) = Loader.load(files: files, into: FactStore(), fastLines: true).0,
            case .success(let full) = Loader.load(files: files, into: FactStore(), fastLines: false).0
        else {
            Issue.record("the sheets do not load both ways")
            return
        }
        let shown = (0..<fast.statementCount).map { Display.statementText(StatementID($0), fast, withSource: true) }
        let expected = (0..<full.statementCount).map { Display.statementText(StatementID($0), full, withSource: true) }
        #expect(shown == expected)
        #expect(shown.count == 8 && shown[6].contains("\"late 0\"") && shown[7].contains("E1"), "\(shown)")
    }
}

/// The reference model's seeded generator, as Swift's random functions take one.
extension RRandom: RandomNumberGenerator {}
