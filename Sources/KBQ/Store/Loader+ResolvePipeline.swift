import Dispatch
import Synchronization

extension Loader {
    /// The blocks of fast lines of a large load, resolved in order in the background, up
    /// to `ahead` blocks before the one the loader adds.
    ///
    /// With one block resolved ahead (as before), a core sat idle whenever the block
    /// finished before the adding did: the statements took 0.30 s of CPU in 0.20 s on two
    /// cores at 1M; three ahead, 0.202 -> 0.188 s (median of 7). The workers read only
    /// their input, never the store, which the loader changes meanwhile.
    final class ResolvePipeline: @unchecked Sendable {
        static let ahead = 3

        private let first: Int
        private let size: Int
        private let count: Int
        /// Block k, written by the resolving thread before `ready[k]` is signalled, then
        /// read and emptied by the loader: storage that never moves.
        private let blocks: UnsafeMutableBufferPointer<[ResolvedLines]>
        private let ready: [DispatchSemaphore]
        /// Free places ahead: the resolving thread takes one a block, the loader gives
        /// one back a block taken.
        private let room = DispatchSemaphore(value: ResolvePipeline.ahead)
        private let cancelled = Atomic<Bool>(false)
        private let finished = DispatchSemaphore(value: 0)
        /// The next block the loader takes.
        private var next = 0

        /// Blocks of `size` fast lines from line `first`.
        init(from first: Int, block size: Int, _ input: ResolveInput) {
            (self.first, self.size) = (first, size)
            count = (input.lines.count - first + size - 1) / size
            blocks = .allocate(capacity: count)
            blocks.initialize(repeating: [])
            ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
            DispatchQueue.global().async { [self] in
                for k in 0..<count {
                    room.wait()
                    if cancelled.load(ordering: .acquiring) { break }
                    let start = first + k * size
                    blocks[k] = Loader.resolve(start..<min(input.lines.count, start + size), input)
                    ready[k].signal()
                }
                finished.signal()
            }
        }

        deinit {
            blocks.deinitialize()
            blocks.deallocate()
        }

        /// The parts of the block that holds fast line `n`; blocks are asked for in order
        /// (any skipped are dropped).
        func block(holding n: Int) -> [ResolvedLines] {
            let k = (n - first) / size
            precondition(k >= next && k < count, "fast-line blocks are taken in order")
            while next < k {
                ready[next].wait()
                blocks[next] = []
                room.signal()
                next += 1
            }
            ready[k].wait()
            let parts = blocks[k]
            blocks[k] = []
            room.signal()
            next = k + 1
            return parts
        }

        /// Stops the resolving thread (if blocks remain) and waits for it to end, so that
        /// nothing runs after the load.
        func cancel() {
            cancelled.store(true, ordering: .releasing)
            for _ in 0...ResolvePipeline.ahead { room.signal() }
            finished.wait()
        }
    }
}
