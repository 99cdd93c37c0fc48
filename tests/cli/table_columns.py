#!/usr/bin/env python3
"""table_columns.py GCRUN -- gcrun -C's table keeps its columns: in every
row each figure (and its '*' or space) ends where its heading ends, however
wide the cells (--repetitions N: "412.461 [412.461-562.218]").  Checks
where the cells stand, not what they say."""
import subprocess
import sys

GCRUN = sys.argv[1]
HEADS = ["gc ms", "total ms", "p99 ms", "max ms", "peak MB", "unrecl MB",
         "leaked", "objects"]
failures = []


def table(*args):
    p = subprocess.run([GCRUN, "-q", *args], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout.splitlines()


def check(args):
    lines = table(*args)
    head = lines[0]
    ends, at = [], 0
    for h in HEADS:
        k = head.find(h, at)
        if k < 0:
            sys.exit(f"FAIL: {args}: no heading '{h}' in {head!r}")
        at = k + len(h)
        ends.append(at - 1)  # the heading's last character
    rows = [l for l in lines[1:] if l and not l.startswith("(")]
    if len(rows) < 2:
        sys.exit(f"FAIL: {args}: {len(rows)} rows: {lines}")
    for row in rows:
        prev = 14  # after the collector's name
        for h, e in zip(HEADS[:-1], ends):
            # the figure ends just before the heading's last character,
            # where its mark stands, then a space (or the end)
            ok = (e < len(row) and row[e] in " *" and row[e - 1] != " " and
                  (e + 1 == len(row) or row[e + 1] == " "))
            start = row.rfind(" ", 0, e) + 1 if ok else -1
            if not ok or start <= prev:
                failures.append(f"{' '.join(args)}: '{h}' not aligned:\n"
                                f"  {head}\n  {row}")
                break
            prev = e
        # the allocator starts with its heading
        o = head.find("objects")
        if row[o - 1] != " " or row[o] == " ":
            failures.append(f"{' '.join(args)}: 'objects' not aligned:\n"
                            f"  {head}\n  {row}")


check(["-C", "naive,trial", "-w", "rings", "-p", "n=2000"])
check(["-C", "naive,trial", "-w", "rings", "-p", "n=2000", "--repetitions", "3"])
# times in hundreds of ms: cells of 25 characters and more
check(["-C", "naive,trial", "-w", "churn", "-p", "n=300000",
       "--repetitions", "2"])
for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print("ok")
