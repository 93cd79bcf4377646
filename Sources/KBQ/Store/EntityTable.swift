import CKBQPrefetch

/// Every entity of a store, column by column: ids, labels and aliases as spans of one byte
/// arena, types as shared lists, and the rare parts (descriptions, paragraph counts, IRIs,
/// aliases added later) aside. An `Entity` is made only when one is read whole; hot readers
/// take one column (`id`, `types`, `idEquals`).
///
/// An entity as a struct of Strings took about 176 bytes (each label or alias over 15
/// bytes a heap block of its own); here it is about 32 plus the bytes of its names.
public struct EntityTable: Sendable, RandomAccessCollection {
    private var arena = Column<UInt8>()
    /// A name: its offset in the arena << 24 | its length; `longMark` in the length when it
    /// is 16 MB or more, with the offset then indexing `long`.
    private var idSpan = Column<UInt64>()
    private var labelSpan = Column<UInt64>()
    /// Entity i's aliases are `aliasSpans[aliasStart[i]..<aliasStart[i + 1]]`, then any in
    /// `laterAliases` (added after the next entity was).
    private var aliasStart: Column<UInt32> = [0]
    private var aliasSpans = Column<UInt64>()
    private var laterAliases: [EntityID: [String]] = [:]
    private var long: [String] = []
    /// Per entity, its list of types: lists are shared (most entities have one of a few).
    private var typeList = Column<UInt32>()
    private var typeLists: [[Int32]] = [[]]
    private var typeListIDs: [[Int32]: UInt32] = [[]: 0]
    /// Where each was declared: a file per run of entities (run r from `fileRunStart[r]`), a line each.
    private var fileRunStart = Column<EntityID>()
    private var fileRunFile = Column<Int32>()
    private var files: [String] = []

    /// Renames the files entities were declared in (`FactStore.renameFiles`).
    mutating func renameFiles(_ rename: (String) -> String) { files = files.map(rename) }
    private var line = Column<Int32>()
    private var descriptions: [EntityID: String] = [:]
    /// Documents' paragraph counts, by entity (few entities have one).
    private(set) var paragraphCounts: [EntityID: Int] = [:]
    private var iris: [EntityID: String] = [:]

    private static let longMark: UInt64 = 0xFF_FFFF

    public var startIndex: Int { 0 }
    public var endIndex: Int { idSpan.count }

    public subscript(i: Int) -> Entity {
        var e = Entity(
            id: id(i), types: types(i), label: label(i), aliases: aliases(i), description: descriptions[EntityID(i)],
            paragraphs: paragraphCounts[EntityID(i)], declaredAt: declaredAt(i))
        e.iri = iris[EntityID(i)]
        return e
    }

    // MARK: reading one column

    public func id(_ i: Int) -> String { string(idSpan[i]) }
    public func label(_ i: Int) -> String { string(labelSpan[i]) }
    public func types(_ i: Int) -> [Int32] { typeLists[Int(typeList[i])] }
    /// Entity i's list of types, by its number: entities that share a list share it.
    func typeListNumber(_ i: Int) -> Int { Int(typeList[i]) }
    /// Calls `body` with every entity's type list number (`typeListNumber`) in place.
    func withTypeListNumbers<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R { try typeList.withUnsafeBufferPointer(body) }
    /// The lists of types entities have, by number (`typeListNumber`).
    var allTypeLists: [[Int32]] { typeLists }
    func paragraphs(_ i: Int) -> Int? { paragraphCounts.isEmpty ? nil : paragraphCounts[EntityID(i)] }
    func iri(_ i: Int) -> String? { iris.isEmpty ? nil : iris[EntityID(i)] }
    /// Entities by the IRI each was given (the later one of two with the same IRI).
    func iriIndex() -> [String: EntityID] { Dictionary(iris.sorted { $0.key < $1.key }.map { ($1, $0) }, uniquingKeysWith: { $1 }) }
    func description(_ i: Int) -> String? { descriptions.isEmpty ? nil : descriptions[EntityID(i)] }

    /// Every entity's id, in order (completion, suggestions): no whole entity is made.
    public var ids: [String] { indices.map(id) }

    /// Entity i's label and aliases.
    public func labelAndAliases(_ i: Int) -> [String] { [label(i)] + aliases(i) }

    public func aliases(_ i: Int) -> [String] {
        let own = aliasSpans[Int(aliasStart[i])..<Int(aliasStart[i + 1])].map(string)
        return own + (laterAliases[EntityID(i)] ?? [])
    }

    func declaredAt(_ i: Int) -> Location {
        Location(file: files[Int(fileRunFile[StatementTable.run(i, startingAt: fileRunStart)])], line: Int(line[i]))
    }

