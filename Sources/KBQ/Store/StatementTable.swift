/// Every statement of a store, column by column: a statement is a row number.
///
/// The provenance of an asserted statement (its `source` document and `para`) lives in
/// its own columns and is not repeated among the stored qualifiers; `qualifier(_:_:)` and
/// `statement(_:)` show it as the qualifiers it was written as.
struct StatementTable: Sendable {
    var subject = Column<Term>()
    var predicate = Column<PredicateID>()
    var object = Column<Term>()
    /// Statement i's qualifiers are `qualifierKeys/Values[qualifierStart[i]..<qualifierStart[i+1]]`.
    var qualifierStart: Column<UInt32> = [0]
    var qualifierKeys = Column<Int32>()
    var qualifierValues = Column<Term>()
    var asserted = BitColumn()
    /// Lines as runs too: in run r, statement `lineRunStart[r] + k` is on line
    /// `lineRunFirst[r] + k` (a large file has a statement a line, so few runs).
    var lineRunStart = Column<StatementID>()
    var lineRunFirst = Column<Int32>()
    /// Documents and paragraphs change rarely from one statement to the next (a `from`
    /// line covers many), so they are kept as runs: run r covers statements from
    /// `provenanceRunStart[r]` to the next run's start. Document -1 when there is none
    /// (quoted statements), paragraph `noParagraph`.
    var provenanceRunStart = Column<StatementID>()
    var provenanceRunDocument = Column<EntityID>()
    var provenanceRunParagraph = Column<Int32>()
    /// Files change more rarely still (a line's own `source` changes the document only), so
    /// they have runs of their own.
    var fileRunStart = Column<StatementID>()
    var fileRunFile = Column<Int32>()
    var names: [StatementID: String] = [:]
    /// Whether some statement has two qualifiers with one key (RDF can say so); when none
    /// has, a qualifier index run holds each statement's only value for its key.
    var hasRepeatedQualifierKeys = false
    var files: [String] = []
    var fileIDs: [String: Int32] = [:]

    static let noParagraph = Int32.min
    static let sourceKey: Int32 = 0
    static let paraKey: Int32 = 1

    var count: Int { subject.count }

    /// Renames the files statements were read from (`FactStore.renameFiles`).
    mutating func renameFiles(_ rename: (String) -> String) {
        files = files.map(rename)
        fileIDs = [:]
        for (i, f) in files.enumerated() where fileIDs[f] == nil { fileIDs[f] = Int32(i) }
    }

    mutating func fileID(_ name: String) -> Int32 {
        if let id = fileIDs[name] { return id }
        files.append(name)
        fileIDs[name] = Int32(files.count - 1)
        return Int32(files.count - 1)
    }

    /// Appends a statement whose values are already terms; `qualifiers` leaves out the
    /// provenance given as `document` and `paragraph`.
    mutating func append(
        subject s: Term, predicate p: PredicateID, object o: Term, qualifiers: [(key: Int32, value: Term)],
        asserted a: Bool, location: Location, document d: EntityID?, paragraph para: Int?
    ) {
        for (n, q) in qualifiers.enumerated() {
            if !hasRepeatedQualifierKeys, qualifiers[..<n].contains(where: { $0.key == q.key }) { hasRepeatedQualifierKeys = true }
            qualifierKeys.append(q.key)
            qualifierValues.append(q.value)
        }
        let f = fileRunFile.last.map { files[Int($0)] == location.file ? $0 : fileID(location.file) } ?? fileID(location.file)
        appendRow(
            subject: s, predicate: p, object: o, asserted: a, line: Int32(clamping: location.line), file: f,
            document: d ?? -1, paragraph: para.map { Int32(clamping: $0) } ?? StatementTable.noParagraph)
    }

    /// Appends the row of a statement whose stored qualifiers are already appended to
    /// `qualifierKeys` and `qualifierValues`; `file` is a `fileID`, `document` -1 for none.
    @inline(__always)
    mutating func appendRow(
        subject s: Term, predicate p: PredicateID, object o: Term, asserted a: Bool, line: Int32, file f: Int32,
        document doc: EntityID, paragraph: Int32
    ) {
        subject.append(s)
        predicate.append(p)
        object.append(o)
        qualifierStart.append(UInt32(qualifierKeys.count))
        asserted.append(a)
        appendRuns(row: count - 1, line: line, file: f, document: doc, paragraph: paragraph)
    }

