import Foundation
import KBQ
import Testing

/// The REPL driven through a pseudo-terminal. Every wait is on state (text on the screen,
/// the child blocked reading the terminal), with a timeout; never on a sleep.
final class Terminal {
    let pid: pid_t
    let master: Int32
    var screen = ""

    /// `ignoringHangUp`: the child starts with SIGHUP ignored, as under `nohup` or a
    /// runner that ignores it, so that closing the terminal does not simply kill it.
    /// `program` and `arguments`: kbq by default; `cleanEnvironment`: only `environment` (and
    /// TERM), not the test's own.
    init(environment: [String: String], ignoringHangUp: Bool = false, program: String = Support.binary, arguments: [String] = [], cleanEnvironment: Bool = false) throws {
        var fd: Int32 = 0
        var size = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
        let args = [program] + arguments
        var env = cleanEnvironment ? [:] : ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        env["NO_COLOR"] = "1"
        env["XDG_CACHE_HOME"] = Support.cacheHome
        // No pager unless a test asks for one (a pager waits for a key).
        env["PAGER"] = ""
        env["KBQ_PAGER"] = ""
        env.merge(environment) { $1 }
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        // Everything the child uses is made before the fork: the child of a threaded process
        // may only make async-signal-safe calls (a lazy Swift global there can deadlock in
        // malloc on a lock another thread held at the fork).
        guard let directory = strdup(Support.root), let program = cArgs[0] else { throw Support.TimeoutError(what: "strdup") }
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        // The test process's other descriptors (pipes of kbq runs in parallel tests, made
        // without close-on-exec) must not leak into the child: a pipe's write end held open
        // here keeps another test waiting for its end of file as long as this session lives.
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let highestDescriptor = Int32(min(limit.rlim_cur, 65_536))
        let child = forkpty(&fd, nil, nil, &size)
        if child == 0 {
            var descriptor: Int32 = 3
            while descriptor < highestDescriptor { close(descriptor); descriptor += 1 }
            if ignoringHangUp { sigaction(SIGHUP, &ignore, nil) }
            chdir(directory)
            execve(program, cArgs, cEnv)
            _exit(127)
        }
        guard child > 0 else { throw Support.TimeoutError(what: "forkpty") }
        pid = child
        master = fd
    }

