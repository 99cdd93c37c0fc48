#!/usr/bin/env python3
"""machine.py -- how busy the machine was while scripts/bench measured.

  machine.py snap PID              one line: the time, the 1-minute load,
                                   the CPU time every process has used and
                                   the CPU time of PID's finished children
                                   and itself (from /proc; seconds)
  machine.py wait PID SECONDS      wait until other processes use under a
                                   tenth of a core over 5 s, SECONDS at most;
                                   exit 0 quiet, 1 still busy at the limit
  machine.py report OUT PHASES     machine.json from the PHASES file (lines
                                   "NAME ANTAGONIST START-SNAP END-SNAP");
                                   prints one warning line per busy phase

"Other processes' CPU" is the machine's busy CPU time in a phase less the
bench's own (itself and its children, which have all finished when a phase
ends), divided by the phase's wall time: in cores.  A phase is busy when
it is above BUSY_CORES; the 1-minute load is recorded beside it, but not
judged, since the bench's own work raises it.
"""
import json
import os
import sys
import time

from outpath import PathError, check_io

BUSY_CORES = 0.1
TICK = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / TICK


def own_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the command: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def snap(pid):
    return [time.time(), load1(), busy_seconds(), own_seconds(pid)]


def other_cores(a, b):
    wall = max(b[0] - a[0], 1e-9)
    return max(0.0, (b[2] - a[2]) - (b[3] - a[3])) / wall


def main(argv):
    if len(argv) >= 2 and argv[0] == "snap":
        print(" ".join(f"{x:.3f}" for x in snap(int(argv[1]))))
        return 0
    if len(argv) == 3 and argv[0] == "wait":
        pid, limit = int(argv[1]), float(argv[2])
        end = time.time() + limit
        while True:
            a = snap(pid)
            time.sleep(5)
            b = snap(pid)
            o = other_cores(a, b)
            if o < BUSY_CORES:
                print(f"quiet: other processes {o:.2f} cores, load {b[1]:.2f}")
                return 0
            if time.time() >= end:
                print(f"still busy after {limit:.0f} s: other processes "
                      f"{o:.2f} cores, load {b[1]:.2f}")
                return 1
            print(f"waiting for a quiet machine: other processes {o:.2f} "
                  f"cores, load {b[1]:.2f}", flush=True)
    if len(argv) == 3 and argv[0] == "report":
        out, phases = argv[1], argv[2]
        try:
            check_io([("PHASES", phases)], [("OUT", out)])
        except PathError as e:
            print(f"machine.py: {e}", file=sys.stderr)
            return 2
        doc = {"schema": 1, "busy_cores": BUSY_CORES, "cores": os.cpu_count(),
               "phases": [], "busy": False}
        with open(phases) as f:
            for line in f:
                w = line.split()
                if len(w) != 10:
                    continue
                name, antagonist = w[0], w[1] == "1"
                a, b = [float(x) for x in w[2:6]], [float(x) for x in w[6:10]]
                o = other_cores(a, b)
                busy = o > BUSY_CORES
                doc["phases"].append({
                    "phase": name, "seconds": round(b[0] - a[0], 1),
                    "load1_start": a[1], "load1_end": b[1],
                    "other_cpu_seconds": round(max(0.0, (b[2] - a[2]) - (b[3] - a[3])), 2),
                    "other_cores": round(o, 3), "antagonist": antagonist,
                    "busy": busy})
                if busy:
                    doc["busy"] = True
                    print(f"warning: the machine was busy during {name}: other "
                          f"processes used {o:.2f} cores (load {a[1]:.2f} to "
                          f"{b[1]:.2f}){' -- the --antagonist' if antagonist else ''}; "
                          "its ratios are marked as taken on a busy machine")
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, out)
        return 0
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
