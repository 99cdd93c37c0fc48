"""outpath.py -- how gcbench's Python scripts write result files, by the
same rules as bench/outfile.h:

- a regular file, or a name that does not exist yet, is written under a
  temporary name in the same folder (NAME.tmp.PID) and renamed over NAME
  when complete, so a failed run never leaves a half-written file; a
  symbolic link to a regular file is followed (the link stays);
- anything else -- a device, a FIFO, a socket, any name in /dev or /proc
  (/dev/stdout, /dev/fd/N) -- is written in place, never replaced;
- a folder, or a name whose folder does not exist, is refused with one line
  (OutputError, whose str() is that line).

check_io(inputs, outputs), called by every script before it runs, refuses
an output that is one of its inputs (which would destroy the input), two
outputs that are one file, and an input that is not a regular file (a
FIFO, a device, a socket: reading a FIFO no program writes waits forever).
"""
import os
import stat


class OutputError(Exception):
    pass


class PathError(OutputError):
    """An input or output refused by check_io; str() is one line."""


_KIND = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _stat(path):
    """os.stat of path (symbolic links followed; "-" is standard output),
    or None when it does not exist or cannot be looked at."""
    try:
        return os.fstat(1) if path == "-" else os.stat(path)
    except (OSError, ValueError):
        return None


def _same(out, st_out, path, st_in):
    """Whether output out and path name one file: the same device and
    inode, or the same resolved name (symbolic links, "./", "..")."""
    if st_out is not None and st_in is not None:
        return (st_out.st_dev, st_out.st_ino) == (st_in.st_dev, st_in.st_ino)
    if out == "-" or path == "-":
        return False
    return os.path.realpath(out) == os.path.realpath(path)


def check_io(inputs, outputs):
    """Check one command's paths before it runs.  inputs and outputs are
    lists of (label, path), the label as the user typed it ("-o", "--json",
    "input A"); a path None is skipped, "-" is standard output.  Raises
    PathError, one line naming both paths, when

    - an input exists and is not a regular file (folders are resolved by
      the caller to the files it reads);
    - an output is the same file as an input: the same device and inode
      (a hard link, a symbolic link, another spelling), or, when the
      output does not exist yet, the same resolved name;
    - two outputs are the same file.

    A character device (/dev/null, a terminal) as an output is never "the
    same file": writing there destroys nothing.  Inputs that do not exist
    are left to the caller's own message."""
    ins = []
    for label, path in inputs:
        if path is None:
            continue
        st = _stat(path)
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            raise PathError(f"{label} '{path}' is a folder; give a file")
        for test, kind in _KIND:
            if test(st.st_mode):
                raise PathError(
                    f"{label} '{path}' is {kind}, not a regular file; gcbench's "
                    "scripts read inputs from regular files only (a FIFO "
                    "with no writer would wait forever): save it to a file "
                    "first")
        ins.append((label, path, st))
    outs = []
    for label, path in outputs:
        if path is None:
            continue
        st = _stat(path)
        if st is not None and stat.S_ISCHR(st.st_mode):
            continue
        for ilabel, ipath, ist in ins:
            if _same(path, st, ipath, ist):
                raise PathError(
                    f"{label} '{path}' is the same file as {ilabel} "
                    f"'{ipath}': writing it would destroy that input; give "
                    "the output another name")
        for olabel, opath, ost in outs:
            if _same(path, st, opath, ost):
                raise PathError(
                    f"{olabel} '{opath}' and {label} '{path}' name the same "
                    "file; give them different names")
        outs.append((label, path, st))


def _system(path):
    d = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    return any(d == p or d.startswith(p + "/") for p in ("/dev", "/proc"))


class Output:
    """Output(path): .name is where to write (a temporary file or path
    itself); .commit() puts it in place; .abandon() removes the temporary
    file.  Checks the name at once (OutputError)."""

    def __init__(self, path):
        self.path = path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise OutputError(f"'{path}': {e.strerror}")
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise OutputError(f"'{path}' is a folder; give a file name")
        if st is None:
            parent = os.path.dirname(path) or "."
            if path.endswith("/"):
                raise OutputError(f"'{path}' names a folder that does not exist; give a file name")
            if not os.path.isdir(parent):
                raise OutputError(f"'{path}': folder '{parent}' does not exist; create it first")
        self.in_place = _system(path) or (st is not None and not stat.S_ISREG(st.st_mode))
        if self.in_place:
            self.name = path
        else:
            self.dest = os.path.realpath(path)
            self.name = f"{self.dest}.tmp.{os.getpid()}"

    def commit(self):
        if not self.in_place:
            os.replace(self.name, self.dest)

    def abandon(self):
        if not self.in_place:
            try:
                os.remove(self.name)
            except OSError:
                pass


def write_text(path, text):
    """Write text to path by the rules above; OutputError (one line) on
    failure: nothing half-written is left under a regular file's name."""
    out = Output(path)
    try:
        with open(out.name, "w") as f:
            f.write(text)
        out.commit()
    except OSError as e:
        out.abandon()
        raise OutputError(f"cannot write '{path}': {e.strerror}")
    except BaseException:
        out.abandon()
        raise


def make_folder(path):
    """Create folder path (and its parents) or say in one line why not."""
    p = path
    while p and p != os.path.dirname(p):
        if os.path.exists(p) and not os.path.isdir(p):
            raise OutputError(f"'{p}' exists and is not a folder")
        p = os.path.dirname(p)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create folder '{path}': {e.strerror}")
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in folder '{path}'")
