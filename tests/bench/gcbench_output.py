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