    /// Extends or starts the line, provenance and file runs for row `i`, the last row.
    @inline(__always)
    mutating func appendRuns(row i: Int, line: Int32, file f: Int32, document doc: EntityID, paragraph: Int32) {
        if let start = lineRunStart.last, let first = lineRunFirst.last, Int(first) + (i - Int(start)) == Int(line) {
            // The next line of the run.
        } else {
            lineRunStart.append(StatementID(i))
            lineRunFirst.append(line)
        }
        if provenanceRunDocument.last != doc || provenanceRunParagraph.last != paragraph {
            provenanceRunStart.append(StatementID(i))
            provenanceRunDocument.append(doc)
            provenanceRunParagraph.append(paragraph)
        }
        if fileRunFile.last != f {
            fileRunStart.append(StatementID(i))
            fileRunFile.append(f)
        }
    }

    /// The last of the runs (which start at `starts`, in order) that starts at or before i.
    static func run(_ i: Int, startingAt starts: Column<StatementID>) -> Int {
        run(i, startingAt: starts.address, from: 0, below: starts.count)
    }

    /// The last of runs `low..<high` (which start at `starts`, in order) that starts at or
    /// before i, given that run `low` does.
    static func run(_ i: Int, startingAt starts: UnsafePointer<StatementID>, from low: Int, below high: Int) -> Int {
        var (low, high) = (low, high)
        while high - low > 1 {
            let mid = (low + high) / 2
            if Int(starts[mid]) <= i { low = mid } else { high = mid }
        }
        return low
    }

    /// The statements of run `r` of `runs` (which start at `starts`, in order) in a table
    /// of `count` statements.
    static func runRange(_ r: Int, startingAt starts: UnsafePointer<StatementID>, runs: Int, count: Int) -> Range<Int> {
        Int(starts[r])..<(r + 1 < runs ? Int(starts[r + 1]) : count)
    }

    func document(_ i: Int) -> EntityID? {
        let d = provenanceRunDocument[StatementTable.run(i, startingAt: provenanceRunStart)]
        return d >= 0 ? d : nil
    }

    func paragraph(_ i: Int) -> Int? {
        let p = provenanceRunParagraph[StatementTable.run(i, startingAt: provenanceRunStart)]
        return p != StatementTable.noParagraph ? Int(p) : nil
    }

    func fileName(_ i: Int) -> String { files[Int(fileRunFile[StatementTable.run(i, startingAt: fileRunStart)])] }

    /// The line statement i was written on.
    func line(_ i: Int) -> Int32 {
        let r = StatementTable.run(i, startingAt: lineRunStart)
        return lineRunFirst[r] + Int32(i - Int(lineRunStart[r]))
    }

    /// The statements of provenance run `r` (numbered as `forEachRun` meets them).
    func provenanceRun(_ r: Int) -> Range<Int> {
        StatementTable.runRange(r, startingAt: provenanceRunStart.address, runs: provenanceRunStart.count, count: count)
    }

    /// Calls `body(range, document, paragraph)` for each run, in order.
    func forEachRun(_ body: (Range<Int>, EntityID?, Int?) -> Void) {
        for r in provenanceRunStart.indices {
            let end = r + 1 < provenanceRunStart.count ? Int(provenanceRunStart[r + 1]) : count
            let d = provenanceRunDocument[r]
            let p = provenanceRunParagraph[r]
            body(Int(provenanceRunStart[r])..<end, d >= 0 ? d : nil, p != StatementTable.noParagraph ? Int(p) : nil)
        }
    }

    /// The stored qualifiers of statement i (provenance excluded).
    @inline(__always) func storedQualifiers(_ i: Int) -> Range<Int> {
        Int(qualifierStart[i])..<Int(qualifierStart[i + 1])
    }

    /// For each stored qualifier, the statement it belongs to.
    func qualifierOwners() -> [StatementID] {
        var owners = [StatementID](repeating: 0, count: qualifierKeys.count)
        for i in 0..<count { for q in storedQualifiers(i) { owners[q] = StatementID(i) } }
        return owners
    }

    var byteCount: Int {
        count * (4 + 4 + 4 + 4) + count / 8 + qualifierKeys.count * 8 + provenanceRunStart.count * 12 + fileRunStart.count * 8
            + lineRunStart.count * 8
    }

