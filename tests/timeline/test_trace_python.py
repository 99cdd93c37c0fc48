#!/usr/bin/env python3
"""test_trace_python.py TOOL GCRUN WORK -- scripts/trace-python's refusals,
each exit 2 with one line and before anything runs:

  - -o naming the program it runs (the same name, another spelling, a
    symbolic or hard link) or the file of the -m module: the program is
    left byte for byte as it was, and never ran;
  - --tolerance negative, not a number or not finite;
  - --threshold with T0 = 0 (CPython's automatic collection off: the
    capture would hold no collection) or T1, T2 = 0 (the replay takes 1
    or more);
  - --check on a capture taken with such thresholds, and a gcrun that
    fails: the reason in words, never gcrun's internal command line;
  - a FIFO as PROGRAM or as --check FILE (it would wait for a writer).
"""
import gzip
import os
import subprocess
import sys
import tempfile
import unittest

TOOL, GCRUN, WORK = map(os.path.abspath, sys.argv[1:4])
del sys.argv[1:4]
PROGRAM = 'open(__file__ + ".ran", "w").close()\nx = [[] for _ in range(100)]\n'


class TracePython(unittest.TestCase):
    def setUp(self):
        os.makedirs(WORK, exist_ok=True)
        self.d = tempfile.mkdtemp(dir=WORK)
        self.prog = os.path.join(self.d, "prog.py")
        with open(self.prog, "w") as f:
            f.write(PROGRAM)

    def run_tool(self, *args, env=None):
        try:
            return subprocess.run([sys.executable, TOOL, *args], cwd=self.d,
                                  capture_output=True, text=True, timeout=60,
                                  env=env)
        except subprocess.TimeoutExpired:
            self.fail("trace-python %s: still running after 60 s" % (args,))

    def refused(self, args, *words, env=None):
        r = self.run_tool(*args, env=env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        for internal in ("-C cpython-3.13", "--pauses", "-w timeline"):
            self.assertNotIn(internal, r.stderr)
        return r.stderr

    def assert_untouched(self):
        with open(self.prog) as f:
            self.assertEqual(f.read(), PROGRAM)
        self.assertFalse(os.path.exists(self.prog + ".ran"), "the program ran")

    # ---- an output that is the program ----------------------------------
    def test_output_is_the_program(self):
        os.symlink("prog.py", os.path.join(self.d, "link.py"))
        os.link(self.prog, os.path.join(self.d, "hard.py"))
        os.mkdir(os.path.join(self.d, "sub"))
        for out in ("prog.py", "./prog.py", "sub/../prog.py", self.prog,
                    "link.py", "hard.py"):
            err = self.refused(["-o", out, "--", "prog.py"],
                               "-o '%s' is the same file as PROGRAM 'prog.py'"
                               % out)
            self.assertIn("another name", err)
            self.assert_untouched()

    def test_output_is_the_module(self):
        env = dict(os.environ, PYTHONPATH=self.d)
        self.refused(["-o", "prog.py", "-m", "prog"],
                     "-o 'prog.py' is the same file as -m prog", env=env)
        self.assert_untouched()

    def test_another_output_is_fine(self):
        r = self.run_tool("-o", "prog.timeline.gz", "prog.py")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.prog) as f:
            self.assertEqual(f.read(), PROGRAM)

    # ---- option values -----------------------------------------------------
    def test_tolerance(self):
        for bad in ("-5", "abc", "nan", "inf", "-0.1"):
            self.refused(["--check", "x.gz", "--gcrun", GCRUN, "--tolerance",
                          bad], "--tolerance wants a percentage >= 0, got '%s'"
                         % bad)

    def test_threshold_zero(self):
        err = self.refused(["--threshold", "0,0,0", "-o", "t.gz", "prog.py"],
                           "T0 = 0", "gc.set_threshold(0)", "T0 >= 1")
        self.assertFalse(os.path.exists(os.path.join(self.d, "t.gz")), err)
        self.assert_untouched()
        for bad in ("5,0,1", "5,1,0"):
            self.refused(["--threshold", bad, "-o", "t.gz", "prog.py"],
                         "T1 and T2 must be >= 1")
        self.assert_untouched()

    # ---- --check on captures gcrun cannot replay ------------------------------
    def capture(self, name, thresholds):
        path = os.path.join(self.d, name)
        with gzip.open(path, "wt") as f:
            f.write("gctimeline 1\np python 3.14.0\np thresholds %s\n"
                    "p program prog.py\nt 0 0\n" % thresholds)
        return path

    def test_check_threshold0_zero(self):
        self.refused(["--check", self.capture("z.gz", "0 0 0"), "--gcrun",
                      GCRUN], "threshold0 0", "holds no collection",
                     "--threshold T0,T1,T2, T0 >= 1")

    def test_check_third_threshold_zero(self):
        self.refused(["--check", self.capture("t.gz", "2000 10 0"), "--gcrun",
                      GCRUN], "captured with thresholds 2000,10,0",
                     "--threshold 2000,10,10")

    def test_check_gcrun_fails(self):
        self.refused(["--check", self.capture("ok.gz", "700 10 10"),
                      "--gcrun", "/bin/false"], "gcrun cannot replay it")

    # ---- inputs that are not regular files ------------------------------------
    def test_fifo_inputs(self):
        fifo = os.path.join(self.d, "fifo")
        os.mkfifo(fifo)
        self.refused(["-o", "t.gz", "fifo"], "PROGRAM 'fifo' is a FIFO")
        self.refused(["--check", "fifo", "--gcrun", GCRUN],
                     "--check 'fifo' is a FIFO")


if __name__ == "__main__":
    unittest.main()
