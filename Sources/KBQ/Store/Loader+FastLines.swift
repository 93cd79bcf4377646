#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
/// The loader's fast path for plain statement lines (see FastLine): pass 1 notes where the
/// line is, pass 2 resolves it from the bytes. Any line it cannot take whole goes through
/// the full parser and resolver, so errors read exactly as before.
extension Loader {
    struct PendingFastLine {
        var file: Int32
        var start: Int
        var end: Int
        var line: Int32
        /// Index into `froms`, or -1.
        var from: Int32
    }

    /// Pass 1: when the splitter stands at the start of a line that `scan` takes whole (and
    /// the next line does not continue), the line, and the splitter moved past it.
    static func takeLine(
        _ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32,
        _ scan: (UnsafeBufferPointer<UInt8>, Int) -> Int?
    ) -> PendingFastLine? {
        let p = splitter.position
        let bytes = text.bytes
        guard p < bytes.count, p == 0 || bytes[p - 1] == 0x0A else { return nil }
        guard let end = bytes.withUnsafeBufferPointer({ scan($0, p) }), !splitter.nextLineContinues(after: end) else { return nil }
        let line = PendingFastLine(file: file, start: p, end: end, line: Int32(clamping: splitter.line), from: from)
        splitter.advance(to: end)
        return line
    }

    /// Pass 1: a plain statement line, noted for pass 2.
    mutating func takeFastLine(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32) -> Bool {
        guard let line = Loader.takeLine(&splitter, text, file: file, from: from, { FastLine.scan($0, from: $1)?.end }) else { return false }
        fastLines.append(line)
        statementOrder.append(-fastLines.count)
        return true
    }

    /// Pass 2: adds the statement of fast line `n` (scanned, with its names looked up, by
    /// `scanAhead`), or hands the line to the full path.
    mutating func resolveFastLine(_ n: Int) {
        if fastResolver == nil { fastResolver = FastResolver(store) }
        if !scanned.indices.contains(n - scannedStart) { scanAhead(from: n) }
        let f = fastLines[n]
        let text = fileTexts[Int(f.file)]
        let added = scanned[n - scannedStart].map { addFastLine($0, f, text.name) } ?? false
        if !added { resolveSlowly(f, text) }
    }

    /// A fast line scanned and its entities, predicate and keys looked up: the part of pass
    /// 2 that only reads the bytes and the name tables.
    struct ScannedLine {
        var line: FastLine
        var subject: Int32?
        var predicate: Int32?
        /// The entity of an object that is a name.
        var object: Int32?
        /// Per qualifier, its key and the entity of a value that is a name (-1: none).
        var qualifiers: [(key: Int32, entity: Int32)]
    }

    static func scan(_ f: PendingFastLine, _ text: SourceText, _ r: FastResolver) -> ScannedLine? {
        text.bytes.withUnsafeBufferPointer { b -> ScannedLine? in
            guard let (line, _) = FastLine.scan(b, from: f.start) else { return nil }
            func lookup(_ t: ByteKeyTable, _ range: Range<Int>) -> Int32? { t.lookup(UnsafeBufferPointer(rebasing: b[range])) }
            func entity(_ o: FastLine.Object) -> Int32? {
                guard case .name(let range) = o else { return nil }
                return lookup(r.entities, range)
            }
            return ScannedLine(
                line: line, subject: lookup(r.entities, line.subject), predicate: lookup(r.predicates, line.predicate),
                object: entity(line.object),
                qualifiers: line.qualifiers.map { (lookup(r.keys, $0.key) ?? -1, entity($0.value) ?? -1) })
        }
    }

    /// Scans the next block of fast lines, from `n`, on every core: the lines are
    /// independent, and each worker writes only its own part of the block.
    mutating func scanAhead(from n: Int) {
        let block = fastLines[n..<min(fastLines.count, n + Loader.scanBlock)]
        let shared = ScanInput(lines: block, texts: fileTexts, resolver: fastResolver!)
        var out = [ScannedLine?](repeating: nil, count: block.count)
        let workers = block.count >= 4096 ? Parallel.cores : 1
        out.withUnsafeMutableBufferPointer { buffer in
            let target = ScanOutput(buffer: buffer)
            Parallel.forEach(workers) { w in
                let count = shared.lines.count
                for k in (w * count / workers)..<((w + 1) * count / workers) {
                    let f = shared.lines[shared.lines.startIndex + k]
                    target.buffer[k] = Loader.scan(f, shared.texts[Int(f.file)], shared.resolver)
                }
            }
        }
        scanned = out
        scannedStart = n
    }

    static let scanBlock = 1 << 16

    /// What the workers read: values, never changed while they run.
    struct ScanInput: @unchecked Sendable {
        let lines: ArraySlice<PendingFastLine>
        let texts: [SourceText]
        let resolver: FastResolver
    }

    /// Where they write: disjoint parts of one buffer.
    struct ScanOutput: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<ScannedLine?>
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
        /// The last paragraph number interned, and its term.
        var paragraphTerm: (Int, Term)? = nil

