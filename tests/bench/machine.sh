#!/usr/bin/env bash
# machine.sh ANTAGONIST WORK -- scripts/bench's record of a busy machine:
# machine.py's report from phases (a quiet one, a busy one, one with the
# antagonist), the warning lines, machine.json; scripts/plot heading
# summary.txt and index.html with the busy phases; machine.py snap and
# wait on this machine; the antagonist's bad usage and its pinning.
set -u
antagonist=$1 work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
m="python3 $root/scripts/lib/machine.py"
rm -rf "$work" && mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# snapshots: time load busy own; phases "NAME ANTAGONIST START END"
cat > "$work/phases" <<P
gcrun 0 100 0.20 1000 50 110 0.30 1010.5 60
gcbench 0 110 0.30 1010.5 60 130 1.90 1050.5 80
peers 1 130 1.90 1050.5 80 140 2.00 1070.5 82
P
out=$($m report "$work/machine.json" "$work/phases") || fail "report exit $?"
[ "$(printf '%s\n' "$out" | grep -c '^warning: the machine was busy')" = 2 ] ||
  fail "want 2 warnings (gcbench, peers): $out"
printf '%s\n' "$out" | grep -q 'during gcbench: other processes used 1.00 cores' ||
  fail "gcbench: (40 s busy - 20 s own) / 20 s = 1.00 cores: $out"
printf '%s\n' "$out" | grep -q 'during peers.*--antagonist' || fail "peers names the antagonist: $out"
python3 - "$work/machine.json" <<'PY' || fail "machine.json"
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["phase"]: x for x in d["phases"]}
assert d["busy"] is True and d["schema"] == 1, d
assert p["gcrun"]["busy"] is False and abs(p["gcrun"]["other_cores"] - 0.05) < 1e-9, p["gcrun"]
assert p["gcbench"]["busy"] and p["peers"]["antagonist"] is True, p
PY
# scripts/plot heads the summary and index.html with the busy phases
mkdir -p "$work/run/gcrun"
cp "$root/tests/plot/fixture/gcrun/churn-naive.json" "$work/run/gcrun/"
cp "$work/machine.json" "$work/run/"
"$root/scripts/plot" --formats=png "$work/run" >/dev/null 2>&1 || fail "plot exit $?"
head -1 "$work/run/summary.txt" | grep -q '^Taken on a busy machine: during gcbench' ||
  fail "summary.txt does not open with the busy phase: $(head -1 "$work/run/summary.txt")"
[ "$(grep -o 'class="busy"' "$work/run/index.html" | wc -l)" = 2 ] || fail "index.html marks 2 busy phases"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['busy']) == 2" \
  "$work/run/summary.json" || fail "summary.json busy"
# a quiet run: no mark
printf 'gcrun 0 100 0.2 1000 50 110 0.3 1010.5 60\n' > "$work/quiet"
$m report "$work/run/machine.json" "$work/quiet" >/dev/null
"$root/scripts/plot" --formats=png "$work/run" >/dev/null 2>&1
! grep -q 'busy machine' "$work/run/summary.txt" || fail "a quiet run is marked busy"
# this machine: a snapshot has four numbers; wait answers within its limit
[ "$($m snap $$ | wc -w)" = 4 ] || fail "snap"
timeout 30 $m wait $$ 0 >/dev/null; rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "wait exit $rc"
# the antagonist: bad usage in one line, exit 2
"$antagonist" --mb 1 2>"$work/err"; rc=$?
[ $rc = 2 ] && [ "$(grep -c . "$work/err")" = 1 ] || fail "antagonist without --cpus: exit $rc"
"$antagonist" --cpus x 2>/dev/null; [ $? = 2 ] || fail "antagonist --cpus x"
# pinned where it was told
"$antagonist" --mb 1 --cpus 0 & p=$!
# it pins itself once started: poll (the 60 s is a hang guard, not a verdict
# on speed)
for _ in $(seq 600); do
  cpus=$(taskset -cp $p 2>/dev/null | sed 's/.*: //')
  [ "$cpus" = 0 ] && break
  sleep 0.1
done
kill $p; wait $p 2>/dev/null
[ "$cpus" = 0 ] || fail "antagonist runs on CPUs '$cpus', not 0"
[ $fails = 0 ] && echo "machine.sh: all checks passed"
exit $((fails > 0))