    /// Whether entity i's id is exactly `id`, compared as bytes.
    func idEquals(_ i: Int, _ id: String) -> Bool {
        var id = id
        return id.withUTF8 { b in withBytes(idSpan[i]) { $0.elementsEqual(b) } }
    }

    /// Whether entity i's id sorts before entity j's as Strings sort (`<`), read as bytes
    /// in place when both are ASCII (where the two orders are one: by code point); nil
    /// otherwise. (Two Strings made per comparison were most of ordering by an entity.)
    func idBefore(_ i: Int, _ j: Int) -> Bool? {
        withBytes(idSpan[i]) { a in
            withBytes(idSpan[j]) { b -> Bool? in
                guard ValueOps.isASCII(a), ValueOps.isASCII(b) else { return nil }
                return a.lexicographicallyPrecedes(b)
            }
        }
    }

    /// How entity i's label (`label`) or id sorts against entity j's as Strings sort:
    /// -1, 0 or 1. Read as bytes in place when both are ASCII (by code point, the order of
    /// Strings there); as Strings otherwise.
    func compare(label: Bool, _ i: Int, _ j: Int) -> Int {
        let (x, y) = label ? (labelSpan[i], labelSpan[j]) : (idSpan[i], idSpan[j])
        let bytes: Int? = withBytes(x) { a in
            withBytes(y) { b -> Int? in
                guard ValueOps.isASCII(a), ValueOps.isASCII(b) else { return nil }
                for k in 0..<Swift.min(a.count, b.count) where a[k] != b[k] { return a[k] < b[k] ? -1 : 1 }
                return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
            }
        }
        if let bytes { return bytes }
        let (s, t) = (string(x), string(y))
        return s < t ? -1 : (t < s ? 1 : 0)
    }

    /// The first eight bytes of entity i's label (`label`) or id, big-endian and padded with
    /// zeros, when the whole name is ASCII; `UInt64.max` (no ASCII prefix is) otherwise. Two
    /// ASCII names with different prefixes sort as their prefixes do, since their first
    /// difference lies in them; equal prefixes, or a name that is not ASCII, need `compare`.
    /// A sort reads each name's prefix once and compares words, not names.
    func sortPrefix(label: Bool, _ i: Int) -> UInt64 {
        withBytes(label ? labelSpan[i] : idSpan[i]) { b in
            guard ValueOps.isASCII(b) else { return UInt64.max }
            var prefix: UInt64 = 0
            for k in 0..<8 { prefix = prefix << 8 | UInt64(k < b.count ? b[k] : 0) }
            return prefix
        }
    }

    /// Whether entity i's id is exactly the bytes `id`.
    func idEquals(_ i: Int, bytes id: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(idSpan[i]) { $0.count == id.count && ($0.isEmpty || ByteKeyTable.equal($0.baseAddress!, id.baseAddress!, id.count)) }
    }

    /// Calls `body(i, bytes)` with every entity's id in order, through one pointer to the
    /// arena (a call per entity cost a retain and a release of the table's arrays).
    func forEachIDBytes(_ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        arena.withUnsafeBufferPointer { a in
            idSpan.withUnsafeBufferPointer { spans in
                for (i, span) in spans.enumerated() {
                    if span & EntityTable.longMark == EntityTable.longMark {
                        var s = long[Int(span >> 24)]
                        s.withUTF8 { body(i, $0) }
                    } else {
                        let start = Int(span >> 24)
                        body(i, UnsafeBufferPointer(rebasing: a[start..<start + Int(span & EntityTable.longMark)]))
                    }
                }
            }
        }
    }

