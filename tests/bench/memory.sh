#!/usr/bin/env bash
# memory.sh BUILD_DIR WORK_DIR -- runs that cannot fit are refused before
# they allocate: exit 3 and one line (what the run needs, the limit and
# which one it is), for gcbench rows, workloads and the two loaders.  The
# budget comes from GCBENCH_MEMORY, or from a small `ulimit -v` (skipped
# where the program cannot start under one, as under AddressSanitizer), so
# nothing here allocates more than a few hundred MiB whatever the code does.
set -u
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# check WHAT CODE REGEX FILE(stderr) RC: exit CODE; unless 0, one line
# (gcbench's: one line of its own beside Google Benchmark's context)
# matching REGEX
check() {
  local what=$1 want=$2 regex=$3 err=$4 rc=$5 mine
  mine=$(grep -E '^(gcbench|gcrun):' "$err")
  if [ "$rc" != "$want" ]; then bad "$what: exit $rc, want $want ($(head -c 600 "$err"))"
  elif [ "$want" = 0 ]; then echo "ok: $what: exit 0"
  elif [ "$(printf '%s\n' "$mine" | grep -c .)" != 1 ] ||
       { [ "$(grep -c . "$err")" != 1 ] && ! grep -q '^Running ' "$err"; }; then
    bad "$what: not one line: $(head -c 600 "$err")"
  elif ! printf '%s\n' "$mine" | grep -Eq -- "$regex"; then bad "$what: /$regex/ not in: $mine"
  else echo "ok: $what: $mine"; fi
}

# Should a check be missing, the run would allocate what the budget no
# longer stops: a ulimit -v of 3 GB caps it where the programs start under
# one (not under AddressSanitizer), and gcrun's heap its objects (1 GiB).
guard=0
( ulimit -v 3000000 && "$build/gcrun" -q -C trial -w pair ) >/dev/null 2>&1 && guard=1
guarded() { if [ $guard = 1 ]; then ( ulimit -v 3000000; exec "$@" ); else "$@"; fi; }

# gcrun WHAT REGEX ARGS...: exit 3, one line matching REGEX, and no object
# allocated
gcrun() {
  local what=$1 regex=$2 rc
  shift 2
  guarded "$build/gcrun" -q -c max_bytes=1073741824 "$@" >/dev/null 2>"$work/err"
  rc=$?
  check "$what" 3 "$regex" "$work/err" $rc
  grep -Eq "out of memory (after 0 objects|before the run)" "$work/err" ||
    bad "$what: objects were allocated first: $(cat "$work/err")"
}

# A snapshot of 2000 payloads of 16 MiB - 1 (about 39 GiB at jemalloc's
# size class, 31 GiB at the C library's under AddressSanitizer), and a
# timeline of 2000 objects whose sizes are 2^32 - 1 (payloads capped at
# 16 MiB - 1).
snap=$work/big.gcheap tl=$work/big.timeline
{ echo "gcheap 3"; seq 0 1999 | sed 's/.*/o & 16777215 1/'; echo "end 2000 0"; } >"$snap"
{ echo "gctimeline 1"; echo "c 0 0 100 0 0"
  seq 0 1999 | sed 's/.*/n & 4294967295 1/'; echo "t 1 2000"; } >"$tl"

export GCBENCH_MEMORY=256M
need="refused before allocating: .* needs about [0-9.]+ GiB, more than the 256.0 MiB this process can have \(GCBENCH_MEMORY\)"
gcrun "levels n=4e9" "levels needs about (29|3[0-9])\.[0-9] GiB.*GCBENCH_MEMORY.*lower n \(at most about n=" -C trial -w levels -p n=4e9
gcrun "growth n=4e9 keep=1" "$need.*lower n" -C trial -w growth -p n=4e9 -p keep=1
gcrun "rings n=1e9 under none" "$need|out of memory before the run: rings would keep about 1000000000 objects" -C none -w rings -p n=1e9
gcrun "snapshot of 2000 x 16 MiB" "the snapshot \(2000 objects\) needs about 3[19]\.[0-9] GiB.*payload_scale" -C trial -w snapshot -p file="$snap"
gcrun "timeline of sizes 2^32-1" "the timeline \(2000 objects\) needs about 3[19]\.[0-9] GiB.*payload_scale" -C trial -w timeline -p file="$tl"
# the same files with payload_scale=0 fit
"$build/gcrun" -q -C trial -w snapshot -p file="$snap" -p payload_scale=0 2>"$work/err" >/dev/null
check "snapshot, payload_scale=0" 0 "" /dev/null $?
GCBENCH_MEMORY=lots "$build/gcrun" -q -C trial -w rings -p n=1000 >/dev/null 2>"$work/err"
check "GCBENCH_MEMORY not a size" 2 "GCBENCH_MEMORY='lots' is not a size" "$work/err" $?

# gcbench: rows at 10^9 refused (collect rows hold every ring until the
# timed collection), exit 3, the JSON written with the reasons
json=$work/gcbench.json
if [ $guard = 1 ]; then
guarded "$build/gcbench" --gcbench_sizes=1e9 --gcbench_collectors=trial \
  --benchmark_filter='^(rings/trial/k:10/held:0|levels/trial)/n:[0-9]+/mode' \
  --benchmark_out="$json" >"$work/out" 2>"$work/err"
