import Foundation
import KBQ
import Testing

/// The W3C RDF 1.1 and 1.2 N-Triples syntax suites and serd's good and bad files
/// (../shared/testdata): every positive test parses, every negative one is rejected.
struct SyntaxCase: CustomTestStringConvertible, Sendable {
    let file: String
    let positive: Bool
    var testDescription: String { (positive ? "+ " : "- ") + file.split(separator: "/").suffix(2).joined(separator: "/") }

    static let testdata = Support.shared + "/testdata"

    /// Entries of a W3C manifest: the test's type, then its mf:action file.
    static func manifest(_ dir: String) -> [SyntaxCase] {
        guard let text = try? String(contentsOfFile: dir + "/manifest.ttl", encoding: .utf8) else { return [] }
        var cases: [SyntaxCase] = []
        var positive: Bool? = nil
        for line in text.split(separator: "\n") {
            if line.contains("rdft:TestNTriplesPositiveSyntax") { positive = true }
            if line.contains("rdft:TestNTriplesNegativeSyntax") { positive = false }
            if let p = positive, line.contains("mf:action"), let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">") {
                cases.append(SyntaxCase(file: dir + "/" + line[line.index(after: open)..<close], positive: p))
                positive = nil
            }
        }
        return cases
    }

    static func files(_ dir: String, suffix: String, prefix: String = "", positive: Bool) -> [SyntaxCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(suffix) && $0.hasPrefix(prefix) }.sorted().map { SyntaxCase(file: dir + "/" + $0, positive: positive) }
    }

    static let w3c11 = manifest(testdata + "/w3c-rdf-tests/rdf11/rdf-n-triples")
    static let w3c12 = manifest(testdata + "/w3c-rdf-tests/rdf12/rdf-n-triples/syntax")
    static let serd = files(testdata + "/serd/good", suffix: ".nt", positive: true)
        + files(testdata + "/serd/bad", suffix: ".nt", positive: false)
        + files(testdata + "/serd/eof", suffix: ".nt", prefix: "bad-nt", positive: false)
}

@Suite struct NTriplesSuiteTests {
    @Test func suitesAreComplete() {
        #expect(SyntaxCase.w3c11.count == 70)
        #expect(SyntaxCase.w3c11.filter(\.positive).count == 41)
        #expect(SyntaxCase.w3c12.count == 29)
        #expect(SyntaxCase.serd.count > 50)
    }

    @Test(arguments: SyntaxCase.w3c11 + SyntaxCase.w3c12 + SyntaxCase.serd)
    func syntax(_ c: SyntaxCase) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: c.file)))
        var error: Diagnostic? = nil
        if let bad = UTF8Check.firstInvalidByte(bytes) {
            error = Diagnostic(.error, "invalid UTF-8 at byte \(bad)", source: nil, range: 0..<0)
        } else {
            do { _ = try NTriplesParser.parse(SourceText(name: c.file, bytes: bytes)) } catch let d { error = d }
        }
        if c.positive {
            #expect(error == nil, "\(c.file) must parse: \(error?.description ?? "")")
        } else {
            #expect(error != nil, "\(c.file) must be rejected")
        }
    }

    @Test func triplesAndDiagnostics() throws {
        let text = """
            <http://ex/a> <http://ex/p> "x\\ty"@en-GB--ltr . # comment
            _:b1 <http://ex/q> <<( <http://ex/a> <http://ex/p> "2020-06-01"^^<http://www.w3.org/2001/XMLSchema#date> )>> .
            """
        let triples = try NTriplesParser.parse(SourceText(name: "t.nt", text: text))
        #expect(triples.count == 2)
        #expect(triples[0].object == .literal("x\ty", datatype: nil, language: "en-GB", direction: "ltr"))
        #expect(triples[1].subject == .blank("b1"))
        #expect(triples[1].line == 2)
        do {
            _ = try NTriplesParser.parse(SourceText(name: "bad.nt", text: "<http://ex/a> <http://ex/p> <rel> .\n"))
            Issue.record("a relative IRI must be rejected")
        } catch {
            #expect(error.description.hasPrefix("bad.nt:1:29: error: relative IRI <rel>: N-Triples needs absolute IRIs"))
        }
    }
}