    private func string(_ span: UInt64) -> String {
        if span & EntityTable.longMark == EntityTable.longMark { return long[Int(span >> 24)] }
        return withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    /// Ids and labels read in place, through pointers valid inside `withNames` only: a
    /// loop over many entities reads them with no reference counted (each `withLabelBytes`
    /// retained and released the table's arrays).
    struct Names {
        let arena: UnsafeBufferPointer<UInt8>
        let idSpan: UnsafeBufferPointer<UInt64>
        let labelSpan: UnsafeBufferPointer<UInt64>

        /// Entity i's label (or id) bytes; nil for a name kept apart for its length.
        @inline(__always) func bytes(_ i: Int, label: Bool) -> UnsafeBufferPointer<UInt8>? {
            let span = label ? labelSpan[i] : idSpan[i]
            if span & EntityTable.longMark == EntityTable.longMark { return nil }
            let start = Int(span >> 24)
            return UnsafeBufferPointer(rebasing: arena[start..<start + Int(span & EntityTable.longMark)])
        }
    }

    func withNames<R>(_ body: (Names) throws -> R) rethrows -> R {
        try arena.withUnsafeBufferPointer { a in
            try idSpan.withUnsafeBufferPointer { ids in
                try labelSpan.withUnsafeBufferPointer { labels in try body(Names(arena: a, idSpan: ids, labelSpan: labels)) }
            }
        }
    }

    /// Entity i's id as UTF-8 bytes, without making a String (answers written out).
    func withIDBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T { withBytes(idSpan[i], body) }

    /// Starts bringing in where entity i's id lies (the first of two steps: a writer of many
    /// answers reads ids all over the table, each a wait on memory). Unchecked: `i` must be
    /// an entity's.
    @inline(__always) func prefetchIDSpan(_ i: Int) { kbq_prefetch(idSpan.unsafeAddress + i) }

    /// Starts bringing in entity i's id bytes (the second step, once its span is in).
    @inline(__always) func prefetchID(_ i: Int) {
        let span = idSpan[i]
        if span & EntityTable.longMark != EntityTable.longMark { kbq_prefetch(arena.unsafeAddress + Int(span >> 24)) }
    }

    /// Entity i's label as UTF-8 bytes, without making a String (text filters).
    func withLabelBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T { withBytes(labelSpan[i], body) }

    private func withBytes<T>(_ span: UInt64, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if span & EntityTable.longMark == EntityTable.longMark {
            var s = long[Int(span >> 24)]
            return s.withUTF8(body)
        }
        let start = Int(span >> 24)
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<start + Int(span & EntityTable.longMark)])) }
    }

    // MARK: adding and changing

    private mutating func span(_ s: String) -> UInt64 {
        var copy = s
        return copy.withUTF8 { span($0, long: s) }
    }

    private mutating func span(_ b: UnsafeBufferPointer<UInt8>, long text: @autoclosure () -> String) -> UInt64 {
        guard UInt64(b.count) < EntityTable.longMark else {
            long.append(text())
            return UInt64(long.count - 1) << 24 | EntityTable.longMark
        }
        let span = UInt64(arena.count) << 24 | UInt64(b.count)
        arena.append(contentsOf: b)
        return span
    }

    /// Adds an entity; its types as `setTypes` sets them.
    mutating func append(_ e: Entity) -> EntityID {
        let i = EntityID(count)
        idSpan.append(span(e.id))
        labelSpan.append(span(e.label))
        for a in e.aliases { aliasSpans.append(span(a)) }
        aliasStart.append(UInt32(aliasSpans.count))
        typeList.append(0)
        setTypes(i, e.types)
        note(file: e.declaredAt.file, line: e.declaredAt.line)
        if let d = e.description { descriptions[i] = d }
        if let p = e.paragraphs { paragraphCounts[i] = p }
        if let iri = e.iri { iris[i] = iri }
        return i
    }

    /// Adds an entity from the bytes of a knowledge-base line (the loader's fast path): no
    /// String is made. `label` nil: the id with `_` read as spaces.
    mutating func append(
        id: UnsafeBufferPointer<UInt8>, label: UnsafeBufferPointer<UInt8>?, aliases: [UnsafeBufferPointer<UInt8>],
        types: [Int32], file: String, line: Int
    ) -> EntityID {
        let i = EntityID(count)
        idSpan.append(span(id, long: String(decoding: id, as: UTF8.self)))
        if let label {
            labelSpan.append(span(label, long: String(decoding: label, as: UTF8.self)))
        } else {
            labelSpan.append(span(String(String(decoding: id, as: UTF8.self).map { $0 == "_" ? " " : $0 })))
        }
        for a in aliases { aliasSpans.append(span(a, long: String(decoding: a, as: UTF8.self))) }
        aliasStart.append(UInt32(aliasSpans.count))
        typeList.append(0)
        setTypes(i, types)
        note(file: file, line: line)
        return i
    }

    private mutating func note(file: String, line l: Int) {
        if fileRunFile.last.map({ files[Int($0)] != file }) ?? true {
            files.append(file)
            fileRunStart.append(EntityID(count - 1))
            fileRunFile.append(Int32(files.count - 1))
        }
        line.append(Int32(clamping: l))
    }

    mutating func setTypes(_ i: EntityID, _ types: [Int32]) {
        // Most entities have the types of the one declared before.
        if i > 0, typeLists[Int(typeList[Int(i) - 1])] == types {
            typeList[Int(i)] = typeList[Int(i) - 1]
        } else if let list = typeListIDs[types] {
            typeList[Int(i)] = list
        } else {
            typeLists.append(types)
            typeListIDs[types] = UInt32(typeLists.count - 1)
            typeList[Int(i)] = UInt32(typeLists.count - 1)
        }
    }

    mutating func setLabel(_ i: EntityID, _ label: String) { labelSpan[Int(i)] = span(label) }

    mutating func addAlias(_ i: EntityID, _ alias: String) {
        if Int(i) == count - 1 {
            aliasSpans.append(span(alias))
            aliasStart[Int(i) + 1] = UInt32(aliasSpans.count)
        } else {
            laterAliases[i, default: []].append(alias)
        }
    }

    mutating func setDescription(_ i: EntityID, _ text: String) { descriptions[i] = text }
    mutating func setParagraphs(_ i: EntityID, _ n: Int?) { paragraphCounts[i] = n }

    mutating func reserve(_ n: Int) {
        idSpan.reserveCapacity(count + n)
        labelSpan.reserveCapacity(count + n)
        aliasStart.reserveCapacity(count + n + 1)
        typeList.reserveCapacity(count + n)
        line.reserveCapacity(count + n)
    }

    /// Drops the spare capacity that appending left.
    mutating func trim() {
        arena = arena.compacted()
        idSpan = idSpan.compacted()
        labelSpan = labelSpan.compacted()
        aliasStart = aliasStart.compacted()
        aliasSpans = aliasSpans.compacted()
        typeList = typeList.compacted()
        line = line.compacted()
    }

    var byteCount: Int {
        arena.count + count * (8 + 8 + 4 + 4 + 4) + aliasSpans.count * 8 + fileRunStart.count * 8
            + long.reduce(0) { $0 + $1.utf8.count } + descriptions.values.reduce(0) { $0 + 16 + $1.utf8.count }
            + iris.values.reduce(0) { $0 + 16 + $1.utf8.count } + paragraphCounts.count * 16
    }
}

