extension Loader {
    /// The fast statement lines of a load, numbered in the order they are added: runs of
    /// consecutive lines of one part of a file's prescan, which keeps where each line is
    /// and its tokens. One record a run, not a line (a 24-byte record a line cost 24 MB and
    /// 0.016 s on one core at 1M statements).
    struct FastLineRuns {
        struct Run {
            /// The number of its first line among the fast lines.
            var first: Int
            /// Its first line in its part of the prescan of its file.
            var firstInPart: Int
            var file: Int32
            var part: Int32
            /// The `from` line in force (an index into the loader's `fast.froms`), or -1.
            var from: Int32
            /// Its first line's number in the file (the others follow it).
            var firstLine: Int32
        }

        private(set) var runs: [Run] = []
        /// Per file (as the loader numbers them), its prescan's parts.
        private(set) var parts: [[LinePrescan.Part]] = []
        private(set) var count = 0

        mutating func addFile(_ prescan: LinePrescan) { parts.append(prescan.parts) }

        /// Lines `lines` of part `part` of file `file`, the first on line `firstLine`.
        mutating func append(file: Int32, part: Int, lines: Range<Int>, firstLine: Int32, from: Int32) {
            runs.append(Run(first: count, firstInPart: lines.lowerBound, file: file, part: Int32(part), from: from, firstLine: firstLine))
            count += lines.count
        }

        /// The run that holds fast line n.
        func run(holding n: Int) -> Int {
            var low = 0
            var high = runs.count
            while high - low > 1 {
                let mid = (low + high) / 2
                if runs[mid].first <= n { low = mid } else { high = mid }
            }
            return low
        }

        /// Where run r ends among the fast lines.
        func end(ofRun r: Int) -> Int { r + 1 < runs.count ? runs[r + 1].first : count }

        func part(of run: Run) -> LinePrescan.Part { parts[Int(run.file)][Int(run.part)] }

        /// Fast line n whole, for the paths that take one line at a time.
        func line(_ n: Int) -> PendingFastLine {
            let run = runs[run(holding: n)]
            let k = run.firstInPart + n - run.first
            let part = part(of: run)
            return PendingFastLine(
                file: run.file, start: part.start(k), end: part.end(k), line: run.firstLine + Int32(n - run.first), from: run.from)
        }

        /// Fast lines `lines` by runs: each run's piece (its lines in its part) in order.
        func forEachPiece(of lines: Range<Int>, _ body: (_ run: Run, _ inPart: Range<Int>) -> Void) {
            guard !lines.isEmpty else { return }
            var r = run(holding: lines.lowerBound)
            var n = lines.lowerBound
            while n < lines.upperBound {
                let run = runs[r]
                let end = min(lines.upperBound, self.end(ofRun: r))
                let k = run.firstInPart + n - run.first
                body(run, k..<(k + end - n))
                n = end
                r += 1
            }
        }
    }
}