    /// Room for `n` more statements, so a large load does not copy its columns as they grow.
    mutating func reserve(_ n: Int) {
        subject.reserveCapacity(count + n)
        predicate.reserveCapacity(count + n)
        object.reserveCapacity(count + n)
        qualifierStart.reserveCapacity(count + n + 1)
        asserted.reserveCapacity(count + n)
    }

    /// Frees the spare capacity that appending left (columns grow by doubling).
    mutating func trim() {
        subject = subject.compacted()
        predicate = predicate.compacted()
        object = object.compacted()
        qualifierStart = qualifierStart.compacted()
        qualifierKeys = qualifierKeys.compacted()
        qualifierValues = qualifierValues.compacted()
        asserted = asserted.compacted()
        lineRunStart = lineRunStart.compacted()
        lineRunFirst = lineRunFirst.compacted()
        provenanceRunStart = provenanceRunStart.compacted()
        provenanceRunDocument = provenanceRunDocument.compacted()
        provenanceRunParagraph = provenanceRunParagraph.compacted()
        fileRunStart = fileRunStart.compacted()
        fileRunFile = fileRunFile.compacted()
    }
}

extension Array {
    /// A copy with no spare capacity (`Array(self)` would share this buffer, spare and all).
    /// A large array is left as it is: it has pages of its own (`FileSystem.configureHeap`), and the
    /// spare ones, never written, take no memory.
    func compacted() -> [Element] {
        guard capacity > count, capacity * MemoryLayout<Element>.stride < FileSystem.largeBlock else { return self }
        return [Element](unsafeUninitializedCapacity: count) { buffer, n in
            _ = buffer.initialize(from: self)
            n = count
        }
    }
}

/// A column of booleans, a bit each (whether each statement is asserted: a million
/// statements in 125 KB, not 1 MB).
struct BitColumn: Sendable {
    private var words = Column<UInt64>()
    private(set) var count = 0

    @inline(__always) subscript(_ i: Int) -> Bool { words[i >> 6] >> UInt64(i & 63) & 1 != 0 }

    /// The words' address, for a reader that holds this column (`Column.address`).
    var wordAddress: UnsafePointer<UInt64> { words.address }

    mutating func append(_ bit: Bool) {
        if count & 63 == 0 { words.append(0) }
        if bit { words[count >> 6] |= 1 << UInt64(count & 63) }
        count += 1
    }

    /// `n` copies of `bit`, a word at a time past the first partial word.
    mutating func append(_ bit: Bool, count n: Int) {
        var left = n
        while left > 0, count & 63 != 0 {
            append(bit)
            left -= 1
        }
        let fill: UInt64 = bit ? ~0 : 0
        while left >= 64 {
            words.append(fill)
            count += 64
            left -= 64
        }
        while left > 0 {
            append(bit)
            left -= 1
        }
    }

    mutating func reserveCapacity(_ n: Int) { words.reserveCapacity((n + 63) / 64) }

    func compacted() -> BitColumn {
        var c = self
        c.words = words.compacted()
        return c
    }
}

// MARK: image

extension BitColumn: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.int(count)
        w.column(words)
    }

    init(image r: inout ImageReader) throws {
        count = try r.int(in: 0...Int(Int32.max), "bit count")
        words = try r.view()
        try r.check(words.count == (count + 63) / 64, "bit column of \(count) in \(words.count) words")
    }
}

