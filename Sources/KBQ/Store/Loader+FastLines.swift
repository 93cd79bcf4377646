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

    /// Pass 1: when the splitter stands at a plain statement line, records it and moves past.
    mutating func takeFastLine(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32) -> Bool {
        let p = splitter.position
        let bytes = text.bytes
        guard p < bytes.count, p == 0 || bytes[p - 1] == 0x0A else { return false }
        guard let end = bytes.withUnsafeBufferPointer({ FastLine.scan($0, from: p)?.end }), !splitter.nextLineContinues(after: end) else {
            return false
        }
        fastLines.append(PendingFastLine(file: file, start: p, end: end, line: Int32(clamping: splitter.line), from: from))
        statementOrder.append(-fastLines.count)
        splitter.advance(to: end)
        return true
    }

    /// Pass 2: adds the statement of a fast line, or hands the line to the full path.
    mutating func resolveFastLine(_ f: PendingFastLine) {
        let text = fileTexts[Int(f.file)]
        let added = text.bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let (line, _) = FastLine.scan(buffer, from: f.start) else { return false }
            return addFastLine(line, buffer, f, text.name)
        }
        if !added { resolveSlowly(f, text) }
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

    private mutating func addFastLine(_ line: FastLine, _ b: UnsafeBufferPointer<UInt8>, _ f: PendingFastLine, _ file: String) -> Bool {
        if fastResolver == nil { fastResolver = FastResolver(store) }
        let r = fastResolver!
        func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[range]) }
        func value(_ o: FastLine.Object) -> Value? {
            switch o {
            case .name(let range): return r.entities.lookup(bytes(range)).map { .entity($0) }
            case .string(let range): return .string(String(decoding: bytes(range), as: UTF8.self))
            case .integer(let n): return .integer(n)
            case .date(let d): return .date(d)
            }
        }
        guard let subject = r.entities.lookup(bytes(line.subject)),
            let predicate = r.predicates.lookup(bytes(line.predicate)), predicate != FactStore.isA, !r.stances[Int(predicate)],
            let object = value(line.object)
        else { return false }
        var document: EntityID? = nil
        var paragraph: Int? = nil
        var stored: [(key: Int32, value: Value)] = []
        for q in line.qualifiers {
            guard let key = r.keys.lookup(bytes(q.key)), let v = value(q.value), let accepted = Loader.accepted(v, r.keyTypes[Int(key)]) else {
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
        if documentChecked[doc] == nil, let t = r.documentType {
            guard store.entity(doc, isA: t) else { return false }  // the full path reports it
            documentChecked[doc] = true
        }
        guard documentChecked[doc] != false else { return false }
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
