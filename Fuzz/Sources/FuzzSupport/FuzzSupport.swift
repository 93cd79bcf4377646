#if canImport(Glibc)
import Glibc
#endif
import KBQ

/// What the fuzz targets share.
public enum Fuzz {
    /// Where output goes: written (so that the formatters run), never kept.
    public static let devNull: TextOutput = TextOutput(fd: open("/dev/null", O_WRONLY))

    /// `KBQ_FUZZ_SKIP_KNOWN=1`: inputs that reach a crash already known and being fixed
    /// (README in this folder, "Known crashes") are skipped, so that a long run finds
    /// others. Off by default: then those inputs are regressions.
    public static let skipKnown: Bool = env("KBQ_FUZZ_SKIP_KNOWN") == "1"

    /// Milliseconds a query may run (`KBQ_FUZZ_QUERY_MS`, default 300): past it the
    /// evaluator must stop by itself; libFuzzer's `-timeout` catches what does not.
    public static let queryMilliseconds: UInt64 = env("KBQ_FUZZ_QUERY_MS").flatMap { UInt64($0) } ?? 300

    public static func env(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Renders a diagnostic as the shell would (plain and colored), and throws it away.
    public static func consume(_ d: Diagnostic) {
        _ = d.render(color: false)
        _ = d.render(color: true)
        _ = d.description
    }

    public static func consume(_ list: DiagnosticList) {
        _ = list.render(color: false)
        _ = list.render(color: true)
    }

    /// The bundled knowledge base: `$KBQ_KB`, else `kb/main.kb` of the project this
    /// folder is in.
    public static func bundledKB(filePath: String = #filePath) -> String {
        if let path = env("KBQ_KB") { return path }
        var dir = filePath
        // Fuzz/Sources/<Target>/<file>.swift: four folders up is the project.
        for _ in 0..<4 { dir = parent(dir) }
        return dir + "/kb/main.kb"
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Loads files or ends the process: a fuzz target with no knowledge base is no test.
    public static func loadOrDie(_ files: [String]) -> FactStore {
        switch Loader.load(files: files, into: FactStore()) {
        case .success(let store): return store
        case .failure(let list):
            fputs("fuzz: cannot load \(files): \(list.render(color: false))\n", stderr)
            exit(2)
        }
    }

    /// The store as N-Triples, written nowhere (the exporter reads every column).
    /// What a loader's result goes through, as the shell would: its diagnostics rendered,
    /// or the loaded store's rules compiled and the store exported.
    public static func check(_ loaded: Result<FactStore, DiagnosticList>) {
        switch loaded {
        case .failure(let list):
            consume(list)
        case .success(let store):
            do {
                _ = try RuleEngine(store: store, rules: store.rules)
            } catch {
                consume(error)
            }
            export(store)
        }
    }

    public static func export(_ store: FactStore) {
        do {
            try NTriplesExporter.export(store, rules: store.rules) { try devNull.write($0) }
        } catch {}
    }

    /// A file of this process's own, for the loaders that read files only.
    public static func scratchFile(suffix: String) -> String {
        let dir = FileSystem.exists("/dev/shm") ? "/dev/shm" : "/tmp"
        return "\(dir)/kbq-fuzz-\(getpid())\(suffix)"
    }

    public static func write(_ data: UnsafeBufferPointer<UInt8>, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fputs("fuzz: cannot write \(path)\n", stderr); exit(2) }
        var done = 0
        while done < data.count {
            let n = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            if n <= 0 { fputs("fuzz: cannot write \(path)\n", stderr); exit(2) }
            done += n
        }
        close(fd)
    }

    /// `data` loaded as the file `path` (whose suffix says its kind) into a fresh store,
    /// which is checked and exported when it loads: the loaders that read files only.
    public static func loadAsFile(_ data: UnsafeBufferPointer<UInt8>, _ path: String) {
        write(data, to: path)
        let loaded = Loader.load(files: [path], into: FactStore())
        unlink(path)
        check(loaded)
    }

    // MARK: known crashes

    /// Whether an input of the query language reaches a crash already known and not yet
    /// fixed (see `skipKnown`, README.md): a last byte that is a backslash (the statement
    /// splitter), more than 200 `.` (a field chain `?x.a.a.a…` recurses in the compiler).
    /// (The crashes, fixed in bbfff1a, are no longer skipped: invalid UTF-8,
    /// limit/offset and `sum` overflow, deep `*`, catastrophic `matches`.)
    public static func isKnownQueryCrash(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if endsInBackslash(bytes) { return true }
        var dots = 0
        for c in bytes where c == UInt8(ascii: ".") {
            dots += 1
            if dots > 200 { return true }
        }
        return false
    }

    /// A text whose last byte is a backslash (in a string, StatementSplitter.segmentEnd
    /// steps past the end: found by this fuzzing, see README.md).
    public static func endsInBackslash(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.last == UInt8(ascii: "\\")
    }
}
