#!/usr/bin/env python3
"""Renders every figure from the committed fixture results folder and checks
the files; then checks that missing and malformed folders fail with exit 2
and one line.  Usage: test_plot.py PLOT_SCRIPT FIXTURE_DIR WORK_DIR"""
import os
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


def run(folder):
    return subprocess.run([sys.executable, plot, folder], capture_output=True, text=True)


shutil.rmtree(work, ignore_errors=True)
good = os.path.join(work, "good")
shutil.copytree(fixture, good)
r = run(good)
check(r.returncode == 0, f"plot on the fixture exits 0 (stderr: {r.stderr.strip()})")
expected = ["vs-cpython", "scaling-rings-k-10-held-0", "scaling-graphs-degree-2-model-uniform-held-1",
            "pauses", "memory-churn", "memory-rings", "throughput", "mmu"]
for name in expected:
    png = os.path.join(good, "figures", name + ".png")
    svg = os.path.join(good, "figures", name + ".svg")
    check(os.path.isfile(png), f"{name}.png exists")
    check(os.path.isfile(svg), f"{name}.svg exists")
    if os.path.isfile(png):
        with open(png, "rb") as f:
            head = f.read(24)
        check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{name}.png is a PNG")
        w, h = struct.unpack(">II", head[16:24])
        check((w, h) == (800, 500), f"{name}.png is 800x500 (got {w}x{h})")
        check(os.path.getsize(png) > 5000, f"{name}.png has content")
    if os.path.isfile(svg):
        with open(svg) as f:
            text = f.read()
        check("<svg" in text and 'width="800' in text, f"{name}.svg is an 800-wide SVG")
        check(text.count("<path") + text.count("<polyline") > 5, f"{name}.svg draws lines")
index = os.path.join(good, "index.html")
check(os.path.isfile(index), "index.html exists")
if os.path.isfile(index):
    page = open(index).read()
    for name in expected:
        check(f"figures/{name}.svg" in page, f"index.html shows {name}")
    check("fixture" in page, "index.html shows the run's context")
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
dat = os.path.join(good, "figures", "data", "vs-peers.dat")
table = {}
if os.path.isfile(dat):
    with open(dat) as f:
        lines = f.read().splitlines()
    names = lines[0].split(": ", 1)[1].split()
    for ln in lines[1:]:
        label, rest = ln[1:].split('" ', 1)
        vals = rest.split()
        table[label] = {n: vals[3 * i:3 * i + 3] for i, n in enumerate(names)}
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

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
