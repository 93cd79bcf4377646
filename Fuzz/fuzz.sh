#!/usr/bin/env bash
# Builds kbq's libFuzzer targets and runs each for a while (make fuzz, make fuzz-smoke).
#
#   Fuzz/fuzz.sh SECONDS [TARGET...]      targets: query kb ntriples turtle csv image (default: all six)
#
# Environment: SWIFT (swift), FUZZ_SCRATCH (build folder, /tmp/fuzz-build), FUZZ_WORK
# (new corpus and logs, /tmp/kbq-fuzz-work), FUZZ_SKIP_KNOWN=1 (skip inputs that reach
# the crashes known in Fuzz/README.md), FUZZ_ARGS (more libFuzzer flags).
# Each run starts with the committed seeds (Fuzz/corpus/TARGET) and every reproducer found
# so far (Fuzz/reproducers/TARGET): a crash that comes back fails at once.
# Crashes, timeouts and OOMs are written to Fuzz/crashes/ (not committed); inputs found
# to reach new code go to $FUZZ_WORK/corpus/TARGET, never to the committed Fuzz/corpus.
set -uo pipefail
cd "$(dirname "$0")"
FUZZ=$(pwd)
ROOT=$(dirname "$FUZZ")
SWIFT=${SWIFT:-swift}
SCRATCH=${FUZZ_SCRATCH:-/tmp/fuzz-build}
WORK=${FUZZ_WORK:-/tmp/kbq-fuzz-work}
seconds=${1:-60}
shift || true
targets=${*:-query kb ntriples turtle csv image}

fail() { echo "fuzz: $*" >&2; exit 1; }

# The toolchain must bring libFuzzer and AddressSanitizer (swift.org's Linux toolchains
# do, in usr/lib/clang/*/lib/linux; nothing here installs them).
swift_bin=$(command -v "$SWIFT") || fail "'$SWIFT' not found: install a Swift toolchain from swift.org"
toolchain=$(dirname "$(dirname "$(readlink -f "$swift_bin")")")
arch=$(uname -m)
for rt in fuzzer asan; do
  ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.$rt-$arch.a >/dev/null 2>&1 \
    || fail "the Swift toolchain in $toolchain has no libclang_rt.$rt-$arch.a (lib/clang/*/lib/linux): it cannot build fuzz targets; use a swift.org toolchain for Linux, which ships libFuzzer and AddressSanitizer"
done

# SwiftPM passes --sanitize=fuzzer and --sanitize=address to swiftc as two -sanitize= flags,
# in an order that changes from one build to the next (a set), and swiftc keeps only the
# last: the Swift code then has either AddressSanitizer and no coverage counters (libFuzzer
# says "Loaded 1 modules (1 inline 8-bit counters)" and mutates blind) or counters and no
# AddressSanitizer. -Xswiftc -sanitize=address,fuzzer comes after both and asks for both;
# the --sanitize flags are still needed for the link.
echo "fuzz: building (swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=address,fuzzer --scratch-path $SCRATCH)"
start=$(date +%s)
"$SWIFT" build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=address,fuzzer \
  --scratch-path "$SCRATCH" 2>&1 \
  | grep -v "ld.gold: warning: Cannot export local symbol"
[ "${PIPESTATUS[0]}" = 0 ] || fail "the fuzz targets did not build (see above)"
echo "fuzz: built in $(( $(date +%s) - start )) s"
# Both instrumentations in the engine's code, or the runs prove little (objects built with
# other flags are not rebuilt when the flags change: remove the scratch folder).
probe=$(find "$SCRATCH" -path '*/KBQ.build/Parser.swift.o' | head -1)
syms=$([ -n "$probe" ] && nm "$probe" 2>/dev/null)
{ grep -q __asan_init <<<"$syms" && grep -q __sanitizer_cov_8bit_counters_init <<<"$syms"; } \
  || fail "$probe lacks AddressSanitizer or coverage instrumentation: remove $SCRATCH and build again"
bin="$SCRATCH/debug"

mkdir -p "$FUZZ/crashes"
status=0
for t in $targets; do
  # -len_control=0 (inputs of any length up to -max_len at once) for the query language
  # only, where deep nesting needs long inputs; the loaders ran 15 times slower with it
  # (inputs near 100 KB each: 60-200 exec/s against 1,000-2,000).
  case $t in
    query) dict=query.dict; len=-len_control=0 ;;
    kb) dict=kb.dict; len= ;;
    ntriples) dict=nt.dict; len= ;;
    turtle) dict=ttl.dict; len= ;;
    csv) dict=csv.dict; len= ;;
    image) dict=; len= ;;
    *) fail "no target '$t' (query, kb, ntriples, turtle, csv, image)" ;;
  esac
  [ -x "$bin/fuzz-$t" ] || fail "$bin/fuzz-$t was not built"
  # A target that reports a handful of counters was built without coverage (see above).
  mkdir -p "$WORK/corpus/$t" "$WORK/run/$t" "$FUZZ/reproducers/$t"
  log="$WORK/run/$t/log"
  echo "fuzz: $t for $seconds s (log: $log)"
  # Run in a scratch folder (a .kb input's include resolves there) with no stdin.
  # shellcheck disable=SC2086
  (cd "$WORK/run/$t" && SWIFT_BACKTRACE=enable=no KBQ_KB="$ROOT/kb/main.kb" \
    KBQ_FUZZ_SKIP_KNOWN="${FUZZ_SKIP_KNOWN:-0}" \
    nice -n 10 "$bin/fuzz-$t" "$WORK/corpus/$t" "$FUZZ/corpus/$t" "$FUZZ/reproducers/$t" \
      ${dict:+-dict="$FUZZ/dict/$dict"} -max_len=100000 $len \
      -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
      -artifact_prefix="$FUZZ/crashes/$t-" -print_final_stats=1 ${FUZZ_ARGS:-} \
      </dev/null >"$log" 2>&1)
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  counters=$(grep -o 'Loaded 1 modules *([0-9]* inline 8-bit counters)' "$log" | grep -o '([0-9]*' | tr -d '(')
  if [ -n "$counters" ] && [ "$counters" -lt 1000 ]; then
    status=1
    echo "fuzz: $t: only $counters coverage counters: the Swift code was built without coverage (remove $SCRATCH)" >&2
  fi
  if [ "$rc" = 0 ]; then
    echo "fuzz: $t: ok, ${runs:-?} runs, ${speed:-?} exec/s, ${counters:-?} counters"
  else
    status=1
    echo "fuzz: $t: FAILED (exit $rc), after ${runs:-?} runs:" >&2
    grep -E "^==[0-9]+==.*ERROR|Fatal error|SUMMARY|Test unit written to|^    #[0-9]+ .* in \\\$s3KBQ" "$log" | head -12 >&2
  fi
done
exit $status
