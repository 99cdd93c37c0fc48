#!/usr/bin/env python3
"""Renders every figure from the committed fixture results folder and checks
the files; then checks that missing and malformed folders fail with exit 2
and one line.  Usage: test_plot.py PLOT_SCRIPT FIXTURE_DIR WORK_DIR"""
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys

plot, fixture, work = sys.argv[1:4]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def read_peers_dat(path):
    """A vs-peers .dat file -> (series names, {label: {series: [median,
    min, max]}}); ([], {}) if the file is missing."""
    if not os.path.isfile(path):
        return [], {}
    with open(path) as f:
        lines = f.read().splitlines()
    names = lines[0].split(": ", 1)[1].split()
    table = {}
    for ln in lines[1:]:
        label, rest = ln[1:].split('" ', 1)
        vals = rest.split()
        table[label] = {n: vals[3 * i:3 * i + 3] for i, n in enumerate(names)}
    return names, table


def run(folder):
    return subprocess.run([sys.executable, plot, folder], capture_output=True, text=True)


shutil.rmtree(work, ignore_errors=True)
good = os.path.join(work, "good")
shutil.copytree(fixture, good)
r = run(good)
check(r.returncode == 0, f"plot on the fixture exits 0 (stderr: {r.stderr.strip()})")
expected = ["vs-cpython", "scaling-rings-k-10-held-0", "scaling-graphs-degree-2-model-uniform-held-1",
            "scaling-levels", "pauses", "memory-churn", "memory-rings", "memory-churn-allocations",
            "memory-rings-allocations", "throughput", "mmu", "tradeoff"]


def check_image(name, folder, height=500):
    png = os.path.join(folder, "figures", name + ".png")
    svg = os.path.join(folder, "figures", name + ".svg")
    check(os.path.isfile(png), f"{name}.png exists")
    check(os.path.isfile(svg), f"{name}.svg exists")
    if os.path.isfile(png):
        with open(png, "rb") as f:
            head = f.read(24)
        check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{name}.png is a PNG")
        w, h = struct.unpack(">II", head[16:24])
        check((w, h) == (800, height), f"{name}.png is 800x{height} (got {w}x{h})")
        check(os.path.getsize(png) > 5000, f"{name}.png has content")
    if os.path.isfile(svg):
        with open(svg) as f:
            text = f.read()
        check("<svg" in text and 'width="800' in text, f"{name}.svg is an 800-wide SVG")
        check(text.count("<path") + text.count("<polyline") > 5, f"{name}.svg draws lines")
        return text
    return ""


def data_blocks(folder, name):
    """figures/data/NAME.dat -> {collector: [[numbers], ...]}"""
    blocks, cur = {}, None
    with open(os.path.join(folder, "figures", "data", name + ".dat")) as f:
        for line in f:
            if line.startswith("# "):
                cur = blocks.setdefault(line[2:].strip(), [])
            elif line.startswith("#"):  # a block's notes (memory: #: allocator ...)
                continue
            elif line.strip() and cur is not None:
                cur.append([float(x) for x in line.split()])
    return blocks


for name in expected:
    check_image(name, good)
# ---- figures in the README's units
sc = data_blocks(good, "scaling-rings-k-10-held-0")
check("none" not in sc, "scaling leaves none out (its collection does nothing)")
check(set(sc) == {"naive", "trial", "generational", "floor"}, f"scaling has the collectors and floor ({sorted(sc)})")
# fixture: naive takes 0.0525 ms on 1000 vertices = 52.5 ns per vertex
check(sc["naive"][0][:2] == [1000, 52.5], f"scaling in ns per vertex against vertices ({sc['naive'][0]})")
lv = data_blocks(good, "scaling-levels")
check([r[0] for r in lv["trial"]] == [141, 447, 1414], f"levels against its level lists, not n ({lv['trial']})")
check(abs(lv["trial"][2][1] - 462) < 1, f"levels in ns per level list ({lv['trial'][2]})")
mem = data_blocks(good, "memory-churn")
check(mem["none"][3][2] == 0.03, f"memory data carries allocations in millions ({mem['none'][3]})")
psvg = open(os.path.join(good, "figures", "pauses.svg")).read()
legend = set(re.findall(r">([a-z]+): p99 ([^<]*)<", psvg))
check({c for c, _ in legend} == {"naive", "trial", "generational", "incremental"},
      f"pause legend: the collectors with pauses, not none ({legend})")
