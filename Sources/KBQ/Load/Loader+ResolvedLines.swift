extension Loader {
    /// Fast lines resolved by one worker from their tokens, as columns: everything the line
    /// says, checked as the full resolver checks it, except that literals are not interned yet.
    /// A line that fails any check has subject -1 and goes through the full path in order,
    /// which reports the error (or adds what the fast path does not handle). A class: the
    /// one thread that adds the lines reads it without copying its columns.
    final class ResolvedLines {
        /// The fast line index of the first line, and how many.
        let first: Int
        let count: Int
        // The columns, written by one worker and then read by the adding thread (through
        // the buffers below); freed with the object.
        // Appended to at every line by one worker thread: no run-time exclusivity checks
        // (they were 3% of a load).
        @exclusivity(unchecked) private var subjects: Scratch<EntityID>
        @exclusivity(unchecked) private var predicates: Scratch<PredicateID>
        @exclusivity(unchecked) private var objects: Scratch<UInt32>
        @exclusivity(unchecked) private var qualifierEnds: Scratch<Int32>
        @exclusivity(unchecked) private var keys: Scratch<Int32>
        @exclusivity(unchecked) private var values: Scratch<UInt32>
        @exclusivity(unchecked) private var documents: Scratch<EntityID>
        @exclusivity(unchecked) private var paragraphs: Scratch<Int32>
        @exclusivity(unchecked) private var pendingLiterals: Scratch<PendingLiteral>

        var subject: UnsafeBufferPointer<EntityID> { subjects.buffer }
        var predicate: UnsafeBufferPointer<PredicateID> { predicates.buffer }
        /// A term's raw bits, or `pendingKind` with an index into `literals`.
        var object: UnsafeBufferPointer<UInt32> { objects.buffer }
        /// Line k's qualifiers are `qualifierKeys/Values[qualifierEnd[k - 1]..<qualifierEnd[k]]`
        /// (from 0 for the first), provenance left out.
        var qualifierEnd: UnsafeBufferPointer<Int32> { qualifierEnds.buffer }
        var qualifierKeys: UnsafeBufferPointer<Int32> { keys.buffer }
        var qualifierValues: UnsafeBufferPointer<UInt32> { values.buffer }
        var document: UnsafeBufferPointer<EntityID> { documents.buffer }
        /// `StatementTable.noParagraph` when there is none.
        var paragraph: UnsafeBufferPointer<Int32> { paragraphs.buffer }
        var literals: UnsafeBufferPointer<PendingLiteral> { pendingLiterals.buffer }

        deinit {
            subjects.free()
            predicates.free()
            objects.free()
            qualifierEnds.free()
            keys.free()
            values.free()
            documents.free()
            paragraphs.free()
            pendingLiterals.free()
        }

        /// The top two bits of a value not yet interned (terms use kinds 0 to 2).
        static let pendingKind: UInt32 = 3

        struct PendingLiteral {
            var key: LiteralTable.Key
            /// A string's bytes in its file (else unused).
            var start: Int
            var length: Int32
        }

        func qualifiers(_ k: Int) -> Range<Int> {
            (k == 0 ? 0 : Int(qualifierEnd[k - 1]))..<Int(qualifierEnd[k])
        }

        /// Whether two of `keys[range]` are the same key.
        static func hasRepeatedKey(_ keys: UnsafeBufferPointer<Int32>, _ range: Range<Int>) -> Bool {
            for q in range.dropFirst() where keys[range.lowerBound..<q].contains(keys[q]) { return true }
            return false
        }

        init(_ lines: Range<Int>, _ input: ResolveInput) {
            first = lines.lowerBound
            count = lines.count
            subjects = Scratch(capacity: count)
            predicates = Scratch(capacity: count)
            objects = Scratch(capacity: count)
            qualifierEnds = Scratch(capacity: count)
            documents = Scratch(capacity: count)
            paragraphs = Scratch(capacity: count)
            keys = Scratch(capacity: count)
            values = Scratch(capacity: count)
            pendingLiterals = Scratch(capacity: count)
            var checker = DocumentChecker(input)
            var group = Group()
            // A piece of a run at a time: lines of one part of one file, in groups.
            input.lines.forEachPiece(of: lines) { run, inPart in
                let part = input.lines.part(of: run)
                input.texts[Int(run.file)].bytes.withUnsafeBufferPointer { b in
                    var g = inPart.lowerBound
                    while g < inPart.upperBound {
                        let groupEnd = min(g + Group.size, inPart.upperBound)
                        group.read(part, g..<groupEnd, b, input.resolver)
                        for k in 0..<(groupEnd - g) { add(run.from, k, group, b, input, &checker) }
                        g = groupEnd
                    }
                }
            }
            group.free()
        }

        /// A few lines read from their tokens ahead of resolving them, the entity names they
        /// mention looked up together: every name's home slot is prefetched before the first is
        /// looked at. The lookups are the workers' largest cost (a cache miss each in a
        /// table of 8 MB at 1M statements, 64 MB at 10M). At 1M neither grouping nor the
        /// prefetch measured faster (0.55 -> 0.54 s a load); at 10M the prefetch did (the
        /// statements 2.8 -> 2.5 s, with the literal table's). Sixteen lines (some forty
        /// names) a group, not 32: fewer prefetches in flight at once, statements at 10M
        /// 1.99-2.18 -> 1.94-2.00 s (CPU 3.60-3.94 -> 3.46-3.54 s), at 1M 0.177 -> 0.170;
        /// 8, 64 and 128 were slower.
        struct Group {
            static let size = 16
            var lines = Scratch<FastLine>(capacity: Group.size)
            /// Line k's qualifiers are `keys/values[qualifierStart[k]..<qualifierStart[k + 1]]`.
            var qualifierStart = Scratch<Int>(capacity: Group.size + 1)
            var keys = Scratch<Range<Int>>(capacity: Group.size)
            var values = Scratch<FastLine.Object>(capacity: Group.size)
            /// Line k's names are `ids[nameStart[k]...]`: its qualifier values that are
            /// names, in order, then its subject, then its object when a name. -1: none.
            var nameStart = Scratch<Int>(capacity: Group.size)
            var names = Scratch<Range<Int>>(capacity: Group.size * 4)
            var hashes = Scratch<UInt64>(capacity: Group.size * 4)
            var ids = Scratch<Int32>(capacity: Group.size * 4)
            /// Line k's predicate, and qualifier q's key, by their names (-1: none such).
            var predicates = Scratch<Int32>(capacity: Group.size)
            var keyIDs = Scratch<Int32>(capacity: Group.size)
            /// One cache a table: a name may be a predicate and a key both.
            var predicateCache = SmallNameCache()
            var keyCache = SmallNameCache()

            func free() {
                lines.free()
                qualifierStart.free()
                keys.free()
                values.free()
                nameStart.free()
                names.free()
                hashes.free()
                ids.free()
                predicates.free()
                keyIDs.free()
            }

            /// Reads lines `group` of `part` from their tokens and looks up their names.
            mutating func read(_ part: LinePrescan.Part, _ group: Range<Int>, _ b: UnsafeBufferPointer<UInt8>, _ resolver: FastResolver) {
                lines.count = 0
                qualifierStart.count = 0
                qualifierStart.append(0)
                keys.count = 0
                values.count = 0
                nameStart.count = 0
                names.count = 0
                predicates.count = 0
                keyIDs.count = 0
                part.tokens.withUnsafeBufferPointer { tokens in
                    for k in group {
                        let start = part.start(k)
                        var t = k == 0 ? 0 : Int(part.tokenEnd[k - 1])
                        let end = Int(part.tokenEnd[k])
                        nameStart.append(names.count)
                        let line = FastLine(
                            subject: FastLine.Token(raw: tokens[t]).range(start), predicate: FastLine.Token(raw: tokens[t + 1]).range(start),
                            object: FastLine.Token(raw: tokens[t + 2]).object(b, start))
                        t += 3
                        while t < end {
                            let value = FastLine.Token(raw: tokens[t + 1]).object(b, start)
                            let key = FastLine.Token(raw: tokens[t]).range(start)
                            keys.append(key)
                            keyIDs.append(keyCache.lookup(b, key, in: resolver.keys) ?? -1)
                            values.append(value)
                            if case .name(let r) = value { names.append(r) }
                            t += 2
                        }
                        names.append(line.subject)
                        if case .name(let r) = line.object { names.append(r) }
                        lines.append(line)
                        predicates.append(predicateCache.lookup(b, line.predicate, in: resolver.predicates) ?? -1)
                        qualifierStart.append(keys.count)
                    }
                }
                // Every name's slot is asked for before the first is looked at.
                let entities = resolver.entities
                hashes.count = 0
                for n in 0..<names.count {
                    let h = ByteKeyTable.hash(UnsafeBufferPointer(rebasing: b[names[n]]))
                    entities.prefetch(hash: h)
                    hashes.append(h)
                }
                ids.count = 0
                for n in 0..<names.count { ids.append(entities.lookup(UnsafeBufferPointer(rebasing: b[names[n]]), hash: hashes[n]) ?? -1) }
            }
        }

        private func add(
            _ from: Int32, _ k: Int, _ group: Group, _ b: UnsafeBufferPointer<UInt8>, _ input: ResolveInput,
            _ checker: inout DocumentChecker
        ) {
                if !resolve(from, k, group, b, input, &checker) {
                    // Undo what the line left and mark it for the full path.
                    let end = qualifierEnds.count == 0 ? 0 : Int(qualifierEnds[qualifierEnds.count - 1])
                    keys.count = end
                    values.count = end
                    subjects.append(-1)
                    predicates.append(0)
                    objects.append(0)
                    documents.append(-1)
                    paragraphs.append(StatementTable.noParagraph)
                }
                qualifierEnds.append(Int32(keys.count))
        }

        /// Resolves line k of the group, appending it; false (with only qualifiers
        /// appended) when it must take the full path.
        private func resolve(
            _ from: Int32, _ k: Int, _ group: Group, _ b: UnsafeBufferPointer<UInt8>, _ input: ResolveInput,
            _ checker: inout DocumentChecker
        ) -> Bool {
            let r = input.resolver
            var document: EntityID? = nil
            var paragraph: Int? = nil
            let literalCount = pendingLiterals.count
            let line = group.lines[k]
            var nextName = group.nameStart[k]
            /// A value as stored for a key of type `type`: a term or pending literal, nil
            /// when the name is not an entity or the type does not accept it.
            func value(_ o: FastLine.Object, _ type: ValueType) -> UInt32? {
                switch (o, type) {
                case (.name, .any), (.name, .entity):
                    let id = group.ids[nextName]
                    nextName += 1
                    return id >= 0 ? Term(entity: id).raw : nil
                case (.string(let range), .any), (.string(let range), .string):
                    return pending(.string(UnsafeBufferPointer(rebasing: b[range])), range)
                case (.integer(let n), .any), (.integer(let n), .integer), (.integer(let n), .decimal):
                    return pending(.integer(n), 0..<0)
                case (.integer(let y), .date) where (1000...9999).contains(y):
                    return pending(.date(DateValue(year: y)), 0..<0)
                case (.date(let d), .any), (.date(let d), .date):
                    return pending(.date(d), 0..<0)
                default:
                    return nil
                }
            }
            func pending(_ key: LiteralTable.Key, _ range: Range<Int>) -> UInt32 {
                pendingLiterals.append(PendingLiteral(key: key, start: range.lowerBound, length: Int32(range.count)))
                return ResolvedLines.pendingKind << 30 | UInt32(pendingLiterals.count - 1)
            }
            for q in group.qualifierStart[k]..<group.qualifierStart[k + 1] {
                let v = group.values[q]
                let key = group.keyIDs[q]
                guard key >= 0, let stored = value(v, r.keyTypes[Int(key)])
                else { return fail(literalCount) }
                if key == Loader.sourceKey {
                    // Provenance: one source, an entity (anything else takes the full path).
                    guard document == nil, stored >> 30 == Term.entityKind else { return fail(literalCount) }
                    document = EntityID(stored)
                } else if key == Loader.paraKey {
                    guard paragraph == nil, case .integer(let n) = v else { return fail(literalCount) }
                    paragraph = n
                } else {
                    keys.append(key)
                    values.append(stored)
                }
            }
            let s = group.ids[nextName]
            nextName += 1
            let p = group.predicates[k]
            guard s >= 0, p >= 0,
                p != FactStore.isA, !r.stances[Int(p)], let o = value(line.object, .any)
            else { return fail(literalCount) }
            // As addProvenance: the `from` line gives the document, and its paragraph when
            // the line gives none.
            if document == nil {
                guard from >= 0, let d = input.fromDocuments[Int(from)] else { return fail(literalCount) }
                document = d
                if paragraph == nil { paragraph = input.froms[Int(from)] }
            }
            guard let doc = document, checker.isDocument(doc) else { return fail(literalCount) }
            if let n = paragraph {
                if let count = checker.lastParagraphs, n < 0 || n > count { return fail(literalCount) }
                guard let p32 = Int32(exactly: n), p32 != StatementTable.noParagraph else { return fail(literalCount) }
            }
            subjects.append(s)
            predicates.append(p)
            objects.append(o)
            documents.append(doc)
            paragraphs.append(paragraph.map { Int32($0) } ?? StatementTable.noParagraph)
            return true
        }

        private func fail(_ literalCount: Int) -> Bool {
            pendingLiterals.count = literalCount
            return false
        }
    }

    /// Whether a line's source is a Document, and how many paragraphs it has, remembering
    /// the last document asked about (most lines have the source of the line before).
    struct DocumentChecker {
        let isDocumentEntity: [Bool]
        let paragraphCounts: [EntityID: Int]
        var lastGood: EntityID = -1
        /// The paragraphs of the last document accepted, if it says.
        var lastParagraphs: Int? = nil

        init(_ input: ResolveInput) {
            isDocumentEntity = input.resolver.isDocument
            paragraphCounts = input.resolver.paragraphs
        }

        mutating func isDocument(_ d: EntityID) -> Bool {
            if d == lastGood { return true }
            guard isDocumentEntity[Int(d)] else { return false }
            lastGood = d
            lastParagraphs = paragraphCounts.isEmpty ? nil : paragraphCounts[d]
            return true
        }
    }
}
