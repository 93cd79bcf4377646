#ifndef CKBQ_PREFETCH_H
#define CKBQ_PREFETCH_H

/// Asks the processor to bring the cache line at `p` in, without waiting for it: the
/// loader knows where its next hash-table probes will land (their hashes are computed
/// ahead, on other cores), and Swift has no prefetch of its own.
static inline void kbq_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// The same for a line about to be written (an index's counting sort files each statement
/// at a scattered place).
static inline void kbq_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

/// A word of bits set and read by several threads at once, with no order implied
/// (`AnsweredKeys`: the reader only ever misses a bit set a moment before, which costs it
/// a row it would have dropped, never a wrong answer).
static inline void kbq_atomic_or(unsigned long long *p, unsigned long long bits) { __atomic_fetch_or(p, bits, __ATOMIC_RELAXED); }
static inline unsigned long long kbq_atomic_load(const unsigned long long *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/// Lowers (or restores) the calling thread's scheduling priority: the loader's resolving
/// workers yield to the one thread that adds their lines in order. (Linux's setpriority
/// with a thread id; Swift cannot call the variadic syscall that gives it.)
void kbq_set_thread_nice(int nice);

#endif
