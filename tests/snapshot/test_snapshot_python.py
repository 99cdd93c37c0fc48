#!/usr/bin/env python3
"""test_snapshot_python.py TOOL GCRUN DIR -- scripts/snapshot-python:

  - which objects it calls immortal on each CPython (3.11: none; 3.12 and
    3.13 on 64-bit and 32-bit: _Py_IsImmortal's test on the count; 3.14+:
    sys._is_immortal), with stand-in `sys` modules;
  - a snapshot whose objects it was told are immortal (this machine's
    CPython may have none): a gcheap 3 file with the flag and the
    interpreter's count (capped at 2^32 - 1), which gcrun replays and
    verifies under every collector and drop mode, immortal objects live;
  - its `end` line: the counts of the file's records; the file cut at
    line boundaries and inside lines is refused by gcrun (exit 2, one
    line), the same heap as gcheap 2 loads with a one-line warning;
  - its outputs: a bad -o or --stats-json fails in one line with exit 2
    before the program runs; a regular file is replaced whole or left as
    it was; a device, a FIFO or a symbolic link (/dev/stdout) is written in
    place and stays what it was (private stand-ins, never the machine's
    /dev entries); -o and --stats-json naming one file, or naming the
    --script or an --import module's file (however spelled: ./, a linked
    folder, a symbolic or hard link), are refused before the program runs
    and leave the input as it was; a FIFO --script is refused at once.
"""
import importlib.machinery
import importlib.util
import os
import stat
import subprocess
import sys
import tempfile
import threading
import types
import unittest

TOOL, GCRUN, DIR = sys.argv[1:4]
del sys.argv[1:4]
# the registered collectors (CMake passes the registry's, before any
# unittest option, after a --collectors marker)
COLLECTORS = ()
if "--collectors" in sys.argv:
    i = sys.argv.index("--collectors")
    j = sys.argv.index("--", i) if "--" in sys.argv[i:] else len(sys.argv)
    COLLECTORS = tuple(sys.argv[i + 1:j])
    del sys.argv[i:j + 1]
if not COLLECTORS:
    sys.exit("test_snapshot_python.py: no collectors given (--collectors NAME... --)")


