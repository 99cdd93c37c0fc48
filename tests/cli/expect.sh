#!/usr/bin/env bash
# expect.sh CODE REGEX -- CMD ARGS...
# Runs CMD; passes when it exits with CODE and its stderr (or stdout, for
# exit 0) matches the extended REGEX.  Errors must be one line.
set -u
want=$1 regex=$2
shift 3
out=$("$@" 2>/tmp/expect.$$.err)
got=$?
err=$(cat /tmp/expect.$$.err)
rm -f /tmp/expect.$$.err
fail() { echo "FAIL: $*"; echo "command: $*"; echo "stderr: $err"; exit 1; }
[ "$got" = "$want" ] || fail "exit $got, want $want"
text=$err
[ "$want" = 0 ] && text="$out$err"
echo "$text" | grep -Eq -- "$regex" || fail "output does not match /$regex/"
if [ "$want" = 2 ] || [ "$want" = 3 ]; then
  lines=$(printf '%s\n' "$err" | grep -c .)
  [ "$lines" = 1 ] || fail "error is $lines lines, want one"
fi
echo "ok: exit $got, /$regex/"