extension StatementTable: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.column(subject)
        w.column(predicate)
        w.column(object)
        w.column(qualifierStart)
        w.column(qualifierKeys)
        w.column(qualifierValues)
        w.put(asserted)
        w.column(lineRunStart)
        w.column(lineRunFirst)
        w.column(provenanceRunStart)
        w.column(provenanceRunDocument)
        w.column(provenanceRunParagraph)
        w.column(fileRunStart)
        w.column(fileRunFile)
        w.put(names)
        w.put(hasRepeatedQualifierKeys)
        w.put(files)
    }

    /// Reads the table and checks every reference it holds against `r.bounds` (entities,
    /// literals, predicates and keys are read before it).
    init(image r: inout ImageReader) throws {
        subject = try r.view()
        predicate = try r.view()
        object = try r.view()
        qualifierStart = try r.view()
        qualifierKeys = try r.view()
        qualifierValues = try r.view()
        asserted = try r.get()
        lineRunStart = try r.view()
        lineRunFirst = try r.view()
        provenanceRunStart = try r.view()
        provenanceRunDocument = try r.view()
        provenanceRunParagraph = try r.view()
        fileRunStart = try r.view()
        fileRunFile = try r.view()
        names = try r.get()
        hasRepeatedQualifierKeys = try r.get()
        files = try r.get()
        for (i, f) in files.enumerated() { fileIDs[f] = Int32(i) }

        let n = subject.count
        try r.check(n == r.bounds.statements, "\(n) statements where the schema says \(r.bounds.statements)")
        try r.check(predicate.count == n && object.count == n && asserted.count == n, "columns of unequal length")
        try r.check(qualifierStart.count == n + 1 && qualifierStart.first == 0, "qualifier starts")
        try r.check(qualifierKeys.count == qualifierValues.count && Int(qualifierStart[n]) == qualifierKeys.count, "qualifier columns")
        try StatementTable.checkRuns(lineRunStart, lineRunFirst.count, n, "line", &r)
        try StatementTable.checkRuns(provenanceRunStart, provenanceRunDocument.count, n, "provenance", &r)
        try r.check(provenanceRunParagraph.count == provenanceRunStart.count, "provenance runs")
        try StatementTable.checkRuns(fileRunStart, fileRunFile.count, n, "file", &r)
        if r.checksColumns { try checkEachStatement(&r) }
    }

    /// The checks that read every statement, qualifier and run (skipped for a sealed image).
    private func checkEachStatement(_ r: inout ImageReader) throws {
        let (n, b) = (subject.count, r.bounds)
        try r.check(ImageCheck.nondecreasing(qualifierStart), "qualifier starts out of order")
        try r.check(ImageCheck.allBelow(predicate, b.predicates), "predicates")
        try r.check(ImageCheck.allBelow(qualifierKeys, b.keys), "qualifier keys")
        // A statement names only propositions made before it (the loader adds a quoted
        // statement before the one that quotes it): so no proposition contains itself, and
        // showing or exporting one ends.
        let (subject, object, qualifierValues) = (subject, object, qualifierValues)
        r.checkLater("subject terms") { ImageCheck.allHeldAndEarlier(subject, b) }
        r.checkLater("object terms") { ImageCheck.allHeldAndEarlier(object, b) }
        r.checkLater("qualifier terms") { ImageCheck.allHeld(qualifierValues, b) }
        let earlier = qualifierStart.withUnsafeBufferPointer { starts in
            qualifierValues.withUnsafeBufferPointer { values in
                var row = 0
                var bad = false
                for j in values.indices where values[j].kind == Term.propositionKind {
                    while Int(starts[row + 1]) <= j { row += 1 }
                    bad = bad || values[j].index >= row
                }
                return !bad
            }
        }
        try r.check(earlier, "a proposition that contains itself")
        for d in provenanceRunDocument { try r.check(d >= -1 && Int(d) < b.entities, "document \(d)") }
        for f in fileRunFile { try r.check(f >= 0 && Int(f) < files.count, "file \(f)") }
        for id in names.keys { try r.check(id >= 0 && Int(id) < n, "statement name of \(id)") }
        // Line numbers only add within a run; a run that would overflow is damage.
        for k in lineRunStart.indices {
            let end = k + 1 < lineRunStart.count ? Int(lineRunStart[k + 1]) : n
            try r.check(Int(lineRunFirst[k]) + (end - Int(lineRunStart[k])) <= Int(Int32.max), "line run")
        }
    }

    /// Runs that `run(_:startingAt:)` can search: starting at 0, strictly increasing, below
    /// `n`, one value per run (the entity table's declaration runs too).
    static func checkRuns(_ starts: Column<StatementID>, _ values: Int, _ n: Int, _ what: String, _ r: inout ImageReader) throws {
        try r.check(values == starts.count, "\(what) runs of unequal length")
        try r.check(n == 0 || starts.first == 0, "\(what) runs do not start at 0")
        guard r.checksColumns else { return }
        for (k, s) in starts.enumerated() {
            try r.check(Int(s) < n && (k == 0 || starts[k - 1] < s), "\(what) runs out of order")
        }
    }
}
