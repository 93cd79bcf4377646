import Foundation

/// Paths and process helpers shared by the tests.
enum Support {
    /// A random test's seed, printed with `name` so that a failure can be replayed:
    /// `KBQ_SEED` when set, else `otherwise` (by default the clock: a new case each run).
    static func seed(_ name: String, otherwise: @autoclosure () -> UInt64 = UInt64(Date().timeIntervalSince1970)) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["KBQ_SEED"].flatMap(UInt64.init) ?? otherwise()
        print("\(name) seed \(seed)")
        return seed
    }

    /// The package root (this file is Tests/KBQTests/Support.swift).
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The shared test data and bench (`testdata/`, `bench/gen.py`): `KBQ_SHARED` when set,
    /// else `../shared` beside the project, else beside the repository this one was cloned
    /// from (a clone in a scratch folder, `git clone . "$(mktemp -d)"`, still finds it).
    static let shared: String = {
        if let set = ProcessInfo.processInfo.environment["KBQ_SHARED"] { return set }
        let beside = root + "/../shared"
        if FileManager.default.fileExists(atPath: beside) { return beside }
        let origin = try? run("/usr/bin/env", ["git", "-C", root, "config", "--get", "remote.origin.url"])
        let url = origin?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if url.hasPrefix("/"), FileManager.default.fileExists(atPath: url + "/../shared") { return url + "/../shared" }
        return beside
    }()

    /// The built `kbq`, beside the test bundle.
    static let binary: String = {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kbq").path
            if FileManager.default.isExecutableFile(atPath: candidate) && !candidate.hasSuffix(".xctest") { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root + "/.build/debug/kbq"
    }()

    /// SIGPIPE ignored in the test process, once.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// The cache folder of this test process (`$XDG_CACHE_HOME` for every kbq it runs).
    static let cacheHome: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-test-cache-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    struct Run {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// Runs kbq with arguments and standard input, with a timeout.
    static func kbq(_ args: [String], stdin: String = "", environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Run {
        try run(binary, args, stdin: stdin, environment: environment, timeout: timeout)
    }

    static func run(_ program: String, _ args: [String], stdin: String = "", environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // Cached images go to a folder of this test run, never to the user's cache.
        env["XDG_CACHE_HOME"] = cacheHome
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let inPipe = Pipe()
        let outPipe = Pipe()
        let errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data()
        nonisolated(unsafe) var err = Data()
        group.enter()
        DispatchQueue.global().async { out = outPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        // A program that ends before reading its input (a knowledge base that does not
        // load) closes the pipe: the write fails with EPIPE, which must not end the tests.
        _ = ignoreBrokenPipes
        try? inPipe.fileHandleForWriting.write(contentsOf: stdin.data(using: .utf8)!)
        try? inPipe.fileHandleForWriting.close()
        if group.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            throw TimeoutError(what: "\(program) \(args)")
        }
        p.waitUntilExit()
        return Run(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self), status: p.terminationStatus)
    }

    /// Polls `condition` until it holds, failing after `timeout` seconds.
    static func waitFor(timeout: TimeInterval, _ condition: () -> Bool) throws {
        let end = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > end { throw TimeoutError(what: "condition") }
            usleep(2000)
        }
    }

    /// Whether a process has a handler for SIGINT (the SigCgt mask in /proc).
    static func catchesSIGINT(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << (SIGINT - 1)) != 0
    }

    struct TimeoutError: Error { var what: String }

    static func read(_ relative: String) -> String {
        (try? String(contentsOfFile: root + "/" + relative, encoding: .utf8)) ?? ""
    }
}
