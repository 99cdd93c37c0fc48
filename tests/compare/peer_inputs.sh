#!/usr/bin/env bash
# peer_inputs.sh SCRIPTS GCRUN DIR -- the peers and scripts/bench-programs
# never write over what they read: peer-php's and peer-nim's -o naming
# their own shapes program (checked first: --sizes 1 would be refused
# next, so nothing runs if the check is missing), `peerlib.py merge` with
# OUT among its inputs (the input left byte for byte), bench-programs with
# a --gcrun that is a folder or one of the files it writes.  Each: exit 2,
# one line naming both.
set -u
scripts=$1 gcrun=$2 dir=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
one_line() { [ "$(printf '%s\n' "$1" | grep -c .)" = 1 ] || fail "not one line: $1"; }

for p in php:shapes.php nim:shapes.nim; do
  peer=peer-${p%%:*} src=$scripts/peers.d/${p#*:}
  before=$(cksum < "$src")
  err=$("$scripts/$peer" --sizes 1 -o "$scripts/peers.d/../peers.d/${p#*:}" 2>&1); rc=$?
  [ $rc = 2 ] || fail "$peer -o its program: exit $rc, want 2 ($err)"
  one_line "$err"
  printf '%s' "$err" | grep -q "is the same file as the peer program '$src'" ||
    fail "$peer message: $err"
  [ "$(cksum < "$src")" = "$before" ] || fail "$src changed"
done

in=$dir/in.json
printf '{"context": {"x": 1}, "benchmarks": [{"name": "a", "run_name": "a", "run_type": "iteration", "real_time": 1}]}\n' > "$in"
cp "$in" "$dir/orig.json" && ln "$in" "$dir/hard.json" && ln -s in.json "$dir/link.json"
for out in "$in" "$dir/./in.json" "$dir/hard.json" "$dir/link.json"; do
  err=$(python3 "$scripts/peers.d/peerlib.py" merge "$out" "$dir/orig.json" "$in" 2>&1); rc=$?
  [ $rc = 2 ] || fail "merge OUT among its inputs ($out): exit $rc, want 2 ($err)"
  one_line "$err"
  printf '%s' "$err" | grep -q "OUT '$out' is the same file as input 2" || fail "merge message: $err"
  cmp -s "$in" "$dir/orig.json" || fail "merge changed its input ($out)"
done

err=$("$scripts/bench-programs" --gcrun "$dir" --out "$dir/bp" 2>&1); rc=$?
[ $rc = 2 ] || fail "bench-programs --gcrun a folder: exit $rc ($err)"
one_line "$err"
printf '%s' "$err" | grep -q "^bench-programs: --gcrun '$dir' is a folder" || fail "message: $err"
mkdir -p "$dir/bp/gcrun" && cp "$gcrun" "$dir/bp/gcrun/pyflakes-none.json"
before=$(cksum < "$dir/bp/gcrun/pyflakes-none.json")
err=$("$scripts/bench-programs" --gcrun "$dir/bp/gcrun/pyflakes-none.json" --out "$dir/bp" \
      --only pyflakes --collectors none --no-install 2>&1); rc=$?
[ $rc = 2 ] || fail "bench-programs --gcrun among its outputs: exit $rc ($err)"
one_line "$err"
printf '%s' "$err" | grep -q "is the same file as --gcrun" || fail "message: $err"
[ "$(cksum < "$dir/bp/gcrun/pyflakes-none.json")" = "$before" ] || fail "--gcrun changed"
echo ok