check "gcbench rings and levels at 1e9" 3 "gcbench: 2 benchmarks ran out of memory or were refused before allocating .*exit 3" "$work/err" $?
if [ ! -s "$json" ]; then bad "gcbench: no JSON written"
else
  n=$(grep -c '"error_message": "refused before allocating: \(rings\|levels\) needs about' "$json")
  [ "$n" = 2 ] && echo "ok: the JSON has both error rows" || bad "gcbench: $n refused rows in the JSON, want 2: $(grep error_message "$json")"
fi
ls "$work" | grep -q 'tmp\.' && bad "gcbench left a temporary file: $(ls "$work")"
else
  echo "skipped: gcbench at 1e9 without a ulimit -v to cap it (AddressSanitizer)"
fi
GCBENCH_MEMORY=lots "$build/gcbench" --gcbench_list >/dev/null 2>"$work/err"
check "gcbench, GCBENCH_MEMORY not a size" 2 "GCBENCH_MEMORY='lots' is not a size" "$work/err" $?
# a row that fits still exits 0
"$build/gcbench" --gcbench_sizes=1000 --benchmark_filter='^levels/trial/n:1000/mode' \
  >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 0 ] && echo "ok: a row that fits: exit 0" || bad "a row that fits: exit $rc ($(cat "$work/err"))"
unset GCBENCH_MEMORY

# gcrun -C, every run refused: each row gives the need and the limit, the
# hint names the limit that applied, no best-of-the-column note
for lim in GCBENCH_MEMORY "-c max_bytes"; do
  if [ "$lim" = GCBENCH_MEMORY ]; then
    GCBENCH_MEMORY=50M "$build/gcrun" -q -C naive,trial -w graphs -p n=5000000 >"$work/out" 2>"$work/err"
  else
    "$build/gcrun" -q -C naive,trial -c max_bytes=50000000 -w graphs -p n=5000000 >"$work/out" 2>"$work/err"
  fi
  rc=$? rows=$(grep -Ec "^(naive|trial) +not run: needs about [0-9.]+ MiB, more than the [0-9.]+ MiB \($lim\)$" "$work/out")
  if [ $rc != 3 ]; then bad "gcrun -C under $lim: exit $rc, want 3"
  elif [ "$rows" != 2 ]; then bad "gcrun -C under $lim: rows: $(cat "$work/out")"
  elif grep -q 'best of the column' "$work/out"; then bad "gcrun -C under $lim: a best-of-the-column note without data"
  elif ! grep -q "^gcrun: every run ran out of memory (naive, trial); try a smaller size (-p n=...) or a larger $lim\$" "$work/err"; then
    bad "gcrun -C under $lim: hint: $(cat "$work/err")"
  else echo "ok: gcrun -C under $lim: rows and hint name it"; fi
done

# A heap sweep's max_bytes is what it measures: its rows at heap=1 (a peak
# some collector reached, in the bytes max_bytes counts) run against it,
# not refused before allocating, and the collector that reached it fits
"$build/gcbench" --gcbench_sweep=heap=1 --gcbench_sizes=10000 \
  --benchmark_filter='^(churn|trees)/' >"$work/out" 2>"$work/err"
rows=$(grep -c '/heap:1/' "$work/out")
if [ "$rows" -lt 4 ]; then bad "heap sweep: $rows rows ($(head -c 600 "$work/err"))"
elif grep -q 'refused before allocating' "$work/out"; then
  bad "heap sweep refused its own budget: $(grep -m1 refused "$work/out")"
else echo "ok: heap sweep rows at heap=1 run"; fi
for w in churn trees; do
  grep "^$w/.*/heap:1/" "$work/out" | grep -vq ERROR &&
    echo "ok: heap sweep: a $w row fits heap=1" || bad "heap sweep: no $w row fits heap=1: $(grep "^$w/" "$work/out")"
done

# The machine's own limit: RLIMIT_AS (ulimit -v) of 1.5 GB.
if ( ulimit -v 1500000 && "$build/gcrun" -q -C trial -w pair >/dev/null 2>&1 ); then
  lim="this process can have \((RLIMIT_AS \(ulimit -v\) less the address space in use|MemAvailable)\)"
  ( ulimit -v 1500000; exec "$build/gcrun" -q -C trial -w levels -p n=4e9 ) >/dev/null 2>"$work/err"
  check "levels n=4e9 under ulimit -v" 3 "levels needs about .* GiB, more than the [0-9.]+ [GM]iB $lim" "$work/err" $?
  ( ulimit -v 1500000; exec "$build/gcbench" --gcbench_sizes=1e9 --gcbench_collectors=trial \
      --benchmark_filter='^rings/trial/k:10/held:0/n:[0-9]+/mode' ) >"$work/out" 2>"$work/err"
  check "gcbench rings at 1e9 under ulimit -v" 3 "gcbench: 1 benchmark ran out of memory or was refused" "$work/err" $?
  grep -Eq "ERROR OCCURRED: 'refused before allocating: rings needs about 44\.[0-9] GiB, more than the [0-9.]+ [GM]iB $lim" "$work/out" \
    && echo "ok: the row names the limit" || bad "gcbench under ulimit -v: $(grep ERROR "$work/out")"
else
  echo "skipped: the programs cannot start under ulimit -v here (AddressSanitizer)"
fi

[ $fails = 0 ] && echo "all ok" || { echo "$fails failed"; exit 1; }
