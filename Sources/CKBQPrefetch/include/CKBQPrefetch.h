#ifndef CKBQ_PREFETCH_H
#define CKBQ_PREFETCH_H

/// Asks the processor to bring the cache line at `p` in, without waiting for it: the
/// loader knows where its next hash-table probes will land (their hashes are computed
/// ahead, on other cores), and Swift has no prefetch of its own.
static inline void kbq_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// The same for a line about to be written (an index's counting sort files each statement
/// at a scattered place).
static inline void kbq_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

/// Lowers (or restores) the calling thread's scheduling priority: the loader's resolving
/// workers yield to the one thread that adds their lines in order. (Linux's setpriority
/// with a thread id; Swift cannot call the variadic syscall that gives it.)
void kbq_set_thread_nice(int nice);

#endif
