// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kbq",
    products: [
        .executable(name: "kbq", targets: ["kbq"]),
        .executable(name: "kbq-bench", targets: ["kbq-bench"]),
        .library(name: "KBQ", targets: ["KBQ"]),
    ],
    targets: [
        // libedit from the system (Debian: libedit-dev); used only by the REPL.
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Fixed-arity wrappers for libedit's variadic calls, and the SIGINT flag.
        .target(name: "CKBQShim", dependencies: ["CLibEdit"]),
        // The engine: syntax, store, evaluator, output. No Foundation, for start-up time.
        // Exclusivity checks are off in release: the evaluator's bindings live in one class
        // and a dynamic access check on every read cost 5% of a query (perf).
        // A prefetch hint for the loader's hash-table probes (Swift has none).
        .target(name: "CKBQPrefetch"),
        .target(name: "KBQ", dependencies: ["CKBQPrefetch"], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // The program around the engine: arguments, REPL, script runner.
        .target(name: "KBQShell", dependencies: ["KBQ", "CKBQShim", "CLibEdit"]),
        .executableTarget(name: "kbq", dependencies: ["KBQShell"]),
        // The peer benchmark's six questions through kbq (make bench); not part of the tests.
        .executableTarget(name: "kbq-bench", dependencies: ["KBQ"]),
        .testTarget(
            name: "KBQTests",
            dependencies: ["KBQ", "KBQShell", "kbq"],
            resources: []
        ),
    ]
)
