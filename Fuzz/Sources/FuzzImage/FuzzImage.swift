#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// A store image (`.kbqi`) as `kbq case.kbqi` opens it, without its checksums (which a
/// cache image is opened without): read, checked, then, when it is accepted, its rules
/// compiled and the store exported, as a session adopting it would use every part.
///
/// Three inputs in four get their header and table checksums made right first
/// (`ImageFile.resealed`), so that mutations reach the section table and the sections'
/// readers instead of stopping at the header's checksum.
enum ImageTarget {
    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        var input = Array(bytes)
        if let last = input.last, last & 3 != 0 { input = ImageFile.resealed(input) }
        guard let store = try? ImageFile.read(bytes: input, verify: false) else { return }
        Fuzz.check(.success(store))
        // Queries that read every index: by subject, object, predicate, type, qualifier,
        // provenance, names, literals, and `why`.
        let session = Session(store: store, stdout: Fuzz.devNull, stderr: Fuzz.devNull, mode: .tsv)
        session.timeLimit = Double(Fuzz.queryMilliseconds) / 1000
        _ = session.runScript(SourceText(name: "probe", text: ImageTarget.probes), keepGoing: true)
    }

    static let probes = """
        find ?s, ?p, ?o where ?s ?p ?o limit 200
        why 1
        find ?x, ?t where ?x is_a ?t limit 100
        find ?w, ?c, ?d, ?q where ?w says ?c as ?s, ?s.source = ?d, ?s.quote = ?q limit 100
        find ?x, ?y where ?x ?p ?y, ?y.label matches "e" limit 50
        find count(*) where ?s ?p ?o, ?s.date > 2000
        .describe Alice
        .schema
        .entities
        .rules
        """
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ImageTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
