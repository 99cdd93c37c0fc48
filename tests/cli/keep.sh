#!/usr/bin/env bash
# keep.sh GCRUN DIR -- a failing run must leave an existing results file
# untouched and no temporary files behind.
set -u
gcrun=$1 dir=$2
mkdir -p "$dir"
rm -f "$dir"/keep.json*
echo '{"earlier": "run"}' > "$dir/keep.json"
"$gcrun" -q -C naive -w snapshot -p file="$dir/does-not-exist" --json "$dir/keep.json" 2>/dev/null
rc=$?
[ $rc = 2 ] || { echo "FAIL: exit $rc, want 2"; exit 1; }
grep -q earlier "$dir/keep.json" || { echo "FAIL: keep.json was clobbered"; exit 1; }
left=$(ls "$dir" | grep -c 'keep.json.tmp' || true)
[ "$left" = 0 ] || { echo "FAIL: temporary files left: $(ls "$dir")"; exit 1; }
"$gcrun" -q -C naive -w pair --json "$dir/keep.json" 2>/dev/null ||
  { echo "FAIL: good run failed"; exit 1; }
grep -q '"verified"' "$dir/keep.json" || { echo "FAIL: good run did not write JSON"; exit 1; }
echo "ok"
