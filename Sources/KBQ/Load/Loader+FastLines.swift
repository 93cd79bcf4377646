import CKBQPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
/// The loader's fast path for plain statement lines (see FastLine): pass 1 notes where the
/// line is, pass 2 resolves it from the bytes. Any line it cannot take whole goes through
/// the full parser and resolver, so errors read exactly as before.
extension Loader {
    /// A fast line whole: an entity declaration (24 bytes: the newline's offset kept as the
    /// line's length, which the prescan bounds below 2^31), or a statement line the fast
    /// path could not take, handed to the full parser.
    struct PendingFastLine {
        var file: Int32
        var line: Int32
        /// Index into `fast.froms`, or -1.
        var from: Int32
        private var length: UInt32
        var start: Int

        init(file: Int32, start: Int, end: Int, line: Int32, from: Int32) {
            (self.file, self.line, self.from, self.length, self.start) = (file, line, from, UInt32(end - start), start)
        }

        /// The offset of the line's newline (or of the end of the file).
        var end: Int { start + Int(length) }
    }

    /// Pass 1: when the splitter stands at the start of a line the prescan found fast, notes
    /// it for pass 2, and the fast lines that follow it directly, and moves past them.
    mutating func takeFastLine(_ splitter: inout StatementSplitter, _ prescan: inout LinePrescan, file: Int32, from: Int32) -> Bool {
        guard prescan.isFastLine(at: splitter.position) else { return false }
        var line = Int32(clamping: splitter.line)
        // A fast line right after another adds to its run; a run starts after any other
        // statement or rule (and at the first fast line). Entity lines do not end one.
        var runOpen = statementOrder.last.map { $0 < 0 } ?? false
        let (start, end) = prescan.takeRun { number, part, lines, isEntity in
            if isEntity {
                for k in lines {
                    fast.entities.append(PendingFastLine(
                        file: file, start: part.start(k), end: part.end(k), line: line + Int32(k - lines.lowerBound), from: -1))
                    entityOrder.append(-fast.entities.count)
                }
            } else {
                if !runOpen {
                    statementOrder.append(-fast.lines.count - 1)
                    runOpen = true
                }
                fast.lines.append(file: file, part: number, lines: lines, firstLine: line, from: from)
            }
            line &+= Int32(lines.count)
        }
        // `end` is the last line's newline (or the end of the file).
        splitter.jump(toLine: Int(line) - 1, at: start)
        splitter.jump(toEndOfLine: end)
        return true
    }

    /// Pass 2: adds the statements of fast lines `lines` (consecutive in file order),
    /// fast.resolved by `resolveAhead`, handing any line that fails to the full path.
    mutating func resolveFastLines(_ lines: Range<Int>) {
        if fast.resolver == nil {
            let start = Clock.nanoseconds()
            fast.resolver = FastResolver(store)
            phases.add("statements, name tables for the fast path", since: start)
        }
        var n = lines.lowerBound
        while n < lines.upperBound {
            while fast.part < fast.resolved.count, n >= fast.resolved[fast.part].first + fast.resolved[fast.part].count { fast.part += 1 }
            if fast.part == fast.resolved.count || n < fast.resolved[fast.part].first {
                let start = Clock.nanoseconds()
                resolveAhead(from: n)
                phases.add("statements, resolving on every core (waited for)", since: start)
            }
            let part = fast.resolved[fast.part]
            let end = min(lines.upperBound, part.first + part.count)
            let start = Clock.nanoseconds()
            let cpu = Clock.threadNanoseconds()
            n += addResolved(part, n..<end)
            phases.add("statements, adding in order", since: start)
            phases.add("statements, adding in order (its thread's CPU)", seconds: Double(Clock.threadNanoseconds() - cpu) / 1e9)
            if n < end, part.subject[n - part.first] < 0 {
                let line = fast.lines.line(n)
                resolveSlowly(line, fast.texts[Int(line.file)])
                n += 1
            }
        }
    }

    /// Gives `fast.resolved` the fast lines holding line `n`, fast.resolved on every core from the
    /// prescan's tokens: everything about a line that only reads the bytes, the name
    /// tables and the declarations. What is left for the one thread that appends in order
    /// is interning literals.
    ///
    /// More than a block of lines (`fast.scanBlock`) are fast.resolved in parts of an eighth of a
    /// block (on two cores) by the workers of a `ResolvePipeline`, ahead of the adding, so
    /// that neither side waits for the other; a block or fewer all at once, by `resolve`.
    mutating func resolveAhead(from n: Int) {
        if fast.pipeline == nil {
            let input = ResolveInput(
                lines: fast.lines, texts: fast.texts, resolver: fast.resolver!, froms: fast.froms.map(\.paragraph), fromDocuments: fast.fromDocuments)
            if fast.lines.count - n <= fast.scanBlock {
                fast.resolved = Loader.resolve(n..<fast.lines.count, input)
                fast.part = 0
                return
            }
            fast.pipeline = ResolvePipeline(from: n, part: max(1, fast.scanBlock / (Parallel.cores * 4)), input)
        }
        fast.resolved = [fast.pipeline!.part(holding: n)]
        fast.part = 0
    }