check({c for c, t in legend if "p99.9" in t} == {"generational"},
      f"p99.9 only for the collector with 1000+ pauses ({legend})")
# ---- the summary
summ = os.path.join(good, "summary.txt")
check(os.path.isfile(summ), "summary.txt exists")
text = open(summ).read() if os.path.isfile(summ) else ""
lines = text.splitlines()
ring = [l for l in lines if l.strip().startswith("rings of 10, garbage")]
# largest size 100000: naive 5.25 ms / 1e5 = 52.5 ns, floor 10.5 ns: 5.0x
check(len(ring) == 1 and "52.5 (5.0x)" in ring[0] and ring[0].rstrip().endswith("10.5"),
      f"summary: rings at the largest size, ns per vertex and x over floor ({ring})")
check("100,000" in (ring or [""])[0], "summary: the vertices of the largest size")
lvl = [l for l in lines if "levels" in l]
check(lvl and "1,414" in lvl[0] and "462 (1.1x)" in lvl[0], f"summary: levels per level list ({lvl})")
check(not any(l.strip().startswith("none") for l in lines[:lines.index("") if "" in lines else 0]),
      "summary: none is not a column of the collect table")
gen = [l for l in lines if "generational" in l and "19.9" in l]
check(len(gen) == 1 and "0.41 ms" in gen[0] and "10.2 MiB" in gen[0],
      f"summary: churn's total time, p99 pause and peak allocated ({gen})")
check(any("(leaks)" in l and "none" in l for l in lines), "summary: none marked as leaking")
check(any("naive" in l and "out of memory" in l for l in lines), "summary: a failed row says why")
check(any("gcrun, one run" in l for l in lines), "summary: gcrun's runs too")
index = os.path.join(good, "index.html")
check(os.path.isfile(index), "index.html exists")
if os.path.isfile(index):
    page = open(index).read()
    for name in expected:
        check(f"figures/{name}.svg" in page, f"index.html shows {name}")
    check("fixture" in page, "index.html shows the run's context")
    pos = {n: page.find(f'src="figures/{n}.svg"') for n in expected}
    check(page.find("52.5 (5.0x)") < page.find('id="contents"') < min(pos.values()),
          "index.html: the summary, then the contents, then the figures")
    check(pos["vs-cpython"] < pos["pauses"] < pos["memory-churn"] < pos["throughput"]
          < pos["scaling-rings-k-10-held-0"], "index.html: figures in reading order")
    for f in ("gcbench.json", "context.json", "gcrun/churn-trial-pauses.csv",
              "gcrun/churn-trial.json", "figures/pauses.svg", "summary.txt"):
        check(f'href="{f}"' in page, f"index.html links {f}")
    check('href="#pauses"' in page, "index.html: the contents link the figures")
check(not any(f.endswith(".tmp") for f in os.listdir(os.path.join(good, "figures"))),
      "no temporary files left")


# vs-peers: gcbench (peers/gcbench.json) beside CPython, PHP and Nim ORC,
# median and min-max of the repetitions, both protocols
png = os.path.join(good, "figures", "vs-peers.png")
check(os.path.isfile(png), "vs-peers.png exists")
if os.path.isfile(png):
    with open(png, "rb") as f:
        head = f.read(24)
    check(struct.unpack(">II", head[16:24]) == (1000, 520), "vs-peers.png is 1000x520")
    check(os.path.getsize(png) > 5000, "vs-peers.png has content")
