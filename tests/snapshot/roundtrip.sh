#!/usr/bin/env bash
# roundtrip.sh PYTHON SNAPSHOT_TOOL GCRUN DIR -- snapshot this CPython after
# `import json`, then replay the file under naive with --verify.
set -eu
python=$1 tool=$2 gcrun=$3 dir=$4
mkdir -p "$dir"
out=$dir/roundtrip-json.gcheap
rm -f "$out" "$dir/roundtrip-json.json"
"$python" "$tool" --import json -o "$out" --stats-json "$dir/roundtrip-json.json"
head -1 "$out" | grep -qx 'gcheap 3' || { echo "FAIL: no gcheap 3 header"; exit 1; }
tail -1 "$out" | grep -Eqx 'end [1-9][0-9]* [1-9][0-9]*' ||
  { echo "FAIL: no end line"; exit 1; }
grep -q '^# cpython_gc_collect_ns [0-9]' "$out" ||
  { echo "FAIL: no cpython_gc_collect_ns comment"; exit 1; }
grep -q '"objects": [1-9]' "$dir/roundtrip-json.json" ||
  { echo "FAIL: stats JSON lacks objects"; exit 1; }
ls "$dir" | grep -q 'roundtrip-json.gcheap.tmp' &&
  { echo "FAIL: temporary file left"; exit 1; }
"$gcrun" -q -C naive -w snapshot -p file="$out" --verify --json - |
  grep -q '"verified": true' || { echo "FAIL: gcrun --verify"; exit 1; }
echo "ok"
