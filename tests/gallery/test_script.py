#!/usr/bin/env python3
"""test_script.py GALLERY GCRUN WORKDIR

scripts/gallery end to end: --quick with --json (exit 0, the table, the
last line `gallery: N of M entries reproduced` with N and M as the JSON
counts them, the JSON written whole under its name and no temporary file
left), --only, and bad usage (exit 2 with one line naming the problem):
an unknown option, an unknown entry, --reps out of range, a gcrun that
does not exist, a --json folder that does not exist, a missing --sphinx
capture.
"""
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


def main(argv):
    global GALLERY
    GALLERY, gcrun, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
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
