// swift-tools-version:6.0
// libFuzzer targets for kbq, in a package of their own: a fuzz target in the main package
// would break a plain `swift build` (see ../../shared/notes/reliability.md, "Fuzzing").
//
// Build (from this folder; `make fuzz` in the project does it):
//   swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=address,fuzzer \
//     --scratch-path /tmp/fuzz-build
// (the -Xswiftc flag matters: swiftc keeps only the last of the two -sanitize= flags SwiftPM
// passes, in no fixed order, so without it the Swift code lacks either AddressSanitizer or
// coverage; fuzz.sh explains and checks)
// Run:
//   SWIFT_BACKTRACE=enable=no /tmp/fuzz-build/debug/fuzz-query -dict=dict/query.dict corpus/query
import Foundation
import PackageDescription

// A path dependency is named after its folder (`main` here, `kbq` in a clone called so).
let kbqPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()
let kbq = Target.Dependency.product(name: "KBQ", package: kbqPackage)

let package = Package(
    name: "kbq-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // What the three targets share: the sinks, the known-crash filter.
        .target(name: "FuzzSupport", dependencies: [kbq]),
        // A command of the query language: parsed, compiled against the bundled knowledge
        // base, run under a time limit, its rows formatted; also translated to SPARQL.
        .executableTarget(name: "fuzz-query", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzQuery"),
        // The text of a .kb file, loaded into a fresh store, then exported as N-Triples.
        .executableTarget(name: "fuzz-kb", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzKB"),
        // An N-Triples file, parsed, imported into a fresh store, then exported.
        .executableTarget(name: "fuzz-ntriples", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzNTriples"),
        // A Turtle file, parsed, imported into a fresh store, then exported.
        .executableTarget(name: "fuzz-turtle", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzTurtle"),
        // A spreadsheet (.csv), imported into a fresh store, then exported.
        .executableTarget(name: "fuzz-csv", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzCSV"),
        // A store image (.kbqi), read as a cache image is (no section checksums), then its
        // rules compiled, the store exported and queried.
        .executableTarget(name: "fuzz-image", dependencies: ["FuzzSupport", kbq], path: "Sources/FuzzImage"),
    ],
    swiftLanguageModes: [.v5]
)
