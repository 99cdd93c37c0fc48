#!/usr/bin/env bash
# peer_outputs.sh SCRIPTS DIR -- the peers' outputs follow scripts/lib/outpath.py:
# peer-php's and peer-nim's -o is checked before anything runs (no runtime
# needed); `peerlib.py merge` (scripts/bench --peers) counts each row's
# repetitions over the files it is in, replaces a regular
# file whole, follows a symbolic link, writes a FIFO or a device in place,
# and a full device gives one line and exit 2.  Devices are nodes made in
# DIR, never the machine's own.  Exit 77 (skipped) without mknod.
set -u
scripts=$1 dir=$2
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
merge() { python3 "$scripts/peers.d/peerlib.py" merge "$@"; }

for peer in peer-php peer-nim; do
  err=$("$scripts/$peer" --sizes 100 -o "$dir/missing/x.json" 2>&1); rc=$?
  [ $rc = 2 ] || fail "$peer -o in a missing folder: exit $rc, want 2 ($err)"
  printf '%s' "$err" | grep -q "folder '$dir/missing' does not exist" || fail "$peer message: $err"
  err=$("$scripts/$peer" --sizes 100 -o "$dir" 2>&1); rc=$?
  [ $rc = 2 ] || fail "$peer -o a folder: exit $rc, want 2"
  printf '%s' "$err" | grep -q "is a folder" || fail "$peer message: $err"
done

in=$dir/in.json
printf '{"context": {"x": 1}, "benchmarks": [{"name": "a", "run_name": "a", "run_type": "iteration", "real_time": 1}]}\n' > "$in"

# a regular file: replaced whole, nothing temporary left
echo old > "$dir/out.json"
merge "$dir/out.json" "$in" "$in" || fail "merge to a file: exit $?"
grep -q '"repetitions": 2' "$dir/out.json" || fail "merged file: $(cat "$dir/out.json")"
ls "$dir" | grep -q '\.tmp' && fail "temporary files left"

# a row in some of the inputs only (the shapes grid runs in files of its
# own): its repetitions are the files it came from
grid=$dir/grid.json
printf '{"context": {}, "benchmarks": [{"name": "g", "run_name": "g", "run_type": "iteration", "real_time": 1}]}\n' > "$grid"
merge "$dir/mixed.json" "$in" "$grid" "$in" || fail "merge of mixed rows: exit $?"
python3 - "$dir/mixed.json" <<'PY' || fail "mixed merge: $(cat "$dir/mixed.json")"
import json, sys
d = json.load(open(sys.argv[1]))
got = [(b["name"], b["repetition_index"], b["repetitions"]) for b in d["benchmarks"]]
assert got == [("a", 0, 2), ("g", 0, 1), ("a", 1, 2)], got
assert d["context"]["processes"].startswith("2,"), d["context"]
PY

# a symbolic link to a regular file: the link stays, its target is written
echo old > "$dir/target.json" && ln -s target.json "$dir/link.json"
merge "$dir/link.json" "$in" || fail "merge to a link: exit $?"
[ -L "$dir/link.json" ] || fail "the link was replaced"
grep -q '"repetitions": 1' "$dir/target.json" || fail "the link's target was not written"

# a FIFO: written in place
mkfifo "$dir/fifo" || fail "mkfifo"
cat "$dir/fifo" > "$dir/from_fifo" &
merge "$dir/fifo" "$in" || fail "merge to a FIFO: exit $?"
wait
[ -p "$dir/fifo" ] || fail "the FIFO was replaced"
grep -q '"benchmarks"' "$dir/from_fifo" || fail "nothing came through the FIFO"

# devices: a null one stays one, a full one is one line and exit 2
mknod "$dir/null" c 1 3 2>/dev/null || { echo "skip: mknod not allowed"; exit 77; }
merge "$dir/null" "$in" || fail "merge to a null device: exit $?"
[ -c "$dir/null" ] || fail "the null device was replaced"
mknod "$dir/full" c 1 7 || fail "mknod"
err=$(merge "$dir/full" "$in" 2>&1); rc=$?
[ $rc = 2 ] || fail "merge to a full device: exit $rc, want 2 ($err)"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "not one line: $err"
printf '%s' "$err" | grep -q "No space left on device" || fail "message: $err"
[ -c "$dir/full" ] || fail "the full device was replaced"
echo ok
