#!/usr/bin/env bash
# inputs.sh GCRUN DIR -- no output of gcrun ever names one of its inputs (a
# workload's -p file: the snapshot, the capture): refused before the run
# with one line naming both, exit 2, the input left byte for byte.
set -u
gcrun=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir/d" || exit 1
cd "$dir" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
printf 'gcheap 2\no 0 8 1\no 1 8 0\nr 0 1\nr 1 0\n' > in.gcheap
cp in.gcheap orig.gcheap
ln -s in.gcheap link.gcheap     # a symbolic link to the input
ln in.gcheap hard.gcheap        # a hard link: another name, the same inode
ln -s "$dir/d" ld               # a link to a folder
refused() { # refused WORKLOAD FILE OUTPUT-ARGS...: exit 2, one line, input kept
  local wl=$1 file=$2; shift 2
  err=$("$gcrun" -q -C naive -w "$wl" -p file="$file" "$@" 2>&1 >/dev/null); rc=$?
  [ $rc = 2 ] || fail "$*: exit $rc, want 2 ($err)"
  [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "$*: not one line: $err"
  printf '%s' "$err" | grep -Eq -- "^gcrun: --[a-z]+ '[^']*' names the input -p file '$file'" ||
    fail "$*: message: $err"
  cmp -s in.gcheap orig.gcheap || fail "$*: the input changed"
  ! ls -a . d | grep -q '\.tmp\.' || fail "$*: temporary files left"
}
refused snapshot in.gcheap --json in.gcheap
refused snapshot in.gcheap --timeline in.gcheap
refused snapshot in.gcheap --pauses in.gcheap
refused snapshot in.gcheap --pauses link.gcheap          # via a symbolic link
refused snapshot link.gcheap --json in.gcheap           # the input via a link
refused snapshot in.gcheap --json hard.gcheap            # via a hard link
refused snapshot in.gcheap --json ./in.gcheap            # another spelling
refused snapshot in.gcheap --json d/../in.gcheap
refused snapshot "$dir/in.gcheap" --timeline in.gcheap   # absolute and relative
refused snapshot in.gcheap --json /dev/fd/3 3<>in.gcheap # its descriptor
refused snapshot in.gcheap --json out.json --pauses hard.gcheap
refused timeline in.gcheap --json in.gcheap              # the capture file
# the timeline's -p untracked_csv is an output too
printf 'gctimeline 3\n' > cap.gctimeline && cp cap.gctimeline cap.orig
err=$("$gcrun" -q -C naive -w timeline -p file=cap.gctimeline \
      -p untracked_csv=./cap.gctimeline 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] || fail "-p untracked_csv on the capture: exit $rc, want 2 ($err)"
printf '%s' "$err" | grep -q "^gcrun: -p untracked_csv './cap.gctimeline' names the input -p file 'cap.gctimeline'" ||
  fail "-p untracked_csv on the capture: message: $err"
cmp -s cap.gctimeline cap.orig || fail "-p untracked_csv: the capture changed"
# standard output is an output: refused when it is the input
"$gcrun" -q -C naive -w snapshot -p file=in.gcheap --json - 1<>in.gcheap 2>stdout.err
rc=$? err=$(cat stdout.err)
[ $rc = 2 ] || fail "--json - 1<>in.gcheap: exit $rc, want 2 ($err)"
printf '%s' "$err" | grep -q "^gcrun: --json '-' names the input -p file 'in.gcheap'" ||
  fail "--json - 1<>in.gcheap: message: $err"
cmp -s in.gcheap orig.gcheap || fail "--json - 1<>in.gcheap: the input changed"
# an input named '-' is a file of that name, not standard output
cp in.gcheap ./- && refused snapshot - --json ./- && rm ./-
# a file that does not exist yet, named two ways, is one file too
refused snapshot d/new.gcheap --json ld/new.gcheap
[ ! -e d/new.gcheap ] || fail "d/new.gcheap was created"
# different files, and /dev/null on both sides, still run
"$gcrun" -q -C naive -w snapshot -p file=in.gcheap --json out.json 2>/dev/null ||
  fail "a different output: exit $?"
grep -q '"collector"' out.json || fail "out.json not written"
cmp -s in.gcheap orig.gcheap || fail "the input changed on a good run"
"$gcrun" -q -C naive -w pair --json /dev/null --pauses /dev/null 2>/dev/null ||
  fail "/dev/null twice: exit $?"
cp in.gcheap ./- && "$gcrun" -q -C naive -w snapshot -p file=- --json - >/dev/null 2>&1 ||
  fail "-p file=- --json -: exit $?"
# an input that is not a regular file is refused before the run (a FIFO
# would block it: the timeout turns a hang into a failure)
mkfifo ff || fail "mkfifo"
notreg() { # notreg FILE KIND
  err=$(timeout 60 "$gcrun" -q -C naive -w snapshot -p file="$1" 2>&1 >/dev/null); rc=$?
  [ $rc = 2 ] || fail "-p file=$1: exit $rc, want 2 ($err)"
  [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "-p file=$1: not one line: $err"
  printf '%s' "$err" | grep -q "^gcrun: -p file '$1' is $2, not a regular file" ||
    fail "-p file=$1: message: $err"
}
notreg ff "a FIFO"
notreg d "a folder"
notreg /dev/null "a device"
err=$(timeout 60 "$gcrun" -q -C naive -w timeline -p file=ff 2>&1 >/dev/null)
[ $? = 2 ] || fail "timeline -p file=ff: $err"
echo ok
