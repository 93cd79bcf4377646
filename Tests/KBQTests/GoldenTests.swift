import Foundation
import Synchronization
import Testing

/// Golden files: `Tests/golden/**/*.test`, one case per file, read like a spec.
///
///     #kb: Tests/fixtures/small.kb        (optional: knowledge base; default the bundled case)
///     #args: --format csv                  (optional: more arguments)
///     find ?x where ?x claims _            (the script, given on standard input)
///     ----
///     x                                    (expected standard output)
///     ---- stderr
///     ...                                  (expected standard error, when there is any)
///     ---- exit 1                          (expected exit status, when not 0)
///
/// `KBQ_RECORD=1 swift test` rewrites the expectations from what kbq does.
struct GoldenCase: CustomTestStringConvertible, Sendable {
    let path: String
    var testDescription: String { String(path.dropFirst(Support.root.count + "/Tests/golden/".count)) }

    static func all() -> [GoldenCase] {
        let dir = Support.root + "/Tests/golden"
        let files = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".test") }.sorted().map { GoldenCase(path: dir + "/" + $0) }
    }
}

@Suite struct GoldenTests {
    @Test(arguments: GoldenCase.all())
    func golden(_ c: GoldenCase) throws {
        let text = try String(contentsOfFile: c.path, encoding: .utf8)
        guard let split = text.range(of: "\n----") else {
            Issue.record("\(c.path): no '----' line")
            return
        }
        let input = String(text[..<split.lowerBound]) + "\n"
        var args: [String] = []
        var script: [String] = []
        var kb: [String] = []
        for line in input.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#kb: ") { kb.append(String(line.dropFirst(5))) }
            else if line.hasPrefix("#args: ") { args += line.dropFirst(7).split(separator: " ").map(String.init) }
            else { script.append(String(line)) }
        }
        // From the text, then (when the knowledge base loads) from its cached image: both
        // must give what the file expects.
        func output(_ run: Support.Run) -> String {
            var actual = run.stdout
            if !run.stderr.isEmpty { actual += "---- stderr\n" + run.stderr }
            if run.status != 0 { actual += "---- exit \(run.status)\n" }
            return actual
        }
        let actual = output(try Support.kbq(["--no-cache"] + kb + args + ["-"], stdin: script.joined(separator: "\n")))
        let fromImage = try GoldenTests.imageCompiled(kb)
            ? output(try Support.kbq(kb + args + ["-"], stdin: script.joined(separator: "\n"))) : actual
        let expectedStart = text.index(after: split.lowerBound)
        let afterMarker = text[expectedStart...].drop { $0 != "\n" }.dropFirst()
        let expected = String(afterMarker)
        if ProcessInfo.processInfo.environment["KBQ_RECORD"] == "1" && actual != expected {
            let recorded = String(text[..<split.lowerBound]) + "\n----\n" + actual
            try recorded.write(toFile: c.path, atomically: true, encoding: .utf8)
            return
        }
        #expect(actual == expected, "\(c.testDescription)")
        #expect(fromImage == expected, "\(c.testDescription), from the image")
    }

    /// Compiles the cached image of `kb` (once per test run); whether it could be.
    static func imageCompiled(_ kb: [String]) throws -> Bool {
        let key = kb.joined(separator: "\u{0}")
        if let known = compiled.withLock({ $0[key] }) { return known }
        let ok = try Support.kbq(["--compile"] + kb).status == 0
        compiled.withLock { $0[key] = ok }
        return ok
    }

    static let compiled = Mutex<[String: Bool]>([:])
}
