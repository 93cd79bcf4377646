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
        // A prefetch hint for the loader's hash-table probes (Swift has none).
        .target(name: "CKBQPrefetch"),
        // The engine: syntax, store, evaluator, output. No Foundation, for start-up time.
        // No unsafe flags, so that a Swift package can depend on it: the evaluator's hot
        // state turns run-time exclusivity checks off per property (@exclusivity(unchecked)).
        .target(name: "KBQ", dependencies: ["CKBQPrefetch"]),
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
