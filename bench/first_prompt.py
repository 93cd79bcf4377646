#!/usr/bin/env python3
"""The REPL's first prompt: time from starting kbq in a pseudo-terminal until its prompt
is shown, over several runs (the first two are warm-up); prints the median.

    bench/first_prompt.py KBQ [ARGS...]
"""
import os, pty, select, statistics, sys, time

def once(argv):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    seen = b""
    while b"kbq> " not in seen:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            sys.exit("first_prompt: no prompt within 30 s; last output: %r" % seen[-200:])
        try:
            seen += os.read(fd, 4096)
        except OSError:
            sys.exit("first_prompt: kbq ended before its prompt: %r" % seen[-200:])
    elapsed = time.perf_counter() - start
    os.write(fd, b".quit\n")
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed * 1000

argv = sys.argv[1:]
times = [once(argv) for _ in range(int(os.environ.get("RUNS", "12")))]
print("REPL first prompt: median %.1f ms (min %.1f, max %.1f, %d runs after 2 warm-up)"
      % (statistics.median(times[2:]), min(times[2:]), max(times[2:]), len(times) - 2))
