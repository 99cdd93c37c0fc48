#!/usr/bin/env bash
# small_run.sh BUILD_DIR WORK_DIR -- a whole scripts/bench run, small: two
# collectors (none, trial: trial's tunable variant too), one tiny gcbench
# row, one repetition.  Checks the finished folder (no INCOMPLETE, and no
# link in index.html to a file that is not there) and the progress lines
# (every gcrun run numbered [i/N], i from 1 to N, N the runs made).
set -u
build=$1 work=$2
bench=$(cd "$(dirname "$0")/../.." && pwd)/scripts/bench
rm -rf "$work" && mkdir -p "$work"
out=$work/run
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
GCBENCH_BUILD=$build "$bench" --collectors none,trial --repetitions 1 \
  --filter '^rings/none/k:10/held:0/n:1000/' --out "$out" >"$work/stdout" 2>"$work/err"
rc=$?
[ $rc = 0 ] || { fail "exit $rc"; tail -5 "$work/err"; }
[ ! -e "$out/INCOMPLETE" ] || fail "a finished run still holds INCOMPLETE"
[ -f "$out/index.html" ] || fail "no index.html"
# every local link of index.html names a file of the folder
links=$(grep -o 'href="[^"#]*"' "$out/index.html" 2>/dev/null | sed 's/^href="//; s/"$//' |
        grep -v '^[a-z]*:' | sort -u)
[ -n "$links" ] || fail "index.html links no file"
for l in $links; do
  [ -e "$out/$l" ] || fail "index.html links '$l', which does not exist"
done
# progress: one numbered sequence over all gcrun runs
grep 'gcrun' "$work/err" | grep -v 'gcrun \[[0-9]*/[0-9]*\]: ' |
  grep -v '^bench: results go to' | grep -v '^bench: warning: the machine was busy' > "$work/unnumbered"
[ ! -s "$work/unnumbered" ] || fail "unnumbered gcrun lines: $(cat "$work/unnumbered")"
nums=$(sed -n 's/^bench: gcrun \[\([0-9]*\)\/\([0-9]*\)\].*/\1 \2/p' "$work/err")
n=$(printf '%s\n' "$nums" | grep -c .)
want=11  # 4 workloads x 2 collectors + trial's variant on 3 workloads
[ "$n" = $want ] || fail "$n gcrun progress lines, want $want"
i=0
while read -r k total; do
  i=$((i + 1))
  [ "$k" = $i ] && [ "$total" = $want ] || { fail "progress [$k/$total] at run $i of $want"; break; }
done <<< "$nums"
ls "$out"/gcrun/*~*.json >/dev/null 2>&1 || fail "no variant JSON in gcrun/"
[ $fails = 0 ] && echo "all ok: $(grep -c . <<< "$links") links, $n numbered gcrun runs" ||
  { echo "$fails failed"; exit 1; }
