import Dispatch

/// One-line entity declarations read ahead on another core while the loader declares the
/// ones before them: where each line's parts are and the hashes of its names. Declaring
/// stays in file order on one thread (ids are numbered in order), which is then filing:
/// the scanning and hashing, a quarter of it, run beside it.
final class EntityScans: @unchecked Sendable {
    struct Scan {
        var id: Range<Int>
        var label: Range<Int>?
        /// Into `typeNames`, and into `aliases` and `aliasHashes`, of its chunk.
        var types: Range<Int>
        var aliases: Range<Int>
        /// `NameIndex.normalizedHash` of the id and of the label (the id's without one).
        var idHash: UInt32
        var labelHash: UInt32
        /// Scanned, names in ASCII, and no property but `alias`: what the loader adds
        /// from the scan alone (anything else takes the way it took before).
        var plain: Bool
    }

    /// The scans of a chunk of lines, in order.
    struct Chunk {
        var scans: [Scan] = []
        var typeNames: [Range<Int>] = []
        var aliases: [Range<Int>] = []
        var aliasHashes: [UInt32] = []
    }

    static let chunkSize = 4096
    /// Written by the reading thread (chunk c, then `ready[c]` signalled), read and
    /// emptied by the loader after waiting: storage that never moves, each chunk touched
    /// by one thread at a time.
    private let chunks: UnsafeMutableBufferPointer<Chunk?>
    private let ready: [DispatchSemaphore]
    /// The chunk the loader reads now (waited for).
    private var current = -1

    /// Starts reading `lines` (fast entity lines of `texts`) in the background.
    init(_ lines: [Loader.PendingFastLine], _ texts: [SourceText]) {
        let count = (lines.count + EntityScans.chunkSize - 1) / EntityScans.chunkSize
        chunks = .allocate(capacity: count)
        chunks.initialize(repeating: nil)
        ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        guard count > 0 else { return }
        let read: @Sendable () -> Void = { [self] in
            var parts = FastLine.EntityParts()
            for c in 0..<count {
                var chunk = Chunk()
                let range = (c * EntityScans.chunkSize)..<min(lines.count, (c + 1) * EntityScans.chunkSize)
                chunk.scans.reserveCapacity(range.count)
                // A run of lines of one file through one pointer (taking the file's text a
                // line retained and released it, a fifth of this thread's time).
                var k = range.lowerBound
                while k < range.upperBound {
                    let file = lines[k].file
                    var end = k + 1
                    while end < range.upperBound, lines[end].file == file { end += 1 }
                    texts[Int(file)].bytes.withUnsafeBufferPointer { b in
                        for line in lines[k..<end] { chunk.add(b, line.start, &parts) }
                    }
                    k = end
                }
                chunks[c] = chunk
                ready[c].signal()
            }
        }
        // One chunk is read here: a small load starts no thread (`kbq -e` on the bundled
        // case would pay for Dispatch's start).
        if count == 1 { read() } else { DispatchQueue.global().async(execute: read) }
    }

    deinit {
        // The reading thread holds this object until it is done, so no chunk is written
        // now; the ones still here (the last read, at least) go with it.
        chunks.deinitialize()
        chunks.deallocate()
    }

    /// Chunk c (the scans of lines c * chunkSize ..< (c + 1) * chunkSize), once read;
    /// chunks must be asked for in order, and an earlier one is dropped. The loader keeps
    /// the chunk while it declares its lines: handing out a chunk a line retained and
    /// released its four arrays each time, a fifth of the declaring thread's time.
    func chunk(_ c: Int) -> Chunk {
        if c != current {
            if current >= 0 { chunks[current] = nil }
            ready[c].wait()
            current = c
        }
        return chunks[c]!
    }
}

extension EntityScans.Chunk {
    /// Reads the declaration at `start`; a line that does not scan is noted as not plain.
    mutating func add(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ parts: inout FastLine.EntityParts) {
        guard let e = FastLine.scanEntity(b, from: start, into: &parts) else {
            scans.append(EntityScans.Scan(id: 0..<0, label: nil, types: 0..<0, aliases: 0..<0, idHash: 0, labelHash: 0, plain: false))
            return
        }
        func hash(_ r: Range<Int>) -> UInt32? { NameIndex.normalizedHash(ascii: UnsafeBufferPointer(rebasing: b[r])) }
        let idHash = hash(e.id)
        let labelHash = e.label.map(hash) ?? idHash
        let firstType = typeNames.count
        typeNames.append(contentsOf: parts.types)
        let firstAlias = aliases.count
        var plain = idHash != nil && labelHash != nil
        for (key, value) in parts.properties where plain {
            guard case .string(let r) = value, b[key].elementsEqual("alias".utf8), let h = hash(r) else {
                plain = false
                break
            }
            aliases.append(r)
            aliasHashes.append(h)
        }
        if !plain {
            aliases.removeSubrange(firstAlias...)
            aliasHashes.removeSubrange(firstAlias...)
        }
        scans.append(EntityScans.Scan(
            id: e.id, label: e.label, types: firstType..<typeNames.count, aliases: firstAlias..<aliases.count,
            idHash: idHash ?? 0, labelHash: labelHash ?? 0, plain: plain))
    }
}
