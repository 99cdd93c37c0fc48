#!/usr/bin/env bash
# help_lists.sh BINDIR -- gcrun --help and gcdemo --help name every
# collector and every profile that gcrun --list (the registry) knows.
set -u
gcrun=$1/gcrun gcdemo=$1/gcdemo
list=$("$gcrun" --list) || { echo "FAIL: gcrun --list: exit $?"; exit 1; }
# the registry's names: indented by two spaces under "collectors" and "profiles"
names=$(printf '%s\n' "$list" | awk '
  /^collectors/ {on=1; next} /^profiles/ {on=1; next} /^workloads/ {on=0}
  on && /^  [a-z]/ && $1 != "every" {print $1}')
[ "$(printf '%s\n' "$names" | grep -c .)" -ge 9 ] ||
  { echo "FAIL: too few names in --list: $names"; exit 1; }
fails=0
for prog in "$gcrun" "$gcdemo"; do
  help=$("$prog" --help) || { echo "FAIL: $prog --help: exit $?"; exit 1; }
  for n in $names; do
    printf '%s\n' "$help" | grep -Eq "^  $n( |$)" ||
      { echo "FAIL: $(basename "$prog") --help does not list '$n'"; fails=$((fails + 1)); }
  done
done
[ $fails = 0 ] && echo "ok: $(echo $names)" || exit 1