    /// Fast lines a block (`fast.scanBlock`, smaller in tests): a load of more takes the
    /// fast.pipeline, in parts of `fast.scanBlock / (cores * 4)` lines.
    static let defaultScanBlock = 1 << 16

    /// Resolves a block of fast lines in parts, on every core (parts small enough that
    /// the last to finish keeps no core waiting long).
    static func resolve(_ block: Range<Int>, _ input: ResolveInput) -> [ResolvedLines] {
        let workers = block.count >= 4096 ? Parallel.cores * 4 : 1
        return Parallel.map(workers) { w in
            let part = (block.lowerBound + w * block.count / workers)..<(block.lowerBound + (w + 1) * block.count / workers)
            return ResolvedLines(part, input)
        }
    }

    /// What the workers read: values, never changed while they run.
    struct ResolveInput: @unchecked Sendable {
        let lines: FastLineRuns
        let texts: [SourceText]
        let resolver: FastResolver
        let froms: [Int]
        let fromDocuments: [EntityID?]
    }

    /// What pass 2 looks names up in, made once the declarations are resolved: entity ids,
    /// predicates and keys by their bytes, so a line makes no String for a name.
    struct FastResolver {
        var entities: ByteKeyTable
        var predicates: ByteKeyTable
        var keys: ByteKeyTable
        var keyTypes: [ValueType]
        var stances: [Bool]
        var paragraphs: [EntityID: Int]
        var documentType: Int32?
        /// Per entity, whether it is a Document (or there is no Document type to check).
        var isDocument: [Bool]
        /// The last paragraph number interned, and its term.
        var paragraphTerm: (Int32, Term)? = nil

        init(_ store: FactStore) {
            // Hashed first, then filed with the slot of the id eight on fetched: a cache
            // miss each in a table of 8 MB at 1M statements: 0.010 -> 0.007 s; at 10M,
            // 64 MB, 0.129 -> 0.069 s.
            var ids = ByteKeyTable(capacity: store.entities.count)
            var hashes: [UInt64] = []
            hashes.reserveCapacity(store.entities.count)
            store.entities.forEachIDBytes { _, bytes in hashes.append(bytes.isEmpty ? 0 : ByteKeyTable.hash(bytes)) }
            store.entities.forEachIDBytes { i, bytes in
                if i + Loader.fetchAhead < hashes.count { ids.prefetch(hash: hashes[i + Loader.fetchAhead]) }
                ids.insert(distinct: bytes, hash: hashes[i], Int32(i))
            }
            entities = ids
            predicates = ByteKeyTable(capacity: store.predicates.count)
            for (i, p) in store.predicates.enumerated() { predicates.insert(p.name, Int32(i)) }
            keys = ByteKeyTable(capacity: store.keys.count)
            for (i, k) in store.keys.enumerated() { keys.insert(k.name, Int32(i)) }
            keyTypes = store.keys.map(\.valueType)
            stances = store.predicates.map(\.isStance)
            paragraphs = store.entities.paragraphCounts
            documentType = store.typeID("Document")
            if let document = documentType {
                // From the members of Document and its sub-types, not a check per entity.
                isDocument = Array(repeating: false, count: store.entities.count)
                for t in store.typeClosure[Int(document)] {
                    for e in store.typeMembers[Int(t)] { isDocument[Int(e)] = true }
                }
            } else {
                isDocument = Array(repeating: true, count: store.entities.count)
            }
        }
    }

    /// How many items ahead the loader's in-order loops fetch what an item will touch (a
    /// literal's slot and bytes, an id's slot, a declaration's name slots).
    static let fetchAhead = 8