names, table = read_peers_dat(os.path.join(good, "figures", "data", "vs-peers.dat"))
check(names == ["naive", "cpython", "trial", "php", "nim-orc", "trial:all", "php:all",
                "nim-orc:all"] if table else False,
      f"vs-peers series in order, plain then :all (got {table and names})")
rings = table.get("rings 1e5", {})
check(rings.get("php") == ["85", "80", "90"], f"php rings: median 85, min 80, max 90 (got {rings.get('php')})")
check(rings.get("nim-orc:all") == ["200", "190", "210"],
      f"nim-orc rings protocol:all: 200 190 210 (got {rings.get('nim-orc:all')})")
check(rings.get("nim-orc") == ["110", "100", "120"],
      f"nim-orc rings from the Nim runtime, not gcbench's nim-orc profile row (got {rings.get('nim-orc')})")
check(rings.get("trial:all") == ["63", "60", "66"], f"trial rings protocol:all: 63 60 66 (got {rings.get('trial:all')})")
check(rings.get("cpython", ["NaN"])[0] != "NaN", "cpython beside them (ns_per_object, baseline subtracted)")
check(set(table) == {"rings 1e5", "graphs 1e5"}, f"one row per shape both measured (got {sorted(table)})")
if os.path.isfile(index):
    page = open(index).read()
    check("figures/vs-peers.svg" in page, "index.html shows vs-peers")
    check("Absent peers" not in page, "no peer is said absent when all are there")

# an absent peer: the figure still renders without it and says so
absent = os.path.join(work, "absent")
shutil.copytree(fixture, absent)
os.remove(os.path.join(absent, "peers", "nim-orc.json"))
with open(os.path.join(absent, "peers", "absent.txt"), "w") as f:
    f.write("peer-nim: nim is not installed; skipping Nim ORC (install it with: "
            "sudo apt-get install nim)\n")
r = run(absent)
check(r.returncode == 0, f"plot with Nim absent exits 0 (stderr: {r.stderr.strip()})")
check(os.path.isfile(os.path.join(absent, "figures", "vs-peers.png")), "vs-peers.png without Nim")
page = open(os.path.join(absent, "index.html")).read() if os.path.isfile(
    os.path.join(absent, "index.html")) else ""
check("Absent peers: peer-nim: nim is not installed" in page,
      "the caption names the absent peer and how to install it")
with open(os.path.join(absent, "figures", "data", "vs-peers.dat")) as f:
    check("nim-orc" not in f.readline(), "no Nim ORC series when Nim is absent")

# ---- vs-peers-grid: the shapes grid's rows (shapes/...) of trial beside
# PHP's and Nim ORC's, both protocols, generational and floor for scale
GRID = {"size:65535/degree:2/back:parent/order:bfs/held:0": "bin tree 2^16 parent bfs garbage",
        "size:65535/degree:2/back:parent/order:bfs/held:1": "bin tree 2^16 parent bfs live",
        "size:10000/degree:3/back:across/share:0.5/order:interleave/held:0":
        "3-ary tree 10^4 random back 50% shared interleaved garbage"}


def add_grid(folder, runtimes):
    """Appends to FOLDER/peers/<runtime>.json, for each shape of GRID and
    each series of RUNTIMES[runtime] (name: [ns per vertex of each
    process]), one row per process at n=100000, as the merged files of
    scripts/bench --peers hold them; ns scaled by the shape's position so
    that every cell differs."""
    for runtime, series in runtimes.items():
        path = os.path.join(folder, "peers", runtime + ".json")
        doc = json.load(open(path)) if os.path.exists(path) else {"context": {}, "benchmarks": []}
        for k, shape in enumerate(GRID):
            for s, nss in series.items():
                coll, _, proto = s.partition(":")
                name = (f"shapes/{coll}/{shape}/n:100000" + ("/protocol:all" if proto else "")
                        + "/mode:collect" + ("/iterations:3/manual_time" if runtime == "gcbench" else ""))
                for i, ns in enumerate(nss):
                    ms = ns * (k + 1) * 100000 / 1e6
                    doc["benchmarks"].append(
                        {"name": name, "run_name": name, "run_type": "iteration",
                         "repetitions": len(nss), "repetition_index": i, "threads": 1,
                         "iterations": 1, "real_time": ms, "cpu_time": ms, "time_unit": "ms",
                         "objects": 100000})
        with open(path, "w") as f:
            json.dump(doc, f)


