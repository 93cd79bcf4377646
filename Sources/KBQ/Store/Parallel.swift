#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKBQPrefetch
import Dispatch

/// Work split over the machine's cores.
enum Parallel {
    /// The cores to use (at most 8).
    static let cores = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// `body(0) ... body(count - 1)`, concurrently when count > 1. One part runs on the
    /// calling thread without touching Dispatch: its worker threads cost a small load or a
    /// `kbq -e` a millisecond and a half to start.
    static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// `[body(0), ..., body(count - 1)]`, computed as `forEach` does.
    static func map<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = Slots(buffer: buffer)
            forEach(count) { k in slots.buffer[k] = body(k) }
        }
        return results.map { $0! }
    }

    /// Where `map`'s parts write: each its own element.
    private struct Slots<T>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<T?>
    }

    /// `count` parts of `bytes`, each ending just after a newline (or at the end), in order.
    static func lineParts(_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = 0
        for k in 1...count {
            var end = k == count ? bytes.count : max(start, bytes.count * k / count)
            while end < bytes.count, end > 0, bytes[end - 1] != 0x0A { end += 1 }
            parts.append(start..<end)
            start = end
        }
        return parts
    }

    /// Runs `body` on a thread of its own, started now and ended with it, at scheduling
    /// priority `nice` (higher: yields to the process's other threads). Not on one of
    /// Dispatch's threads, which live on: a lowered priority must not pass to whatever
    /// work Dispatch gives the thread next. (When no thread can be started, on Dispatch's
    /// at the usual priority.)
    static func thread(nice: Int32 = 0, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(ThreadBody(nice: nice, body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            if body.nice != 0 { kbq_set_thread_nice(body.nice) }
            body.run()
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            DispatchQueue.global().async(execute: body)
            return
        }
        pthread_detach(thread)
    }

    private final class ThreadBody: Sendable {
        let nice: Int32
        let run: @Sendable () -> Void
        init(nice: Int32, _ run: @escaping @Sendable () -> Void) { (self.nice, self.run) = (nice, run) }
    }
}