    /// Appends fast lines `lines` of fast.resolved block `part`, in order, up to the first that
    /// must take the full path (which reports what is wrong with it, or adds what the fast
    /// path does not) or to the end of its run; returns how many it added. One access to
    /// the table and the literals for them all.
    private mutating func addResolved(_ part: ResolvedLines, _ lines: Range<Int>) -> Int {
        let r = fast.lines.run(holding: lines.lowerBound)
        let run = fast.lines.runs[r]
        let runEnd = min(lines.upperBound, fast.lines.end(ofRun: r))
        var last = lines.lowerBound
        while last < runEnd, part.subject[last - part.first] >= 0 { last += 1 }
        guard last > lines.lowerBound else { return 0 }
        let file = run.file
        let rows = (lines.lowerBound - part.first)..<(last - part.first)
        let tableFile = store.table.fileID(fast.texts[Int(file)].name)
        var paragraphTerm = fast.resolver!.paragraphTerm
        // Line k of `part` is on this line of the file.
        let lineOffset = Int(run.firstLine) + part.first - run.first
        fast.texts[Int(file)].bytes.withUnsafeBufferPointer { bytes in
            store.withTableAndLiterals { table, literals in
                func term(_ raw: UInt32) -> Term {
                    guard raw >> 30 == ResolvedLines.pendingKind else { return Term(raw: raw) }
                    let j = Int(raw & Term.indexMask)
                    if j + Loader.fetchAhead < part.literals.count {
                        // Its slot, and a string's bytes in the file, which the worker
                        // read long ago (copying them from memory was a seventh of this
                        // thread's time at 10M).
                        let ahead = part.literals[j + Loader.fetchAhead]
                        literals.prefetch(ahead.key)
                        if ahead.length > 0 { kbq_prefetch(bytes.baseAddress! + ahead.start) }
                    }
                    let literal = part.literals[j]
                    let text = UnsafeBufferPointer(rebasing: bytes[literal.start..<literal.start + Int(literal.length)])
                    return Term(literal: literals.intern(literal.key, text: text))
                }
                // The columns that need no interning go in whole; literals are interned
                // row by row, in the order the full path interns them.
                let firstRow = table.count
                let qualifiers = part.qualifiers(rows.lowerBound).lowerBound..<part.qualifiers(rows.upperBound - 1).upperBound
                let qualifierBase = table.qualifierKeys.count - qualifiers.lowerBound
                table.subject.append(contentsOf: part.subject[rows].lazy.map { Term(entity: $0) })
                table.predicate.append(contentsOf: part.predicate[rows])
                table.qualifierKeys.append(contentsOf: part.qualifierKeys[qualifiers])
                table.asserted.append(true, count: rows.count)
                for k in rows {
                    let own = part.qualifiers(k)
                    if own.count > 1, !table.hasRepeatedQualifierKeys, ResolvedLines.hasRepeatedKey(part.qualifierKeys, own) {
                        table.hasRepeatedQualifierKeys = true
                    }
                    for q in own { table.qualifierValues.append(term(part.qualifierValues[q])) }
                    table.object.append(term(part.object[k]))
                    table.qualifierStart.append(UInt32(qualifierBase + own.upperBound))
                    let paragraph = part.paragraph[k]
                    if paragraph != StatementTable.noParagraph, paragraphTerm?.0 != paragraph {
                        paragraphTerm = (paragraph, Term(literal: literals.intern(.integer(Int(paragraph)))))
                    }
                    table.appendRuns(
                        row: firstRow + k - rows.lowerBound, line: Int32(lineOffset + k), file: tableFile,
                        document: part.document[k], paragraph: paragraph)
                }
            }
        }
        fast.resolver!.paragraphTerm = paragraphTerm
        store.assertedTotal += rows.count
        store.version += 1
        return rows.count
    }

    /// The full parser and resolver on one line: the diagnostics of any line the fast path
    /// would not take.
    private mutating func resolveSlowly(_ f: PendingFastLine, _ text: SourceText) {
        let chunk = SourceText(name: text.name, bytes: Array(text.bytes[f.start..<f.end]), firstLine: Int(f.line))
        do {
            let item = try Parser.parseKBItem(chunk)
            guard case .statement(let p) = item else { return }
            let from = f.from >= 0 ? fast.froms[Int(f.from)] : nil
            _ = resolveStatement(p, asserted: true, ParsedItem(item: item, source: chunk, from: from))
        } catch {
            report(error)
        }
    }

    /// Resolves the documents of the `from` lines once (checking each is a Document), so
    /// that a fast line needs no lookup; nil where the full path must report.
    mutating func resolveFromDocuments() {
        let documentType = store.typeID("Document")
        fast.fromDocuments = fast.froms.map { from in
            guard let d = store.entityID(exactly: from.document.text) else { return nil }
            if documentChecked[d] == nil, let t = documentType, !store.entity(d, isA: t) { return nil }
            if documentChecked[d] == nil && documentType != nil { documentChecked[d] = true }
            return d
        }
    }
}

