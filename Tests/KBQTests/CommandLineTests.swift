import Foundation
import Testing

@testable import KBQShell

/// The command line as getopt_long users expect it, and the files made from the option table
/// (man page, completions), which must be what the table makes today.
@Suite struct CommandLineTests {
    let small = Support.root + "/Tests/fixtures/small.kb"

    /// `KBQ_RECORD=1 swift test` rewrites them from the table.
    @Test(arguments: [
        ("share/man/man1/kbq.1", Options.manPage),
        ("share/completions/kbq.bash", Options.bashCompletion),
        ("share/completions/_kbq", Options.zshCompletion),
        ("share/completions/kbq.fish", Options.fishCompletion),
    ])
    func generatedFilesAreCurrent(_ file: String, _ made: String) throws {
        let path = Support.root + "/" + file
        if ProcessInfo.processInfo.environment["KBQ_RECORD"] == "1" {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try made.write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(Support.read(file) == made, "\(file) is not what the option table makes: KBQ_RECORD=1 swift test")
    }

    @Test func helpManPageAndCompletionsNameEveryOption() throws {
        let help = try Support.kbq(["--help"]).stdout
        for o in Options.all {
            for name in [o.short, o.long].compactMap({ $0 }) {
                #expect(help.contains(name), "--help lacks \(name)")
                #expect(Options.manPage.contains(Options.roff(name)), "the man page lacks \(name)")
                #expect(Options.bashCompletion.contains(name), "bash completion lacks \(name)")
            }
        }
        #expect(Options.manPage.contains(Options.version))
        #expect(Support.read("CHANGELOG.md").contains("## " + Options.version), "CHANGELOG.md has no entry for \(Options.version)")
    }

    @Test func optionForms() throws {
        let q = "find ?p, ?s where ?p score ?s, ?s = 3"
        for args in [["--format=csv", "-e", q], ["--format", "csv", "-e", q], ["-m", "csv", "-e", q], ["--mode=csv", "--eval=" + q]] {
            let r = try Support.kbq([small] + args)
            #expect(r.status == 0 && r.stdout == "p,s\r\nAlice,3\r\n", "\(args): \(r.stdout) \(r.stderr)")
        }
        let missing = try Support.kbq([small, "-e", "--format", "csv", q])
        #expect(missing.status == 2 && missing.stderr.contains("missing value for '-e'"), "\(missing.stderr)")
        let atEnd = try Support.kbq([small, "--format"])
        #expect(atEnd.status == 2 && atEnd.stderr.contains("missing value for '--format'"), "\(atEnd.stderr)")
        // A query that starts with '-' is given after '='.
        let dash = try Support.kbq([small, "-e=-- a comment\nfind ?x where ?x is_a Person order by ?x limit 1"])
        #expect(dash.status == 0 && dash.stdout == "x\nAlice\n", "\(dash.stderr)")
        for v in ["-V", "--version"] {
            let r = try Support.kbq([v])
            #expect(r.status == 0 && r.stdout == "kbq \(Options.version)\n", "\(v): \(r.stdout)")
        }
        let unknown = try Support.kbq(["--formt=csv"])
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean '--format'"), "\(unknown.stderr)")
        let timeout = try Support.kbq([small, "--timeout=5", "-e", q])
        #expect(timeout.status == 0, "\(timeout.stderr)")
    }

    @Test func colourIsAskedForOrLeftOut() throws {
        let bad = "find ?x where ?x clams _"
        let always = try Support.kbq([small, "--color=always", "-e", bad])
        #expect(always.stderr.contains("\u{1B}["), "--color=always writes no escape code: \(always.stderr.debugDescription)")
        let never = try Support.kbq([small, "--color=never", "-e", bad])
        #expect(!never.stderr.contains("\u{1B}["))
        let auto = try Support.kbq([small, "-e", bad])
        #expect(!auto.stderr.contains("\u{1B}["), "a pipe gets no colour")
        let wrong = try Support.kbq(["--color=sometimes"])
        #expect(wrong.status == 2 && wrong.stderr.contains("--color takes auto, always or never"))
    }

    /// no-color.org: only a NO_COLOR that is set and not empty turns colour off.
    @Test func anEmptyNoColorLeavesColourOn() throws {
        let colour = try Terminal(environment: ["NO_COLOR": "", "XDG_STATE_HOME": NSTemporaryDirectory() + "kbq-color-\(UUID())"], arguments: [small])
        try colour.waitFor("kbq> ")
        try colour.send("find ?x where ?x clams _\r")
        try colour.waitFor("clams")
        try colour.waitFor("\u{1B}[1;31m")
        try colour.send("\u{04}")
        #expect(try colour.exitStatus() == 0)
    }

    /// Through a pseudo-terminal, as a person uses it: bash with kbq's completion loaded.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/bash")))
    func bashCompletesOptionsAndTheirValues() throws {
        let home = NSTemporaryDirectory() + "kbq-bash-\(UUID())"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let t = try Terminal(
            environment: ["HOME": home, "PS1": "$ ", "PATH": "/usr/bin:/bin", "INPUTRC": "/dev/null"], program: "/bin/bash",
            arguments: ["--norc", "--noprofile", "-i"], cleanEnvironment: true)
        defer { kill(t.pid, SIGKILL) }
        try t.waitFor("$ ")
        _ = try? t.screen
        try t.type("source '\(Support.root)/share/completions/kbq.bash'\r")
        try t.waitFor("$ ")
        try t.type("kbq --for\t")
        try t.waitFor("kbq --format ")
        try t.type("\t\t")
        try t.waitFor("jsonl")
        #expect(t.screen.contains("table") && t.screen.contains("csv"))
        try t.type("\u{03}exit\r")
    }
}

extension Terminal {
    /// Types without waiting for kbq to read (another program is at the other end).
    func type(_ s: String) throws {
        _ = s.withCString { Glibc.write(master, $0, strlen($0)) }
    }
}
