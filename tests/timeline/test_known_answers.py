#!/usr/bin/env python3
"""test_known_answers.py TOOL GCRUN WORK -- captures of small programs
whose answer is known collection by collection:

  - idle: 30 gc.collect(0) and nothing allocated between them: no object
    new (n) or gone (u, d) in collections 1 to 29 (the tracer's own
    objects never appear).
"""
import gzip
import os
import subprocess
import sys
import tempfile
import unittest

TOOL, GCRUN, WORK = map(os.path.abspath, sys.argv[1:4])
del sys.argv[1:4]


def records(path):
    """Per collection: {"c": fields of its c line, "n": count, "u": count,
    "d": count}."""
    out = []
    with gzip.open(path, "rt") as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "c":
                out.append({"c": w[1:], "n": 0, "u": 0, "d": 0})
            elif w[0] in ("n", "d"):
                out[-1][w[0]] += 1
            elif w[0] == "u":
                out[-1]["u"] += len(w) - 1
    return out


class KnownAnswers(unittest.TestCase):
    def setUp(self):
        os.makedirs(WORK, exist_ok=True)
        self.d = tempfile.mkdtemp(dir=WORK)

    def capture(self, source, *opts):
        prog = os.path.join(self.d, "prog.py")
        with open(prog, "w") as f:
            f.write(source)
        cap = os.path.join(self.d, "cap.gz")
        r = subprocess.run([sys.executable, TOOL, *opts, "-o", cap, prog],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return cap

    def test_idle(self):
        cap = self.capture("import gc\nfor i in range(30):\n"
                           "    gc.collect(0)\n")
        recs = records(cap)
        self.assertEqual(len(recs), 30)
        for k, rec in enumerate(recs[1:], 1):
            self.assertEqual((rec["n"], rec["u"], rec["d"]), (0, 0, 0),
                             "collection %d" % k)
            self.assertEqual(rec["c"][1], "0")   # generation
            self.assertEqual(rec["c"][3], "0")   # CPython collected


if __name__ == "__main__":
    unittest.main()
