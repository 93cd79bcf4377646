#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// A spreadsheet: loaded as a `.csv` file into a fresh store (the loader checks its UTF-8,
/// reads its cells, tells an entities sheet from a statements sheet by the header, and
/// imports it, declaring what it names; written to a scratch file of this process, in
/// /dev/shm, as the loader reads a sheet only from a file with that suffix). A store that
/// loads is exported again. Every diagnostic is rendered.
enum CSVTarget {
    static let path = Fuzz.scratchFile(suffix: ".csv")

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        Fuzz.loadAsFile(bytes, path)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    CSVTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
