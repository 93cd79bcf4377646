#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// The text of a .kb file, loaded into a fresh store as the loader reads a file (its
/// UTF-8 check first, then `Loader.load(text:)`: both passes, the fast line path, the
/// indexes); a store that loads has its rules compiled (as a session adopting it does)
/// and is exported as N-Triples. Every diagnostic is rendered.
///
/// `include` lines resolve against the working directory (the input is named
/// `fuzz-input.kb`); `make fuzz` runs the target in a scratch folder, with no stdin.
enum KBTarget {
    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        if Fuzz.skipKnown && Fuzz.endsInBackslash(bytes) { return }
        let array = Array(bytes)
        if let d = UTF8Check.diagnostic(array, name: "fuzz-input.kb", hint: "; the file must be UTF-8") {
            Fuzz.consume(d)
            return
        }
        Fuzz.check(Loader.load(text: SourceText(name: "fuzz-input.kb", bytes: array), into: FactStore()))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    KBTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
