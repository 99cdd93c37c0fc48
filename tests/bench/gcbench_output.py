#!/usr/bin/env python3
"""gcbench_output.py GCBENCH DIR -- what gcbench writes for floor rows and
cv aggregates: the floor (which collects nothing) has no `leaked` counter
while `none` leaks its garbage rings; a counter that is 0 in every
repetition has a cv of 0, not NaN, in the JSON file (which strict JSON
parsers then read) and on the console (no `-nan%`)."""
import json
import math
import os
import subprocess
import sys

gcbench, work = sys.argv[1:3]
os.makedirs(work, exist_ok=True)
out = os.path.join(work, "rows.json")


def no_constants(name):
    raise ValueError("not JSON: %s" % name)


r = subprocess.run([gcbench, "--gcbench_sizes=1000",
                    "--benchmark_filter=^rings/(floor|none)/k:10/held:0/n:1000/",
                    "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
                    "--benchmark_out=" + out],
                   capture_output=True, text=True, timeout=300)
assert r.returncode == 0, r.stderr
assert "nan" not in r.stdout.lower(), r.stdout
with open(out) as f:
    doc = json.loads(f.read(), parse_constant=no_constants)
rows = doc["benchmarks"]
floor = [b for b in rows if b["name"].startswith("rings/floor/")]
none = [b for b in rows if b["name"].startswith("rings/none/")]
assert floor and none, [b["name"] for b in rows]
for b in floor:
    assert "leaked" not in b, b
for b in none:
    if b.get("aggregate_name") in (None, "mean", "median"):
        assert b["leaked"] == 1000, b
cvs = [b for b in rows if b.get("aggregate_name") == "cv"]
assert len(cvs) == 2, len(cvs)
for b in cvs:
    for k, v in b.items():
        if isinstance(v, float):
            assert math.isfinite(v), (b["name"], k, v)
    assert b["gc_ns" if b["name"].startswith("rings/floor") else
             "examined"] == 0, b
print("ok: %d rows, floor without leaked, cv without NaN" % len(rows))

# Units: on every row kind, ns_per_object is the row's time per iteration
# over its `objects` counter (levels: its level lists, not the edge budget
# n), so ns_per_object x objects = real_time.
kinds = ["^levels/trial/n:1000/mode:collect", "^levels/floor/n:1000/",
         "^rings/trial/k:10/held:1/n:1000/protocol:all/",
         "^churn/generational/n:1000/mode:run", "^locality/naive/",
         "^young/generational/", "^chain/rc/", "^chain/malloc/"]
out2 = os.path.join(work, "units.json")
r = subprocess.run([gcbench, "--gcbench_sizes=1000",
                    "--benchmark_filter=" + "|".join(kinds),
                    "--benchmark_min_time=0.001", "--benchmark_out=" + out2],
                   capture_output=True, text=True, timeout=300)
assert r.returncode == 0, r.stderr
with open(out2) as f:
    rows = json.load(f)["benchmarks"]
scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
seen = set()
for b in rows:
    assert "objects" in b and "ns_per_object" in b, ("no units", b["name"])
    t = b["real_time"] * scale[b["time_unit"]]
    got = b["ns_per_object"] * b["objects"]
    assert abs(got - t) <= 1e-6 * t + 1e-9, (b["name"], got, t)
    parts = b["name"].split("/")
    seen.add("/".join(parts[:2]) if parts[0] == "chain" else
             parts[0] + ("/all" if "protocol:all" in b["name"] else ""))
assert seen == {"levels", "rings/all", "churn", "locality", "young",
                "chain/rc", "chain/malloc"}, sorted(seen)
lv = [b for b in rows if b["name"].startswith("levels/trial/")]
assert lv and lv[0]["objects"] < 100, lv  # 1000 references: 45 level lists
print("ok: ns_per_object x objects = real_time on %d rows (%s)" %
      (len(rows), ", ".join(sorted(seen))))