GCBENCH_GRID = {"trial": [30, 20, 40], "trial:all": [35, 33, 31], "generational": [25, 26, 24],
                "floor": [5, 4, 6], "floor-free": [3, 3, 3], "naive": [50, 50, 50],
                "nim-orc": [1, 1, 1]}  # gcbench's nim-orc profile: not the runtime's
grid = os.path.join(work, "grid")
shutil.copytree(fixture, grid)
add_grid(grid, {"gcbench": GCBENCH_GRID,
                "php": {"php": [10, 12, 11], "php:all": [14, 13, 15]},
                "nim-orc": {"nim-orc": [60, 70, 50], "nim-orc:all": [80, 90, 70]}})
r = run(grid)
check(r.returncode == 0, f"plot with grid rows exits 0 (stderr: {r.stderr.strip()})")
gpng = os.path.join(grid, "figures", "vs-peers-grid.png")
check(os.path.isfile(gpng) and os.path.isfile(os.path.join(grid, "figures", "vs-peers-grid.svg")),
      "vs-peers-grid.png and .svg with grid rows of trial and the peers")
if os.path.isfile(gpng):
    with open(gpng, "rb") as f:
        head = f.read(24)
    w, h = struct.unpack(">II", head[16:24])
    check(w == 1000 and h > 250, f"vs-peers-grid.png is 1000 wide, a group per cell ({w}x{h})")
    check(os.path.getsize(gpng) > 5000, "vs-peers-grid.png has content")
gnames, gtable = read_peers_dat(os.path.join(grid, "figures", "data", "vs-peers-grid.dat"))
check(gnames == ["floor", "generational", "trial", "php", "nim-orc", "trial:all", "php:all",
                 "nim-orc:all"],
      f"vs-peers-grid series: floor, generational, then plain and :all (got {gnames})")
check(list(gtable) == list(GRID.values()),
      f"vs-peers-grid: one row per cell, labelled from its parameters, in the matrix's order "
      f"(got {list(gtable)})")
first = gtable.get("bin tree 2^16 parent bfs garbage", {})
check(first.get("trial") == ["30", "20", "40"] and first.get("php") == ["11", "10", "12"],
      f"vs-peers-grid: trial 30 (20-40), php 11 (10-12) ns per vertex ({first})")
check(first.get("nim-orc") == ["60", "50", "70"] and first.get("nim-orc:all") == ["80", "70", "90"],
      f"vs-peers-grid: Nim ORC from the runtime, not gcbench's nim-orc profile ({first})")
third = gtable.get(GRID["size:10000/degree:3/back:across/share:0.5/order:interleave/held:0"], {})
check(third.get("trial:all") == ["99", "93", "105"] and third.get("floor") == ["15", "12", "18"],
      f"vs-peers-grid: the third cell, trial:all 99 (93-105), floor 15 (12-18) ({third})")
gpage = html.unescape(open(os.path.join(grid, "index.html")).read()) if os.path.isfile(
    os.path.join(grid, "index.html")) else ""
check('src="figures/vs-peers-grid.svg"' in gpage, "index.html shows vs-peers-grid")
check("trial's median is below the faster peer's on 0 of 3 cells with the workload's roots "
      "and on 0 of 3 cells with every vertex buffered" in gpage and
      "worst cell: bin tree 2^16 parent bfs garbage (faster peer / trial 0.37x)" in gpage and
      "generational's median is below trial's (workload roots) on 3 of 3 cells" in gpage,
      "vs-peers-grid's caption gives the headline: trial against the faster peer")
