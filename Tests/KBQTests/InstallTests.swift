import Foundation
import Testing

@testable import KBQShell

/// `make install` into a temporary prefix, and the installed kbq run where no Swift toolchain
/// is in reach: no toolchain directory on PATH, nothing in the loader's path, and `ldd`
/// showing that nothing resolves into the toolchain. The release build this needs takes a few
/// minutes the first time.
@Suite(.serialized) struct InstallTests {
    static let prefix = NSTemporaryDirectory() + "kbq-install-\(UUID())"
    static let clean = ["PATH": "/usr/bin:/bin", "HOME": prefix, "LANG": "C.UTF-8", "MANPAGER": "cat", "MANWIDTH": "80"]

    static let installed: Result<String, Error> = Result {
        let make = try Support.run("/usr/bin/env", ["make", "-s", "install", "PREFIX=" + prefix], timeout: 1800)
        guard make.status == 0 else { throw Support.TimeoutError(what: "make install failed:\n\(make.stdout)\n\(make.stderr)") }
        return prefix + "/bin/kbq"
    }

    func kbq(_ args: [String], stdin: String = "") throws -> Support.Run {
        let binary = try InstallTests.installed.get()
        return try Support.run("/usr/bin/env", ["-i"] + InstallTests.clean.map { "\($0.key)=\($0.value)" } + [binary] + args, stdin: stdin)
    }

    @Test func nothingResolvesIntoTheToolchain() throws {
        let binary = try InstallTests.installed.get()
        let ldd = try Support.run("/usr/bin/ldd", [binary])
        #expect(!ldd.stdout.contains("swift") && !ldd.stdout.contains("not found"), "\(ldd.stdout)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: InstallTests.prefix).sorted()
        for expected in ["bin/kbq", "share/kbq/kb/main.kb", "share/man/man1/kbq.1", "share/bash-completion/completions/kbq",
                         "share/zsh/site-functions/_kbq", "share/fish/vendor_completions.d/kbq.fish"] {
            #expect(files.contains(expected), "\(expected) not installed")
        }
    }

    @Test func theInstalledProgramAnswersFromItsOwnCase() throws {
        let q = try kbq(["-e", "find ?x where ?x makes Pegasus"])
        #expect(q.status == 0 && q.stdout == "x\nNSO_Group\n", "\(q.stderr)")
        let script = try kbq(["-"], stdin: "find count(*) where ?x is_a Person\n.mode csv\nfind ?x where ?x makes Pegasus\n")
        #expect(script.status == 0 && script.stdout.contains("NSO_Group"), "\(script.stderr)")
        let export = try kbq(["--export", "nt"])
        #expect(export.status == 0 && export.stdout.contains("<urn:kbq:e:NSO_Group>"))
        let version = try kbq(["--version"])
        #expect(version.stdout.hasPrefix("kbq "))
    }

    @Test func theREPLStartsInATerminal() throws {
        let binary = try InstallTests.installed.get()
        let t = try Terminal(environment: InstallTests.clean, program: binary, cleanEnvironment: true)
        try t.waitFor("kbq> ")
        #expect(t.screen.contains("kbq \(Options.version)"))
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("NSO_Group")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man")))
    func theManPageRenders() throws {
        _ = try InstallTests.installed.get()
        let man = try Support.run("/usr/bin/env", ["-i"] + InstallTests.clean.map { "\($0.key)=\($0.value)" } + ["man", "-l", InstallTests.prefix + "/share/man/man1/kbq.1"])
        #expect(man.status == 0 && man.stdout.contains("SYNOPSIS") && man.stdout.contains("--format"), "\(man.stdout)\n\(man.stderr)")
    }

    @Test func uninstallRemovesWhatInstallPut() throws {
        _ = try InstallTests.installed.get()
        let other = NSTemporaryDirectory() + "kbq-uninstall-\(UUID())"
        #expect(try Support.run("/usr/bin/env", ["make", "-s", "install", "PREFIX=" + other], timeout: 1800).status == 0)
        #expect(try Support.run("/usr/bin/env", ["make", "-s", "uninstall", "PREFIX=" + other]).status == 0)
        let left = (try? FileManager.default.subpathsOfDirectory(atPath: other))?.filter { !$0.hasSuffix("/") } ?? []
        let files = left.filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: other + "/" + $0, isDirectory: &d) && !d.boolValue }
        #expect(files.isEmpty, "left behind: \(files)")
    }
}