    /// Reads until `text` is on the screen (since the last mark), or fails after `timeout`.
    func waitFor(_ text: String, timeout: TimeInterval = 20) throws {
        let end = Date().addingTimeInterval(timeout)
        while !screen.contains(text) {
            if Date() > end { throw Support.TimeoutError(what: "'\(text)' in:\n\(screen)\n\(childState())") }
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = read(master, &buf, buf.count)
                if n > 0 { screen += String(decoding: buf[0..<n], as: UTF8.self) }
            }
        }
    }

    /// Where the child is, for a timeout's message: its state, the call it is blocked in,
    /// and its threads' kernel stacks where this user may read them.
    func childState() -> String {
        func read(_ file: String) -> String {
            ((try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? "(unreadable)")
        }
        let status = read("status").split(separator: "\n").filter { $0.hasPrefix("State") || $0.hasPrefix("Threads") }
        return "child \(pid): \(status.joined(separator: ", ")); syscall: \(read("syscall")); wchan: \(read("wchan"))\nstack:\n\(read("stack"))"
    }

    /// Waits until the child is blocked reading the terminal: in a read of descriptor 0
    /// (a line without libedit), or in libedit's character reader's wait, a poll (or
    /// ppoll) of two descriptors: the terminal's and the Ctrl-C pipe's.
    func waitUntilReading(timeout: TimeInterval = 20) throws {
        do {
            try Support.waitFor(timeout: timeout) {
                let s = (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)) ?? ""
                let fields = s.split(separator: " ")
                return s.hasPrefix("0 0x0 ") || fields.count > 2 && ["7", "271"].contains(fields[0]) && fields[2] == "0x2"
            }
        } catch {
            throw Support.TimeoutError(what: "the child reading its terminal; screen:\n\(screen)\n\(childState())")
        }
    }

    /// User plus system CPU time of a process, in clock ticks (/proc/PID/stat fields 14, 15).
    static func cpuTicks(_ pid: pid_t) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Makes the window `columns` wide (the kernel tells the child, which draws its line
    /// again) and waits for the redrawn prompt.
    func resize(columns: UInt16) throws {
        var size = winsize(ws_row: 40, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        kill(pid, SIGWINCH)
        try waitFor("kbq> kbq> ")
    }

    func send(_ s: String) throws {
        try waitUntilReading()
        screen = ""
        _ = s.withCString { write(master, $0, strlen($0)) }
    }

    /// Closes the terminal, as a closed window does, and waits for the child to end.
    func hangUp(timeout: TimeInterval = 20) throws -> Int32 {
        close(master)
        var status: Int32 = 0
        do {
            try Support.waitFor(timeout: timeout) { waitpid(pid, &status, WNOHANG) == pid }
        } catch {
            // Left running, it would spin beside the other tests.
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw error
        }
        return status
    }

    func exitStatus(timeout: TimeInterval = 20) throws -> Int32 {
        var status: Int32 = 0
        try Support.waitFor(timeout: timeout) { waitpid(pid, &status, WNOHANG) == pid }
        close(master)
        return (status >> 8) & 0xFF
    }
}

@Suite(.serialized) struct TerminalTests {
    let state: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-pty-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    @Test func sessionQueryContinuationInterruptAndHistory() throws {
        let state = self.state + "/session"
        let t = try Terminal(environment: ["XDG_STATE_HOME": state])
        try t.waitFor("kbq> ")
        // A query, as an aligned table with row numbers.
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("NSO_Group")
        try t.waitFor("(1 row)")
        try t.waitFor("kbq> ")
        // An incomplete statement gets a continuation prompt showing what is open.
        try t.send("find ?who where ?who claims [?g used\r")
        try t.waitFor("[...> ")
        try t.send("Pegasus]\r")
        try t.waitFor("Amnesty_International")
        try t.waitFor("kbq> ")
        // Ctrl-C at the prompt clears the line; the session goes on. (Right after a paste,
        // while libedit is between reads: `ctrlCRightAfterAPasteClearsTheLine`.)
        try t.send("find ?nothing")
        try t.waitFor("?nothing")
        try t.send("\u{03}")
        try t.waitFor("kbq> ")
        // An error does not end the session.
        try t.send("find ?x where ?x clamis _\r")
        try t.waitFor("did you mean 'claims'?")
        try t.waitFor("kbq> ")
        // TAB completes a predicate.
        try t.send("find ?x where ?x speaks_f\t")
        try t.waitFor("or ")  // libedit redraws only the completed part
        try t.send("Amnesty_International\r")
        try t.waitFor("Danna_Ingleton")
        try t.waitFor("kbq> ")
        // Ctrl-D on an empty line quits.
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)

        // A second session recalls the first one's history, a multi-line entry as one.
        let history = try String(contentsOfFile: state + "/kbq/history", encoding: .utf8)
        #expect(history.hasPrefix("_HiStOrY_V2_"))
        let t2 = try Terminal(environment: ["XDG_STATE_HOME": state])
        try t2.waitFor("kbq> ")
        try t2.send("\u{1B}[A\r")
        try t2.waitFor("Danna_Ingleton")
        try t2.waitFor("kbq> ")
        try t2.send("\u{04}")
        #expect(try t2.exitStatus() == 0)
    }

    /// Ctrl-C right after a paste: its SIGINT comes while libedit is still taking the
    /// pasted keys (a read each), between two reads, and interrupts no read. The prompt
    /// comes back all the same, with no key after it: the next query runs alone, not
    /// cancelled, not appended to the pasted text.
    @Test func ctrlCRightAfterAPasteClearsTheLine() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/paste"])
        try t.waitFor("kbq> ")
        let paste = "find ?x, ?y where ?x makes Pegasus, ?x is_a Organization, ?y says [?x made Pegasus] "
        for round in 0..<100 {
            try t.waitUntilReading()
            // The last prompt is on the screen already: only the one after the Ctrl-C is
            // waited for, so that the next query is typed once the line was cleared (typed
            // earlier, its first key could land on the line the Ctrl-C clears).
            t.screen = ""
            _ = (String(repeating: paste, count: 4) + "\(round)").withCString { write(t.master, $0, strlen($0)) }
            _ = "\u{03}".withCString { write(t.master, $0, 1) }
            try t.waitFor("kbq> ")
            try t.send("find ?x where ?x makes Pegasus\r")
            try t.waitFor("(1 row)")
            try t.waitFor("kbq> ")
        }
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// `help` and `quit` typed as words are the commands; Ctrl-D inside a statement drops it,
    /// says so and stays; `.exit N` leaves with status N.
    @Test func wordsAsCommandsCtrlDInAStatementAndExitStatus() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/words"])
        try t.waitFor("kbq> ")
        try t.send("help\r")
        try t.waitFor("Dot-commands")
        try t.waitFor("kbq> ")
        try t.send("find ?x where\r")
        try t.waitFor("...> ")
        try t.send("\u{04}")
        try t.waitFor("statement discarded")
        try t.waitFor("kbq> ")
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("NSO_Group")
        try t.waitFor("kbq> ")
        try t.send("quit\r")
        #expect(try t.exitStatus() == 0)

        let t2 = try Terminal(environment: ["XDG_STATE_HOME": state + "/words"])
        try t2.waitFor("kbq> ")
        try t2.send(".exit 3\r")
        #expect(try t2.exitStatus() == 3)
    }

    /// An answer taller than the terminal goes through the pager, and the session waits for
    /// it; a short one is written as it is. `.once |CMD` starts CMD with the answer only.
    @Test func tallAnswersGoThroughThePager() throws {
        let paged = state + "/paged.txt"
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/pager", "KBQ_PAGER": "cat > \(paged); echo PAGER-DONE"])
        try t.waitFor("kbq> ")
        try t.send("find ?s, ?p, ?o where ?s ?p ?o\r")
        try t.waitFor("PAGER-DONE")
        try t.waitFor("kbq> ")
        let text = try String(contentsOfFile: paged, encoding: .utf8)
        #expect(text.contains("NSO_Group") && text.contains(" rows"))
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("(1 row)")
        try t.waitFor("kbq> ")
        #expect(!t.screen.contains("PAGER-DONE"))  // the short one was not paged (the screen is what came since the query was sent)
        let once = state + "/once.txt"
        try t.send(".once |cat > \(once); echo ONCE-DONE\r")
        try t.waitFor("kbq> ")
        #expect(!FileManager.default.fileExists(atPath: once))  // not started yet
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("ONCE-DONE")
        try t.waitFor("kbq> ")
        #expect(try String(contentsOfFile: once, encoding: .utf8).contains("NSO_Group"))
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// A resize as a prompt comes, before the reader waits for a key (the signal may come
    /// between the reader's check for one and its wait): the line is redrawn for the new
    /// width all the same, with no key after it.
    @Test func aResizeAsThePromptComesRedrawsTheLine() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/resizes"])
        try t.waitFor("kbq> ")
        for round in 0..<40 {
            try t.send("\r")
            try t.waitFor("kbq> ")
            try t.resize(columns: UInt16(50 + round % 2 * 20))
        }
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// After the window is made narrower, line editing draws for the new width: a line
    /// longer than the window wraps where it ends, and Ctrl-A goes up to its start.
    @Test func lineEditingFollowsAResize() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/resize"])
        try t.waitFor("kbq> ")
        try t.resize(columns: 60)
        try t.send(String(repeating: "a", count: 70))
        try t.waitFor(String(repeating: "a", count: 15))
        try t.send("\u{01}X")
        // Up one row (the line wrapped at 60 columns), then to the column after the prompt.
        try t.waitFor("\u{1B}[A\u{1B}[6G")
        try t.send("\u{03}")
        try t.waitFor("kbq> ")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// At 60 columns a table of long propositions fits the window and says it cut them;
    /// TAB completes a label with spaces, and a qualifier key inside braces.
    @Test func tablesFitANarrowWindowAndTabKnowsWhereItIs() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/narrow"])
        try t.waitFor("kbq> ")
        try t.resize(columns: 60)
        try t.send("find ?who, ?p where ?who claims ?p\r")
        try t.waitFor("wide values cut")
        try t.waitFor("kbq> ")
        let table = t.screen.components(separatedBy: "\r\n").filter { $0.contains("│") }
        #expect(table.count > 5)
        for line in table { #expect(DisplayWidth.of(line) <= 60, "\(line)") }
        try t.send("find ?x where ?x works_for `Amnesty T\t")
        try t.waitFor("ech`")
        try t.send("\r")
        try t.waitFor("Danna_Ingleton")
        try t.waitFor("kbq> ")
        try t.send("find ?x where ?x claims _ {da\t")
        try t.waitFor("te: ")
        try t.send("\u{03}")
        try t.waitFor("kbq> ")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// Ctrl-C while a long table is being printed stops it.
    @Test func ctrlCStopsATableBeingPrinted() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/printing"])
        try t.waitFor("kbq> ")
        try t.send("find ?a, ?c, ?e where ?a ?p ?b, ?c ?q ?d, ?e ?r ?f limit 300000\r")
        // The heading's rule is printed just before the rows: printing has begun.
        try t.waitFor("─┼─", timeout: 120)
        _ = "\u{03}".withCString { write(t.master, $0, 1) }
        try t.waitFor("query cancelled after", timeout: 60)
        try t.waitFor("kbq> ")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// The start-up file runs before the first prompt of a session (and not with --no-rc).
    @Test func theStartupFileRunsBeforeTheFirstPrompt() throws {
        let config = state + "/config"
        try FileManager.default.createDirectory(atPath: config + "/kbq", withIntermediateDirectories: true)
        try ".mode csv\n.param set who NSO_Group\n".write(toFile: config + "/kbq/kbqrc", atomically: true, encoding: .utf8)
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/rc", "XDG_CONFIG_HOME": config])
        try t.waitFor("kbq> ")
        try t.send("find ?x where $who makes ?x\r")
        try t.waitFor("Pegasus\r\r\n")  // CSV ends its lines with CR LF: the mode the file set
        try t.waitFor("kbq> ")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
        let plain = try Terminal(environment: ["XDG_STATE_HOME": state + "/rc", "XDG_CONFIG_HOME": config], arguments: ["--no-rc"])
        try plain.waitFor("kbq> ")
        try plain.send(".mode\r")
        try plain.waitFor("mode: table")
        try plain.send("\u{04}")
        #expect(try plain.exitStatus() == 0)
    }

    /// A session whose terminal goes away ends (saving its history), even with SIGHUP
    /// ignored: libedit's read then fails with EIO, which is not an interrupt (taken as
    /// one, the prompt was written again at once, for ever, a core spinning).
    @Test func aSessionEndsWhenItsTerminalCloses() throws {
        let state = self.state + "/hangup"
        let t = try Terminal(environment: ["XDG_STATE_HOME": state], ignoringHangUp: true)
        try t.waitFor("kbq> ")
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("(1 row)")
        try t.waitFor("kbq> ")
        try t.waitUntilReading()
        let status = try t.hangUp()
        #expect(status & 0x7F == 0, "ended by signal \(status & 0x7F)")
        let history = try String(contentsOfFile: state + "/kbq/history", encoding: .utf8)
        #expect(history.contains("Pegasus"))
    }

    @Test func ctrlCCancelsALongQuery() throws {
        let t = try Terminal(environment: ["XDG_STATE_HOME": state + "/cancel"])
        try t.waitFor("kbq> ")
        try t.send("find count(*) where ?a ?p ?b, ?c ?q ?d, ?e ?r ?f, ?g ?s ?h\r")
        // Wait until it is evaluating (no longer reading the terminal), then interrupt.
        // (measured as CPU time spent: state, not a sleep).
        let startTicks = Terminal.cpuTicks(t.pid)
        try Support.waitFor(timeout: 20) { Terminal.cpuTicks(t.pid) >= startTicks + 20 }
        _ = "\u{03}".withCString { write(t.master, $0, 1) }
        try t.waitFor("query cancelled")
        try t.waitFor("kbq> ")
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("NSO_Group")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
    }

    /// A terminal on stdin but stdout piped (`kbq | less`): no libedit, the prompt on stderr,
    /// only answers (as TSV) on the pipe.
    @Test func answersPipedFromAnInteractiveSession() throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        #expect(openpty(&master, &slave, nil, nil, nil) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Support.binary)
        p.currentDirectoryURL = URL(fileURLWithPath: Support.root)
        p.environment = ProcessInfo.processInfo.environment.merging(["XDG_STATE_HOME": state + "/piped", "NO_COLOR": "1"]) { $1 }
        p.standardInput = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Canonical mode: the line discipline holds what is typed until kbq reads it, and a
        // ^D at the start of a line is the end of input.
        _ = "find ?x where ?x makes Pegasus\n\u{04}".withCString { write(master, $0, strlen($0)) }
        try Support.waitFor(timeout: 30) { !p.isRunning }
        close(master)
        close(slave)
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "x\nNSO_Group\n")
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("kbq> "))
    }

    @Test func damagedHistoryIsNotOverwritten() throws {
        let dir = state + "/damaged"
        try FileManager.default.createDirectory(atPath: dir + "/kbq", withIntermediateDirectories: true)
        try "my precious notes\n".write(toFile: dir + "/kbq/history", atomically: true, encoding: .utf8)
        let t = try Terminal(environment: ["XDG_STATE_HOME": dir])
        try t.waitFor("kbq> ")
        #expect(t.screen.contains("not a kbq history file"))
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("NSO_Group")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
        #expect(try String(contentsOfFile: dir + "/kbq/history", encoding: .utf8) == "my precious notes\n")
    }

    /// A dangling symbolic link at the history's path is not followed (its target was
    /// created), a directory there is warned about (history was silently lost), and a saved
    /// history replaces the old file by a rename (it was rewritten in place: a kill during
    /// the save lost it), leaving no temporary file behind.
    @Test func historyIsSavedByRenameAndNeverThroughADanglingLink() throws {
        let dangling = state + "/dangling"
        try FileManager.default.createDirectory(atPath: dangling + "/kbq", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dangling + "/kbq/history", withDestinationPath: dangling + "/elsewhere/target")
        let t = try Terminal(environment: ["XDG_STATE_HOME": dangling])
        try t.waitFor("kbq> ")
        try t.send("find ?x where ?x makes Pegasus\r")
        try t.waitFor("symbolic link to nothing")
        try t.send("\u{04}")
        #expect(try t.exitStatus() == 0)
        #expect(!FileManager.default.fileExists(atPath: dangling + "/elsewhere/target"))

        let directory = state + "/directory"
        try FileManager.default.createDirectory(atPath: directory + "/kbq/history", withIntermediateDirectories: true)
        let d = try Terminal(environment: ["XDG_STATE_HOME": directory])
        try d.waitFor("kbq> ")
        try d.send("find ?x where ?x makes Pegasus\r")
        try d.waitFor("is a directory")
        try d.send("\u{04}")
        #expect(try d.exitStatus() == 0)

        let renamed = state + "/renamed"
        try FileManager.default.createDirectory(atPath: renamed + "/kbq", withIntermediateDirectories: true)
        try "_HiStOrY_V2_\nfind\\040?x\\040where\\040?x\\040is_a\\040Person\n".write(toFile: renamed + "/kbq/history", atomically: false, encoding: .utf8)
        let before = try FileManager.default.attributesOfItem(atPath: renamed + "/kbq/history")[.systemFileNumber] as? Int
        let r = try Terminal(environment: ["XDG_STATE_HOME": renamed])
        try r.waitFor("kbq> ")
        try r.send("find ?x where ?x makes Pegasus\r")
        try r.waitFor("NSO_Group")
        try r.send("\u{04}")
        #expect(try r.exitStatus() == 0)
        let after = try FileManager.default.attributesOfItem(atPath: renamed + "/kbq/history")[.systemFileNumber] as? Int
        #expect(before != after, "the history was rewritten in place")
        let saved = try String(contentsOfFile: renamed + "/kbq/history", encoding: .utf8)
        #expect(saved.contains("is_a") && saved.contains("makes"), "\(saved)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: renamed + "/kbq") == ["history"])
    }
}