check(open(os.path.join(grid, "figures", "data", "vs-peers.dat")).read() ==
      open(os.path.join(good, "figures", "data", "vs-peers.dat")).read(),
      "vs-peers is the same with grid rows beside its shapes")
check(not os.path.exists(os.path.join(good, "figures", "vs-peers-grid.png")) and
      not os.path.exists(os.path.join(good, "figures", "data", "vs-peers-grid.dat")),
      "no vs-peers-grid without grid rows")
# grid rows of trial, none of a peer: no figure
lone = os.path.join(work, "grid-alone")
shutil.copytree(fixture, lone)
add_grid(lone, {"gcbench": GCBENCH_GRID})
r = run(lone)
check(r.returncode == 0, f"plot with grid rows of gcbench only exits 0 (stderr: {r.stderr.strip()})")
check(os.path.isfile(os.path.join(lone, "figures", "vs-peers.png")) and
      not os.path.exists(os.path.join(lone, "figures", "vs-peers-grid.png")) and
      not os.path.exists(os.path.join(lone, "figures", "data", "vs-peers-grid.dat")),
      "no vs-peers-grid when no peer ran the grid")

# ---- a sweep: scripts/bench --sweep heap=1,1.5,2,4 (none runs out of memory below 2)
sweep = os.path.join(work, "sweep")
os.makedirs(sweep)
benches = []
for c, ms, mib in (("none", 60, 16), ("naive", 1900, 10), ("trial", 170, 12), ("generational", 70, 10)):
    for f in ("1", "1.5", "2", "4"):
        name = f"churn/{c}/n:1000000/heap:{f}/mode:run"
        for i in range(3):
            b = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3,
                 "repetition_index": i, "iterations": 2, "time_unit": "ms"}
            if c == "none" and float(f) < 2:
                b.update(error_occurred=True, error_message="out of memory")
            else:
                b.update(real_time=ms * (1 + 0.01 * i) / float(f) ** 0.1, cpu_time=ms,
                         objects=1.1e6, peak_alloc_bytes=mib * 2**20, pause_p99_ns=4e5,
                         min_heap_bytes=9.5 * 2**20)
            benches.append(b)
with open(os.path.join(sweep, "gcbench.json"), "w") as f:
    json.dump({"context": {"gcbench_sweep": "heap", "gcbench_sweep_kind": "heap"},
               "benchmarks": benches}, f)
r = run(sweep)
check(r.returncode == 0, f"plot on a sweep exits 0 (stderr: {r.stderr.strip()})")
svg = check_image("sweep-heap-churn", sweep, 700)
sw = data_blocks(sweep, "sweep-heap-churn")
check(sorted(sw) == ["generational", "naive", "none", "trial"], f"sweep: one line per collector ({sorted(sw)})")
check([p[0] for p in sw["trial"]] == [1, 1.5, 2, 4], f"sweep: x is the swept value ({sw['trial']})")
check([p[0] for p in sw["none"]] == [2, 4], "sweep: a run that failed leaves its point out")
check(sw["trial"][0][2] == 12, "sweep: peak allocated in MiB")
spage = open(os.path.join(sweep, "index.html")).read()
check("Missing points: none at heap=1 (out of memory)" in spage, "sweep caption names the missing points")
check("heap budget" in spage, "sweep caption says what was swept")
stext = open(os.path.join(sweep, "summary.txt")).read()
check("heap=1.5" in stext and "heap=4" in stext, f"summary: one row per swept value ({stext!r})")


# ---- a profile's name has a hyphen and a dot (php-8, cpython-3.13)
prof = os.path.join(work, "profile")
shutil.copytree(fixture, prof)
for suffix in (".json", "-pauses.csv", "-timeline.csv"):
    shutil.copy(os.path.join(fixture, "gcrun", "churn-trial" + suffix),
                os.path.join(prof, "gcrun", "cpython-3.13" + suffix).replace("cpython-3.13", "churn-cpython-3.13"))
