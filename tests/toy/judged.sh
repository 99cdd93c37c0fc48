#!/bin/sh
# judged.sh pass|fail NAME PROGRAM -- PROGRAM, a copy of the conformance
# suite whose registry ends with collector NAME, ran every case against
# NAME (as many as against `none`) and passed them all (pass), or failed
# at least one of NAME's cases and none of the others' (fail).
set -u
want=$1 name=$2 prog=$3
out=$("$prog" 2>&1)
rc=$?
ok_none=$(printf '%s\n' "$out" | grep -c '^\[ *OK *\] .*/none$')
ok=$(printf '%s\n' "$out" | grep -c "^\[ *OK *\] .*/$name\$")
failed=$(printf '%s\n' "$out" | grep -c "^\[ *FAILED *\] .*/$name\$")
others=$(printf '%s\n' "$out" | grep '^\[ *FAILED *\] .*/' | grep -vc "/$name\$")
fail() { printf '%s\n' "$out" | tail -40; echo "FAIL: $*"; exit 1; }
[ "$ok_none" -gt 0 ] || fail "no case passed under none: is $prog the conformance suite?"
[ "$others" = 0 ] || fail "$others cases of other collectors failed"
case $want in
  pass)
    [ "$rc" = 0 ] || fail "exit $rc"
    [ "$ok" = "$ok_none" ] || fail "$ok cases passed under $name, $ok_none under none"
    echo "ok: $ok cases passed under $name" ;;
  fail)
    [ "$rc" != 0 ] || fail "exit 0: the broken $name was not caught"
    [ "$failed" -gt 0 ] || fail "exit $rc but no case of $name failed"
    echo "ok: $failed cases caught the broken $name" ;;
esac
