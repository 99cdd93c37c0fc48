#!/usr/bin/env python3
"""test_outpath.py LIBDIR WORK -- scripts/lib/outpath.py's check_io, the
check every script makes before it runs:

  - an output that is an input is refused, one line naming both, however
    it is named: the same name, ./ and .. spellings, a symbolic link to
    the file or to its folder, a hard link, standard output ("-")
    redirected to the input;
  - two outputs naming one file are refused;
  - a copy of an input, a new name, a character device (/dev/null) as the
    output are accepted;
  - an input that is a FIFO, a character device or a socket is refused
    (a folder too); one that does not exist is left to the caller.
"""
import os
import socket
import sys
import tempfile
import unittest

LIB, WORK = sys.argv[1:3]
del sys.argv[1:3]
sys.path.insert(0, LIB)
from outpath import PathError, check_io  # noqa: E402


class CheckIO(unittest.TestCase):
    def setUp(self):
        os.makedirs(WORK, exist_ok=True)
        self.d = tempfile.mkdtemp(dir=WORK)
        self.inp = os.path.join(self.d, "in.json")
        with open(self.inp, "w") as f:
            f.write("{}\n")

    def refused(self, outputs, *words, inputs=None):
        with self.assertRaises(PathError) as cm:
            check_io(inputs or [("input A", self.inp)], outputs)
        msg = str(cm.exception)
        self.assertNotIn("\n", msg)
        for w in words:
            self.assertIn(w, msg)
        return msg

    def accepted(self, outputs, inputs=None):
        check_io(inputs or [("input A", self.inp)], outputs)

    def test_same_name(self):
        self.refused([("--json", self.inp)], "--json", "input A",
                     "is the same file as", "'%s'" % self.inp)

    def test_other_spellings(self):
        sub = os.path.join(self.d, "sub")
        os.mkdir(sub)
        for p in (os.path.join(self.d, ".", "in.json"),
                  os.path.join(sub, "..", "in.json"),
                  os.path.relpath(self.inp)):
            self.refused([("-o", p)], "'%s'" % p)

    def test_symbolic_links(self):
        link = os.path.join(self.d, "link.json")
        os.symlink("in.json", link)
        self.refused([("-o", link)], "'%s'" % link)
        dirlink = os.path.join(self.d, "dirlink")
        os.symlink(self.d, dirlink)
        self.refused([("-o", os.path.join(dirlink, "in.json"))])
        # the input named through the link, the output directly
        self.refused([("-o", self.inp)],
                     inputs=[("PROGRAM", os.path.join(dirlink, "in.json"))])

    def test_hard_link(self):
        hard = os.path.join(self.d, "hard.json")
        os.link(self.inp, hard)
        self.refused([("-o", hard)], "'%s'" % hard)

    def test_stdout_redirected_to_the_input(self):
        saved = os.dup(1)
        fd = os.open(self.inp, os.O_WRONLY | os.O_APPEND)
        try:
            os.dup2(fd, 1)
            with self.assertRaises(PathError):
                check_io([("input A", self.inp)], [("--json", "-")])
        finally:
            os.dup2(saved, 1)
            os.close(fd)
            os.close(saved)

    def test_two_outputs(self):
        out = os.path.join(self.d, "out.json")
        self.refused([("-o", out), ("--stats-json", "./" + os.path.relpath(out))],
                     "-o", "--stats-json", "name the same file")

    def test_accepted(self):
        copy = os.path.join(self.d, "copy.json")
        with open(copy, "w") as f:
            f.write("{}\n")
        self.accepted([("-o", copy)])
        self.accepted([("-o", os.path.join(self.d, "new.json"))])
        self.accepted([("-o", "/dev/null"), ("--stats-json", "/dev/null")])
        self.accepted([("-o", None)])
        self.accepted([("-o", self.inp)], inputs=[("PROGRAM", None)])
        # a missing input: the caller says so in its own words
        self.accepted([("-o", copy)],
                      inputs=[("input A", os.path.join(self.d, "nope"))])

    def test_inputs_not_regular(self):
        fifo = os.path.join(self.d, "fifo")
        os.mkfifo(fifo)
        self.refused([], "'%s' is a FIFO, not a regular file" % fifo,
                     inputs=[("--check", fifo)])
        self.refused([], "is a character device", inputs=[("A", "/dev/null")])
        self.refused([], "is a folder", inputs=[("A", self.d)])
        sock = os.path.join(self.d, "sock")
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(sock)
            self.refused([], "is a socket", inputs=[("A", sock)])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
