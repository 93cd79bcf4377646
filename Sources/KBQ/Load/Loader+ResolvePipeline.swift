import Dispatch
import Synchronization

extension Loader {
    /// The fast lines of a large load, resolved in parts by a worker on every core, up to
    /// `ahead` parts before the one the loader adds; the loader takes them in order.
    ///
    /// A worker takes the next part as soon as it is done with one: no worker waits for
    /// another at the end of a block (with blocks of eight parts resolved together, a
    /// core sat idle whenever one part finished late and the adding was waiting too). The
    /// workers read only their input, never the store, which the loader changes meanwhile.
    final class ResolvePipeline: @unchecked Sendable {
        /// Parts resolved ahead of the adding, at most (three blocks of eight, as before).
        static let ahead = 24

        private let first: Int
        private let size: Int
        private let lineCount: Int
        private let count: Int
        /// Part k, written by the worker that took it before `ready[k]` is signalled, then
        /// read and emptied by the loader: storage that never moves.
        private let parts: UnsafeMutableBufferPointer<ResolvedLines?>
        private let ready: [DispatchSemaphore]
        /// Free places ahead: a worker takes one before it takes a part, the loader gives
        /// one back a part taken, so no part is taken more than `ahead` past the adding.
        /// (Made empty and then given its places: Dispatch traps when a semaphore goes
        /// below the value it was made with and is freed so.)
        private let room = DispatchSemaphore(value: 0)
        /// The next part to take.
        private let next = Atomic<Int>(0)
        private let cancelled = Atomic<Bool>(false)
        private let finished = DispatchSemaphore(value: 0)
        private let workers = Parallel.cores
        /// The next part the loader takes.
        private var taken = 0

        /// Parts of `size` fast lines from line `first`.
        init(from first: Int, part size: Int, _ input: ResolveInput) {
            (self.first, self.size, lineCount) = (first, size, input.lines.count)
            count = (input.lines.count - first + size - 1) / size
            parts = .allocate(capacity: count)
            parts.initialize(repeating: nil)
            ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
            for _ in 0..<ResolvePipeline.ahead { room.signal() }
            for _ in 0..<workers {
                // Below the adding thread: at the same priority, the three threads on
                // two cores each got two thirds of one, and the adding (a third of the
                // work, all of it in order) finished last (1M: statements 0.110 -> 0.098
                // s, medians of 9, twice).
                Parallel.thread(nice: 10) { [self] in
                    while true {
                        room.wait()
                        let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if k >= count || cancelled.load(ordering: .acquiring) { break }
                        let start = first + k * size
                        parts[k] = ResolvedLines(start..<min(lineCount, start + size), input)
                        ready[k].signal()
                    }
                    finished.signal()
                }
            }
        }

        deinit {
            parts.deinitialize()
            parts.deallocate()
        }

        /// The part that holds fast line `n`; parts are asked for in order (any skipped are
        /// dropped).
        func part(holding n: Int) -> ResolvedLines {
            let k = (n - first) / size
            precondition(k >= taken && k < count, "fast-line parts are taken in order")
            while taken <= k {
                ready[taken].wait()
                let part = parts[taken]!
                parts[taken] = nil
                room.signal()
                taken += 1
                if taken > k { return part }
            }
            preconditionFailure("unreachable")
        }

        /// Stops the workers (if parts remain) and waits for them to end, so that nothing
        /// runs after the load.
        func cancel() {
            cancelled.store(true, ordering: .releasing)
            for _ in 0..<(workers + ResolvePipeline.ahead) { room.signal() }
            for _ in 0..<workers { finished.wait() }
        }
    }
}
