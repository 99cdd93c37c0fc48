#!/usr/bin/env python3
"""test_peer_grid.py GCBENCH SCRIPTS -- the peers' shapes grid
(scripts/peers.d/peerlib.py GRID) is gcbench's: its row names, with the
collector `trial`, are exactly the shapes rows `gcbench --gcbench_list`
prints for trial (both protocols, at the grid's size), and `--shapes grid`
names each of them once; scripts/bench runs the grid at the size
`peerlib.py grid-size` prints.  Needs neither PHP nor Nim."""
import os
import re
import subprocess
import sys

GCBENCH, SCRIPTS = sys.argv[1:3]
sys.path.insert(0, os.path.join(SCRIPTS, "peers.d"))
import peerlib  # noqa: E402

failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")


r = subprocess.run([GCBENCH, "--gcbench_list"], capture_output=True, text=True,
                   timeout=120)
check("gcbench --gcbench_list", r.returncode == 0, r.stderr[-300:])
listed = {re.sub(r"/iterations:\d+|/manual_time|/real_time", "", line)
          for line in r.stdout.split()
          if line.startswith("shapes/trial/")}
ours = {peerlib.row_name(f"shapes/{g}", "trial", peerlib.GRID_SIZE, p)
        for g in peerlib.GRID for p in peerlib.PROTOCOLS}
check("gcbench lists shapes rows", len(listed) > 0, "none")
check("rows gcbench lists and peerlib.GRID lacks", not (listed - ours),
      sorted(listed - ours))
check("rows peerlib.GRID has and gcbench does not list", not (ours - listed),
      sorted(ours - listed))
check("GRID has no repeats", len(set(peerlib.GRID)) == len(peerlib.GRID),
      peerlib.GRID)

# --shapes grid: every grid row once, by name (no runtime needed: the
# shape list is printed before the runtime is looked for)
for peer in ("peer-php", "peer-nim"):
    r = subprocess.run([sys.executable, os.path.join(SCRIPTS, peer), "--shapes",
                        "grid,rings", "--list-shapes"], capture_output=True,
                       text=True, timeout=60)
    want = [f"shapes/{g}" for g in peerlib.GRID] + ["rings"]
    check(f"{peer} --shapes grid,rings --list-shapes", r.returncode == 0 and
          r.stdout.split() == want, f"exit {r.returncode}: {r.stdout[:300]} {r.stderr[-300:]}")
    r = subprocess.run([sys.executable, os.path.join(SCRIPTS, peer), "--shapes",
                        "shapes/size:7/held:0"], capture_output=True, text=True,
                       timeout=60)
    check(f"{peer} an unknown grid shape", r.returncode == 2 and
          len(r.stderr.strip().splitlines()) == 1 and "unknown shape" in r.stderr,
          f"exit {r.returncode}: {r.stderr}")

# scripts/bench --peers runs gcbench's grid at the size the peers run it:
# the one peerlib.py prints
r = subprocess.run([sys.executable, os.path.join(SCRIPTS, "peers.d", "peerlib.py"),
                    "grid-size"], capture_output=True, text=True, timeout=60)
check("peerlib.py grid-size", r.returncode == 0 and
      r.stdout.strip() == str(peerlib.GRID_SIZE), f"exit {r.returncode}: {r.stdout}")
with open(os.path.join(SCRIPTS, "bench")) as f:
    bench = f.read()
check("scripts/bench takes the grid size from peerlib.py",
      re.search(r"^\s*grid_n=\$\(.*peerlib\.py grid-size\)", bench, re.M) is not None
      and re.search(r"^\s*grid_n=[0-9]", bench, re.M) is None,
      "no grid_n=$(... peerlib.py grid-size) line, or a size written out")

if failures:
    print("\n".join("FAIL " + f for f in failures))
    sys.exit(1)
print(f"ok: {len(ours)} grid rows")
