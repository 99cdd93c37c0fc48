#!/usr/bin/env bash
# plot_outputs.sh PLOT FIXTURE DIR -- scripts/plot's outputs: a figures path
# that is not a folder is refused in one line before any work; an index.html
# that is a device is written in place (a null device stays one), and a
# full one gives one line and exit 2.  Devices are nodes made in DIR, never
# the machine's own.  Exit 77 (skipped) without gnuplot or mknod.
set -u
plot=$1 fixture=$2 dir=$3
command -v gnuplot >/dev/null || { echo "skip: no gnuplot"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
fresh() { rm -rf "$dir" && mkdir -p "$dir" && cp -r "$fixture" "$dir/r" || exit 1; }
lines() { printf '%s\n' "$1" | grep -c .; }

fresh
touch "$dir/r/figures"
err=$("$plot" --formats png "$dir/r" 2>&1); rc=$?
[ $rc = 2 ] || fail "figures is a file: exit $rc, want 2 ($err)"
[ "$(lines "$err")" = 1 ] || fail "not one line: $err"
printf '%s' "$err" | grep -q "figures' exists and is not a folder" || fail "message: $err"

fresh
mknod "$dir/r/index.html" c 1 3 2>/dev/null || { echo "skip: mknod not allowed"; exit 77; }
"$plot" --formats png "$dir/r" 2>/dev/null || fail "null index.html: exit $?"
[ -c "$dir/r/index.html" ] || fail "the device index.html was replaced"
ls "$dir/r" | grep -q '\.tmp' && fail "temporary files left"

fresh
mknod "$dir/r/index.html" c 1 7
err=$("$plot" --formats png "$dir/r" 2>&1); rc=$?
[ $rc = 2 ] || fail "full index.html: exit $rc, want 2 ($err)"
[ "$(lines "$err")" = 1 ] || fail "not one line: $err"
printf '%s' "$err" | grep -q "index.html': No space left on device" || fail "message: $err"
[ -c "$dir/r/index.html" ] || fail "the device index.html was replaced"
echo ok
