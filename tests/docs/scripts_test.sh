#!/usr/bin/env bash
# scripts_test.sh SCRIPTS_TEST WORK -- scripts/test against a stub cmake
# and ctest (first on PATH): which tests each tier runs in which build,
# and the last lines naming every failure with its stage.  The stub ctest
# fails the test `wl_pair_none` in the debug build, skips `cli_out_fifo`
# in the others (a skip is no failure) and passes the rest;
# a test named only_full is in the full tier only; the stub cmake fails to build the preset named in $FAIL_BUILD.
set -u
prog=$1 work=$2
rm -rf "$work" && mkdir -p "$work/bin"
cat > "$work/bin/cmake" <<'STUB'
#!/bin/sh
echo "cmake $*" >> "$CALLS"
case "$*" in *"--build --preset $FAIL_BUILD "*) echo "error: stub build failure" >&2; exit 1 ;; esac
exit 0
STUB
cat > "$work/bin/ctest" <<'STUB'
#!/bin/sh
echo "ctest $*" >> "$CALLS"
case "$*" in
  *" -N -LE full -R only_full") echo "Total Tests: 0"; exit 0 ;;
  *" -N"*) echo "Total Tests: 1"; exit 0 ;;
esac
case "$*" in
  *"--preset debug "*)
    echo "    Start 1: wl_pair_none"
    echo "1/2 Test #1: wl_pair_none .....................***Failed    0.10 sec"
    echo "    Start 2: docs_check"
    echo "2/2 Test #2: docs_check .......................   Passed    0.20 sec"
    exit 8 ;;
esac
echo "1/2 Test #3: wl_pair_naive ....................   Passed    0.10 sec"
echo "2/2 Test #4: cli_out_fifo .....................***Skipped   0.01 sec"
exit 0
STUB
chmod +x "$work/bin/cmake" "$work/bin/ctest"
export PATH="$work/bin:$PATH" CALLS="$work/calls" GCBENCH_FUZZ_SECONDS=0
fails=0
check() { # check WHAT REGEX FILE
  if grep -Eq -- "$2" "$3"; then echo "ok: $1"
  else echo "FAIL: $1: no /$2/ in $3:"; cat "$3"; fails=$((fails + 1)); fi
}
run() { # run NAME ARGS...: scripts/test's exit code in $rc, its output in $work/NAME
  local name=$1; shift
  : > "$CALLS"
  FAIL_BUILD=${FAIL_BUILD:-none} "$prog" "$@" > "$work/$name" 2>&1; rc=$?
  cp "$CALLS" "$work/$name.calls"
}

run quick
[ $rc = 1 ] || { echo "FAIL: quick tier: exit $rc, want 1"; fails=$((fails + 1)); }
check "quick: debug leaves out label full" "^ctest --preset debug -j [0-9]+ -LE full$" "$work/quick.calls"
check "quick: asan leaves out full and scripts" "^ctest --preset asan -j [0-9]+ -LE full\|scripts$" "$work/quick.calls"
! grep -q "preset release" "$work/quick.calls" || { echo "FAIL: quick tier built release"; fails=$((fails + 1)); }
tail -3 "$work/quick" > "$work/quick.last"
check "quick: the last lines name the failed test and its stage" "^test:   stage 1/2 debug: wl_pair_none [(]Failed[)]$" "$work/quick.last"
check "quick: a rerun command" "^test: rerun them: scripts/test -R '\^[(]wl_pair_none[)]\\$'$" "$work/quick.last"
check "quick: the verdict" "^test: FAILED after .* [(]quick tier[)], 1 failure" "$work/quick.last"
! grep -q cli_out_fifo "$work/quick.last" || { echo "FAIL: a skipped test named as a failure"; fails=$((fails + 1)); }

run full --full
[ $rc = 1 ] || { echo "FAIL: --full: exit $rc, want 1"; fails=$((fails + 1)); }
check "full: debug runs every test" "^ctest --preset debug -j [0-9]+$" "$work/full.calls"
check "full: asan leaves out scripts" "^ctest --preset asan -j [0-9]+ -LE scripts$" "$work/full.calls"
check "full: release stress" "^ctest --preset release -L stress -V$" "$work/full.calls"
check "full: release Valgrind" "^ctest --preset release -j [0-9]+ -L valgrind$" "$work/full.calls"
check "full: the failure with its stage" "^test:   stage 1/3 debug: wl_pair_none [(]Failed[)]$" "$work/full"

FAIL_BUILD=asan run build
check "a failed build is named with its stage" "^test:   stage 2/2 asan: the build failed" "$work/build"
check "and the test that failed before it" "^test:   stage 1/2 debug: wl_pair_none [(]Failed[)]$" "$work/build"

run rfull -R only_full
[ $rc = 2 ] || { echo "FAIL: -R of a full-tier test: exit $rc, want 2"; fails=$((fails + 1)); }
check "-R of a full-tier test: one line, before any build" "^test: -R 'only_full' matches only tests of the full tier; run 'scripts/test --full -R only_full'$" "$work/rfull"
! grep -q -- "--build" "$work/rfull.calls" || { echo "FAIL: -R of a full-tier test built"; fails=$((fails + 1)); }
run rfull_full --full -R only_full
check "--full -R of a full-tier test runs it" "^ctest --preset debug -j [0-9]+ -R only_full$" "$work/rfull_full.calls"

[ $fails = 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
