#!/usr/bin/env bash
# verify_peak.sh GCRUN -- the oracle's memory is never counted in a peak:
# the same run with and without --verify reports the same peak allocated
# bytes, exactly (the runs are deterministic), for every collector (-C all
# takes the registry's list) and every verify mode.
set -u
gcrun=$1
fail() { echo "FAIL: $*"; exit 1; }
peaks() { # the runs' collectors and peaks, one "name peak" a line
  "$gcrun" -q "$@" --json - 2>/dev/null |
    grep -oE '"(collector|peak_allocated_bytes)": ("[^"]*"|[0-9]+)' |
    sed -E 's/.*: "?([^"]*)"?/\1/' | paste -d' ' - -
}
for run in "-w churn -p n=100000 -p live=10000" "-w rings -p n=20000 -p k=10" \
           "-w graphs -p n=5000"; do
  for alloc in "" "-A mimalloc" "-A libc"; do
    base=$(peaks -C all $alloc $run) || fail "$run: exit $?"
    [ "$(printf '%s\n' "$base" | grep -c .)" -ge 5 ] || fail "$run: runs: $base"
    for mode in "--verify" "--verify=all" "--verify=final"; do
      got=$(peaks -C all $alloc $run "$mode")
      [ "$got" = "$base" ] ||
        fail "$run $alloc $mode: peaks differ from the run without it:" \
             "$(diff <(echo "$base") <(echo "$got") | tr '\n' ' ')"
    done
    echo "ok: $run $alloc:" $base
  done
done
