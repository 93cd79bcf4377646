/// Reads knowledge-base files into a store, all or nothing.
///
/// Two passes: every file (includes followed) is cut into items and parsed, then the items
/// are fast.resolved in declaration order (types, predicates, keys, entities, statements,
/// rules), so a file may use an entity declared further down or in another file. Every
/// error is collected (up to a cap); any error leaves the given store untouched.
public struct Loader {
    struct ParsedItem {
        var item: KBItemSyntax
        var source: SourceText
        /// The `from DOCUMENT para N` in force, with the text that said it.
        var from: (document: Name, paragraph: Int, source: SourceText)?
    }

    var store: FactStore
    var diagnostics = DiagnosticList()
    var items: [ParsedItem] = []
    var includeStack: [String] = []
    var seenFiles: Set<String>
    /// N-Triples files, parsed in pass 1 and imported in pass 2.
    var rdfFiles: [RDFFile] = []
    /// Spreadsheets, read in pass 1 and imported in pass 2.
    var csvSheets: [CSVSheet] = []
    var csvMemo = CSVMemo()
    /// What taken sheet cells remembered, not yet written into `csvMemo`, and the memos'
    /// stamp when the first of them was noted.
    var csvEffects: [CSVEffect] = []
    var csvEffectsStamp = 0
    /// Sheet rows the fast path made statements of (tests count them).
    var fastSheetRows = 0
    var currentRDFPath = ""
    /// Sources already checked to be Documents (false: reported as not one).
    var documentChecked: [EntityID: Bool] = [:]
    var lastGoodDocument: EntityID = -1
    /// The built-in keys `source` and `para`: the first two keys of every store.
    /// (Constants, not looked up: the fast path reads them for every qualifier.)
    static let sourceKey = StatementTable.sourceKey
    static let paraKey = StatementTable.paraKey
    /// The fast path's state (Loader+FastLines): see `FastPath`.
    var fast = FastPath()
    /// `--safe`: the folder includes must stay inside (canonical, and as the user named it),
    /// or nil.
    var includeRoot: (canonical: String, shown: String)? = nil
    /// Statements and rules in file order: an item index, or -(first + 1) for a run of fast
    /// lines from `first` up to the next run's first (or to the last fast line): one entry
    /// a run, not a line (eight bytes a statement at 1M).
    var statementOrder: [Int] = []
    /// Entity declarations in file order: an item index, or -(fast entity line index + 1).
    var entityOrder: [Int] = []
    /// What the file being imported says about itself (reifiers, requested names).
    var rdfContext = RDFImport(file: RDFFile(path: "", triples: []))
    /// Where a load's time went, phase by phase (kbq-bench prints it).
    var phases = LoadPhases()

    init(base: FactStore) {
        FileSystem.configureHeap()
        store = base
        seenFiles = Set(base.loadedFiles)
    }

    /// Loads files into a copy of `base`; on any error, returns every error and no store.
    public static func load(files: [String], into base: FactStore) -> Result<FactStore, DiagnosticList> {
        load(files: files, into: base, fastLines: true).0
    }

    /// As `load(files:into:)`, with every `include` confined to the folder `root` and those
    /// under it (`--safe`): one that leads elsewhere is an error at it.
    public static func load(files: [String], into base: FactStore, includesConfinedTo root: String?) -> Result<FactStore, DiagnosticList> {
        var loader = Loader(base: base)
        loader.includeRoot = root.map { (FileSystem.canonical($0), $0) }
        for f in files { loader.parseFile(f, includedFrom: nil) }
        return loader.finish()
    }

    /// As `load(files:into:)`, with or without the fast path, and how many lines (and
    /// sheet rows) it took (tests compare the two).
    static func load(
        files: [String], into base: FactStore, fastLines: Bool, scanBlock: Int = Loader.defaultScanBlock
    ) -> (Result<FactStore, DiagnosticList>, fastLines: Int) {
        var loader = Loader(base: base)
        loader.fast.enabled = fastLines
        loader.fast.scanBlock = scanBlock
        for f in files { loader.parseFile(f, includedFrom: nil) }
        // The lines are counted before `finish` lets them go; the sheet rows are read in it.
        let lines = loader.fast.lines.count + loader.fast.entities.count
        let result = loader.finish()
        return (result, lines + loader.fastSheetRows)
    }