def load_tool():
    loader = importlib.machinery.SourceFileLoader("snapshot_python", TOOL)
    spec = importlib.util.spec_from_loader("snapshot_python", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def fake_sys(version, maxsize=(1 << 63) - 1, counts=None, is_immortal=None,
             name="cpython"):
    s = types.SimpleNamespace(
        version_info=version, maxsize=maxsize,
        implementation=types.SimpleNamespace(name=name),
        getrefcount=lambda o: counts[o])
    if is_immortal is not None:
        s._is_immortal = is_immortal
    return s


def run_tool(*args, script=None):
    cmd = [sys.executable, "-S", "-I", TOOL]
    cmd += ["--script", script] if script else ["--import", "json"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True,
                          timeout=120)


def gcrun(*args):
    return subprocess.run([GCRUN, "-q", "-w", "snapshot"] + list(args),
                          capture_output=True, text=True, timeout=120)


class ImmortalTest(unittest.TestCase):
    def setUp(self):
        self.tool = load_tool()

    def test_311_has_none(self):
        test, how = self.tool.immortal_test(fake_sys((3, 11, 7)))
        self.assertIsNone(test)
        self.assertEqual(how, "none")

    def test_312_64bit(self):
        counts = {"none": (1 << 32) - 1, "i314": 3 << 30, "low": 1 << 31,
                  "high": (1 << 31) - 1, "small": 5, "wrapped": (1 << 32) + 5}
        for v in ((3, 12, 0), (3, 13, 1)):
            test, _ = self.tool.immortal_test(fake_sys(v, counts=counts))
            got = {k for k in counts if test(k)}
            self.assertEqual(got, {"none", "i314", "low"}, v)

    def test_312_32bit(self):
        counts = {"imm": (1 << 30) - 1, "near": 1 << 30, "small": 7}
        test, _ = self.tool.immortal_test(
            fake_sys((3, 12, 4), maxsize=(1 << 31) - 1, counts=counts))
        self.assertEqual({k for k in counts if test(k)}, {"imm"})

    def test_314_asks_sys(self):
        def asked(o):
            return o == "yes"
        test, how = self.tool.immortal_test(
            fake_sys((3, 14, 0), is_immortal=asked, counts={}))
        self.assertIs(test, asked)
        self.assertEqual(how, "sys._is_immortal")

    def test_other_implementations(self):
        test, _ = self.tool.immortal_test(
            fake_sys((3, 12, 0), name="pypy", counts={}))
        self.assertIsNone(test)


class ImmortalSnapshotTest(unittest.TestCase):
    """This interpreter told that three lists are immortal."""

    @classmethod
    def setUpClass(cls):
        tool = load_tool()
        cls.held = [["immortal", i] for i in range(3)]
        ids = {id(o): c for o, c in zip(cls.held, (3 << 30, 3 << 30,
                                                   (1 << 32) + 7))}
        real = sys.getrefcount
        probe = object()

        def through(o):
            return real(o)
        delta = through(probe) - real(probe)  # this wrapper's own reference

        def count(o):
            return ids[id(o)] if id(o) in ids else real(o) - delta
        tool.getrefcount = count
        tool.immortal_test = lambda sysmod: (lambda o: id(o) in ids, "test")
        cls.out = os.path.join(DIR, "immortal.gcheap")
        cls.rc = tool.main(["--import", "json", "-o", cls.out, "--repeat",
                            "1"])
        with open(cls.out) as f:
            cls.lines = f.read().splitlines()

    def test_file(self):
        self.assertEqual(self.rc, 0)
        self.assertEqual(self.lines[0], "gcheap 3")
        self.assertIn("# immortal test", self.lines)
        self.assertIn("# cpython_immortal 3", self.lines)
        flagged = {int(l.split()[1]): int(l.split()[3]) for l in self.lines
                   if l.startswith("o ") and l.endswith(" immortal")}
        self.assertEqual(len(flagged), 3)
        indeg = {}
        for l in self.lines:
            if l.startswith("r "):
                t = int(l.split()[2])
                indeg[t] = indeg.get(t, 0) + 1
        totals = sorted(ext + indeg.get(i, 0) for i, ext in flagged.items())
        # the interpreter's count, capped at what a 32-bit count holds
        self.assertEqual(totals, [3 << 30, 3 << 30, (1 << 32) - 1])

    def replay(self, path, c, drop):
        r = gcrun("-C", c, "-p", "file=" + path, "-p", "drop=" + drop,
                  "--verify", "--json", "-")
        self.assertEqual(r.returncode, 0, (c, drop, r.stderr))
        self.assertIn('"verified": true', r.stdout)
        answer = r.stdout.split('"answer": ')[1]
        return int(answer.split('"live": ')[1].split(",")[0])

    def test_replay(self):
        # the same heap without the flags, as gcheap 1
        plain = os.path.join(DIR, "immortal-unflagged.gcheap")
        with open(plain, "w") as f:
            f.write("gcheap 1\n")
            f.writelines(l[:-len(" immortal")] + "\n"
                         if l.endswith(" immortal") else l + "\n"
                         for l in self.lines[1:] if not l.startswith("end "))
        for c in COLLECTORS:
            for drop in ("none", "all", "0.5"):
                live = self.replay(self.out, c, drop)
                # immortal objects keep their references under every drop
                self.assertGreaterEqual(live, 3, (c, drop))
            self.assertEqual(self.replay(plain, c, "all"), 0)


class EndLineTest(unittest.TestCase):
    """The last line counts the records; a cut copy is refused."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(DIR, "end.gcheap")
        r = run_tool("-o", cls.out, "--repeat", "1")
        assert r.returncode == 0, r.stderr
        with open(cls.out) as f:
            cls.text = f.read()

    def cut(self, name, text):
        path = os.path.join(DIR, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_counts(self):
        lines = self.text.splitlines()
        self.assertEqual(lines[0], "gcheap 3")
        objs = sum(1 for l in lines if l.startswith("o "))
        refs = sum(1 for l in lines if l.startswith("r "))
        self.assertEqual(lines[-1], "end %d %d" % (objs, refs))
        r = gcrun("-C", "trial", "-p", "file=" + self.out, "--verify")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("warning", r.stderr)

    def test_cut_files_refused(self):
        starts = [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        starts = starts[:-1]  # the whole file is not a cut
        step = max(1, len(starts) // 40)
        cuts = starts[::step] + starts[-3:]
        cuts += [c - 2 for c in cuts if c > 2]  # inside a line
        cuts.append(len(self.text) - 2)  # inside the end line
        for k in cuts:
            path = self.cut("cut.gcheap", self.text[:k])
            r = gcrun("-C", "trial", "-p", "file=" + path, "--verify")
            self.assertEqual(r.returncode, 2, (k, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertRegex(r.stderr, r"cut\.gcheap:[0-9]+: ")

    def test_legacy_warns(self):
        lines = self.text.splitlines(True)
        legacy = self.cut("legacy.gcheap", "gcheap 2\n" + "".join(
            l for l in lines[1:] if not l.startswith("end ")))
        r = gcrun("-C", "trial", "-p", "file=" + legacy, "--verify")
        self.assertEqual(r.returncode, 0, r.stderr)
        warned = [l for l in r.stderr.splitlines() if "warning" in l]
        self.assertEqual(len(warned), 1, r.stderr)
        self.assertIn("warning: %s is a gcheap 2 file" % legacy, warned[0])


class OutputTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=DIR)
        self.marker = os.path.join(self.tmp, "ran")
        self.script = os.path.join(self.tmp, "prog.py")
        with open(self.script, "w") as f:
            f.write("open(%r, 'w').close()\n" % self.marker)

    def refused(self, args, want):
        r = run_tool(*args, script=self.script)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn(want, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(self.marker),
                         "the program ran before the paths were checked")

    def test_missing_folder(self):
        good = os.path.join(self.tmp, "x.gcheap")
        self.refused(["-o", os.path.join(self.tmp, "missing", "x")],
                     "does not exist")
        self.refused(["-o", good, "--stats-json",
                      os.path.join(self.tmp, "missing", "s.json")],
                     "does not exist")
        self.assertFalse(os.path.exists(good))

    def test_one_file_named_twice(self):
        out = os.path.join(self.tmp, "x.gcheap")
        self.refused(["-o", out, "--stats-json", out], "name the same file")
        self.refused(["-o", out, "--stats-json",
                      os.path.join(self.tmp, ".", "x.gcheap")],
                     "name the same file")
        alias = os.path.join(self.tmp, "alias")
        os.symlink(self.tmp, alias)  # the folder spelled another way
        self.refused(["-o", out, "--stats-json",
                      os.path.join(alias, "x.gcheap")], "name the same file")
        with open(out, "w") as f:
            f.write("old\n")
        self.refused(["-o", out, "--stats-json",
                      os.path.join(alias, "x.gcheap")], "name the same file")
        with open(out) as f:
            self.assertEqual(f.read(), "old\n")

    def test_directory(self):
        self.refused(["-o", self.tmp], "is a directory")

    def test_output_is_the_script(self):
        with open(self.script) as f:
            before = f.read()
        alias = os.path.join(self.tmp, "alias")
        os.symlink(self.tmp, alias)
        link = os.path.join(self.tmp, "link.py")
        os.symlink("prog.py", link)
        hard = os.path.join(self.tmp, "hard.py")
        os.link(self.script, hard)
        for out in (self.script, os.path.join(self.tmp, ".", "prog.py"),
                    os.path.join(alias, "prog.py"), link, hard):
            for opt in ("-o", "--stats-json"):
                args = ["-o", os.path.join(self.tmp, "x.gcheap"), opt, out] \
                    if opt == "--stats-json" else ["-o", out]
                self.refused(args, "%s '%s' is the same file as --script '%s'"
                             % (opt, out, self.script))
                with open(self.script) as f:
                    self.assertEqual(f.read(), before)

    def test_output_is_an_imported_module(self):
        mod = os.path.join(self.tmp, "gcbench_probe_mod.py")
        with open(mod, "w") as f:
            f.write("x = [1]\n")
        r = subprocess.run(
            [sys.executable, TOOL, "--import", "gcbench_probe_mod", "-o", mod],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PYTHONPATH=self.tmp))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn("is the same file as --import gcbench_probe_mod", r.stderr)
        with open(mod) as f:
            self.assertEqual(f.read(), "x = [1]\n")

    def test_fifo_script_refused(self):
        fifo = os.path.join(self.tmp, "fifo.py")
        os.mkfifo(fifo)
        try:
            r = run_tool("-o", os.path.join(self.tmp, "x.gcheap"), script=fifo)
        except subprocess.TimeoutExpired:
            self.fail("a FIFO --script blocked")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn("--script '%s' is a FIFO, not a regular file" % fifo,
                      r.stderr)

    def test_regular_file_replaced_whole(self):
        out = os.path.join(self.tmp, "x.gcheap")
        with open(out, "w") as f:
            f.write("old\n")
        ino = os.stat(out).st_ino
        r = run_tool("-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(f.readline(), "gcheap 3\n")
        self.assertNotEqual(os.stat(out).st_ino, ino, "not renamed over")
        # a failing program leaves the old file as it was
        with open(out, "w") as f:
            f.write("old\n")
        bad = os.path.join(self.tmp, "bad.py")
        with open(bad, "w") as f:
            f.write("raise ValueError('no')\n")
        r = run_tool("-o", out, script=bad)
        self.assertEqual(r.returncode, 1)
        with open(out) as f:
            self.assertEqual(f.read(), "old\n")
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         ["bad.py", "prog.py", "x.gcheap"])

    # Devices and /dev/stdout are stood in for by private copies in the
    # test's folder (a character device made with mknod as root, a link to
    # /proc/self/fd/1), so a tool that wrongly replaced them would damage
    # only the test's own files, never the machine's /dev.

    def private_device(self, name, minor):
        if os.geteuid() != 0:
            self.skipTest("mknod needs root")
        path = os.path.join(self.tmp, name)
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        return path

    def test_device_stays_a_device(self):
        null = self.private_device("null", 3)
        r = run_tool("-o", null, "--stats-json", null)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(stat.S_ISCHR(os.lstat(null).st_mode))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["null", "prog.py"])

    def test_full_device_fails_in_one_line(self):
        full = self.private_device("full", 7)
        r = run_tool("-o", full)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn("cannot write %s" % full, r.stderr)
        self.assertTrue(stat.S_ISCHR(os.lstat(full).st_mode))

    def test_fifo_written_in_place(self):
        fifo = os.path.join(self.tmp, "pipe")
        os.mkfifo(fifo)
        got = []

        def read():
            with open(fifo) as f:
                got.append(f.read())
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        r = run_tool("-o", fifo)
        if reader.is_alive():  # the tool never opened the FIFO: unblock
            with open(fifo, "w"):
                pass
        reader.join(10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertTrue(got and got[0].startswith("gcheap 3\n"))

    def test_stdout_and_symlinks_written_through(self):
        stdout = os.path.join(self.tmp, "stdout")
        os.symlink("/proc/self/fd/1", stdout)  # what /dev/stdout is
        r = run_tool("-o", stdout)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.islink(stdout))
        self.assertTrue(r.stdout.startswith("gcheap 3\n"))
        target = os.path.join(self.tmp, "target")
        link = os.path.join(self.tmp, "link")
        with open(target, "w") as f:
            f.write("old\n")
        os.symlink(target, link)
        r = run_tool("-o", link)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.islink(link))
        with open(target) as f:
            self.assertEqual(f.readline(), "gcheap 3\n")


if __name__ == "__main__":
    os.makedirs(DIR, exist_ok=True)
    unittest.main(verbosity=2)
