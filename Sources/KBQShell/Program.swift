#if canImport(Glibc)
import Glibc
#endif
import CKBQShim
import KBQ

/// The program: arguments, knowledge base, then a REPL, scripts or `-e` queries.
public enum KBQMain {
    public static let version = "kbq " + Options.version
    /// The session of `run`, kept until the process exits: `main` exits right after `run`
    /// returns, and the kernel frees the store at once, where a session going out of scope
    /// released it array by array (the largest part of a short script's time after opening
    /// an image). No deinit does work that matters: output is flushed explicitly.
    nonisolated(unsafe) static var keptUntilExit: Session? = nil

    public static func run(_ argv: [String]) -> Int32 {
        let stdout = TextOutput(fd: 1)
        let stderr = TextOutput(fd: 2, lineBuffered: true)
        let args: Arguments
        do {
            args = try Arguments.parse(Array(argv.dropFirst()))
        } catch {
            try? stderr.write("kbq: error: \(error.message)\nTry 'kbq --help'.\n")
            return 2
        }
        if args.help { try? stdout.write(Arguments.usage); try? stdout.flush(); return 0 }
        if args.version { try? stdout.write(version + "\n"); try? stdout.flush(); return 0 }

        if let size = args.maxFileSize { FileSystem.sizeLimit = size }
        // Before anything allocates: a knowledge base opened from its image never runs the
        // loader, which used to be the only caller, and glibc's sliding defaults then gave
        // every query's large temporaries fresh pages to fault in.
        FileSystem.configureHeap()
        let interactive = args.actions.isEmpty && isatty(0) == 1
        let stdoutIsTerminal = isatty(1) == 1
        let session = Session(stdout: stdout, stderr: stderr, mode: args.format ?? (stdoutIsTerminal ? .table : .tsv))
        keptUntilExit = session
        session.headers = args.headers
        session.timeLimit = args.timeLimit
        if let m = args.memoryLimit { session.memoryLimit = m }
        session.translateToSPARQL = args.toSPARQL
        session.parameters = args.parameters
        session.terminalWidth = { let w = kbq_terminal_columns(1); return w > 0 ? Int(w) : nil }
        session.terminalRows = { let r = kbq_terminal_rows(1); return r > 0 ? Int(r) : nil }
        // A session at a terminal pages answers taller than it (psql's default); before the
        // start-up file, which may turn it off.
        if interactive && !args.safe && stdoutIsTerminal { session.pager = Session.defaultPager }
        // No escape codes unless both ends are a terminal (a person is there), or asked for.
        // NO_COLOR counts only when it is not empty (no-color.org).
        let noColor = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false
        let dumb = getenv("TERM").map { String(cString: $0) == "dumb" } ?? true
        switch args.color {
        case .always:
            session.color = true
            session.colorAlways = true
        case .never: session.color = false
        case .auto: session.color = stdoutIsTerminal && isatty(0) == 1 && !noColor && !dumb
        }
        kbq_install_sigint()
        // Every write is checked (TextOutput), so SIGPIPE is not needed to notice a reader
        // that left: in a session a closed pipe ends one answer; in a script or `-e` run
        // (`kbq ... | head -1`) it ends the run quietly, with status 0, not 141.
        signal(SIGPIPE, SIG_IGN)
        let stdoutIsPipe = FileSystem.isPipe(1)
        // A query that materialises its rows (ordering, grouping) writes nothing for a
        // while: the reader's leaving is noticed by polling, so it stops at once too.
        session.outputClosed = { stdoutIsPipe && FileSystem.readerHasLeft(1) }
        session.endOnClosedOutput = !interactive
        session.isCancelled = { [outputClosed = session.outputClosed] in kbq_interrupt_pending() != 0 || outputClosed() }

        var files = args.kbFiles
        if !files.isEmpty { session.unknownNameHint = BundledKB.missingNameHint(named: files) }
        if files.isEmpty && !args.emptyKB {
            guard let bundled = BundledKB.path() else {
                try? stderr.write("kbq: error: the bundled knowledge base (kb/main.kb) was not found; set KBQ_KB or name a file\n")
                return 2
            }
            files = [bundled]
        }
        // --safe: the folder of the (first) knowledge base is all that is read.
        if args.safe { session.safeRoot = FileSystem.directory(of: files.first ?? "./") }
        // Every I/O error of a file named on the command line is status 2, before any load.
        for f in files {
            if let problem = FileSystem.unreadable(f) {
                try? stderr.write("kbq: error: \(problem)\n")
                return 2
            }
        }
        let opened = KnowledgeBaseOpener(args: args, session: session, stderr: stderr)
        if !files.isEmpty, let status = opened.open(files) { return status }
        // An image being written meanwhile is finished before the process ends.
        defer { opened.finish() }
        if args.compile {
            guard !files.isEmpty else {
                try? stderr.write("kbq: error: --compile writes the image of a knowledge base: name one (or leave out --empty)\n")
                return 2
            }
            return 0
        }
        if !interactive && kbq_interrupt_pending() != 0 { return 130 }
        // The start-up file: named with --rc (any run), else the user's own for a session
        // (never read by a script or a pipe, whose results must not depend on it).
        if !args.noRC, let rc = args.rcFile ?? (interactive ? StartupFile.defaultPath() : nil), args.rcFile != nil || FileSystem.exists(rc) {
            if let problem = FileSystem.unreadable(rc) {
                try? stderr.write("kbq: error: \(problem)\n")
                return 2
            }
            let outcome = session.runScript(file: rc, keepGoing: interactive)
            if outcome == .quit { return session.exitStatus ?? 0 }
            if outcome == .error && !interactive { return 1 }
        }

        if interactive {
            let status = REPL(session: session, knowledgeBase: files.joined(separator: " ")).run()
            return status
        }
        var worst = Session.Outcome.ok
        var actions = args.actions
        if actions.isEmpty { actions = [.script("-")] }
        for action in actions {
            let outcome: Session.Outcome
            switch action {
            case .export(let format):
                outcome = session.export(to: session.out, format: format)
            case .query(let q):
                outcome = session.runScript(SourceText(name: "-e", text: q), keepGoing: args.keepGoing)
            case .script("-"):
                let bytes: [UInt8]
                do { bytes = try FileSystem.readAll(fd: 0, name: "<stdin>") } catch {
                    if kbq_interrupt_pending() != 0 { return 130 }
                    try? stderr.write("kbq: error: \(error.message)\n")
                    return 2
                }
                guard let text = session.validated(bytes, name: "<stdin>") else { return 1 }
                outcome = session.runScript(text, keepGoing: args.keepGoing)
            case .script(let path):
                guard FileSystem.exists(path), !FileSystem.isDirectory(path) else {
                    try? stderr.write("kbq: error: cannot open script '\(path)'\(FileSystem.isDirectory(path) ? ": it is a directory" : ": no such file")\n")
                    return 2
                }
                outcome = session.runScript(file: path, keepGoing: args.keepGoing)
            }
            try? session.out.flush()
            if session.out.failed { return worst == .error ? 1 : 0 }
            switch outcome {
            case .interrupted: return 130
            case .quit: return session.exitStatus ?? (worst == .error ? 1 : 0)
            case .error:
                worst = .error
                if !args.keepGoing { return 1 }
            case .ok: break
            }
        }
        try? stdout.flush()
        return worst == .error ? 1 : 0
    }
}
