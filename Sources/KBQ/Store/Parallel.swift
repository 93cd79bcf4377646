#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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
}
