#!/usr/bin/env bash
# trace.sh TRACE-PYTHON GCRUN PROGRAM -- captures PROGRAM with small
# thresholds, checks the file (magic, header, one record per collection,
# the trailer's counts, no temporary file left), replays it verified, and
# checks the tracer's one-line refusals.
set -u
trace=$1 gcrun=$2 prog=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$trace" --threshold 300,5,5 -o "$dir/cap.gz" "$prog" >"$dir/out" 2>"$dir/err" ||
  fail "capture exited $?: $(cat "$dir/err")"
grep -q "^3 " "$dir/out" || fail "the program's own output is missing"
[ "$(ls -A "$dir" | grep -c '^\.trace-')" = 0 ] || fail "temporary file left"
gzip -t "$dir/cap.gz" || fail "not gzip"
zcat "$dir/cap.gz" >"$dir/cap"
[ "$(head -1 "$dir/cap")" = "gctimeline 3" ] || fail "magic"
grep -q "^p thresholds 300 5 5$" "$dir/cap" || fail "thresholds header"
grep -q "^p program .*program.py" "$dir/cap" || fail "program header"
ncoll=$(grep -c '^c ' "$dir/cap")
nobj=$(grep -c '^n ' "$dir/cap")
[ "$(tail -1 "$dir/cap")" = "t $ncoll $nobj" ] || fail "trailer: $(tail -1 "$dir/cap"), file has $ncoll $nobj"
# collections of every generation, as CPython counted them
for g in 0 1 2; do
  grep -q "^c [0-9]* $g " "$dir/cap" || fail "no generation-$g collection"
done
cpy=$(awk '$2 == "cpython_stats" { s += $4 } END { print s }' "$dir/cap")
[ "$cpy" = "$ncoll" ] || fail "gc.get_stats counts $cpy collections, records $ncoll"
"$gcrun" -q -C generational -w timeline -p file="$dir/cap.gz" --verify=all \
  --json "$dir/run.json" || fail "replay exited $?"
grep -q "\"objects_allocated\": $nobj," "$dir/run.json" || fail "allocated != $nobj"

# refusals: one line, exit 2, nothing written
"$trace" -o "$dir/x.gz" "$dir/no-such.py" 2>"$dir/err"
[ $? = 2 ] && [ "$(wc -l <"$dir/err")" = 1 ] || fail "missing program: $(cat "$dir/err")"
"$trace" --threshold 1,2 -o "$dir/x.gz" "$prog" 2>"$dir/err"
[ $? = 2 ] && [ "$(wc -l <"$dir/err")" = 1 ] || fail "bad threshold: $(cat "$dir/err")"
"$trace" -o "$dir/no-such-dir/x.gz" "$prog" >/dev/null 2>"$dir/err"
[ $? = 2 ] && [ "$(wc -l <"$dir/err")" = 1 ] || fail "missing folder: $(cat "$dir/err")"
[ ! -e "$dir/x.gz" ] || fail "a refused capture wrote its file"
# a capture's file is readable as any new file is (not the temporary's 0600)
[ "$(stat -c %a "$dir/cap.gz")" = "$(printf '%o' $((0666 & ~$(umask))))" ] ||
  fail "mode $(stat -c %a "$dir/cap.gz")"
# a device is written through, never replaced
"$trace" -o /dev/null "$prog" >/dev/null 2>&1 || fail "-o /dev/null"
[ -c /dev/null ] || fail "/dev/null replaced"
echo "ok: $ncoll collections, $nobj objects"
