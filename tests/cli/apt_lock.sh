#!/usr/bin/env bash
# apt_lock.sh SCRIPTS WORK -- scripts/lib/common.sh installs missing
# packages with an apt-get that waits for the dpkg lock held by another
# apt-get (DPkg::Lock::Timeout) instead of dying at once.  apt-get, id and
# dpkg-query are stand-ins on PATH: nothing is installed.
set -u
scripts=$1 work=$2
rm -rf "$work" && mkdir -p "$work/bin"
cat > "$work/bin/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $*" >> "$APT_LOG"
SH
printf '#!/bin/sh\necho 0\n' > "$work/bin/id"
printf '#!/bin/sh\nexit 1\n' > "$work/bin/dpkg-query"  # nothing installed
chmod +x "$work/bin/"*
fails=0
check() { # WHAT REGEX
  if grep -Eq -- "$2" "$work/apt.log"; then echo "ok: $1"
  else echo "FAIL: $1: /$2/ not in: $(cat "$work/apt.log")"; fails=$((fails + 1)); fi
}
run() { # ENV... -- call ensure_packages (and ensure_peer_packages)
  : > "$work/apt.log"
  env "$@" APT_LOG="$work/apt.log" PATH="$work/bin:$PATH" bash -c '
    . "$1/lib/common.sh"
    GCBENCH_PACKAGES=gcbench-test-package GCBENCH_PEER_PACKAGES=gcbench-test-peer
    ensure_packages && ensure_peer_packages' _ "$scripts" 2>"$work/err"
}
run
check "install waits 600 s by default" "^apt-get -o DPkg::Lock::Timeout=600 install .*gcbench-test-package"
check "update waits too" "^apt-get -o DPkg::Lock::Timeout=600 update"
check "peer install waits" "^apt-get -o DPkg::Lock::Timeout=600 install .*gcbench-test-peer"
grep -q "waiting up to 600 s" "$work/err" && echo "ok: says it may wait" ||
  { echo "FAIL: no line saying it may wait: $(cat "$work/err")"; fails=$((fails + 1)); }
run GCBENCH_APT_LOCK_SECONDS=5
check "GCBENCH_APT_LOCK_SECONDS" "^apt-get -o DPkg::Lock::Timeout=5 install"
[ $fails = 0 ] && echo "all ok" || { echo "$fails failed"; exit 1; }
