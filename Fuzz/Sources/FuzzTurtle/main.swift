#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// A Turtle file: parsed by `TurtleParser` (valid UTF-8 only, as the loader checks first),
/// then loaded as a `.ttl` file into a fresh store (the same import as N-Triples': classes,
/// properties, labels, reifiers, triple terms; written to a scratch file of this process,
/// in /dev/shm, as the loader reads Turtle only from a file with that suffix). A store that
/// loads is exported again. Every diagnostic is rendered.
enum TurtleTarget {
    static let path = Fuzz.scratchFile(suffix: ".ttl")

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let array = Array(bytes)
        if let d = UTF8Check.diagnostic(array, name: path, hint: "; the file must be UTF-8") {
            Fuzz.consume(d)
            return
        }
        do {
            _ = try TurtleParser.parse(SourceText(name: path, bytes: array), base: "file:///fuzz/")
        } catch {
            Fuzz.consume(error)
            return
        }
        Fuzz.loadAsFile(bytes, path)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    TurtleTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
