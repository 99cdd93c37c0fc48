#!/bin/sh
# judged.sh pass|fail NAME PROGRAM SOURCE -- PROGRAM, a copy of the
# conformance suite whose registry ends with collector NAME and which runs
# only NAME's cases, ran every case of SOURCE's table (`cases[]` of
# tests/conformance/test_conformance.c) against NAME and passed them all
# (pass), or failed at least one (fail).
set -u
want=$1 name=$2 prog=$3 src=$4
cases=$(sed -n '/^static const conf_case cases\[\] = {/,/^};/p' "$src" | grep -c '{"')
out=$("$prog" 2>&1)
rc=$?
ok=$(printf '%s\n' "$out" | grep -c "^\[ *OK *\] .*/$name\$")
failed=$(printf '%s\n' "$out" | grep "^\[ *FAILED *\] .*/$name\$" | sort -u | grep -c .)
others=$(printf '%s\n' "$out" | grep -E '^\[ *(OK|FAILED) *\] .*/' | grep -vc "/$name\$")
fail() { printf '%s\n' "$out" | tail -40; echo "FAIL: $*"; exit 1; }
[ "$cases" -gt 0 ] || fail "no case found in $src's table"
[ "$others" = 0 ] || fail "$others cases of other collectors ran"
case $want in
  pass)
    [ "$rc" = 0 ] || fail "exit $rc"
    [ "$ok" = "$cases" ] || fail "$ok cases passed under $name, the table has $cases"
    echo "ok: all $ok cases passed under $name" ;;
  fail)
    [ "$rc" != 0 ] || fail "exit 0: the broken $name was not caught"
    [ "$failed" -gt 0 ] || fail "exit $rc but no case of $name failed"
    echo "ok: $failed cases caught the broken $name" ;;
esac
