#!/usr/bin/env python3
"""gcbench_signals.py GCBENCH DIR -- an interrupted gcbench leaves no
temporary file, and the names it lists are the names a filter matches.

1. gcbench writing --benchmark_out to a regular file (its temporary file
   NAME.tmp.PID beside it) or to /dev/null (a temporary file in TMPDIR),
   stopped by SIGINT, SIGTERM or SIGHUP in the middle of a long run: it
   dies of that signal, the temporary file is gone, the destination was
   never written.  A signal ignored when it starts (nohup) stays ignored.
2. Every name --gcbench_list prints, anchored at both ends (^NAME$) in one
   --benchmark_filter, selects exactly the listed benchmarks."""
import os
import signal
import subprocess
import sys
import time

gcbench, work = sys.argv[1:3]
os.makedirs(work, exist_ok=True)
fails = 0


def bad(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)


# A long run: repetitions of a million-object row (the signal comes long
# before it ends).
LONG = ["--gcbench_sizes=1000000", "--gcbench_collectors=naive",
        "--benchmark_filter=^graphs/naive/", "--benchmark_repetitions=1000"]

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    for dest in ("regular", "device"):
        tmpdir = os.path.join(work, "tmp-%d-%s" % (sig, dest))
        os.makedirs(tmpdir, exist_ok=True)
        for f in os.listdir(tmpdir):
            os.remove(os.path.join(tmpdir, f))
        out = os.path.join(tmpdir, "g.json") if dest == "regular" else "/dev/null"
        env = dict(os.environ, TMPDIR=tmpdir)
        # default dispositions, whatever this test inherited (a shell's
        # background job ignores SIGINT, and gcbench keeps an ignored
        # signal ignored)
        p = subprocess.Popen([gcbench, "--benchmark_out=" + out] + LONG,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env,
                             preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
                                                 for s in (signal.SIGINT,
                                                           signal.SIGTERM,
                                                           signal.SIGHUP)])
        # the temporary file exists before the first benchmark starts
        made = []
        for _ in range(6000):
            made = os.listdir(tmpdir)
            if made or p.poll() is not None:
                break
            time.sleep(0.01)
        what = "%s, %s destination" % (signal.Signals(sig).name, dest)
        if not made:
            p.kill()
            p.wait()
            bad("%s: no temporary file appeared (exit %s)" % (what, p.returncode))
            continue
        p.send_signal(sig)
        rc = p.wait(timeout=120)
        left = os.listdir(tmpdir)
        if rc != -sig:
            bad("%s: exit %s, want death by the signal (%d)" % (what, rc, -sig))
        elif left:
            bad("%s: left %s (it had made %s)" % (what, left, made))
        else:
            print("ok: %s: died of it, removed %s" % (what, made))

# A signal ignored when gcbench starts (nohup) stays ignored: SIGHUP does
# nothing, SIGTERM still cleans up.
tmpdir = os.path.join(work, "tmp-nohup")
os.makedirs(tmpdir, exist_ok=True)
for f in os.listdir(tmpdir):
    os.remove(os.path.join(tmpdir, f))
p = subprocess.Popen([gcbench, "--benchmark_out=" + os.path.join(tmpdir, "g.json")]
                     + LONG, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL,
                     preexec_fn=lambda: (signal.signal(signal.SIGHUP, signal.SIG_IGN),
                                         signal.signal(signal.SIGTERM, signal.SIG_DFL)))
for _ in range(6000):
    if os.listdir(tmpdir) or p.poll() is not None:
        break
    time.sleep(0.01)
p.send_signal(signal.SIGHUP)
try:
    rc = p.wait(timeout=1)
    bad("nohup: SIGHUP ended it (exit %s)" % rc)
except subprocess.TimeoutExpired:
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=120)
    if rc != -signal.SIGTERM or os.listdir(tmpdir):
        bad("nohup: after SIGTERM exit %s, left %s" % (rc, os.listdir(tmpdir)))
    else:
        print("ok: an ignored SIGHUP stays ignored; SIGTERM still cleans up")

# The listed names are the names Google Benchmark matches.
listed = subprocess.run([gcbench, "--gcbench_list"], capture_output=True,
                        text=True, timeout=120)
names = listed.stdout.split()
if listed.returncode != 0 or len(names) < 100:
    bad("--gcbench_list: exit %d, %d names" % (listed.returncode, len(names)))
else:
    # in groups of 40 (Google Benchmark's regular expressions are POSIX
    # extended ones: only '.' needs escaping in these names)
    got = []
    for i in range(0, len(names), 40):
        group = names[i:i + 40]
        pattern = "^(" + "|".join(n.replace(".", "\\.") for n in group) + ")$"
        sel = subprocess.run([gcbench, "--benchmark_list_tests",
                              "--benchmark_filter=" + pattern],
                             capture_output=True, text=True, timeout=120)
        if sel.returncode != 0:
            bad("filter %s...: exit %d: %s" % (pattern[:80], sel.returncode,
                                               sel.stderr.strip()))
        got += sel.stdout.split()
    if got != names:
        missing = [n for n in names if n not in got]
        bad("^NAME$ filters select %d of %d listed names; missing e.g. %s"
            % (len(got), len(names), missing[:3]))
    else:
        print("ok: all %d listed names select themselves as ^NAME$ "
              "(e.g. %s)" % (len(names), names[0]))
    # one name on its own, as a user copies it
    one = subprocess.run([gcbench, "--benchmark_list_tests",
                          "--benchmark_filter=^%s$" % names[1]],
                         capture_output=True, text=True, timeout=120)
    if one.stdout.split() != [names[1]]:
        bad("^%s$ selects %s" % (names[1], one.stdout.split()))

if fails:
    print("%d failed" % fails)
    sys.exit(1)
print("all ok")
