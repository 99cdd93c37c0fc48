#!/usr/bin/env python3
"""test_known_answers.py TOOL GCRUN WORK -- captures of small programs
whose answer is known collection by collection:

  - idle: 30 gc.collect(0) and nothing allocated between them: no object
    new (n) or gone (u, d) in collections 1 to 29 (the tracer's own
    objects never appear).
  - explicit: gc.collect(), gc.collect(1), gc.collect(0), then automatic
    collections: kinds e, e, e, then a, with the generations called;
    --check matches every collection.
  - cycles freed in generation 0, 1 and 2 (automatic collection off,
    explicit collections only): CPython's collected count at each
    collection is known, the capture lists exactly those objects as gone
    there (u), gcrun's schedule=capture replay frees them in that
    collection, in that generation, and trace-python --check matches
    every collection.
  - untracked: tuples of ints CPython untracks at gc.collect(0): listed
    as untracked there (x), not gone (u), collected 0, examined and not
    freed there by the replay.
  - tuples and dicts: tuples of ints (and tuples of those) untracked at a
    generation-0 collection, tuples holding a list never; dicts of atoms
    untracked at a full collection only; the untracked tuples the
    program drops written gone (d) at the next collection of generation
    1; the replay (schedule=capture) examines what CPython examined at
    each collection (an untracked object is never examined again), and
    --check reports the untracked counts equal, collection by collection,
    and CPython's objects freed.
  - automatic: --threshold 100,2,2 and one 2-cycle made and dropped per
    iteration: --check matches every collection on objects freed, and
    shows the own schedule beside it.
"""
import gzip
import re
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
                out.append({"c": w[1:], "n": 0, "u": 0, "d": 0, "x": 0})
            elif w[0] == "n":
                out[-1][w[0]] += 1
            elif w[0] in ("u", "x", "d"):
                out[-1][w[0]] += len(w) - 1
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


    def test_explicit(self):
        cap = self.capture("import gc\ngc.disable()\ngc.collect()\n"
                           "gc.collect(1)\ngc.collect(0)\ngc.enable()\n"
                           "x = [[] for _ in range(1000)]\n",
                           "--threshold", "300,5,5")
        recs = records(cap)
        self.assertGreaterEqual(len(recs), 4)
        self.assertEqual([(r["c"][1], r["c"][6]) for r in recs[:3]],
                         [("2", "e"), ("1", "e"), ("0", "e")])
        for r in recs[3:]:
            self.assertEqual(r["c"][6], "a")
        out = self.check_all_matched(cap)
        self.assertIn("(3 explicit)", out)

    def replay_capture(self, cap):
        """gcrun's schedule=capture replay: (generation, freed) of each of
        CPython's collections (gcrun's own final one left out)."""
        out = []
        for row in self.replay_rows(cap)[:-1]:
            g = int(row["generation"])
            out.append((2 if g < 0 else g, int(row["freed"])))
        return out

    def known(self, body, answer):
        """answer: (generation, collected) of each collection after the
        program's first gc.collect()."""
        cap = self.capture("import gc\ngc.disable()\ngc.collect()\n"
                           "K = 150\n" + body)
        recs = records(cap)[1:]
        self.assertEqual([(int(r["c"][1]), int(r["c"][3])) for r in recs],
                         answer)
        self.assertEqual([(int(r["c"][1]), r["u"]) for r in recs], answer)
        self.assertEqual(self.replay_capture(cap)[1:], answer)
        self.check_all_matched(cap)

    def check_all_matched(self, cap):
        r = subprocess.run([sys.executable, TOOL, "--check", cap, "--gcrun",
                            GCRUN], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"^collections matched .*: (\d+) of (\d+) "
                      r"\(100\.0 %, goal 95 %\): ok$", r.stdout, re.M)
        self.assertTrue(m, r.stdout)
        self.assertEqual(m.group(1), m.group(2))
        for g in range(3):  # CPython's freed and the replay's, per generation
            m = re.search(r"^%d +\d+ +(\d+) +(\d+)$" % g, r.stdout, re.M)
            self.assertTrue(m, r.stdout)
            self.assertEqual(m.group(1), m.group(2), r.stdout)
        self.assertRegex(r.stdout, r"threshold0 CPython's \d+ and fitted \d+")
        return r.stdout

    def test_automatic(self):
        cap = self.capture("for i in range(5000):\n    a, b = [], []\n"
                           "    a.append(b)\n    b.append(a)\n",
                           "--threshold", "100,2,2")
        recs = records(cap)
        self.assertGreater(len(recs), 20)
        self.assertEqual({r["c"][6] for r in recs}, {"a"})
        out = self.check_all_matched(cap)
        m = re.search(r"^0 +\d+ +(\d+) ", out, re.M)
        self.assertGreater(int(m.group(1)), 1000)  # cycles freed in gen 0

    def test_cycles_generation_0(self):
        self.known("for i in range(K):\n    a = []\n    a.append(a)\n"
                   "del a\ngc.collect(0)\n", [(0, 150)])

    def test_cycles_generation_1(self):
        self.known("keep = []\nfor i in range(K):\n    a, b = [], []\n"
                   "    a.append(b)\n    b.append(a)\n    keep.append(a)\n"
                   "del a, b\ngc.collect(0)\ndel keep\ngc.collect(0)\n"
                   "gc.collect(1)\n", [(0, 0), (0, 0), (1, 300)])

    def test_cycles_generation_2(self):
        self.known("keep = []\nfor i in range(K):\n    a, b = [], []\n"
                   "    a.append(b)\n    b.append(a)\n    keep.append(a)\n"
                   "del a, b\ngc.collect(0)\ngc.collect(1)\ndel keep\n"
                   "gc.collect(0)\ngc.collect(1)\ngc.collect(2)\n",
                   [(0, 0), (1, 0), (0, 0), (1, 0), (2, 300)])


    def test_untracked(self):
        # tuples of ints kept alive: CPython untracks them and collects
        # nothing; the capture lists them as gone there; the replay
        # examines them in that collection, as CPython did, and frees
        # nothing there
        cap = self.capture("import gc\ngc.disable()\ngc.collect()\n"
                           "keep = [tuple([i, i]) for i in range(100)]\n"
                           "gc.collect(0)\n")
        recs = records(cap)
        self.assertEqual(len(recs), 2)
        c = recs[1]["c"]
        self.assertEqual((c[1], c[3]), ("0", "0"))
        self.assertGreaterEqual(recs[1]["x"], 100)
        self.assertEqual(recs[1]["u"], 0)
        row = self.replay_rows(cap)[1]
        self.assertEqual(row["freed"], "0")
        self.assertEqual(int(row["examined"]), int(c[5]))

    def replay_rows(self, cap):
        pauses = os.path.join(self.d, "pauses.csv")
        r = subprocess.run([GCRUN, "-q", "-C", "cpython-3.13", "-w",
                            "timeline", "-p", "file=" + cap, "-p",
                            "schedule=capture", "--verify=all",
                            "--pauses", pauses], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(pauses) as f:
            head = f.readline().strip().split(",")
            rows = [l.strip().split(",") for l in f if l.strip()]
        return [dict(zip(head, row)) for row in rows]

    def test_untracked_tuples_and_dicts(self):
        cap = self.capture(
            "import gc\ngc.disable()\ngc.collect()\n"
            "ints = [tuple([i, i + 1]) for i in range(200)]\n"
            "pairs = [(t, t) for t in ints[:50]]\n"
            "boxes = [tuple([[i]]) for i in range(100)]\n"
            "gc.collect(0)\n"                                   # 1
            "dicts = []\n"
            "for i in range(80):\n"
            "    d = {'k': []}\n"  # tracked: it held a list
            "    d['k'] = i\n"
            "    dicts.append(d)\n"
            "gc.collect(0)\n"                                   # 2
            "gc.collect(1)\n"                                   # 3
            "gc.collect()\n"                                    # 4
            "del ints[:100]\n"
            "gc.collect(1)\n")                                  # 5
        recs = records(cap)
        self.assertEqual(len(recs), 6)
        # 1: the 200 tuples of ints and the 50 tuples of those, not the
        # 100 holding a list (a few of the program's own may join)
        self.assertGreaterEqual(recs[1]["x"], 250)
        self.assertLess(recs[1]["x"], 300)
        # 2, 3: dicts are untracked by full collections only
        self.assertLess(recs[2]["x"] + recs[3]["x"], 10)
        # 4: the 80 dicts of atoms
        self.assertGreaterEqual(recs[4]["x"], 80)
        self.assertLess(recs[4]["x"], 130)
        # 5: 100 untracked tuples dropped (their pairs keep the first 50)
        self.assertGreaterEqual(recs[5]["d"], 50)
        for k, rec in enumerate(recs):
            self.assertEqual(rec["c"][3], "0", "collection %d" % k)
            self.assertEqual(rec["u"], 0, "collection %d" % k)
        # the replay examines what CPython examined (the untracked ones
        # not again: collection 3 examines generation 1, where they would
        # be) and frees nothing, collection by collection (a full
        # collection also examines what is older than the capture)
        rows = self.replay_rows(cap)
        for k in (1, 2, 3, 5):
            self.assertEqual(int(rows[k]["examined"]), int(recs[k]["c"][5]),
                             "collection %d" % k)
        self.assertGreater(int(recs[3]["c"][5]), 100)  # the boxes
        for k in range(6):
            self.assertEqual(rows[k]["freed"], "0")
        r = subprocess.run([sys.executable, TOOL, "--check", cap, "--gcrun",
                            GCRUN], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        total = sum(rec["x"] for rec in recs)
        self.assertIn("kept alive and untracked by the replay: CPython %d, "
                      "replay %d; collections whose untracked counts are "
                      "equal: 6 of 6" % (total, total), r.stdout)
        self.assertRegex(r.stdout, r"(?m)^all +6 +0 +0$")
        self.assertRegex(r.stdout, r"(?m)^all +%d +%d$" % (total, total))

    def test_held_garbage(self):
        K = 50
        body = ("import gc\ngc.disable()\ngc.collect()\nK = %d\n"
                "olds = [[] for _ in range(K)]\n"
                "gc.collect()\n"                    # 1: olds to generation 2
                "for i in range(K):\n"
                "    olds[i].append((i, -i))\n"     # young, held by old lists
                "cs = []\n"
                "for h in olds:\n"
                "    c = [h]\n"
                "    c.append(c)\n"                 # a young cycle holds it
                "    cs.append(c)\n"
                "del olds, h, c, cs\n"
                "for i in range(K):\n"
                "    a = [((i, i + 1),)]\n"         # a young cycle's tuples
                "    a.append(a)\n"
                "del a\n" % K)
        untraced = subprocess.run(
            [sys.executable, "-c", body + "print(gc.collect(0))\n"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(untraced.stdout.strip(), str(4 * K))
        cap = self.capture(body + "gc.collect(0)\ngc.collect(1)\n")
        recs = records(cap)
        self.assertEqual(len(recs), 4)
        self.assertEqual(recs[2]["c"][1], "0")
        self.assertEqual(int(recs[2]["c"][3]), 4 * K)  # as untraced
        self.assertEqual(recs[2]["u"], 5 * K)  # with the old lists' tuples
        rows = self.replay_rows(cap)
        self.assertEqual(int(rows[2]["freed"]), 4 * K)
        self.check_all_matched(cap)


if __name__ == "__main__":
    unittest.main()