/// Entity declarations on one line (`entity ID : Type "Label" {alias: "..."}`) take the same
/// kind of fast path: noted in pass 1, declared from the bytes in pass 2, and handed to the
/// full parser when anything is unusual (a duplicate id, an unknown type, a property it
/// does not know), which reports it.
extension Loader {
    /// Declares the entity of fast line `f`, whose file's bytes are `b` and name `fileName`.
    mutating func declareFastEntity(
        _ f: PendingFastLine, _ scan: EntityScans.Scan, _ chunk: EntityScans.Chunk, _ b: UnsafeBufferPointer<UInt8>, _ fileName: String
    ) {
        guard !declareFromBytes(f, scan, chunk, b, fileName) else { return }
        let chunk = SourceText(name: fileName, bytes: Array(b[f.start..<f.end]), firstLine: Int(f.line))
        do {
            declareEntity(ParsedItem(item: try Parser.parseKBItem(chunk), source: chunk, from: nil))
        } catch {
            report(error)
        }
    }

    /// `declareFastEntity` from the line's bytes; false when the full path must take it.
    private mutating func declareFromBytes(
        _ f: PendingFastLine, _ scan: EntityScans.Scan, _ chunk: EntityScans.Chunk, _ b: UnsafeBufferPointer<UInt8>, _ fileName: String
    ) -> Bool {
        func bytes(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[r]) }
        func string(_ r: Range<Int>) -> String { String(decoding: bytes(r), as: UTF8.self) }
        // Names in ASCII with aliases alone (nearly every declaration in a large file)
        // go from the scan read ahead to the table, through arrays kept from line to
        // line. A duplicate id takes the full path, which reports it.
        if scan.plain {
            guard resolveFastTypes(chunk.typeNames[scan.types], b) else { return false }
            if !fast.aliases.isEmpty {
                fast.aliases.removeAll(keepingCapacity: true)
                fast.aliasHashes.removeAll(keepingCapacity: true)
            }
            for a in scan.aliases {
                fast.aliases.append(bytes(chunk.aliases[a]))
                fast.aliasHashes.append(chunk.aliasHashes[a])
            }
            return store.addEntity(
                id: bytes(scan.id), idHash: scan.idHash, label: scan.label.map(bytes), labelHash: scan.labelHash,
                aliases: fast.aliases, aliasHashes: fast.aliasHashes, types: fast.types, file: fileName, line: Int(f.line))
        }
        guard let e = FastLine.scanEntity(b, from: f.start, into: &fast.entityParts) else { return false }
        guard resolveFastTypes(fast.entityParts.types, b) else { return false }
        // Other one-line declarations through an Entity.
        let types = fast.types
        let id = string(e.id)
        guard store.entityID(exactly: id) == nil else { return false }
        var entity = Entity(
            id: id, types: [], label: e.label.map(string) ?? String(id.map { $0 == "_" ? " " : $0 }),
            aliases: [], description: nil, paragraphs: nil, declaredAt: Location(file: fileName, line: Int(f.line)))
        for (key, value) in fast.entityParts.properties {
            switch (string(key), value) {
            case ("alias", .string(let r)): entity.aliases.append(string(r))
            case ("description", .string(let r)): entity.description = string(r)
            // Out of range: the full parser reports it where it is.
            case ("paragraphs", .integer(let n)) where (0...Loader.maxParagraph).contains(n): entity.paragraphs = n
            case ("iri", .string(let r)): entity.iri = string(r)
            default: return false
            }
        }
        store.setEntityTypes(store.addEntity(entity), types)
        return true
    }

    /// `fast.types` := the types named by `names` in `b`; false when one is unknown (the
    /// full path reports it).
    private mutating func resolveFastTypes(_ names: some Sequence<Range<Int>>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        // Written only where they differ from the last entity's (nearly never): emptying
        // and refilling the array cost a fifth of declaring an entity.
        var k = 0
        for t in names {
            guard let type = fastTypeID(UnsafeBufferPointer(rebasing: b[t])) else { return false }
            if k == fast.types.count {
                fast.types.append(type)
            } else if fast.types[k] != type {
                fast.types[k] = type
            }
            k += 1
        }
        if k < fast.types.count { fast.types.removeLast(fast.types.count - k) }
        return true
    }

    /// The type named by `name`'s bytes, remembering the last few asked for (declarations
    /// name the same few types over and over).
    private mutating func fastTypeID(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
        for recent in fast.recentTypes where recent.name.count == name.count && !name.isEmpty {
            if recent.name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) { return recent.id }
        }
        guard let id = store.typeID(String(decoding: name, as: UTF8.self)) else { return nil }
        if fast.recentTypes.count == 8 { fast.recentTypes.removeFirst() }
        fast.recentTypes.append((Array(name), id))
        return id
    }
}
