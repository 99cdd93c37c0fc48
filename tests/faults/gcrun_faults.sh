#!/usr/bin/env bash
# gcrun_faults.sh GCRUN SNAPSHOT TIMELINE COLLECTOR... -- allocation-failure
# injection through gcrun: for every workload under every collector given
# (CMake passes the registry's), fail the Nth allocation
# for N = 1, 2, 3, 5, 8, ... (Fibonacci, until the run completes), and fail
# each allocation with probability p for a few seeds.  Every failing run
# must exit 3 with one line naming the problem; in the sanitizer build,
# LeakSanitizer makes a leak a non-zero exit of its own.  With
# --verify=all (safety across every collection: the heaps are small), a
# run that completes must still be verified.
set -u
gcrun=$1 snapshot=$2 timeline=$3
shift 3
collectors=("$@")
[ ${#collectors[@]} -gt 0 ] || { echo "FAIL: no collectors given"; exit 1; }
declare -A P=(
  [pair]="-p n=50" [chains]="-p n=400 -p length=20 -p held=0.5"
  [rings]="-p n=400 -p links=2 -p held=0.5" [graphs]="-p n=400 -p held=0.2"
  [trees]="-p n=400 -p parent=1" [levels]="-p n=400"
  [churn]="-p n=800 -p live=100 -p cyclic=0.5"
  [cycles]="-p n=600 -p live=100 -p size=3"
  [growth]="-p n=800 -p keep=0.3 -p size=4"
  [finalizers]="-p n=400 -p fin=0.5 -p resurrect=0.3"
  [snapshot]="-p file=$snapshot" [timeline]="-p file=$timeline")
fail=0 injected=0 runs=0
check() { # expected-exit args...
  local want=$1; shift
  local err code
  err=$("$gcrun" -q "$@" 2>&1 >/dev/null)
  code=$?
  runs=$((runs + 1))
  if [ "$code" = 3 ]; then
    injected=$((injected + 1))
    local lines
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$lines" != 1 ] || ! printf '%s' "$err" | grep -q "out of memory"; then
      echo "FAIL ($lines lines): gcrun $*"; printf '%s\n' "$err" | head -5
      fail=1
    fi
  elif [ "$code" != 0 ] || [ "$want" = 3 ]; then
    echo "FAIL: exit $code: gcrun $*"; printf '%s\n' "$err" | head -5
    fail=1
  fi
  return "$code"
}
for wl in "${!P[@]}"; do
  for c in "${collectors[@]}"; do
    a=1 b=2
    while :; do
      check any -C "$c" -w "$wl" ${P[$wl]} -c fail_alloc=$a --verify=all
      [ $? = 3 ] || break
      t=$((a + b)); a=$b; b=$t
    done
    for seed in 1 2 3; do
      check any -C "$c" -w "$wl" ${P[$wl]} -c fail_rate=0.002 \
        -c fail_seed=$seed --verify=all
    done
  done
done
echo "$runs runs, $injected ended by an injected failure with exit 3"
[ "$injected" -gt 100 ] || { echo "FAIL: too few injected failures"; fail=1; }
exit $fail
