#!/usr/bin/env python3
"""What the figures and the summary promise beyond their files:

- memory: the memory figures' data (figures/data/memory-*.dat) and
  summary.json / summary.txt give every collector the same peak from the
  same source, under each allocator (memory-fixture: gcrun runs at a small
  size, heapwalk and cpython-3.15t on mimalloc, cycles under trial on
  libc), and the line drawn reaches that peak;
- colours: every registered collector and profile (gcrun --list) and the
  reserved names (floor, the peers) have colours no two alike, a name the
  registry does not know gets one of its own, and the figures use them;
- legends outside the data, and every line styled apart from the next;
- the summary's footnote where a collector beats the floor, and tables
  that scroll instead of wrapping;
- times that are negative or not finite refused with the file and row.

Usage: test_figures.py PLOT_SCRIPT MEMORY_FIXTURE WORK_DIR GCRUN"""
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

plot, fixture, work, gcrun = sys.argv[1:5]
gpdir = os.path.join(os.path.dirname(os.path.abspath(plot)), "plot.d")
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def run(folder, env=None):
    return subprocess.run([sys.executable, plot, "--formats", "png,svg", folder],
                          capture_output=True, text=True, env=env)


def load_plot():
    loader = importlib.machinery.SourceFileLoader("gcbench_plot", plot)
    spec = importlib.util.spec_from_loader("gcbench_plot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


shutil.rmtree(work, ignore_errors=True)
good = os.path.join(work, "memory")
shutil.copytree(fixture, good)
env = dict(os.environ, GCBENCH_BUILD=os.path.dirname(os.path.abspath(gcrun)))
r = run(good, env)
check(r.returncode == 0, f"plot on the memory fixture exits 0 (stderr: {r.stderr.strip()})")

# ---- memory: the figure's data and the summary agree, for every collector
summary = json.load(open(os.path.join(good, "summary.json")))
text = open(os.path.join(good, "summary.txt")).read()
runs = {(x["workload"], x["collector"]): x for x in summary["runs"] if x["source"] == "gcrun"}
allocs_seen = set()
for wl in ("churn", "cycles"):
    blocks, notes, cur = {}, {}, None
    with open(os.path.join(good, "figures", "data", f"memory-{wl}.dat")) as f:
        for line in f:
            if line.startswith("# "):
                cur = line[2:].strip()
                blocks[cur] = []
            elif line.startswith("#:"):
                w = line[2:].split()
                notes[cur] = dict(zip(w[0::2], w[1::2]))
            elif line.strip():
                blocks[cur].append([float(x) for x in line.split()])
    svg = open(os.path.join(good, "figures", f"memory-{wl}.svg")).read()
    colls = sorted(f[len(wl) + 1:-len("-timeline.csv")] for f in os.listdir(os.path.join(fixture, "gcrun"))
                   if f.startswith(wl + "-") and f.endswith("-timeline.csv"))
    check(sorted(blocks) == colls, f"memory-{wl}: a line per collector ({sorted(blocks)})")
    for c in colls:
        with open(os.path.join(fixture, "gcrun", f"{wl}-{c}.json")) as f:
            j = json.load(f)
        run_ = runs.get((wl, c), {})
        note = notes.get(c, {})
        peak = j["peak_allocated_bytes"]
        allocs_seen.add(j["allocator"])
        check(note.get("allocator") == j["allocator"] == run_.get("allocator"),
              f"memory-{wl} {c}: the allocator in the data and summary.json ({note}, {run_.get('allocator')})")
        check(float(note.get("peak_allocated_bytes", "nan")) == peak == run_.get("peak_allocated_bytes"),
              f"memory-{wl} {c}: the peak in the data is summary.json's ({note}, {run_.get('peak_allocated_bytes')})")
        mib = f"{peak / 2**20:.1f} MiB"
        cell = mib + ("" if j["allocator"] == "jemalloc" else f" ({j['allocator']})")
        row = [ln for ln in text.splitlines() if re.search(rf"\b{re.escape(c)}\s", ln) and cell in ln]
        check(row != [], f"memory-{wl} {c}: summary.txt says {cell}")
        check(f"{c}{'' if j['allocator'] == 'jemalloc' else ' (' + j['allocator'] + ')'}: peak {mib}"
              in svg, f"memory-{wl} {c}: the legend says peak {mib}")
        # the line is the same measure, sampled: its highest point is the
        # peak, give or take the sampling and jemalloc's approximate peak
        # (it is updated every few tens of KiB)
        top = max(b[1] for b in blocks[c]) * 2**20
        check(abs(top - peak) <= max(0.12 * peak, 64 * 1024),
              f"memory-{wl} {c}: the line reaches the peak ({top / 2**20:.3f} against {peak / 2**20:.3f} MiB)")
check(allocs_seen == {"jemalloc", "mimalloc", "libc"}, f"every allocator covered ({allocs_seen})")
check("jemalloc, this thread" in open(os.path.join(good, "figures", "memory-churn.svg")).read()
      and "mimalloc or libc" in open(os.path.join(good, "figures", "memory-churn.svg")).read(),
      "the memory axis names what is drawn")

# ---- colours
mod = load_plot()
out = subprocess.run([gcrun, "--list"], capture_output=True, text=True).stdout
registered, part = [], None
for line in out.splitlines():
    if re.match(r"^[a-z]", line):
        part = line.split()[0]
    elif part in ("collectors", "profiles") and re.match(r"^  [a-z0-9]", line) \
            and not line.startswith("  every"):
        registered.append(line.split()[0])
check(len(registered) >= 13 and "cpython-3.15t" in registered and "heapwalk" in registered,
      f"gcrun --list gives the collectors and profiles ({registered})")
os.environ["GCBENCH_BUILD"] = os.path.dirname(os.path.abspath(gcrun))
check(mod.registry_names() == registered, "plot reads the registry from gcrun --list")
check(mod.REGISTRY == registered, f"plot's REGISTRY, without a build, is gcrun --list's ({mod.REGISTRY})")
colours = mod.Colours(registered)
known = registered + sorted(mod.RESERVED)
pairs = [(mod.delta_e(colours(a), colours(b)), a, b) for i, a in enumerate(known) for b in known[i + 1:]]
close = [p for p in pairs if p[0] < mod.MIN_DELTA_E]
check(not close, f"every registered collector and profile, floor and the peers: colours "
                 f"at least {mod.MIN_DELTA_E} apart (closest {min(pairs)[:3]}; too close: {close})")
# heapwalk and cpython-3.15t, generational and cpython-3.14t: once alike
for a, b in (("heapwalk", "cpython-3.15t"), ("generational", "cpython-3.14t")):
    check(colours(a) != colours(b), f"{a} and {b} differ ({colours(a)}, {colours(b)})")
new = [colours(n) for n in ("lins", "lins-lazy", "zz-new")]
check(all(min(mod.delta_e(c, colours(k)) for k in known) >= mod.MIN_DELTA_E for c in new)
      and len(set(new)) == 3 and min(mod.delta_e(new[0], new[1]), mod.delta_e(new[1], new[2]),
                                     mod.delta_e(new[0], new[2])) >= mod.MIN_DELTA_E,
      f"names the registry does not know get colours of their own ({new})")
check(colours("lins") == mod.Colours(registered)("lins"), "the same colour for a new name every time")
check(colours("trial:threshold=1000") == colours("trial") and colours("php:all") == colours("php"),
      "a variant or protocol series takes its collector's colour")
check(len({colours(n) for n in registered[:len(mod.PALETTE)]}) == min(len(registered), len(mod.PALETTE)),
      "registry positions take the palette in order")


def rgb(hexc):
    return "rgb(%3d, %3d, %3d)" % tuple(int(hexc[i:i + 2], 16) for i in (1, 3, 5))


svg = open(os.path.join(good, "figures", "memory-churn.svg")).read()
for c in ("none", "naive", "trial", "generational", "incremental", "heapwalk", "cpython-3.15t"):
    check(rgb(colours(c)) in svg, f"memory-churn draws {c} in its colour {colours(c)}")
# a results folder with a collector no registry knows: a colour of its own
odd = os.path.join(work, "odd")
shutil.copytree(fixture, odd)
for f in os.listdir(os.path.join(odd, "gcrun")):
    if f.startswith("churn-trial"):
        os.rename(os.path.join(odd, "gcrun", f), os.path.join(odd, "gcrun", f.replace("trial", "lins")))
r = run(odd, env)
check(r.returncode == 0, f"plot with an unknown collector exits 0 ({r.stderr.strip()})")
svg = open(os.path.join(odd, "figures", "memory-churn.svg")).read() if r.returncode == 0 else ""
check(rgb(colours("lins")) in svg and rgb(colours("incremental")) in svg
      and colours("lins") != colours("incremental"),
      "an unknown collector is drawn in its own colour, not incremental's")

# ---- legends outside the data; lines styled apart
for gp in sorted(os.listdir(gpdir)):
    src = open(os.path.join(gpdir, gp)).read()
    panel = src.find("# the legend panel")
    for m in re.finditer(r"^\s*set key\b(.*)$", src, re.M):
        in_panel = panel >= 0 and m.start() > panel
        opts = m.group(1)
        # at the bottom of the canvas, below a margin kept for it
        under = re.search(r"\bat screen [0-9.]+, screen 0\.0", opts) and "set bmargin" in src
        placed = "outside" in opts or re.search(r"\boff\b", opts) or in_panel or under \
            or (not re.search(r"\b(inside|left|right|top|bottom|center|at)\b", opts))
        check(placed and "inside" not in opts,
              f"{gp}: 'set key{opts}' keeps the legend outside the data")
common = open(os.path.join(gpdir, "common.gp")).read()
check(re.search(r"^set key outside", common, re.M) is not None, "common.gp: the legend outside by default")
for gp in ("memory.gp", "mmu.gp", "pauses.gp", "scaling.gp", "sweep.gp"):
    src = open(os.path.join(gpdir, gp)).read()
    check("dt dash(i)" in src and "lw width(i, n)" in src and "colour(i)" in src,
          f"{gp}: each line its colour, dash type and width")
svg = open(os.path.join(good, "figures", "memory-cycles-allocations.svg")).read()
styles = set(re.findall(r"stroke-dasharray='[^']*'|stroke-width='[^']*'", svg))
check(len(styles) >= 4, f"memory-cycles-allocations: lines of several dashes and widths ({len(styles)})")

# ---- the summary: tables that do not wrap, the floor's footnote
bench = os.path.join(work, "floor")
os.makedirs(bench)
rows = []
for c, ms in (("floor", 1.0), ("naive", 2.0), ("trial", 0.5), ("heapwalk", 1.5)):
    name = f"rings/{c}/n:1000/k:10/held:1/mode:collect"
    for i in range(3):
        rows.append({"name": name, "run_name": name, "run_type": "iteration",
                     "repetitions": 3, "repetition_index": i, "iterations": 1,
                     "real_time": ms, "cpu_time": ms, "time_unit": "ms", "objects": 1000})
with open(os.path.join(bench, "gcbench.json"), "w") as f:
    json.dump({"context": {}, "benchmarks": rows}, f)
r = run(bench, env)
check(r.returncode == 0, f"plot on a collector below the floor exits 0 ({r.stderr.strip()})")
stxt = open(os.path.join(bench, "summary.txt")).read() if r.returncode == 0 else ""
sjson = json.load(open(os.path.join(bench, "summary.json"))) if r.returncode == 0 else {}
page = open(os.path.join(bench, "index.html")).read() if r.returncode == 0 else ""
check("0.5x" in stxt and "* Below 1x" in stxt and "trial 0.5x" in stxt,
      "summary.txt: a footnote says what below the floor means, and where")
check([b["collector"] for b in sjson.get("below_floor", [])] == ["trial"]
      and sjson.get("below_floor_note"), "summary.json: below_floor names trial, with the note")
check('<p class="note">* Below 1x' in page, "index.html: the same footnote")
check(re.search(r"table\.summary th,table\.summary td[^{]*\{[^}]*white-space:nowrap", page)
      is not None, "index.html: summary cells do not wrap")
check(re.search(r"div\.wide\{[^}]*overflow-x:auto", page) is not None
      and page.count("<div class=\"wide\"><table class=summary>") == page.count("<table class=summary>") > 0,
      "index.html: every summary table scrolls sideways in its box")
good_page = open(os.path.join(good, "index.html")).read()
check("Below 1x" not in good_page, "no floor footnote where nothing beats the floor")
check("* peak allocated: jemalloc" in good_page, "index.html: what peak allocated measures")

# ---- bad times: one line naming the file and the row, exit 2


def damaged(name, edit):
    d = os.path.join(work, name)
    shutil.copytree(fixture, d)
    edit(d)
    return run(d, env)


def set_json(path, key, value):
    with open(path) as f:
        j = json.load(f)
    j[key] = value
    with open(path, "w") as f:
        json.dump(j, f)


def set_csv(path, row, col, value):
    with open(path) as f:
        lines = f.read().splitlines()
    head = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[head.index(col)] = value
    lines[row - 1] = ",".join(cells)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


cases = [
    ("neg-json", lambda d: set_json(os.path.join(d, "gcrun", "churn-naive.json"), "total_time_ns", -5),
     "churn-naive.json, key total_time_ns: time -5 is negative"),
    ("inf-json", lambda d: set_json(os.path.join(d, "gcrun", "cycles-trial.json"), "gc_time_ns", float("inf")),
     "cycles-trial.json, key gc_time_ns: time inf is negative or not finite"),
    ("neg-csv", lambda d: set_csv(os.path.join(d, "gcrun", "churn-none-timeline.csv"), 3, "time_ns", "-7"),
     "churn-none-timeline.csv, row 3: time -7 is negative"),
    ("nan-csv", lambda d: set_csv(os.path.join(d, "gcrun", "churn-heapwalk-timeline.csv"), 4, "time_ns", "nan"),
     "churn-heapwalk-timeline.csv, row 4: time nan is negative or not finite"),
]
for name, edit, want in cases:
    r = damaged(name, edit)
    err = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(err) == 1 and want in err[0] and "re-run scripts/bench" in err[0],
          f"{name}: exit 2 and one line naming the file and row ({r.returncode}: {err})")
    check("e-06 ms" not in r.stdout + r.stderr, f"{name}: no negative time printed")
# a gcbench row with a negative time
negb = os.path.join(work, "neg-bench")
os.makedirs(negb)
rows[1]["real_time"] = -0.001
with open(os.path.join(negb, "gcbench.json"), "w") as f:
    json.dump({"context": {}, "benchmarks": rows}, f)
r = run(negb, env)
err = r.stderr.strip().splitlines()
check(r.returncode == 2 and len(err) == 1
      and "gcbench.json, benchmark 'rings/floor/n:1000/k:10/held:1/mode:collect', real_time: time -0.001"
      in err[0], f"gcbench.json with a negative real_time: exit 2, one line ({r.returncode}: {err})")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
