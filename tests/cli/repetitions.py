#!/usr/bin/env python3
"""repetitions.py GCRUN -- gcrun --repetitions N: the JSON's shape (the keys
of one run stay, "repetitions" is added), medians and ranges consistent
with the values, the median run's summary standing for the collector, and
nothing added without --repetitions.  Checks no time's size, only how the
figures relate."""
import json
import subprocess
import sys

GCRUN = sys.argv[1]
failures = []


def check(what, ok, got=None):
    if not ok:
        failures.append(f"{what}: {got!r}")


def run(*args):
    p = subprocess.run([GCRUN, "-q", *args, "--json", "-"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


METRICS = ["gc_time_ns", "total_time_ns", "pause_p50_ns", "pause_p90_ns",
           "pause_p99_ns", "pause_max_ns", "peak_allocated_bytes",
           "peak_resident_bytes"]
TOP = {"gc_time_ns": lambda r: r["gc_time_ns"],
       "total_time_ns": lambda r: r["total_time_ns"],
       "peak_allocated_bytes": lambda r: r["peak_allocated_bytes"]}


def check_run(name, r, n, keys):
    check(f"{name}: every key of a run without --repetitions",
          keys <= set(r), sorted(keys - set(r)))
    reps = r.get("repetitions")
    if not isinstance(reps, dict):
        check(f"{name}: repetitions", False, reps)
        return
    check(f"{name}: n", reps.get("n") == n, reps.get("n"))
    k = reps.get("median_run")
    check(f"{name}: median_run", isinstance(k, int) and 0 <= k < n, k)
    for m in METRICS:
        s = reps.get(m, {})
        v = s.get("values", [])
        check(f"{name}: {m} values", len(v) == n, v)
        if len(v) != n:
            continue
        srt = sorted(v)
        check(f"{name}: {m} min/max", s.get("min") == srt[0] and
              s.get("max") == srt[-1], s)
        check(f"{name}: {m} median (the lower middle)",
              s.get("median") == srt[(n - 1) // 2], s)
        if m in TOP and isinstance(k, int):
            check(f"{name}: {m} is the median run's", TOP[m](r) == v[k],
                  (TOP[m](r), v))
    t = reps.get("total_time_ns", {})
    check(f"{name}: the median run has the median total",
          r.get("total_time_ns") == t.get("median"), t)


# one collector, one run: no "repetitions" (today's document)
one = run("-C", "trial", "-w", "rings", "-p", "n=2000")
check("no repetitions key without --repetitions", "repetitions" not in one,
      sorted(one))
keys = set(one)
# one collector, three repetitions: the same document, plus repetitions
d = run("-C", "trial", "-w", "rings", "-p", "n=2000", "--repetitions", "3",
        "--verify")
check_run("trial", d, 3, keys)
check("verified over every repetition", d.get("verified") is True,
      d.get("verified"))
# several collectors: the document of today, plus "repetitions": N
several = run("-C", "naive,heapwalk", "-w", "churn", "-p", "n=20000",
              "-p", "live=1000")
check("several: no repetitions key", "repetitions" not in several and
      all("repetitions" not in r for r in several["runs"]), several.keys())
d = run("-C", "naive,heapwalk", "-w", "churn", "-p", "n=20000",
        "-p", "live=1000", "--repetitions", "4")
check("several: document keys", set(several) | {"repetitions"} == set(d),
      sorted(d))
check("several: repetitions", d.get("repetitions") == 4, d.get("repetitions"))
runs = d.get("runs", [])
check("several: runs in -C's order",
      [r.get("collector") for r in runs] == ["naive", "heapwalk"], runs)
for r in runs:
    check_run(r.get("collector"), r, 4, set(several["runs"][0]))
    check(f"{r.get('collector')}: counts as the single run's",
          r["objects_allocated"] == several["runs"][0]["objects_allocated"],
          r["objects_allocated"])
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok")
