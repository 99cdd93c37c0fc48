#!/usr/bin/env python3
"""scripts/plot on a results folder holding only programs/programs.json (a
synthetic scripts/bench-programs output): the programs figure, its data in
the fixture's numbers, the summary's two tables, summary.json and
index.html's section; then a malformed programs.json fails with exit 2 and
one line.  Usage: test_programs.py PLOT_SCRIPT FIXTURE_DIR WORK_DIR"""
import json
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
check(r.returncode == 0, f"plot on programs/ alone exits 0 (stderr: {r.stderr.strip()})")

# ---- the figure
png = os.path.join(good, "figures", "programs.png")
svg = os.path.join(good, "figures", "programs.svg")
check(os.path.isfile(png) and os.path.isfile(svg), "programs.png and programs.svg exist")
if os.path.isfile(png):
    with open(png, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", "programs.png is a PNG")
    check(struct.unpack(">II", head[16:24]) == (800, 600), "programs.png is 800x600")
    check(os.path.getsize(png) > 5000, "programs.png has content")
if os.path.isfile(svg):
    with open(svg) as f:
        text = f.read()
    for word in ("sphinx", "docutils", "generational", "incremental", "cpython"):
        check(word in text, f"programs.svg names {word}")
others = sorted(f for f in os.listdir(os.path.join(good, "figures"))
                if f.endswith(".png") and f != "programs.png")
check(others == [], f"no other figure from programs/ alone ({others})")

# ---- its data: p99 in ms (CPython's own last), total time in s
blocks, cur = [], None
with open(os.path.join(good, "figures", "data", "programs.dat")) as f:
    for line in f:
        if line.startswith("# "):
            cur = []
            blocks.append(cur)
        elif line.strip():
            w = line.split()
            cur.append([w[0].strip('"')] + [float(x) for x in w[1:]])
check(len(blocks) == 2, f"two data blocks ({len(blocks)})")
if len(blocks) == 2:
    p99 = {r[0]: r[1:] for r in blocks[0]}
    tot = {r[0]: r[1:] for r in blocks[1]}
    # fixture: sphinx none (left out), generational 2.5 ms, incremental
    # 6.25 ms; CPython's own p99 7.25 ms
    check(p99.get("sphinx") == [2.5, 6.25, 7.25], f"sphinx p99 ms, none left out ({p99.get('sphinx')})")
    check(p99.get("docutils") == [1.5, 4.0, 1.875], f"docutils p99 ms ({p99.get('docutils')})")
    # total time relative to the fastest (none, 3000 ms): 1, 3400/3000, 4100/3000
    t = tot.get("sphinx", [0] * 4)
    check(all(abs(a - b) < 1e-4 for a, b in zip(t[:3], [1, 3400 / 3000, 4100 / 3000])),
          f"sphinx total time relative to the fastest ({t})")

# ---- summary.txt, summary.json
with open(os.path.join(good, "summary.txt")) as f:
    summary = f.read()
check("Real programs replayed" in summary, "summary.txt has the programs table")
check(any(l.split()[:2] == ["incremental", "4100"] for l in summary.splitlines()),
      "summary.txt: sphinx under incremental, 4100 ms")
check("cpython (captured)   gc 450 ms" in summary, "summary.txt: CPython's own gc time")
check(any(l.split()[:7] == ["sphinx", "123", "s", "12.5", "MB", "1,000,000", "631/63/6"]
          for l in summary.splitlines()), "summary.txt: the capture and CPython's collections")
check("640/62/6" in summary and "1.6 %" in summary, "summary.txt: the replay's collections, worst 1.6 %")
with open(os.path.join(good, "summary.json")) as f:
    sj = json.load(f)
progs = {p["program"]: p for p in sj.get("programs", [])}
check(set(progs) == {"sphinx", "docutils"}, f"summary.json programs ({sorted(progs)})")
if "sphinx" in progs:
    runs = {r["collector"]: r for r in progs["sphinx"]["runs"]}
    inc = runs.get("incremental", {})
    check(inc.get("pause_p99_ms") == 6.25 and inc.get("total_ms") == 4100
          and inc.get("peak_unreclaimed_objects") == 150000,
          f"summary.json: sphinx incremental p99 6.25 ms, 4100 ms, 150000 unreclaimed ({inc})")
    check(progs["sphinx"]["cpython"]["pause_p99_ms"] == 7.25, "summary.json: CPython's p99 7.25 ms")
    check(progs["sphinx"]["fidelity"]["worst_pct"] == 1.6, "summary.json: the fidelity table")

# ---- index.html: the section, the figure, the tables
with open(os.path.join(good, "index.html")) as f:
    page = f.read()
check('<h2 id="real-programs">Real programs</h2>' in page, "index.html has the Real programs section")
check('<figure id="programs"><img src="figures/programs.svg"' in page, "index.html shows the figure")
check('href="#real-programs"' in page, "index.html's contents link the section")
check("<td class=num>6.25 ms</td>" in page, "index.html's table has sphinx's p99 under incremental")
check("<td class=num>640/62/6</td>" in page, "index.html's captures table")
check('href="programs/programs.json"' in page, "index.html links programs.json")

# ---- bench-programs' own folder (programs.json at its top) plots too
own = os.path.join(work, "own")
shutil.copytree(os.path.join(fixture, "programs"), own)
r = run(own)
check(r.returncode == 0 and os.path.isfile(os.path.join(own, "figures", "programs.png")),
      f"plot on bench-programs' own folder ({r.returncode}: {r.stderr.strip()})")

# ---- malformed: one line, exit 2, no index written
bad = os.path.join(work, "bad")
shutil.copytree(fixture, bad)
with open(os.path.join(bad, "programs", "programs.json"), "w") as f:
    f.write('{"programs": [{"program": "x", "runs": [{"collector": "none"}]}]}\n')
r = run(bad)
check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
      and "programs.json" in r.stderr, f"malformed programs.json: exit 2, one line ({r.returncode}: {r.stderr.strip()})")
check(not os.path.exists(os.path.join(bad, "index.html")), "no index.html for a malformed programs.json")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