        init(_ store: FactStore) {
            entities = ByteKeyTable(capacity: store.entities.count)
            for (i, e) in store.entities.enumerated() { entities.insert(e.id, Int32(i)) }
            predicates = ByteKeyTable(capacity: store.predicates.count)
            for (i, p) in store.predicates.enumerated() { predicates.insert(p.name, Int32(i)) }
            keys = ByteKeyTable(capacity: store.keys.count)
            for (i, k) in store.keys.enumerated() { keys.insert(k.name, Int32(i)) }
            keyTypes = store.keys.map(\.valueType)
            stances = store.predicates.map(\.isStance)
            paragraphs = [:]
            for (i, e) in store.entities.enumerated() { if let n = e.paragraphs { paragraphs[EntityID(i)] = n } }
            documentType = store.typeID("Document")
        }
    }

    private mutating func addFastLine(_ s: ScannedLine, _ f: PendingFastLine, _ file: String) -> Bool {
        let r = fastResolver!
        let line = s.line
        let text = fileTexts[Int(f.file)]
        func value(_ o: FastLine.Object, _ entity: Int32?) -> Value? {
            switch o {
            case .name: return entity.map { .entity($0) }
            case .string(let range): return .string(String(decoding: text.bytes[range], as: UTF8.self))
            case .integer(let n): return .integer(n)
            case .date(let d): return .date(d)
            }
        }
        guard let subject = s.subject, let predicate = s.predicate, predicate != FactStore.isA, !r.stances[Int(predicate)],
            let object = value(line.object, s.object)
        else { return false }
        var document: EntityID? = nil
        var paragraph: Int? = nil
        var stored: [(key: Int32, value: Value)] = []
        for (q, ids) in zip(line.qualifiers, s.qualifiers) {
            let key = ids.key
            guard key >= 0, let v = value(q.value, ids.entity >= 0 ? ids.entity : nil), let accepted = Loader.accepted(v, r.keyTypes[Int(key)]) else {
                return false
            }
            if key == Loader.sourceKey {
                // Provenance: one source, an entity (anything else takes the full path).
                guard document == nil, case .entity(let d) = accepted else { return false }
                document = d
            } else if key == Loader.paraKey {
                guard paragraph == nil, case .integer(let n) = accepted else { return false }
                paragraph = n
            } else {
                stored.append((key, accepted))
            }
        }
        // As addProvenance: the `from` line gives the document, and its paragraph when the
        // line gives none.
        if document == nil {
            guard f.from >= 0, let d = fromDocuments[Int(f.from)] else { return false }
            document = d
            if paragraph == nil { paragraph = froms[Int(f.from)].paragraph }
        }
        guard let doc = document else { return false }
        // Most lines have the document of the line before: checked once (a document found
        // good stays good).
        if doc != lastGoodDocument {
            if documentChecked[doc] == nil, let t = r.documentType {
                guard store.entity(doc, isA: t) else { return false }  // the full path reports it
                documentChecked[doc] = true
            }
            guard documentChecked[doc] != false else { return false }
            lastGoodDocument = doc
        }
        if let n = paragraph, let count = r.paragraphs[doc], n < 0 || n > count { return false }
        if let n = paragraph, fastResolver!.paragraphTerm?.0 != n {
            fastResolver!.paragraphTerm = (n, store.intern(.integer(n)))
        }
        store.appendAsserted(
            subject: Term(entity: subject), predicate: predicate, object: object, qualifiers: stored,
            file: file, line: Int(f.line), document: doc, paragraph: paragraph)
        return true
    }

    /// The full parser and resolver on one line: the diagnostics of any line the fast path
    /// would not take.
    private mutating func resolveSlowly(_ f: PendingFastLine, _ text: SourceText) {
        let chunk = SourceText(name: text.name, bytes: Array(text.bytes[f.start..<f.end]), firstLine: Int(f.line))
        do {
            let item = try Parser.parseKBItem(chunk)
            guard case .statement(let p) = item else { return }
            let from = f.from >= 0 ? froms[Int(f.from)] : nil
            _ = resolveStatement(p, asserted: true, ParsedItem(item: item, source: chunk, from: from))
        } catch {
            report(error)
        }
    }

    /// Resolves the documents of the `from` lines once (checking each is a Document), so
    /// that a fast line needs no lookup; nil where the full path must report.
    mutating func resolveFromDocuments() {
        let documentType = store.typeID("Document")
        fromDocuments = froms.map { from in
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
    mutating func takeFastEntity(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32) -> Bool {
        guard let line = Loader.takeLine(&splitter, text, file: file, from: -1, { FastLine.scanEntity($0, from: $1)?.end }) else { return false }
        fastEntities.append(line)
        entityOrder.append(-fastEntities.count)
        return true
    }

    mutating func declareFastEntity(_ f: PendingFastLine) {
        let text = fileTexts[Int(f.file)]
        let declared = text.bytes.withUnsafeBufferPointer { b -> Bool in
            guard let (e, _) = FastLine.scanEntity(b, from: f.start) else { return false }
            func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
            let id = string(e.id)
            guard store.entityID(exactly: id) == nil else { return false }
            var types: [Int32] = []
            for t in e.types {
                guard let type = store.typeID(string(t)) else { return false }
                types.append(type)
            }
            var entity = Entity(
                id: id, types: [], label: e.label.map(string) ?? String(id.map { $0 == "_" ? " " : $0 }),
                aliases: [], description: nil, paragraphs: nil, declaredAt: Location(file: text.name, line: Int(f.line)))
            for (key, value) in e.properties {
                switch (string(key), value) {
                case ("alias", .string(let r)): entity.aliases.append(string(r))
                case ("description", .string(let r)): entity.description = string(r)
                case ("paragraphs", .integer(let n)): entity.paragraphs = n
                case ("iri", .string(let r)): entity.iri = string(r)
                default: return false
                }
            }
            store.setEntityTypes(store.addEntity(entity), types)
            return true
        }
        guard !declared else { return }
        let chunk = SourceText(name: text.name, bytes: Array(text.bytes[f.start..<f.end]), firstLine: Int(f.line))
        do {
            declareEntity(ParsedItem(item: try Parser.parseKBItem(chunk), source: chunk, from: nil))
        } catch {
            report(error)
        }
    }
}
