# common.sh -- shared by scripts/bench and scripts/test: dependencies and
# builds.  Source it; it defines functions only.

GCBENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages gcbench needs.  clang + libclang-rt for the fuzzers,
# valgrind for the memcheck tests, python3-scipy for scripts/compare's
# significance test, zlib for gzipped heap snapshots.
GCBENCH_PACKAGES="cmake make gcc g++ pkg-config libjemalloc-dev libmimalloc-dev zlib1g-dev libbenchmark-dev
libbenchmark-tools libcmocka-dev gnuplot-nox clang libclang-rt-14-dev
valgrind python3 python3-scipy"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# apt_get ARGS... -- apt-get that waits for the dpkg lock (another apt-get,
# unattended-upgrades) instead of failing at once: DPkg::Lock::Timeout, up to
# GCBENCH_APT_LOCK_SECONDS (default 600), then apt-get's own error.
apt_get() {
  local wait=${GCBENCH_APT_LOCK_SECONDS:-600}
  case "$wait" in ''|*[!0-9]*) wait=600 ;; esac
  apt-get -o DPkg::Lock::Timeout="$wait" "$@"
}

# The peer runtimes of scripts/bench --peers (scripts/peer-php, peer-nim),
# installed on demand and only for --peers.
GCBENCH_PEER_PACKAGES="php-cli nim"

# ensure_optional_packages WHAT PKG... -- install the missing ones among
# PKG; never fails: whatever is still missing afterwards is skipped by its
# script with one line (WHAT names it in the messages: "peer", "program").
ensure_optional_packages() {
  local what=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "$what packages missing: ${missing[*]} (sudo apt-get install -y ${missing[*]})"
    return 0
  fi
  log "installing $what packages ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  for p in "${missing[@]}"; do
    apt_get install -y -qq --no-install-recommends "$p" >&2 ||
      { apt_get update -qq >&2 && apt_get install -y -qq --no-install-recommends "$p" >&2; } ||
      log "could not install $p; its $what is skipped"
  done
  return 0
}

# Try to install the missing peer runtimes; never fails: a peer still
# missing afterwards is skipped by its script with one line saying so.
ensure_peer_packages() {
  # shellcheck disable=SC2086  # a list of package names
  ensure_optional_packages peer $GCBENCH_PEER_PACKAGES
}

# The real programs of scripts/bench --programs (scripts/bench-programs):
# pyflakes, docutils and Sphinx from Debian, installed on demand and only
# for --programs.
GCBENCH_PROGRAM_PACKAGES="pyflakes3 python3-docutils python3-sphinx"

# ensure_program_packages [PKG...] -- install the missing ones (default: all
# of GCBENCH_PROGRAM_PACKAGES); never fails: a program whose package is still
# missing afterwards is skipped by scripts/bench-programs with one line.
ensure_program_packages() {
  # shellcheck disable=SC2086  # a list of package names
  ensure_optional_packages program ${@:-$GCBENCH_PROGRAM_PACKAGES}
}

# Install whatever is missing: with apt-get as root, else print the line.
ensure_packages() {
  local missing=() p
  for p in $GCBENCH_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "install them with: sudo apt-get install -y ${missing[*]}"
    exit 2
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  log "(waiting up to ${GCBENCH_APT_LOCK_SECONDS:-600} s if another apt-get holds the dpkg lock)"
  apt_get update -qq >&2 || { log "apt-get update failed"; exit 2; }
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { log "apt-get install failed"; exit 2; }
}

# build PRESET: configure (once) and build into build/PRESET.
build() {
  local preset=$1
  log "building preset '$preset'"
  (cd "$GCBENCH_ROOT" &&
    cmake --preset "$preset" >/dev/null &&
    cmake --build --preset "$preset" -j "$(nproc)")
}

# out_write DEST CMD [ARGS...] -- run CMD with its standard output in DEST,
# by the rules of bench/outfile.h: a regular file (or a new name) through
# DEST.tmp.PID, renamed when CMD and the write succeeded, so a failure never
# leaves a half-written DEST; a device, FIFO or any name in /dev or /proc
# (/dev/stdout) is written in place, never replaced.  Returns CMD's status,
# or 2 after one line when DEST cannot be written.
out_write() {
  local dest=$1 tmp rc
  shift
  if [ -d "$dest" ]; then
    log "'$dest' is a folder; give a file name"
    return 2
  fi
  if { [ -e "$dest" ] && [ ! -f "$dest" ]; } ||
     case $(cd "$(dirname "$dest")" 2>/dev/null && pwd -P) in
       /dev|/dev/*|/proc|/proc/*) true ;; *) false ;; esac; then
    "$@" > "$dest"
    return
  fi
  [ -d "$(dirname "$dest")" ] ||
    { log "'$dest': folder '$(dirname "$dest")' does not exist"; return 2; }
  [ -L "$dest" ] && dest=$(readlink -f "$dest")
  tmp="$dest.tmp.$$"
  rc=0
  "$@" > "$tmp" || rc=$?  # (under set -e too: the temporary file goes)
  if [ $rc != 0 ]; then
    rm -f "$tmp"
    return $rc
  fi
  mv -f "$tmp" "$dest" || { rm -f "$tmp"; log "cannot write '$dest'"; return 2; }
}
