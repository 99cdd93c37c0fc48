#!/usr/bin/env python3
"""test_compare.py COMPARE FIXTURE WORK -- scripts/compare on hand-made runs.

The fixtures (6 repetitions each unless said):
  base, rerun   the same four rows, values interleaved: nothing moved
  shifted       rings/trial 20% slower, chains/trial 15% faster (gzipped)
  few_base, few 3 repetitions of base and of shifted
  broken        gcbench.json cut in half; notgb: JSON without "benchmarks"
  (each declares its repetitions as processes: "processes" in the context)

Real runs of one commit (release gcbench, the 21 rows of
--benchmark_filter '^rings/.*/n:10000/', real_time kept, gzipped), taken
on a shared 2-core machine under load:
  same1, same2, same3   three back-to-back runs, 5 repetitions in one process
  procsA, procsB        5 processes of one repetition each, interleaved
                        (A B A B ...), as scripts/compare-commits runs them

Then --json naming an input (the same name, another spelling, a symbolic
or hard link, a linked folder, a results folder's context.json): exit 2,
one line, the input byte for byte as it was; and inputs that are not
regular files (a FIFO with no writer, a device): refused at once.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

COMPARE, FIX, WORK = sys.argv[1:4]
failures = []


def run(*args, timeout=120):
    r = subprocess.run([COMPARE, *args], cwd=FIX, capture_output=True,
                       text=True, timeout=timeout,
                       preexec_fn=lambda: os.umask(0o022))
    return r.returncode, r.stdout, r.stderr


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")


def verdicts(out):
    """benchmark (short name) -> verdict text, from the table."""
    v = {}
    for line in out.splitlines():
        if "/mode:" in line:
            name = line.split()[0]
            for word in ("no significant difference", "too few repetitions",
                         "untested (one process)",
                         "slower", "faster", "error"):
                if word in line:
                    v[name] = word
                    break
    return v


RT = "rings/trial/k:10/n:1000/mode:collect"
RN = "rings/naive/k:10/n:1000/mode:collect"
CT = "chains/trial/length:100/n:1000/mode:collect"
CN = "chains/naive/length:100/n:1000/mode:collect"

# identical and re-run: nothing significant, geometric means near 1
for b in ("base", "rerun"):
    rc, out, err = run("base", b)
    v = verdicts(out)
    check(f"base vs {b} exit", rc == 0, f"rc {rc} {err}")
    check(f"base vs {b} rows", len(v) == 4, out)
    check(f"base vs {b} verdicts",
          set(v.values()) == {"no significant difference"}, v)

# shifted: exactly the two changed rows flagged, each the right way
rc, out, err = run("base", "shifted")
v = verdicts(out)
check("shifted exit", rc == 0, f"rc {rc} {err}")
check("shifted slower", v.get(RT) == "slower", v)
check("shifted faster", v.get(CT) == "faster", v)
check("shifted unchanged", v.get(RN) == v.get(CN) == "no significant difference", v)
check("shifted ratio", " 1.200 " in next(l for l in out.splitlines()
                                        if l.startswith(RT)), out)

# too few repetitions: said, not guessed, even for a 20% shift
rc, out, err = run("few_base", "few")
v = verdicts(out)
check("few exit", rc == 0, f"rc {rc} {err}")
check("few verdicts", set(v.values()) == {"too few repetitions"}, v)
check("few says why", "needs 4 in each run" in out, out)
# 6 against 3 is enough for a U test at 0.05 on one row (smallest p 2/84),
# not for four rows under Holm's correction (4 x 2/84 > 0.05)
v = verdicts(run("base", "few")[1])
check("6+3, four rows", v.get(RT) == "no significant difference", v)
v = verdicts(run("--filter", "^rings/trial/", "base", "few")[1])
check("6+3, one row", v.get(RT) == "slower", v)

# --min-effect: significant but smaller than the minimum effect is not called
rc, out, err = run("--min-effect", "25", "base", "shifted")
v = verdicts(out)
check("min effect 25", v.get(RT) == v.get(CT) == "no significant difference", v)
check("min effect says why", "within 25%" in out, out)
rc, out, err = run("--min-effect", "100", "base", "shifted")
check("min effect range", rc == 2 and "--min-effect wants" in err, f"rc {rc} {err}")

# Same-commit pairs of real runs: no row called faster or slower.  Before
# the minimum effect, the correction and the process rule, the three
# one-process pairs called 39 of 63 rows and the process pair 1 of 21.
called = total = 0
for a, b in (("same1", "same2"), ("same2", "same3"), ("same1", "same3"),
             ("procsA", "procsB"), ("procsB", "procsA")):
    rc, out, err = run(a, b)
    v = verdicts(out)
    check(f"{a} vs {b} exit", rc == 0, f"rc {rc} {err}")
    check(f"{a} vs {b} rows", len(v) == 21, out)
    moved = [n for n, x in v.items() if x in ("faster", "slower")]
    check(f"{a} vs {b}: no row called", not moved, moved)
    called += len(moved)
    total += len(v)
    if a.startswith("same"):
        check(f"{a} vs {b}: one process", "no verdicts" in out
              and "untested (one process)" in out
              and "the rows' own spread" in out, out)
    else:
        check(f"{a} vs {b}: noise", "run-to-run noise, between processes" in out
              and "over 5 processes" in out, out)
print(f"same-commit false positives: {called} of {total} rows")

# --filter applies to both runs (it used to compare A with itself)
rc, out, err = run("--filter", "^chains/", "base", "shifted")
v = verdicts(out)
check("filter rows", set(v) == {CT, CN}, v)
check("filter compares B", v.get(CT) == "faster", v)
rc, out, err = run("--filter", "^nothing", "base", "shifted")
check("filter matching nothing", rc == 2 and "no benchmark matching" in err,
      f"rc {rc} {err}")

# --fail-if-slower: 1 when a row is significantly slower beyond PCT
rc, out, err = run("--fail-if-slower", "10", "base", "shifted")
check("fail 10% exit", rc == 1, f"rc {rc}")
check("fail 10% names the row", RT in err, err)
rc, _, err = run("--fail-if-slower", "25", "base", "shifted")
check("fail 25% exit", rc == 0, f"rc {rc} {err}")
rc, _, err = run("--fail-if-slower", "0", "--filter", "^chains/", "base", "shifted")
check("fail on faster rows only", rc == 0, f"rc {rc} {err}")
rc, _, err = run("--fail-if-slower", "0", "base", "rerun")
check("fail on unchanged", rc == 0, f"rc {rc} {err}")
rc, _, err = run("--fail-if-slower", "0", "few_base", "few")
check("fail untested", rc == 0 and "untested" in err, f"rc {rc} {err}")

# bad input: exit 2, one line naming the problem
os.makedirs(WORK, exist_ok=True)
empty = os.path.join(WORK, "empty")
os.makedirs(empty, exist_ok=True)
for args, want in ((("base", "nope"), "'nope' does not exist"),
                   (("base", empty), "no gcbench.json in"),
                   (("base", "broken"), "is not valid JSON"),
                   (("notgb", "base"), "is not Google Benchmark JSON"),
                   (("--filter", "(", "base", "base"), "not a valid regular expression"),
                   (("--alpha", "2", "base", "base"), "--alpha wants"),
                   (("--bogus", "base", "base"), "unrecognized arguments"),
                   (("base",), "required")):
    rc, out, err = run(*args)
    check(f"bad input {args} exit", rc == 2, f"rc {rc}")
    check(f"bad input {args} message", want in err and err.count("\n") == 1,
          repr(err))
rc, out, _ = run("--help")
check("--help", rc == 0 and "--fail-if-slower" in out, out)

# --json: schema key, rows, per-collector geometric means; written whole
jpath = os.path.join(WORK, "cmp.json")
if os.path.exists(jpath):
    os.remove(jpath)
rc, out, err = run("--json", jpath, "base", "shifted")
try:
    with open(jpath, encoding="utf-8") as fh:
        doc = json.load(fh)
except (OSError, ValueError) as e:
    doc = {}
    check("json readable", False, str(e))
check("json schema", doc.get("schema") == 2, doc.get("schema"))
check("json mode honours the umask", os.stat(jpath).st_mode & 0o777 == 0o644,
      oct(os.stat(jpath).st_mode))
check("json processes", doc.get("processes") == {"a": 6, "b": 6}, doc.get("processes"))
rows = {r["name"].split("/iterations")[0]: r for r in doc.get("rows", [])}
check("json rows", set(rows) == {RT, RN, CT, CN}, list(rows))
if RT in rows:
    check("json verdict", rows[RT]["verdict"] == "slower", rows[RT])
    check("json p", 0 < rows[RT]["p_value"] < (rows[RT].get("p_holm") or 1) < 0.05, rows[RT])
g = doc.get("collectors", {}).get("trial", {}).get("geomean")
check("json geomean", g is not None and abs(g - (1.2 * 0.85) ** 0.5) < 0.01, g)
rc, out, err = run("--json", "-", "base", "shifted")
try:
    check("json on stdout", json.loads(out).get("schema") == 2, out[:80])
except ValueError:
    check("json on stdout", False, "stdout is not only JSON: " + out[:80])
rc, _, err = run("--json", os.path.join(WORK, "no", "x.json"), "base", "base")
check("json bad folder", rc == 2 and "does not exist" in err, f"rc {rc} {err}")

# --json that cannot be written: one line, exit 2, before or after the work
for target, want in ((WORK, "is a folder"), ("/dev/full", "cannot write '/dev/full'")):
    if target == "/dev/full" and not os.path.exists(target):
        continue
    rc, out, err = run("--json", target, "base", "base")
    check(f"json {target} exit", rc == 2, f"rc {rc} {err}")
    check(f"json {target} message", want in err and err.count("\n") == 1
          and "Traceback" not in err, repr(err))

# a closed pipe on stdout (scripts/compare A B | head -1): quiet, exit 2
p = subprocess.Popen([COMPARE, "same1", "same2"], cwd=FIX, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
p.stdout.close()
err = p.stderr.read().decode()
rc = p.wait(timeout=120)
check("broken pipe", rc == 2 and err == "", f"rc {rc} {err!r}")

# runs of two hosts: one warning line
other = os.path.join(WORK, "otherhost.json")
with gzip.open(os.path.join(FIX, "procsB", "gcbench.json.gz"), "rt") as fh:
    d = json.load(fh)
d["context"]["host_name"] = "elsewhere"
with open(other, "w") as fh:
    json.dump(d, fh)
rc, out, err = run("procsA", other)
check("host warning", rc == 0 and err.count("\n") == 1
      and "host 'vm' vs 'elsewhere'" in err, f"rc {rc} {err!r}")
d["context"]["host_name"] = "vm"
d["context"]["mhz_per_cpu"] = 3000  # the fixtures ran at 2096
with open(other, "w") as fh:
    json.dump(d, fh)
rc, out, err = run("procsA", other)
check("clock warning", rc == 0 and "MHz '2096' vs '3000'" in err, f"rc {rc} {err!r}")
rc, out, err = run("procsA", "procsB")
check("same host: no warning", "warning" not in err, err)

# --json naming an input, however spelled: refused before any work, exit
# 2, one line naming both, the input byte for byte as it was
inp = os.path.join(WORK, "in")
os.makedirs(inp, exist_ok=True)
a_json = os.path.join(inp, "A.json")
shutil.copy(os.path.join(FIX, "base", "gcbench.json"), a_json)
with open(a_json, "rb") as fh:
    a_bytes = fh.read()
os.symlink("A.json", os.path.join(inp, "link.json"))
os.link(a_json, os.path.join(inp, "hard.json"))
os.symlink(inp, os.path.join(WORK, "dirlink"))
results = os.path.join(WORK, "results")
shutil.copytree(os.path.join(FIX, "base"), results)
with open(os.path.join(results, "context.json"), "rb") as fh:
    ctx_bytes = fh.read()
for label, out, a, victim, before in (
        ("same name", a_json, a_json, a_json, a_bytes),
        ("another spelling", os.path.join(inp, "..", "in", ".", "A.json"),
         a_json, a_json, a_bytes),
        ("symbolic link", os.path.join(inp, "link.json"), a_json, a_json, a_bytes),
        ("hard link", os.path.join(inp, "hard.json"), a_json, a_json, a_bytes),
        ("linked folder", os.path.join(WORK, "dirlink", "A.json"), a_json,
         a_json, a_bytes),
        ("as B", a_json, "base", a_json, a_bytes),
        ("a folder's context.json", os.path.join(results, "context.json"),
         results, os.path.join(results, "context.json"), ctx_bytes)):
    b = "base" if a != "base" else a_json
    rc, out_, err = run("--json", out, a, b)
    with open(victim, "rb") as fh:
        after = fh.read()
    check(f"--json is an input ({label})",
          rc == 2 and err.count("\n") == 1 and "is the same file as input"
          in err and f"'{out}'" in err and out_ == "" and after == before,
          f"rc {rc} {err!r} unchanged {after == before}")
# the same data under another name is not the same file
copy = os.path.join(inp, "copy.json")
shutil.copy(a_json, copy)
rc, _, err = run("--json", copy, a_json, "base")
check("--json a copy of an input", rc == 0, f"rc {rc} {err!r}")

# inputs that are not regular files: refused at once (a FIFO without a
# writer would block the read forever; the timeout of run() catches that)
fifo = os.path.join(WORK, "fifo")
os.mkfifo(fifo)
for label, a in (("FIFO", fifo), ("device", "/dev/null")):
    try:
        rc, _, err = run(a, "base", timeout=60)
    except subprocess.TimeoutExpired:
        rc, err = "timeout", ""
    check(f"{label} input", rc == 2 and err.count("\n") == 1
          and "not a regular file" in err, f"rc {rc} {err!r}")

shutil.rmtree(WORK, ignore_errors=True)
for f in failures:
    print("FAIL", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