// MARK: image

extension EntityTable: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.column(arena)
        w.column(idSpan)
        w.column(labelSpan)
        w.column(aliasStart)
        w.column(aliasSpans)
        w.put(laterAliases)
        w.put(long)
        w.column(typeList)
        w.put(typeLists)
        w.column(fileRunStart)
        w.column(fileRunFile)
        w.put(files)
        w.column(line)
        w.put(descriptions)
        w.put(paragraphCounts)
        w.put(iris)
    }

    /// Reads the table and checks that every span lies in the arena (or names a long
    /// string), that alias and type lists and file runs are well formed, and that types
    /// are below `r.bounds.types`.
    /// Every span lies in an arena of `arena` bytes or names one of `long` strings; one
    /// branch-free pass (a name span a test and a throw took a tenth of opening an image).
    private static func spansHeld(_ spans: Column<UInt64>, arena: Int, long: Int) -> Bool {
        spans.withUnsafeBufferPointer { b in
            var bad = false
            for span in b {
                let offset = span >> 24
                let length = span & EntityTable.longMark
                let isLong = length == EntityTable.longMark
                bad = bad || (isLong ? offset >= UInt64(long) : offset + length > UInt64(arena))
            }
            return !bad
        }
    }

    init(image r: inout ImageReader) throws {
        arena = try r.view()
        idSpan = try r.view()
        labelSpan = try r.view()
        aliasStart = try r.view()
        aliasSpans = try r.view()
        laterAliases = try r.get()
        long = try r.get()
        typeList = try r.view()
        typeLists = try r.get()
        fileRunStart = try r.view()
        fileRunFile = try r.view()
        files = try r.get()
        line = try r.view()
        descriptions = try r.get()
        paragraphCounts = try r.get()
        iris = try r.get()
        typeListIDs = [:]
        for (i, list) in typeLists.enumerated() where typeListIDs[list] == nil { typeListIDs[list] = UInt32(i) }

        let n = idSpan.count
        try r.check(n == r.bounds.entities, "\(n) entities where the schema says \(r.bounds.entities)")
        try r.check(labelSpan.count == n && typeList.count == n && line.count == n, "columns of unequal length")
        try r.check(aliasStart.count == n + 1 && aliasStart[0] == 0 && Int(aliasStart[n]) == aliasSpans.count, "alias starts")
        try r.check(!typeLists.isEmpty, "type lists")
        if r.checksColumns {
            try r.check(ImageCheck.nondecreasing(aliasStart), "alias starts out of order")
            for spans in [idSpan, labelSpan, aliasSpans] {
                try r.check(EntityTable.spansHeld(spans, arena: arena.count, long: long.count), "name span")
            }
            try r.check(ImageCheck.allBelow(typeList, typeLists.count), "type lists")
        }
        for list in typeLists { for t in list { try r.check(t >= 0 && Int(t) < r.bounds.types, "type \(t)") } }
        try StatementTable.checkRuns(fileRunStart, fileRunFile.count, n, "file", &r)
        for f in fileRunFile { try r.check(f >= 0 && Int(f) < files.count, "file \(f)") }
        for e in Array(laterAliases.keys) + Array(descriptions.keys) + Array(paragraphCounts.keys) + Array(iris.keys) {
            try r.check(e >= 0 && Int(e) < n, "entity \(e)")
        }
    }
}