r = run(prof)
check(r.returncode == 0, f"plot with a profile's gcrun files exits 0 ({r.stderr.strip()})")
ptext = open(os.path.join(prof, "summary.txt")).read()
check("cpython-3.13" in ptext, "summary: a profile's gcrun run is listed")
check("cpython-3.13" in data_blocks(prof, "pauses") and "cpython-3.13" in data_blocks(prof, "memory-churn"),
      "pauses and memory: a profile's line is drawn")


def expect_error(folder, what):
    r = run(folder)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    check(r.returncode == 2 and len(lines) == 1,
          f"{what}: exit 2 with one line (got {r.returncode}: {r.stderr.strip()!r})")


expect_error(os.path.join(work, "does-not-exist"), "missing folder")
empty = os.path.join(work, "empty")
os.makedirs(empty)
expect_error(empty, "empty folder")
bad = os.path.join(work, "bad-json")
shutil.copytree(fixture, bad)
with open(os.path.join(bad, "gcbench.json"), "w") as f:
    f.write("{\"benchmarks\": [ {\"name\": ")
expect_error(bad, "truncated gcbench.json")
badcsv = os.path.join(work, "bad-csv")
shutil.copytree(fixture, badcsv)
with open(os.path.join(badcsv, "gcrun", "churn-naive-pauses.csv"), "w") as f:
    f.write("collection,start_ns,pause_ns\n0,abc,xyz\n")
expect_error(badcsv, "garbled pauses CSV")
badpeer = os.path.join(work, "bad-peer")
shutil.copytree(fixture, badpeer)
with open(os.path.join(badpeer, "peers", "php.json"), "w") as f:
    f.write("{\"benchmarks\": [")
expect_error(badpeer, "truncated peers/php.json")

# tradeoff: one point per gcrun JSON of cycles, growth and churn, the
# tunable variant included under its own label, in every panel.
tdat = os.path.join(good, "figures", "data", "tradeoff.dat")
if os.path.isfile(tdat):
    blocks = [b for b in open(tdat).read().split("\n\n\n") if b.strip()]
    check([b.splitlines()[0].split(":")[0] for b in blocks] == ["# cycles", "# growth", "# churn"],
          "tradeoff has a panel per workload: cycles, growth, churn")
    rows = {b.splitlines()[0].split(":")[0][2:]: b.splitlines()[1:] for b in blocks}
    check(len(rows.get("cycles", [])) == 5 and len(rows.get("growth", [])) == 3
          and len(rows.get("churn", [])) == 4, "tradeoff: a point per run but none's")
    check(not any(r.split()[2] == "none" for b in rows.values() for r in b),
          "tradeoff leaves none out (no pauses: it would stretch the axis)")
    check(any('"generational:threshold0=700"' in r for r in rows.get("cycles", [])),
          "tradeoff labels a tunable variant")
    check(any(r.split()[2] == "nim-orc" for r in rows.get("cycles", [])),
          "tradeoff shows a profile (cycles-nim-orc.json)")
    trial = [r.split() for r in rows.get("churn", []) if r.split()[2] == "trial"]
    check(trial and abs(float(trial[0][0]) - 6.7) < 1e-9 and float(trial[0][1]) == 8000,
          "tradeoff: churn/trial at p99 6.7 ms, 8000 objects (from its JSON)")
else:
    check(False, "tradeoff.dat written")
# A collector the script has no special case for (the fixture's
# `incremental`) is in every figure drawn from the run's files.
for dat in ("pauses", "mmu", "memory-churn", "tradeoff", "throughput"):
    path = os.path.join(good, "figures", "data", dat + ".dat")
    text = open(path).read() if os.path.isfile(path) else ""
    check("incremental" in text, f"{dat} includes every collector of the run (incremental)")
svg = os.path.join(good, "figures", "tradeoff.svg")
if os.path.isfile(svg):
    text = open(svg).read()
    for w in ("cycles", "growth", "churn"):
        check(f">{w}<" in text, f"tradeoff.svg has the {w} panel")
