// The prefetches are inline, in the header.
#define _GNU_SOURCE
#include "CKBQPrefetch.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

void kbq_set_thread_nice(int nice) {
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
