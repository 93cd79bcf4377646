/// The layout of a store image (`.kbqi`): a loaded knowledge base written in binary, so that
/// a later run opens it instead of parsing the text. `grammar/image.md` describes it for
/// readers outside this code.
///
///     header   64 bytes   magic "KBQIMAGE", format version, byte-order mark, word size,
///                         section count, file length, checksum of the section table,
///                         checksum of the header's first 56 bytes
///     table    32 bytes a section: tag, offset, length, checksum
///     sections their bytes, in table order, each at a 64-byte boundary
///
/// Invariant: every number the reader takes from the file is checked against the file's
/// length and the counts read before it (`ImageReader`), and every reference from one part
/// of the store into another is checked by `FactStore.validateImage` before the store is
/// used, so no file, however made, makes the reader or a later query read out of bounds.
enum ImageFormat {
    static let magic: [UInt8] = Array("KBQIMAGE".utf8)
    /// Bumped on any change to what a section holds: an older or newer image is rebuilt.
    static let version: UInt32 = 6
    /// Written as a native UInt32: read back in the other byte order it is 0x04030201.
    static let byteOrderMark: UInt32 = 0x0102_0304
    static let headerSize = 64
    static let sectionEntrySize = 32
    /// More sections than any version writes: a table larger than this is damage.
    static let maxSections = 64

    /// The sections, in the order they are written and read.
    enum Tag: UInt32, CaseIterable, CustomStringConvertible {
        case sources = 1, schema, entities, literals, statements, names, indexes, rules

        /// Spelled out: interpolating a bare enum reflects on it (Mirror, metadata by
        /// mangled name), a cost every open paid for a reader's name.
        var description: String {
            switch self {
            case .sources: "sources"
            case .schema: "schema"
            case .entities: "entities"
            case .literals: "literals"
            case .statements: "statements"
            case .names: "names"
            case .indexes: "indexes"
            case .rules: "rules"
            }
        }
    }

    /// A file's content hash for its stamp: for a large file, the checksums of its 1 MB
    /// parts (taken on every core; the loader takes this hash of every file it reads)
    /// checksummed in turn; for a small one, its checksum.
    static func contentHash(_ bytes: [UInt8]) -> UInt64 {
        let part = 1 << 20
        guard bytes.count >= 4 * part else { return bytes.withUnsafeBytes { checksum($0) } }
        let count = (bytes.count + part - 1) / part
        let parts = bytes.withUnsafeBytes { raw in
            let shared = SharedBytes(raw)
            return Parallel.map(min(count, Parallel.cores)) { w -> [(Int, UInt64)] in
                stride(from: w, to: count, by: Parallel.cores).map { k in
                    (k, checksum(UnsafeRawBufferPointer(rebasing: shared.raw[k * part..<min(shared.raw.count, (k + 1) * part)])))
                }
            }
        }
        var hashes = [UInt64](repeating: 0, count: count)
        for list in parts { for (k, h) in list { hashes[k] = h } }
        return hashes.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of `bytes` (see `Checksum`).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var c = Checksum()
        c.add(bytes)
        return c.value
    }
}

/// A 64-bit checksum taken over bytes given in pieces of any size: four independent lanes
/// of multiply-rotate over eight-byte words (several GB/s, so checking a whole image costs
/// little beside reading it), the length, and the tail. Not cryptographic: it finds
/// damage, not forgery (forgery is what the readers' checks are for).
struct Checksum {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1, prime2, ~prime1, ~prime2)
    /// Bytes not yet making a 32-byte block.
    private var carry: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var carried = 0
    private var length = 0

    @inline(__always) private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = h &+ w &* prime2
        return ((x << 31) | (x >> 33)) &* prime1
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        length += bytes.count
        var i = 0
        let n = bytes.count
        // Fill a partial block first, a byte at a time.
        while carried != 0 && i < n {
            withUnsafeMutableBytes(of: &carry) { $0[carried] = bytes[i] }
            carried += 1
            i += 1
            if carried == 32 {
                block(carry.0, carry.1, carry.2, carry.3)
                carry = (0, 0, 0, 0)
                carried = 0
            }
        }
        while i + 32 <= n {
            block(
                base.loadUnaligned(fromByteOffset: i, as: UInt64.self), base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self),
                base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self), base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
            i += 32
        }
        if i < n {
            carry = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &carry) { c in
                for k in i..<n { c[k - i] = bytes[k] }
            }
            carried = n - i
        }
    }

    @inline(__always) private mutating func block(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        lanes.0 = Checksum.mix(lanes.0, a)
        lanes.1 = Checksum.mix(lanes.1, b)
        lanes.2 = Checksum.mix(lanes.2, c)
        lanes.3 = Checksum.mix(lanes.3, d)
    }

    var value: UInt64 {
        var h = UInt64(length) &* Checksum.prime1
        h = Checksum.mix(h, lanes.0)
        h = Checksum.mix(h, lanes.1)
        h = Checksum.mix(h, lanes.2)
        h = Checksum.mix(h, lanes.3)
        // The partial block, zero-padded (the length above tells paddings apart).
        h = Checksum.mix(h, carry.0)
        h = Checksum.mix(h, carry.1)
        h = Checksum.mix(h, carry.2)
        h = Checksum.mix(h, carry.3)
        h ^= h >> 29
        h = h &* Checksum.prime2
        return h ^ h >> 32
    }
}

/// Bytes read by the parts of `contentHash` (alive for the call).
private struct SharedBytes: @unchecked Sendable {
    let raw: UnsafeRawBufferPointer
    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }
}

/// Why an image was not used: said in one line, and the text is loaded instead.
public struct ImageError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// The image is sound but of another format version: a cache rebuilds it silently, as
    /// it does another kbq's image.
    public let isOtherVersion: Bool
    init(_ message: String, isOtherVersion: Bool = false) {
        self.message = message
        self.isOtherVersion = isOtherVersion
    }
    public var description: String { message }
}
