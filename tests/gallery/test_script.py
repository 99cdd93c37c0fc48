#!/usr/bin/env python3
"""test_script.py GALLERY GCRUN WORKDIR

scripts/gallery end to end: --quick with --json (exit 0, the table, the
last line `gallery: N of M entries reproduced` with N and M as the JSON
counts them, the JSON written whole under its name and no temporary file
left), --only, and bad usage (exit 2 with one line naming the problem):
an unknown option, an unknown entry, --reps out of range, a gcrun that
does not exist, a --json folder that does not exist, a missing --sphinx
capture; and the verdict rules on made-up ratios.
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

LAST = re.compile(r"^gallery: (\d+) of (\d+) entries reproduced$")


def fail(msg):
    sys.exit("FAIL: " + msg)


def run(args):
    return subprocess.run([GALLERY] + args, capture_output=True, text=True)


def check_verdicts(path):
    """The verdict rules of scripts/gallery's --help, on made-up ratios."""
    loader = importlib.machinery.SourceFileLoader("gallery", path)
    spec = importlib.util.spec_from_loader("gallery", loader)
    g = importlib.util.module_from_spec(spec)
    loader.exec_module(g)
    exact = {"ratio": 10.0}
    bound = {"ratio": 10.0, "bound": True}
    none = {"ratio": None}
    cases = [
        (exact, 10.0, True, None, "reproduced"),
        (exact, 5.0, True, None, "reproduced"),     # half: within 2x
        (exact, 4.9, True, None, "magnitude"),
        (exact, 20.0, True, None, "reproduced"),
        (exact, 20.1, True, None, "magnitude"),
        (bound, 1000.0, True, None, "reproduced"),  # a lower bound
        (bound, 4.9, True, None, "magnitude"),
        (exact, 10.0, False, None, "not reproduced"),  # counts disagree
        (exact, 1.0, True, None, "not reproduced"),
        (exact, 0.5, True, None, "not reproduced"),
        (none, 3.0, True, None, "direction only"),
        (exact, 1.5, True, 10.0, "reproduced"),     # on the reference
        (exact, 30.0, True, 1.5, "magnitude"),
        (exact, None, True, None, "not run"),
    ]
    for entry, r, worse, rref, want in cases:
        got = g.verdict(entry, r, worse, rref)
        if got != want:
            fail("verdict(%s, %s, worse=%s, ref=%s) is %r, want %r"
                 % (entry, r, worse, rref, got, want))
    b = {"collections": 5, "objects_examined": 9, "unreclaimed_max": 1}
    a = {"collections": 5, "objects_examined": 8, "unreclaimed_max": 1}
    if not g.pinned_worse({}, b, a) or g.pinned_worse({}, a, b):
        fail("pinned_worse: one count larger and none smaller")
    if g.pinned_worse({"pin": "equal"}, b, a):
        fail("pinned_worse: an entry pinned equal is never worse")
    if g.pinned_worse({}, dict(b, collections=4), a):
        fail("pinned_worse: a smaller count means not worse")
    print("ok: %d verdict cases" % len(cases))


def main(argv):
    global GALLERY
    GALLERY, gcrun, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    check_verdicts(GALLERY)
    out = os.path.join(work, "gallery.json")

    r = run(["--quick", "--gcrun", gcrun, "--json", out])
    if r.returncode != 0:
        fail("--quick exited %d: %s" % (r.returncode, r.stderr[-2000:]))
    lines = r.stdout.strip().splitlines()
    m = LAST.match(lines[-1]) if lines else None
    if not m:
        fail("last line is %r, not 'gallery: N of M entries reproduced'"
             % (lines[-1] if lines else ""))
    n, total = int(m.group(1)), int(m.group(2))
    if not 0 <= n <= total:
        fail("gallery: %d of %d" % (n, total))
    if not lines[0].startswith("entry"):
        fail("no table header: %r" % lines[0])
    with open(out) as f:
        doc = json.load(f)
    if (doc["reproduced"], doc["entries_run"]) != (n, total):
        fail("JSON counts %d of %d, the last line %d of %d" % (
            doc["reproduced"], doc["entries_run"], n, total))
    names = [e["name"] for e in doc["entries"]]
    for want in ("gh-139951", "gh-142531", "gh-142531t", "php-17127",
                 "nim-24242", "gh-142002", "mypy-21403", "gh-124567"):
        if want not in names:
            fail("entry %s missing from the JSON" % want)
    ran = [e for e in doc["entries"] if e["verdict"] != "not run"]
    if sum(e["verdict"] == "reproduced" for e in ran) != n:
        fail("verdicts do not add up to %d reproduced" % n)
    for e in ran:
        if e["verdict"] == "failed":
            fail("%s failed: %s" % (e["name"], e.get("why")))
        for side in ("before", "after"):
            if e[side]["verified"] is not True:
                fail("%s %s side not verified" % (e["name"], side))
    left = [x for x in os.listdir(work) if ".tmp." in x]
    if left:
        fail("temporary files left: %s" % left)
    print("ok: --quick, %d of %d reproduced, JSON consistent" % (n, total))

    r = run(["--quick", "--gcrun", gcrun, "--only", "nim-24242"])
    if r.returncode != 0 or not r.stdout.strip().endswith(
            "gallery: 0 of 1 entries reproduced"):
        fail("--only nim-24242: exit %d, %r" % (r.returncode,
                                                r.stdout[-300:]))
    print("ok: --only")

    r = run(["--quick", "--gcrun", gcrun, "--only", "php-17127", "--json",
             "-"])
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        fail("--json -: standard output is not JSON: %r" % r.stdout[:200])
    if r.returncode != 0 or [e["name"] for e in doc["entries"]] != [
            "php-17127"] or not LAST.match(r.stderr.strip().splitlines()[-1]):
        fail("--json -: exit %d, the table's last line %r" % (
            r.returncode, r.stderr.strip().splitlines()[-1:]))
    print("ok: --json - (the JSON on standard output, the table on "
          "standard error)")

    bad = [
        (["--nosuch"], "unrecognized arguments: --nosuch"),
        (["--only", "gh-1"], "--only: no entry gh-1"),
        (["--reps", "0"], "--reps 0: give 1 to 100"),
        (["--reps", "x"], "--reps: invalid int value"),
        (["--gcrun", os.path.join(work, "nosuch")], "not an executable"),
        (["--gcrun", gcrun, "--json", os.path.join(work, "no", "x.json")],
         "does not exist"),
        (["--gcrun", gcrun, "--sphinx", os.path.join(work, "nosuch.gz")],
         "--sphinx .*: no such file"),
    ]
    for args, want in bad:
        r = run(args)
        errs = [x for x in r.stderr.splitlines() if x.strip()]
        if r.returncode != 2:
            fail("%s: exit %d, want 2" % (args, r.returncode))
        if len(errs) != 1 or not re.search(want, errs[0]):
            fail("%s: stderr %r, want one line matching /%s/" % (
                args, r.stderr, want))
        print("ok: %s -> exit 2: %s" % (" ".join(args), errs[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
