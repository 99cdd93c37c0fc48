#!/usr/bin/env bash
# profiles.sh GCRUN WORKLOAD [gcrun args...]
# Runs WORKLOAD under every profile `GCRUN --help` lists (read when the test
# runs, so a profile added to the registry is judged too), each with
# --verify=all; passes when every run says "verified", else names the
# profiles that failed and their last line.
set -u
gcrun=$1 wl=$2
shift 2
profiles=$("$gcrun" --help | sed -n '/^Profiles/,/^Workloads/p' |
           awk '/^  [a-z]/ {print $1}')
[ -n "$profiles" ] || { echo "FAIL: $gcrun --help lists no profile"; exit 1; }
failed=0
for p in $profiles; do
  out=$("$gcrun" -q -C "$p" -w "$wl" "$@" --verify=all -s 3 2>&1)
  if printf '%s\n' "$out" | grep -q "verified"; then
    echo "ok: $p"
  else
    echo "FAIL: $p: $(printf '%s\n' "$out" | tail -1)"
    failed=1
  fi
done
exit $failed
