/// The loader's fast path (Loader+FastLines): plain statement and entity lines read from
/// their bytes, resolved on every core, and added in order. Everything it keeps between
/// lines lives here, apart from what every load keeps.
struct FastPath {
    /// The texts read, the plain lines found, the `from` lines in force and, in pass 2,
    /// their documents.
    var texts: [SourceText] = []
    var lines = Loader.FastLineRuns()
    var froms: [(document: Name, paragraph: Int, source: SourceText)] = []
    var fromDocuments: [EntityID?] = []
    var resolver: Loader.FastResolver? = nil
    /// The block of fast lines being added, resolved on every core by `resolveAhead`, in
    /// parts, and the part being added.
    var resolved: [Loader.ResolvedLines] = []
    var part = 0
    /// The blocks after it, being resolved meanwhile (large files).
    var pipeline: Loader.ResolvePipeline? = nil
    /// Off only in tests, to compare the fast path with the full parser.
    var enabled = true
    /// See `defaultScanBlock` (tests make it small, to drive the pipeline through many
    /// parts).
    var scanBlock = Loader.defaultScanBlock
    /// Entity lines taken, in order.
    var entities: [Loader.PendingFastLine] = []
    /// Types named lately by fast entity lines, by their bytes.
    var recentTypes: [(name: [UInt8], id: Int32)] = []
    /// Scratch for fast entity lines, kept from one to the next.
    var types: [Int32] = []
    var aliases: [UnsafeBufferPointer<UInt8>] = []
    var aliasHashes: [UInt32] = []
    var entityParts = FastLine.EntityParts()
}
