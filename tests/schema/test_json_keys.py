#!/usr/bin/env python3
"""test_json_keys.py GCRUN GCBENCH SCRIPTS WORK -- every JSON the suite
writes carries its "schema" version; gcrun's "tunables" is an object of
every tunable in effect, typed like "params"; peer-php's and peer-nim's
row of the shapes grid is named as gcbench names it (when installed)."""
import json
import os
import re
import shutil
import subprocess
import sys

GCRUN, GCBENCH, SCRIPTS, WORK = sys.argv[1:5]
failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")


def run_json(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        check(what, False, f"exit {r.returncode}: {r.stderr.strip()[-300:]}")
        return {}
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        check(what, False, f"not JSON ({e}): {r.stdout[:200]}")
        return {}


# gcrun --json: schema 2, tunables an object with defaults and given values
d = run_json([GCRUN, "-q", "-C", "trial", "-w", "pair", "-c", "threshold=7",
              "-c", "min_yield=0.25", "--json", "-"], "gcrun trial")
check("gcrun schema", d.get("schema") == 2, d.get("schema"))
t = d.get("tunables")
check("gcrun tunables is an object", isinstance(t, dict), repr(t))
if isinstance(t, dict):
    check("given whole number", t.get("threshold") == 7 and
          isinstance(t.get("threshold"), int), t)
    check("given real number", t.get("min_yield") == 0.25, t)
    check("heap default", t.get("auto") == 1, t)
    check("collector default", "adaptive" in t, t)
check("params still an object", isinstance(d.get("params"), dict), d.get("params"))
d = run_json([GCRUN, "-q", "-C", "naive", "-w", "pair", "--json", "-"], "gcrun naive")
t = d.get("tunables", {})
check("naive tunables", isinstance(t, dict) and "auto" in t and
      "adaptive" not in t, t)

# the oracle's time is reported apart from the run's: verify_time_ns is
# null without --verify, a count of ns with it, and total_time_ns no
# longer holds it (a verify-all run's oracle time exceeds its own run)
d = run_json([GCRUN, "-q", "-C", "generational", "-w", "churn", "-p", "n=20000",
              "--json", "-"], "gcrun no verify")
check("verify_time_ns null without --verify", "verify_time_ns" in d and
      d["verify_time_ns"] is None, d.get("verify_time_ns"))
d = run_json([GCRUN, "-q", "-C", "generational", "-w", "churn", "-p", "n=20000",
              "--verify=all", "--json", "-"], "gcrun --verify=all")
v = d.get("verify_time_ns")
check("verify_time_ns with --verify", isinstance(v, int) and v > 0, v)
if isinstance(v, int):
    check("total_time_ns excludes the oracle", d["total_time_ns"] < v,
          (d["total_time_ns"], v))

# several collectors: one document, "runs" holding each one's summary
d = run_json([GCRUN, "-q", "-C", "naive,nim-orc", "-w", "rings", "-p", "n=1000",
              "--verify", "--json", "-"], "gcrun -C naive,nim-orc")
runs = d.get("runs")
check("several: schema", d.get("schema") == 2, d.get("schema"))
check("several: runs", isinstance(runs, list) and
      [r.get("collector") for r in runs] == ["naive", "nim-orc"], runs)
if isinstance(runs, list) and len(runs) == 2:
    check("several: each a summary", all(r.get("verified") is True and
          r.get("schema") == 2 and isinstance(r.get("tunables"), dict)
          for r in runs), runs)
    check("several: the profile's tunables", runs[1]["tunables"].get("threshold") == 128,
          runs[1].get("tunables"))

# a profile: its tunables applied first, -c's after them (and win)
d = run_json([GCRUN, "-q", "-C", "nim-orc", "-w", "pair", "--json", "-"],
             "gcrun nim-orc")
t = d.get("tunables", {})
check("profile tunables", isinstance(t, dict) and t.get("threshold") == 128
      and t.get("adaptive") == 2, t)
d = run_json([GCRUN, "-q", "-C", "nim-orc", "-w", "pair", "-c", "threshold=300",
              "--json", "-"], "gcrun nim-orc -c")
t = d.get("tunables", {})
check("-c over a profile", isinstance(t, dict) and t.get("threshold") == 300
      and t.get("adaptive") == 2, t)

# gcbench (Google Benchmark JSON): context.schema, a string as Google
# Benchmark's custom context holds strings
d = run_json([GCBENCH, "--benchmark_filter=^shim/empty$",
              "--benchmark_min_time=0.001", "--benchmark_format=json"], "gcbench")
check("gcbench context schema", d.get("context", {}).get("schema") == "1",
      d.get("context"))
check("gcbench ran the row", len(d.get("benchmarks", [])) >= 1, d.get("benchmarks"))

# scripts/peer-cpython: context.schema
py = sys.executable
d = run_json([py, os.path.join(SCRIPTS, "peer-cpython"), "--sizes", "1000",
              "--repetitions", "1", "--shapes", "rings", "-o", "-"], "peer-cpython")
check("peer-cpython context schema", d.get("context", {}).get("schema") == 1,
      d.get("context"))

# scripts/peer-php, scripts/peer-nim: context.schema (when the runtime is
# installed; exit 4 says it is not)
r = subprocess.run([GCBENCH, "--gcbench_list", "--gcbench_sizes=1000"],
                   capture_output=True, text=True, timeout=120)
grid_listed = {re.sub(r"/iterations:\d+|/manual_time|/real_time", "", line)
               for line in r.stdout.split() if line.startswith("shapes/trial/")}
for peer in ("peer-php", "peer-nim"):
    r = subprocess.run([py, os.path.join(SCRIPTS, peer), "--sizes", "100",
                        "--repetitions", "1", "--shapes", "rings", "-q", "-o", "-"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode == 4:
        print(f"{peer}: runtime not installed, not checked")
        continue
    try:
        d = json.loads(r.stdout)
    except ValueError:
        d = {}
    check(f"{peer} context schema", r.returncode == 0 and
          d.get("context", {}).get("schema") == 1, f"exit {r.returncode} {r.stderr[-300:]}")
    # one row of the shapes grid at a small size, both protocols: checked
    # counts (exit 0) and row names that are gcbench's with the collector
    # replaced, as gcbench lists them at that size
    grid = "shapes/size:1000/degree:2/back:parent/share:0.3/order:dfs/held:0"
    r = subprocess.run([py, os.path.join(SCRIPTS, peer), "--sizes", "1000",
                        "--repetitions", "1", "--shapes", grid, "-q", "-o", "-"],
                       capture_output=True, text=True, timeout=300)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        d = {}
    coll = "php" if peer == "peer-php" else "nim-orc"
    names = {b["name"].replace(f"/{coll}/", "/trial/", 1)
             for b in d.get("benchmarks", []) if b.get("run_type") == "iteration"}
    check(f"{peer} {grid}", r.returncode == 0 and len(names) == 2 and
          names <= grid_listed, f"exit {r.returncode} {sorted(names)} {r.stderr[-300:]}")

# scripts/snapshot-python --stats-json: schema
os.makedirs(WORK, exist_ok=True)
heap, stats = os.path.join(WORK, "h.gcheap"), os.path.join(WORK, "h.json")
r = subprocess.run([py, "-S", "-I", os.path.join(SCRIPTS, "snapshot-python"),
                    "--import", "json", "--repeat", "1", "-o", heap,
                    "--stats-json", stats], capture_output=True, text=True,
                   timeout=300)
try:
    with open(stats, encoding="utf-8") as fh:
        d = json.load(fh)
except (OSError, ValueError) as e:
    d = {}
    check("snapshot-python", False, f"exit {r.returncode} {e} {r.stderr[-300:]}")
check("snapshot-python schema", d.get("schema") == 1, d)

shutil.rmtree(WORK, ignore_errors=True)
for f in failures:
    print("FAIL", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
