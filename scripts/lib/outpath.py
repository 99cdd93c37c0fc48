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
"""
import os
import stat


class OutputError(Exception):
    pass


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
