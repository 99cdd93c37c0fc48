#!/usr/bin/env bash
# outputs.sh BINDIR DIR CASE -- gcrun's and gcbench's output paths (bench/outfile.h): what
# is not a regular file is written in place and never replaced; paths are
# checked before the run; write errors are reported.  Every device used is
# a node this script makes in DIR (mknod), never the machine's own /dev:
# a broken gcrun could replace it.  Exit 77 (skipped) when mknod is not
# allowed (not root).
set -u
gcrun=$1/gcrun gcbench=$1/gcbench dir=$2/$3 case=$3
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail() { echo "FAIL ($case): $*"; ls -la "$dir"; exit 1; }
node() { # node NAME MAJOR MINOR: a character device in $dir
  mknod "$dir/$1" c "$2" "$3" 2>/dev/null || { echo "skip: mknod not allowed"; exit 77; }
}
no_temp() { ! ls -a "$dir" "$@" 2>/dev/null | grep -q '\.tmp\.' || fail "temporary files left"; }
run() { "$gcrun" -q -C naive -w pair "$@"; }
case $case in
  null) # a null device stays a device, and receives the JSON
    node null 1 3
    run --json "$dir/null" || fail "exit $?, want 0"
    [ -c "$dir/null" ] || fail "the device was replaced by a regular file"
    run --json "$dir/null" --pauses "$dir/null" --timeline "$dir/null" ||
      fail "three outputs: exit $?, want 0"
    [ -c "$dir/null" ] || fail "the device was replaced by a regular file"
    no_temp ;;
  fifo) # a FIFO read by a background reader gets the whole JSON
    mkfifo "$dir/fifo"
    cat "$dir/fifo" > "$dir/got" &
    reader=$!
    run --verify --json "$dir/fifo"; rc=$?
    [ -p "$dir/fifo" ] || { kill $reader; fail "the FIFO was replaced"; }
    [ $rc = 0 ] || { kill $reader; fail "exit $rc, want 0"; }
    wait $reader
    grep -q '"verified": true' "$dir/got" || fail "the reader did not get the JSON"
    tail -c 2 "$dir/got" | grep -q '}' || fail "the JSON is cut short"
    no_temp ;;
  full) # a full device: one line naming it and the reason, exit 2
    node full 1 7
    err=$(run --json "$dir/full" 2>&1 >/dev/null); rc=$?
    [ $rc = 2 ] || fail "exit $rc, want 2 ($err)"
    [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "not one line: $err"
    printf '%s' "$err" | grep -q "full'.*No space left on device" || fail "message: $err"
    [ -c "$dir/full" ] || fail "the device was replaced"
    no_temp
    err=$(run --json - 2>&1 >"$dir/full"); rc=$?
    [ $rc = 2 ] || fail "--json - > full: exit $rc, want 2"
    printf '%s' "$err" | grep -q "No space left on device" || fail "message: $err" ;;
  fd) # /dev/fd/N and >(...) name a descriptor: written to it, in place
    run --json /dev/fd/3 3>"$dir/fd3.json" || fail "/dev/fd/3: exit $?"
    grep -q '"collector": "naive"' "$dir/fd3.json" || fail "/dev/fd/3 got nothing"
    run --json >(cat > "$dir/ps.json") || fail ">(...): exit $?"
    wait $! # the reader has written everything (no guess at how long it takes)
    grep -q '"collector": "naive"' "$dir/ps.json" || fail ">(...) got nothing" ;;
  before_run) # every output is checked before the run: the workload would
              # fail (missing snapshot file) if the run started
    for args in "--pauses /" "--timeline $dir" "--json $dir/no-such-folder/x.json" \
                "--pauses $dir/new/" "--json $dir/a --pauses $dir/a"; do
      err=$("$gcrun" -q -C naive -w snapshot -p file="$dir/missing" $args 2>&1); rc=$?
      [ $rc = 2 ] || fail "$args: exit $rc, want 2"
      [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "$args: not one line: $err"
      printf '%s' "$err" | grep -q missing && fail "$args: the run started: $err"
      printf '%s' "$err" | grep -Eq -- '--(pauses|timeline|json)' || fail "$args: $err"
    done
    no_temp / ;;
  symlink) # a link to a regular file stays a link; its target is replaced
    echo old > "$dir/target.json"
    ln -s target.json "$dir/link.json"
    run --json "$dir/link.json" || fail "exit $?"
    [ -L "$dir/link.json" ] || fail "the link was replaced by a file"
    grep -q '"collector"' "$dir/target.json" || fail "the target was not written"
    no_temp ;;
  same_file) # one new file named two ways: refused before the run, nothing
             # written (the two outputs would share one temporary file)
    mkdir "$dir/d" && ln -s d "$dir/ld" && ln -s "$dir/d" "$dir/abs"
    for args in "--json $dir/x.json --pauses $dir/./x.json" \
                "--json $dir/d/x.json --timeline $dir/ld/x.json" \
                "--json $dir/d/../x.json --pauses $dir/x.json" \
                "--pauses $dir/abs/x.json --json $dir/ld/./x.json" \
                "--json - --pauses -"; do
      err=$("$gcrun" -q -C naive -w snapshot -p file="$dir/missing" $args 2>&1); rc=$?
      [ $rc = 2 ] || fail "$args: exit $rc, want 2"
      [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "$args: not one line: $err"
      printf '%s' "$err" | grep -Eq -- 'both name|only one of' || fail "$args: $err"
    done
    [ ! -e "$dir/x.json" ] && [ ! -e "$dir/d/x.json" ] || fail "a file was written"
    no_temp "$dir/d"
    run --json "$dir/d/x.json" --pauses "$dir/ld/y.csv" || fail "two files: exit $?"
    grep -q '"collector"' "$dir/d/x.json" && grep -q '^collection,' "$dir/d/y.csv" ||
      fail "two different files were not both written" ;;
  dangling) # a dangling link is written through: the target is created and
            # the link stays; a link into a missing folder is refused
    ln -s target.json "$dir/link.json"
    ln -s link.json "$dir/link2.json"
    run --json "$dir/link2.json" || fail "exit $?"
    [ -L "$dir/link.json" ] && [ -L "$dir/link2.json" ] || fail "a link was replaced by a file"
    grep -q '"collector"' "$dir/target.json" || fail "the target was not created"
    no_temp
    ln -s nowhere/t.json "$dir/bad.json"
    err=$(run --json "$dir/bad.json" 2>&1); rc=$?
    [ $rc = 2 ] || fail "link into a missing folder: exit $rc, want 2"
    printf '%s' "$err" | grep -q "nowhere" || fail "message: $err"
    [ -L "$dir/bad.json" ] || fail "the dangling link was replaced" ;;
  gcbench_null) # Google Benchmark's --benchmark_out on a device
    node null 1 3
    "$gcbench" --benchmark_filter='^chains/none/length:100/held:1/n:1000/' --benchmark_repetitions=1 \
      --benchmark_min_time=0.001 --benchmark_out="$dir/null" >"$dir/console" ||
      fail "exit $?, want 0"
    grep -q 'chains/none' "$dir/console" || fail "no benchmark ran"
    [ -c "$dir/null" ] || fail "the device was replaced"
    no_temp ;;
  gcbench_full) # ... on a full device: one line, exit 2
    node full 1 7
    err=$("$gcbench" --benchmark_filter='^chains/none/length:100/held:1/n:1000/' \
      --benchmark_repetitions=1 --benchmark_min_time=0.001 \
      --benchmark_out="$dir/full" 2>&1 >/dev/null); rc=$?
    [ $rc = 2 ] || fail "exit $rc, want 2"
    printf '%s' "$err" | grep -q "could not write --benchmark_out.*No space left" ||
      fail "message: $err"
    [ -c "$dir/full" ] || fail "the device was replaced" ;;
  gcbench_folder) # ... checked before the run
    err=$("$gcbench" --benchmark_out="$dir" 2>&1 >/dev/null); rc=$?
    [ $rc = 2 ] || fail "exit $rc, want 2"
    [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "not one line: $err"
    printf '%s' "$err" | grep -q "is a folder" || fail "message: $err" ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
echo "ok ($case)"