    /// As `load(files:into:)`, with the seconds each phase took.
    public static func timedLoad(
        files: [String], into base: FactStore
    ) -> (Result<FactStore, DiagnosticList>, phases: [(String, Double)], faults: [(String, Int)], cpu: [(String, Double)]) {
        var loader: Loader? = Loader(base: base)
        for f in files { loader!.parseFile(f, includedFrom: nil) }
        loader!.phases.end("read and split")
        let result = loader!.finish()
        var phases = loader!.phases
        // What the loader still holds is freed here, part of the load's time.
        loader = nil
        phases.end("teardown")
        return (result, phases.seconds, phases.faults, phases.cpu)
    }

    /// Loads knowledge-base text that is not in a file (tests, typed-in facts).
    public static func load(text: SourceText, into base: FactStore) -> Result<FactStore, DiagnosticList> {
        var loader = Loader(base: base)
        loader.parse(text, path: text.name)
        return loader.finish()
    }

    mutating func finish() -> Result<FactStore, DiagnosticList> {
        resolveAll()  // even after syntax errors, so that every error is reported
        // No worker runs past the resolving, whatever its outcome.
        fast.pipeline?.cancel()
        fast.pipeline = nil
        guard diagnostics.errorCount == 0 else { return .failure(diagnostics) }
        // Everything the load no longer needs goes before the heap is trimmed below (what
        // is freed after it would stay resident: the heap gives back its free top only
        // past `FileSystem.trimThreshold`).
        items = []
        fast.lines = FastLineRuns()
        fast.resolved = []
        fast.resolver = nil
        statementOrder = []
        entityOrder = []
        fast.entities = []
        fast.texts = []
        fast.froms = []
        fast.fromDocuments = []
        documentChecked = [:]
        store.table.trim()
        store.literals.trim()
        store.entities.trim()
        phases.end("trim")
        store.buildIndexes()
        phases.end("indexes")
        FileSystem.releaseFreeMemory()
        phases.end("release")
        return .success(store)
    }

    // MARK: pass 1: reading and parsing

    mutating func parseFile(_ path: String, includedFrom: (SourceText, Range<Int>)?) {
        let canonical = FileSystem.canonical(path)
        if let cycleStart = includeStack.firstIndex(of: canonical) {
            let chain = (includeStack[cycleStart...] + [canonical]).map(Loader.shortName).joined(separator: " -> ")
            report(Diagnostic(.error, "include cycle: \(chain)", source: includedFrom?.0, range: includedFrom?.1 ?? 0..<0))
            return
        }
        if seenFiles.contains(canonical) { return }
        let bytes: [UInt8]
        let readStart = Clock.nanoseconds()
        // Before reading: a change after this is seen by the next run (SourceStamp).
        let stat = FileSystem.sizeAndModified(path) ?? (size: -1, modified: 0)
        do {
            bytes = try FileSystem.read(path)
        } catch {
            report(Diagnostic(.error, error.message, source: includedFrom?.0, range: includedFrom?.1 ?? 0..<0))
            return
        }
        seenFiles.insert(canonical)
        let hashStart = Clock.nanoseconds()
        let hash = ImageFormat.contentHash(bytes)
        phases.add("read and split, hashing", since: hashStart)
        store.noteLoaded(canonical, SourceStamp(path: canonical, size: stat.size, modified: stat.modified, contentHash: hash))
        phases.add("read and split, reading", since: readStart)
        let checkStart = Clock.nanoseconds()
        if let d = UTF8Check.diagnostic(bytes, name: path, hint: "; the file must be UTF-8") {
            report(d)
            return
        }
        phases.add("read and split, UTF-8", since: checkStart)
        if Loader.isNTriples(path) || TurtleParser.isTurtle(path) {
            parseRDF(path, SourceText(name: path, bytes: bytes))
            return
        }
        if CSVTable.isSheet(path) {
            let sheetStart = Clock.nanoseconds()
            parseCSV(path, SourceText(name: path, bytes: bytes))
            phases.add("read and split, sheets", since: sheetStart)
            return
        }
        includeStack.append(canonical)
        parse(SourceText(name: path, bytes: bytes), path: path)
        includeStack.removeLast()
    }

    /// Whether a file's name says it is a knowledge base kbq reads, other than by its
    /// text's first line: `.kb` text, N-Triples, Turtle, a spreadsheet.
    public static func isKnowledgeBase(_ path: String) -> Bool {
        path.hasSuffix(".kb") || isNTriples(path) || TurtleParser.isTurtle(path) || CSVTable.isSheet(path)
    }

