import Foundation
import Testing
@testable import KBQ

/// The image cache and `--compile`, through the built kbq: the second run opens the image,
/// a changed source is loaded from its text again, and a damaged, unwritable or contended
/// cache never fails a query.
@Suite struct ImageCacheTests {
    /// A fresh folder with a small knowledge base `case.kb`, and a cache of its own.
    struct Case {
        let dir: String
        var kb: String { dir + "/case.kb" }
        var cache: String { dir + "/cache" }
        var env: [String: String] { ["XDG_CACHE_HOME": cache] }

        init(statements: Int = 3) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-cache-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var text = "type Person\ntype Document\npredicate knows\nentity Doc : Document \"Doc\"\n"
            for i in 0..<max(statements, 2) { text += "entity P\(i) : Person \"Person \(i)\"\n" }
            text += "from Doc para 1\n"
            for i in 0..<statements { text += "P\(i) knows P\((i + 1) % max(statements, 2))\n" }
            try text.write(toFile: kb, atomically: true, encoding: .utf8)
        }

        func kbq(_ args: [String], environment: [String: String]? = nil) throws -> Support.Run {
            try Support.kbq([kb] + args, environment: environment ?? env)
        }

        var images: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cache + "/kbq")) ?? []).filter { $0.hasSuffix(".kbqi") }
        }
    }

    static let count = ["-e", "find count(*) where ?x knows ?y"]

    @Test func theSecondRunOpensTheImageAndAChangeIsSeen() throws {
        let c = try Case()
        let first = try c.kbq(["-e", ".info"])
        #expect(first.stdout.contains("(from the text)") && first.stderr.isEmpty && first.status == 0)
        #expect(c.images.count == 1)
        let second = try c.kbq(["-e", ".info"])
        #expect(second.stdout.contains("(from the cached image "))
        #expect(try c.kbq(ImageCacheTests.count).stdout == "count(*)\n3\n")
        // A new statement: the image no longer holds what the text says.
        try (String(contentsOfFile: c.kb, encoding: .utf8) + "P0 knows P0\n").write(toFile: c.kb, atomically: true, encoding: .utf8)
        let changed = try c.kbq(ImageCacheTests.count + ["-e", ".info"])
        #expect(changed.stdout.hasPrefix("count(*)\n4\n") && changed.stdout.contains("(from the text)"))
        #expect(try c.kbq(["-e", ".info"]).stdout.contains("(from the cached image "))
        // Touched but the same: still the image (its content is compared).
        let later = Date().addingTimeInterval(5)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: c.kb)
        #expect(try c.kbq(["-e", ".info"]).stdout.contains("(from the cached image "))
        #expect(try c.kbq(["--no-cache", "-e", ".info"]).stdout.contains("(from the text)"))
    }

    /// What a killed writer left in the cache is removed by the next one.
    @Test func abandonedTemporariesAreRemoved() throws {
        let c = try Case()
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try FileManager.default.createDirectory(atPath: c.cache + "/kbq", withIntermediateDirectories: true)
        let abandoned = c.cache + "/kbq/case.kb-0.kbqi.tmp-\(gone.processIdentifier)-7"
        let alive = c.cache + "/kbq/case.kb-0.kbqi.tmp-\(getpid())-7"
        for path in [abandoned, alive] { try "partial".write(toFile: path, atomically: false, encoding: .utf8) }
        #expect(try c.kbq(ImageCacheTests.count).status == 0)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: alive))
    }

    /// --safe reads the text (where includes are confined), never a cached image built
    /// without that; an image named with --safe must come from files in its folder.
    @Test func safeModeTrustsNoImageBuiltFromOutside() throws {
        let c = try Case()
        let inner = c.dir + "/inner"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        let main = inner + "/main.kb"
        try "include \"../case.kb\"\n".write(toFile: main, atomically: true, encoding: .utf8)
        #expect(try Support.kbq(["--compile", main], environment: c.env).status == 0)
        let cached = try Support.kbq(["--safe", main] + ImageCacheTests.count, environment: c.env)
        #expect(cached.status == 1 && cached.stdout.isEmpty && cached.stderr.contains("--safe: '../case.kb' is outside"))
        let image = inner + "/main.kbqi"
        #expect(try Support.kbq(["--compile", main, "-o", image]).status == 0)
        let named = try Support.kbq(["--safe", image] + ImageCacheTests.count)
        #expect(named.status == 2 && named.stdout.isEmpty && named.stderr.contains("outside"))
    }

    @Test func anIncludedFileIsASourceToo() throws {
        let c = try Case()
        let main = c.dir + "/main.kb"
        try "include \"case.kb\"\n".write(toFile: main, atomically: true, encoding: .utf8)
        _ = try Support.kbq([main, "-e", ".info"], environment: c.env)
        #expect(try Support.kbq([main, "-e", ".info"], environment: c.env).stdout.contains("cached image"))
        try (String(contentsOfFile: c.kb, encoding: .utf8) + "P1 knows P1\n").write(toFile: c.kb, atomically: true, encoding: .utf8)
        let changed = try Support.kbq([main] + ImageCacheTests.count + ["-e", ".info"], environment: c.env)
        #expect(changed.stdout.hasPrefix("count(*)\n4\n") && changed.stdout.contains("(from the text)"))
    }

    /// A store from the cache names its files as a load of the text from here would (in
    /// `why`, in errors), whatever folder and spelling the image was written with.
    @Test func filesAreNamedAsALoadFromHereWouldNameThem() throws {
        let c = try Case()
        let sub = c.dir + "/sub"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try "include \"case.kb\"\n".write(toFile: c.dir + "/main.kb", atomically: true, encoding: .utf8)
        func why(_ cwd: String, _ path: String) throws -> String {
            let command = "cd '\(cwd)' && '\(Support.binary)' '\(path)' -e 'find ?x where ?x knows P1' -e 'why 1' -e .info"
            return try Support.run("/bin/sh", ["-c", command], environment: c.env).stdout
        }
        let text = try why(c.dir, "main.kb")
        #expect(text.contains("  at ./case.kb:9") && text.contains("(from the text)"), "\(text)")
        let fromSub = try why(sub, "../main.kb")
        #expect(fromSub.contains("  at ../case.kb:9") && fromSub.contains("cached image"), "\(fromSub)")
        let absolute = try why(sub, c.dir + "/main.kb")
        #expect(absolute.contains("  at \(c.dir)/case.kb:9") && absolute.contains("cached image"), "\(absolute)")
        let direct = try why(sub, "../case.kb")
        #expect(direct.contains("  at ../case.kb:9"), "\(direct)")
    }

    @Test func aDamagedCacheImageIsReportedOnceAndRebuilt() throws {
        let c = try Case()
        _ = try c.kbq(ImageCacheTests.count)
        let image = c.cache + "/kbq/" + c.images[0]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: image))
        let run = try c.kbq(ImageCacheTests.count)
        #expect(run.stdout == "count(*)\n3\n" && run.status == 0)
        #expect(run.stderr.hasPrefix("kbq: warning: the cached image ") && run.stderr.contains("truncated"))
        #expect(run.stderr.split(separator: "\n").count == 1)
        let again = try c.kbq(ImageCacheTests.count + ["-e", ".info"])
        #expect(again.stderr.isEmpty && again.stdout.contains("cached image"))
    }

    /// An image an earlier kbq wrote in its own format is rebuilt without a word, as an
    /// image of another build is; a damaged one is still reported (above).
    @Test func anImageOfAnotherFormatVersionIsRebuiltSilently() throws {
        let c = try Case()
        _ = try c.kbq(ImageCacheTests.count)
        let image = c.cache + "/kbq/" + c.images[0]
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
        try Data(ImageTests.withHeader(bytes, at: 8, ImageFormat.version - 1)).write(to: URL(fileURLWithPath: image))
        let run = try c.kbq(ImageCacheTests.count + ["-e", ".info"])
        #expect(run.stdout.hasPrefix("count(*)\n3\n") && run.stdout.contains("(from the text)"))
        #expect(run.stderr.isEmpty && run.status == 0)
        #expect(try c.kbq(["-e", ".info"]).stdout.contains("(from the cached image "))
    }

    @Test func anUnwritableCacheWarnsAndAnswers() throws {
        let c = try Case()
        // The cache's folder is a file: nothing can be written there (even by root).
        try FileManager.default.createDirectory(atPath: c.cache, withIntermediateDirectories: true)
        try "".write(toFile: c.cache + "/kbq", atomically: true, encoding: .utf8)
        let run = try c.kbq(ImageCacheTests.count)
        #expect(run.stdout == "count(*)\n3\n" && run.status == 0)
        #expect(run.stderr.hasPrefix("kbq: warning: cannot create the cache folder") && run.stderr.split(separator: "\n").count == 1)
    }

    @Test func compiledImagesOpenDirectlyAndDamageIsAnError() throws {
        let c = try Case()
        let image = c.dir + "/case.kbqi"
        let compile = try Support.kbq(["--compile", c.kb, "-o", image])
        #expect(compile.status == 0 && compile.stdout.isEmpty && compile.stderr.isEmpty)
        let opened = try Support.kbq([image] + ImageCacheTests.count + ["-e", ".info"])
        #expect(opened.stdout.hasPrefix("count(*)\n3\n") && opened.stdout.contains("an image written by kbq"))
        // Its source gone, the image still opens (its checksums are checked then).
        try FileManager.default.removeItem(atPath: c.kb)
        #expect(try Support.kbq([image] + ImageCacheTests.count).stdout == "count(*)\n3\n")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: image))
        let damaged = try Support.kbq([image] + ImageCacheTests.count)
        #expect(damaged.status == 2 && damaged.stdout.isEmpty)
        #expect(damaged.stderr == "kbq: error: \(image): section 'rules' is damaged (checksum)\n" || damaged.stderr.contains("is damaged"))
        let usage = try Support.kbq(["-o", image])
        #expect(usage.status == 2 && usage.stderr.contains("add --compile"))
        let nothing = try Support.kbq(["--compile", "--empty"])
        #expect(nothing.status == 2 && nothing.stderr.contains("name one"))
    }

    /// Two kbq building the same image at once both answer, and the image they leave opens.
    @Test func twoRunsBuildingOneImageBothAnswer() throws {
        let c = try Case(statements: 70000)  // past the size read on every core
        let runs = try (0..<2).map { _ -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Support.binary)
            p.arguments = [c.kb] + ImageCacheTests.count
            var env = ProcessInfo.processInfo.environment
            env["XDG_CACHE_HOME"] = c.cache
            p.environment = env
            p.standardOutput = Pipe()
            p.standardError = Pipe()
            try p.run()
            return p
        }
        for p in runs {
            let out = (p.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(String(decoding: out, as: UTF8.self) == "count(*)\n70000\n" && p.terminationStatus == 0)
        }
        let third = try c.kbq(ImageCacheTests.count + ["-e", ".info"])
        #expect(third.stdout.hasPrefix("count(*)\n70000\n") && third.stdout.contains("cached image") && third.stderr.isEmpty)
        #expect(c.images.count == 1)
        // No temporary file is left behind: the image and its seal.
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: c.cache + "/kbq")) ?? []).sorted()
        #expect(left.count == 2 && left[0].hasSuffix(".kbqi") && left[1].hasPrefix(left[0]) && left[1].hasSuffix(".seal"), "\(left)")
    }

    /// A kill at any moment of writing leaves the previous image: never a file that does
    /// not open, never none once one was written.
    @Test func aKilledWriteLeavesThePreviousImage() throws {
        let c = try Case(statements: 50000)
        let image = c.dir + "/case.kbqi"
        let started = Date()
        #expect(try Support.kbq(["--compile", c.kb, "-o", image]).status == 0)
        let whole = Date().timeIntervalSince(started)
        for round in 0..<8 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Support.binary)
            p.arguments = ["--compile", c.kb, "-o", image]
            try p.run()
            // Moments spread over a run (which moment does not matter: every one must be
            // safe, and on a loaded machine they fall elsewhere).
            usleep(useconds_t(whole * 1_000_000 * Double(round) / 8))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let opened = try Support.kbq([image, "--verify"] + ImageCacheTests.count)
            #expect(opened.stdout == "count(*)\n50000\n", "round \(round): \(opened.stderr)")
        }
        // Killed temporaries may stay behind (a kill leaves no chance to remove them); they
        // are never taken for the image.
        #expect(FileManager.default.fileExists(atPath: image))
    }
}
