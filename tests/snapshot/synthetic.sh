#!/usr/bin/env bash
# synthetic.sh PYTHON SYNTH_HEAP GCRUN DIR COLLECTOR -- heaps of CPython
# 3.12+'s shape through gcrun: 10^5 objects, three held 2^31 times and two
# whose count is exactly 2^32 - 1; as gcheap 1, as gcheap 2 with those five
# immortal, and gzipped.  Each replays under COLLECTOR with --verify in every
# drop mode (gzip gives the plain file's answer for the same seed); a file whose count for one
# object passes 2^32 - 1 is refused in one line naming the object and line.
set -u
python=$1 synth=$2 gcrun=$3 dir=$4/synthetic-$5 collector=$5
mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }
big=2147483648,2147483648,2147483648
"$python" "$synth" --big $big --max 2 -o "$dir/big.gcheap" || fail "synth-heap"
"$python" "$synth" --big $big --max 2 --immortal -o "$dir/imm.gcheap" ||
  fail "synth-heap --immortal"
gzip -c "$dir/big.gcheap" > "$dir/big-gz.gcheap" || fail gzip
"$python" "$synth" -n 1000 --big $big --max 1 --over 1 -o "$dir/over.gcheap" ||
  fail "synth-heap --over"

answer() { sed -n 's/.*"answer": \({[^}]*}\).*/\1/p' "$1"; }
for f in big imm big-gz; do
  drops="none all 0.3"
  [ $f = big-gz ] && drops=0.3 # the same bytes: one mode shows it
  for drop in $drops; do
    out=$dir/$f-$drop.json
    "$gcrun" -q -C "$collector" -w snapshot -p file="$dir/$f.gcheap" \
      -p drop=$drop --verify --json "$out" 2>"$dir/err" ||
      fail "$f drop=$drop: exit $? ($(cat "$dir/err"))"
    grep -q '"verified": true' "$out" || fail "$f drop=$drop: not verified"
    live=$(answer "$out" | sed 's/.*"live": \([0-9]*\).*/\1/')
    case $f-$drop in
      big-all|big-gz-all) [ "$live" = 0 ] || fail "$f drop=all: live $live" ;;
      imm-all) [ "$live" -ge 5 ] || fail "imm drop=all: immortal objects freed" ;;
      *) [ "$live" -ge 5 ] || fail "$f drop=$drop: live $live" ;;
    esac
  done
done
[ "$(answer "$dir/big-0.3.json")" = "$(answer "$dir/big-gz-0.3.json")" ] ||
  fail "gzip: another answer"
# object 4 (after three --big and one --max) passes the limit
"$gcrun" -q -C "$collector" -w snapshot -p file="$dir/over.gcheap" \
  2>"$dir/err" >/dev/null
rc=$?
[ $rc = 2 ] || fail "over: exit $rc, want 2"
[ "$(grep -c . "$dir/err")" = 1 ] || fail "over: not one line"
grep -Eq 'over\.gcheap:[0-9]+: object 4 would have 4294967296 references' \
  "$dir/err" || fail "over: $(cat "$dir/err")"
echo "ok"