    /// N-Triples by its name: `.nt` or `.ntriples`.
    public static func isNTriples(_ path: String) -> Bool {
        path.hasSuffix(".nt") || path.hasSuffix(".ntriples")
    }

    static func shortName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    mutating func parse(_ text: SourceText, path: String) {
        var splitter = StatementSplitter(name: text.name, bytes: text.bytes)
        var from: (document: Name, paragraph: Int, source: SourceText)? = nil
        var fromIndex: Int32 = -1
        var ruleNames = Set(store.rules.map(\.syntax.name.text))
        let file = Int32(fast.texts.count)
        fast.texts.append(text)
        let prescanStart = Clock.nanoseconds()
        var prescan = fast.enabled ? text.bytes.withUnsafeBufferPointer { LinePrescan($0) } : LinePrescan()
        phases.add("read and split, prescan", since: prescanStart)
        fast.lines.addFile(prescan)
        while true {
            splitter.skipBlankAndCommentLines()
            if fast.enabled, takeFastLine(&splitter, &prescan, file: file, from: fromIndex) {
                continue
            }
            guard let piece = splitter.next(parse: { chunk in
                Result { () throws(Diagnostic) in try Parser.parseKBItem(chunk, rules: ruleNames) }
            }) else { break }
            guard case .statement(let chunk, let result) = piece else { continue }
            switch result {
            case .failure(let d):
                report(d)
            case .success(.include(let file, let range)):
                let target = FileSystem.resolve(file, from: path)
                if let root = includeRoot, !FileSystem.isInside(FileSystem.canonical(target), root.canonical) {
                    report(Diagnostic(.error, "--safe: '\(file)' is outside \(root.shown), the folder of the knowledge base opened", source: chunk, range: range))
                    continue
                }
                parseFile(target, includedFrom: (chunk, range))
            case .success(.from(let doc, let para, _)):
                from = (doc, para, chunk)
                fast.froms.append((doc, para, chunk))
                fromIndex = Int32(fast.froms.count - 1)
            case .success(let item):
                if case .rule(let r) = item { ruleNames.insert(r.name.text) }
                items.append(ParsedItem(item: item, source: chunk, from: from))
                switch item {
                case .statement, .rule: statementOrder.append(items.count - 1)
                case .entity: entityOrder.append(items.count - 1)
                default: break
                }
            }
        }
    }

    mutating func report(_ d: Diagnostic) { diagnostics.append(d) }

    func error(_ message: String, _ source: SourceText, _ range: Range<Int>, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range, notes: notes)
    }

    func location(_ source: SourceText, _ range: Range<Int>) -> Location {
        Location(file: source.name, line: source.line(of: range.lowerBound))
    }
}

/// Phase times of a load: each `end` closes the phase that began at the previous one.
struct LoadPhases {
    private var last = Clock.nanoseconds()
    private var lastFaults = Clock.pageFaults()
    private var lastCPU = Clock.processSeconds()
    private(set) var seconds: [(String, Double)] = []
    /// Per phase, the page faults the process took in it (faulting in fresh memory is an
    /// eighth of a large load's CPU here, in the kernel).
    private(set) var faults: [(String, Int)] = []
    /// Per phase, the CPU seconds of every thread.
    private(set) var cpu: [(String, Double)] = []

    mutating func end(_ phase: String) {
        let now = Clock.nanoseconds()
        seconds.append((phase, Double(now - last) / 1e9))
        last = now
        let nowFaults = Clock.pageFaults()
        faults.append((phase, nowFaults - lastFaults))
        lastFaults = nowFaults
        let nowCPU = Clock.processSeconds()
        cpu.append((phase, nowCPU - lastCPU))
        lastCPU = nowCPU
    }

    /// Adds time spent in part of a phase since `start` (a `Clock` reading), summed over
    /// calls, under `part`, beside the phases.
    mutating func add(_ part: String, since start: UInt64) {
        add(part, seconds: Double(Clock.nanoseconds() - start) / 1e9)
    }

    mutating func add(_ part: String, seconds spent: Double) {
        if let i = seconds.firstIndex(where: { $0.0 == part }) { seconds[i].1 += spent } else { seconds.append((part, spent)) }
    }
}