badtr = os.path.join(work, "bad-tradeoff")
shutil.copytree(fixture, badtr)
with open(os.path.join(badtr, "gcrun", "cycles-naive.json"), "w") as f:
    f.write('{"collector": "naive", "unreclaimed_objects": {"max": 3}}')
expect_error(badtr, "tradeoff JSON without pause_ns")

# ---- summary.json; a size-derived parameter (cycles' live = n/10) and
# protocol:all rows, whose floor is the ordinary shape's
sj = os.path.join(good, "summary.json")
check(os.path.isfile(sj), "summary.json beside summary.txt")
if os.path.isfile(sj):
    with open(sj) as f:
        doc = json.loads(f.read(), parse_constant=lambda c: 1 / 0)
    check(doc.get("schema") == 1, f"summary.json schema 1 ({doc.get('schema')})")
    rg = [e for e in doc.get("collections", [])
          if e["workload"] == "rings" and e["params"] == {"k": 10, "held": 0}]
    check(len(rg) == 1 and rg[0]["n"] == 100000 and
          abs(rg[0]["collectors"]["naive"]["ns_per_vertex"] - 52.5) < 1e-6 and
          abs(rg[0]["collectors"]["naive"]["over_floor"] - 5.0) < 1e-6 and
          abs(rg[0]["floor_ns_per_vertex"] - 10.5) < 1e-6,
          f"summary.json: rings' ns per vertex, x over floor, floor ({rg})")
    gj = [e for e in doc.get("runs", []) if e["workload"] == "churn" and
          e["collector"] == "generational" and e["source"] == "gcbench"]
    check(len(gj) == 1 and abs(gj[0]["p99_pause_ms"] - 0.41) < 0.01 and
          gj[0]["peak_allocated_bytes"] > 10 * 2**20,
          f"summary.json: churn's run under generational ({gj})")
    check(any(e["source"] == "gcrun" for e in doc.get("runs", [])),
          "summary.json: gcrun's runs too")
    check(any(e.get("error") == "out of memory" for e in doc.get("runs", [])),
          "summary.json: a failed row says why")


def bench_row(name, ms, objects, **extra):
    row = {"name": name, "run_name": name, "run_type": "iteration",
           "repetitions": 1, "repetition_index": 0, "iterations": 1,
           "real_time": ms, "cpu_time": ms, "time_unit": "ms",
           "objects": float(objects), "pause_p99_ns": 1000.0,
           "peak_alloc_bytes": 1048576.0}
    row.update(extra)
    return row


sized = os.path.join(work, "sized")
os.makedirs(sized, exist_ok=True)
rows = []
for n in (1000, 10000, 100000):
    for c in ("none", "trial"):
        rows.append(bench_row(f"cycles/{c}/n:{n}/live:{n // 10}/mode:run",
                              n / 1e4, n, leaked=float(n if c == "none" else 0)))
    rows.append(bench_row(f"rings/floor/n:{n}/k:10/held:0/mode:collect", n / 1e5, n))
    rows.append(bench_row(f"rings/trial/n:{n}/k:10/held:0/mode:collect", n / 2e4, n))
    rows.append(bench_row(f"rings/trial/n:{n}/k:10/held:0/protocol:all/mode:collect",
                          n / 1e4, n))
    # the list walk against the heap walk: live rings, scattered, mimalloc
    for c, ms, bpo in (("generational", n / 2e4, 40.0), ("heapwalk", n / 4e4, 24.0)):
        rows.append(bench_row(f"rings/{c}/k:10/held:1/scatter:0.9/n:{n}/"
                              f"allocator:mimalloc/mode:collect", ms, n,
                              bytes_per_object=bpo))
with open(os.path.join(sized, "gcbench.json"), "w") as f:
    json.dump({"context": {"schema": "1"}, "benchmarks": rows}, f)
