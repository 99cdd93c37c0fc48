#!/usr/bin/env python3
"""test_json_replay.py GCRUN -- gcrun's JSON can be replayed: its
"tunables" holds every tunable in effect with the value in effect (the
defaults, a profile's values, the allocator the heap really used), and
passing each one back with -c key=value, under every collector and
profile the registry lists, gives the same tunables and the same counts.

The collectors are those `gcrun -C all` runs, the profiles and every
tunable's default those `gcrun --list` prints, so a new collector,
profile or tunable is judged here without editing this file."""
import json
import re
import subprocess
import sys

GCRUN = sys.argv[1]
WORKLOAD = ["-w", "churn", "-p", "n=60000", "-p", "live=5000", "--seed", "7",
            "--verify=final"]
COUNTS = ["objects_allocated", "freed_by_rc", "freed_by_collector",
          "live_at_end", "collections"]
failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")
    return cond


def gcrun(args, what):
    """Run gcrun -q ARGS --json -; the parsed JSON, or None (a failure)."""
    cmd = [GCRUN, "-q", *args, "--json", "-"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if not check(what, r.returncode == 0,
                 f"exit {r.returncode}: {r.stderr.strip()[-400:]}\n  "
                 f"command: {' '.join(cmd)}"):
        return None
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        check(what, False, f"not JSON ({e}): {r.stdout[:200]}")
        return None


def read_list():
    """--list: each collector's tunables and defaults, the ones every
    collector takes, and each profile's collector and tunables."""
    out = subprocess.run([GCRUN, "--list"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    tunables, common, profiles = {}, {}, {}
    section, current = None, None
    for line in out.splitlines():
        if line and not line[0].isspace():
            section = line.split()[0]
            continue
        m = re.match(r"^  (\S.*):$", line)
        if section == "collectors" and m:
            current = common  # "every collector also takes:"
            continue
        m = re.match(r"^  (\S+)\s", line)
        if section == "collectors" and m:
            current = tunables.setdefault(m.group(1), {})
            continue
        m = re.match(r"^      (\S+)\s+=\s+(\S+)", line)
        if section == "collectors" and m and current is not None:
            current[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^  (\S+)\s+(\S+) with (\S+)$", line)
        if section == "profiles" and m:
            profiles[m.group(1)] = (m.group(2), dict(
                kv.split("=", 1) for kv in m.group(3).split(",")))
    return tunables, common, profiles


def same_value(json_value, text):
    if isinstance(json_value, str):
        return json_value == text
    try:
        return float(text) == float(json_value)
    except ValueError:
        return False


def as_args(tunables):
    """-c key=value for every tunable, each value as the JSON gives it."""
    args = []
    for k, v in tunables.items():
        args += ["-c", f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}"]
    return args


def replay(name, original, what, extra=()):
    """Run `name` again with every tunable the original's JSON records; the
    replay must succeed with the same tunables and the same counts."""
    d = gcrun(["-C", name, *WORKLOAD, *extra, *as_args(original["tunables"])],
              what)
    if d is None:
        return
    check(f"{what}: tunables", d.get("tunables") == original["tunables"],
          f"{d.get('tunables')} != {original['tunables']}")
    for k in COUNTS:
        check(f"{what}: {k}", d.get(k) == original.get(k),
              f"{d.get(k)} != {original.get(k)}")


coll_tunables, common, profiles = read_list()
check("--list names collectors", coll_tunables, "none parsed")
check("--list names the common tunables", "allocator" in common, common)
check("--list names profiles", profiles, "none parsed")

# the collectors: what -C all runs (every registered one)
everything = gcrun(["-C", "all", *WORKLOAD], "-C all")
collectors = [r.get("collector") for r in (everything or {}).get("runs", [])]
check("-C all runs the collectors --list names",
      collectors == list(coll_tunables), f"{collectors} != {list(coll_tunables)}")
names = collectors + list(profiles)

# 1. each collector and profile alone: every tunable in effect, valued
# as in effect (defaults, the profile's values, the allocator used)
original = {}
for name in names:
    d = gcrun(["-C", name, *WORKLOAD], f"{name}: original run")
    if d is None:
        continue
    original[name] = d
    t = d.get("tunables")
    if not check(f"{name}: tunables is an object", isinstance(t, dict), t):
        continue
    prof = profiles.get(name)
    base = prof[0] if prof else name
    expect = dict(common, **coll_tunables.get(base, {}))
    if prof:
        expect.update(prof[1])
        check(f"{name}: the profile key", d.get("profile", {}).get(
            "collector") == base, d.get("profile"))
    check(f"{name}: every tunable", set(t) == set(expect),
          f"extra {sorted(set(t) - set(expect))}, "
          f"missing {sorted(set(expect) - set(t))}")
    # the allocator in effect: the one the objects came from (the checker
    # builds' "system" malloc stands in for the tunable's allocator)
    alloc = d.get("allocator")
    if alloc != "system":
        check(f"{name}: tunables.allocator is the heap's", t.get("allocator")
              == alloc, f"tunables say {t.get('allocator')}, allocator {alloc}")
    for k in expect:
        if k in t and not (k == "allocator" and alloc != "system"):
            check(f"{name}: {k}", same_value(t[k], expect[k]),
                  f"{t[k]!r}, expected {expect[k]}")

# 2. replayed: the recorded tunables passed back give the same run; a
# profile's are the whole profile (its collector with them is the same run)
for name, d in original.items():
    replay(name, d, f"{name}: replay")
    if name in profiles:
        replay(profiles[name][0], d,
               f"{name}: replay as {profiles[name][0]} with its tunables")

# 3. several collectors in one run: each run's object holds its own
# tunables, as the run alone would
runs = (gcrun(["-C", ",".join(["all"] + list(profiles)), *WORKLOAD],
              "-C all and the profiles") or {}).get("runs", [])
check("several: every run", [r.get("collector") for r in runs] == names,
      [r.get("collector") for r in runs])
for r in runs:
    name = r.get("collector")
    if name not in original:
        continue
    check(f"several: {name}: tunables", r.get("tunables") ==
          original[name]["tunables"],
          f"{r.get('tunables')} != {original[name]['tunables']}")
    for k in COUNTS:
        check(f"several: {name}: {k}", r.get(k) == original[name].get(k),
              f"{r.get(k)} != {original[name].get(k)}")

# 4. a given allocator is recorded, and replays, under every collector
# that takes it (-C all leaves the heap walkers out under libc)
for alloc in ("libc", "mimalloc"):
    multi = gcrun(["-C", "all", "-A", alloc, *WORKLOAD], f"-C all -A {alloc}")
    for r in (multi or {}).get("runs", []):
        name = r.get("collector")
        check(f"-A {alloc}: {name}: tunables.allocator",
              r.get("tunables", {}).get("allocator") == alloc,
              r.get("tunables"))
        replay(name, r, f"-A {alloc}: {name}: replay")

if failures:
    print(f"{len(failures)} failure(s):")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print(f"ok: {len(original)} collectors and profiles replayed from their JSON")
