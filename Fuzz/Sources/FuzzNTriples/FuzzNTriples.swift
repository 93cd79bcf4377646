#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// An N-Triples file: parsed by `NTriplesParser` (valid UTF-8 only, as the loader checks
/// first), then loaded as a `.nt` file into a fresh store (`Loader.load(files:)`: the
/// import of classes, properties, labels, reifiers and triple terms; the loader reads
/// N-Triples only from a file with that suffix, so the input is written to a scratch file
/// of this process, in /dev/shm). A store that loads is exported again. Every diagnostic
/// is rendered.
enum NTriplesTarget {
    static let path = Fuzz.scratchFile(suffix: ".nt")

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let array = Array(bytes)
        if let d = UTF8Check.diagnostic(array, name: path, hint: "; the file must be UTF-8") {
            Fuzz.consume(d)
            return
        }
        do {
            _ = try NTriplesParser.parse(SourceText(name: path, bytes: array))
        } catch {
            Fuzz.consume(error)
            return
        }
        Fuzz.loadAsFile(bytes, path)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    NTriplesTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