# scripts/bench --allocators' runs: churn under generational, two allocators
os.makedirs(os.path.join(sized, "gcrun", "alloc"), exist_ok=True)
for a, total, gc in (("jemalloc", 300e6, 100e6), ("mimalloc", 250e6, 90e6)):
    with open(os.path.join(sized, "gcrun", "alloc", f"churn-generational-{a}.json"), "w") as f:
        json.dump({"total_time_ns": total, "gc_time_ns": gc,
                   "pause_ns": {"p99": 2e6}, "peak_allocated_bytes": 3 * 2**20}, f)
r = run(sized)
check(r.returncode == 0, f"plot on cycles and protocol:all rows ({r.stderr.strip()})")
lines = open(os.path.join(sized, "summary.txt")).read().splitlines()
cyc = [l for l in lines if l.strip().startswith("cycles")]
check(len(cyc) == 1 and "live=10000, n=100,000" in cyc[0],
      f"summary: cycles once, at its largest size ({cyc})")
allp = [l for l in lines if "protocol=all" in l]
# n=1e5: trial protocol:all 10 ms / 1e5 = 100 ns, floor 1 ms / 1e5 = 10 ns
check(len(allp) == 1 and "100 (10.0x)" in allp[0] and allp[0].rstrip().endswith("10"),
      f"summary: protocol=all rows against the ordinary shape's floor ({allp})")
with open(os.path.join(sized, "summary.json")) as f:
    doc = json.load(f)
cj = [e for e in doc["runs"] if e["workload"] == "cycles"]
check(len(cj) == 2 and all(e["n"] == 100000 and e["params"] == {"live": 10000}
                           for e in cj), f"summary.json: cycles at n=1e5 only ({cj})")
pj = [e for e in doc["collections"] if e["params"].get("protocol") == "all"]
check(len(pj) == 1 and abs(pj[0]["collectors"]["trial"]["over_floor"] - 10) < 1e-9,
      f"summary.json: protocol=all over the floor ({pj})")
# the protocol:all scaling figure: trial's protocol:all line beside the
# ordinary rows of the collectors without a root buffer and the floor
sd = os.path.join(sized, "figures", "data", "scaling-rings-k-10-held-0-protocol-all.dat")
series = [b.splitlines()[0] for b in open(sd).read().split("\n\n\n") if b.strip()] \
    if os.path.isfile(sd) else []
check("# trial" in series and "# floor" in series,
      f"scaling protocol=all: trial's line and the floor's ({series})")

# the allocator table: mutator = total - collections
al = [l.split() for l in lines if l.strip().startswith("churn") and "mimalloc" in l]
check(len(al) == 1 and al[0][:5] == ["churn", "generational", "mimalloc", "160", "ms"],
      f"summary: churn's run under mimalloc, mutator 160 ms ({al})")
aj = doc.get("allocators") or []
check(len(aj) == 2 and {e["allocator"] for e in aj} == {"jemalloc", "mimalloc"} and
      all(abs(e["mutator_ms"] + e["gc_ms"] - (300 if e["allocator"] == "jemalloc" else 250)) < 1e-9
          for e in aj), f"summary.json: the allocator runs ({aj})")
# n=1e5: generational 5 ms / 1e5 = 50 ns, heapwalk 2.5 ms = 25 ns, 0.50x;
# 40 and 24 bytes per object
hwl = [l for l in lines if "scatter=0.9" in l and "0.50x" in l]
check(len(hwl) == 1 and hwl[0].split()[-2:] == ["40", "24"],
      f"summary: the list walk against the heap walk ({hwl})")
hj = doc.get("heapwalk") or []
check(len(hj) == 1 and abs(hj[0]["generational_ns_per_vertex"] - 50) < 1e-9 and
      abs(hj[0]["heapwalk_ns_per_vertex"] - 25) < 1e-9 and
      hj[0]["heapwalk_bytes_per_object"] == 24,
      f"summary.json: heapwalk against generational ({hj})")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
