#!/usr/bin/env python3
"""shapes_grid.py GCBENCH DIR -- gcbench's shapes grid: by default one size
(n:100000) per row, every size under --gcbench_full; twelve shapes, each
garbage (held:0) with floor, floor-free and protocol:all rows, and live
(held:1) with a floor row; and every row of it, run at n=1000, matches its
answer (a mismatch is an error row)."""
import json
import os
import re
import subprocess
import sys

gcbench, work = sys.argv[1:3]
os.makedirs(work, exist_ok=True)


def listed(*args):
    r = subprocess.run([gcbench, "--gcbench_list", "--benchmark_filter=^shapes/"]
                       + list(args), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [l.split("/iterations:")[0] for l in r.stdout.split()
            if l.startswith("shapes/")]


names = listed()
sizes = {re.search(r"/n:(\d+)/", n).group(1) for n in names}
assert sizes == {"100000"}, sizes
full = {re.search(r"/n:(\d+)/", n).group(1) for n in listed("--gcbench_full")}
assert len(full) == 5, full


def shape(name):  # the name without collector, held, n, protocol, mode
    parts = name.split("/")
    return "/".join(p for p in parts[2:] if not re.match(
        r"(held|n|protocol|mode):", p))


shapes = {}
for n in names:
    shapes.setdefault(shape(n), set()).add(
        (n.split("/")[1], re.search(r"/held:(\d)/", n).group(1),
         "/protocol:all/" in n))
cyclic = [s for s in shapes if "back:none" not in s]
assert len(cyclic) >= 12, sorted(shapes)
for s in cyclic:
    got = shapes[s]
    for want in [("floor", "0", False), ("floor-free", "0", False),
                 ("floor", "1", False), ("trial", "0", False),
                 ("trial", "0", True), ("trial", "1", True),
                 ("generational", "1", False)]:
        assert want in got, (s, want)

out = os.path.join(work, "grid.json")
r = subprocess.run([gcbench, "--gcbench_sizes=1000",
                    "--benchmark_filter=^shapes/", "--benchmark_min_time=0.001",
                    "--benchmark_out=" + out], capture_output=True, text=True,
                   timeout=600)
assert r.returncode == 0, r.stderr[-2000:]
with open(out) as f:
    rows = json.load(f)["benchmarks"]
bad = [b["name"] for b in rows if b.get("error_occurred")]
assert not bad, bad[:5]
assert len(rows) == len(names), (len(rows), len(names))
print("ok: %d shapes, %d rows verified at n=1000" % (len(shapes), len(rows)))
