#!/usr/bin/env bash
# bad_input.sh BUILD_DIR WORK_DIR -- scripts/bench refuses a bad selection
# before anything long runs: exit 2, one line naming the problem, and no
# results folder (so no INCOMPLETE, no invalid gcbench.json).
set -u
build=$1 work=$2
bench=$(cd "$(dirname "$0")/../.." && pwd)/scripts/bench
rm -rf "$work" && mkdir -p "$work"
fails=0
# expect WHAT REGEX ARGS...
expect() {
  local what=$1 regex=$2 err rc
  shift 2
  GCBENCH_BUILD=$build "$bench" "$@" --out "$work/run" 2>"$work/err" >/dev/null
  rc=$?
  err=$(cat "$work/err")
  if [ $rc != 2 ]; then echo "FAIL: $what: exit $rc, want 2 ($err)"; fails=$((fails + 1))
  elif [ "$(grep -c . "$work/err")" != 1 ]; then echo "FAIL: $what: not one line: $err"; fails=$((fails + 1))
  elif ! grep -Eq -- "$regex" "$work/err"; then echo "FAIL: $what: /$regex/ not in: $err"; fails=$((fails + 1))
  elif [ -e "$work/run" ]; then echo "FAIL: $what: left a results folder: $(ls "$work/run")"; fails=$((fails + 1))
  else echo "ok: $what: $err"; fi
}
expect "filter matching nothing" "--filter 'no_such_row' selects no benchmark; .*gcbench --gcbench_list" --filter no_such_row
expect "bad regular expression" "--filter '\(' is not a valid regular expression" --filter '('
expect "unknown sweep key" "--sweep: 'zz' is neither a collector tunable" --sweep zz=1
expect "bad sweep value" "--sweep: .*'threshold0' wants a whole number, got 'x'" --sweep threshold0=x
expect "sweep with a filter matching nothing" "selects no benchmark; .*--gcbench_sweep=threshold0=7" --sweep threshold0=7 --filter '^rings/'
expect "sweep and peers" "--sweep runs the sweep alone" --sweep heap=2 --peers
expect "bad repetitions" "--repetitions wants a whole number" --repetitions x
[ $fails = 0 ] && echo "all ok" || { echo "$fails failed"; exit 1; }
