#!/usr/bin/env python3
"""direction.py GALLERY GCRUN ENTRY [--break]

Pins one scripts/gallery entry's direction with deterministic counts (never
time): runs the entry's --quick size under its before and after profiles
(seed 1, verified) and passes when one of the counts the entry pins
(collections, objects examined, peak unreclaimed objects) is larger
before than after, and none is smaller -- or, for an entry pinned
"equal", when every count is the same on both sides.

--break runs the after side wrong on purpose (with the before side's
profile and tunables; for an "equal" entry under `naive`) and passes only
when the pin then fails: proof that the pin can fail.  A run that fails
for another reason (gcrun's exit, verification) fails either way.
"""
import importlib.machinery
import importlib.util
import json
import subprocess
import sys


def load(path):
    loader = importlib.machinery.SourceFileLoader("gallery", path)
    spec = importlib.util.spec_from_loader("gallery", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def run(gcrun, entry, side):
    prof, tun = side
    cmd = [gcrun, "-q", "-C", prof, "-w", entry["workload"], "-s", "1",
           "--verify=final", "--json", "-"]
    for k, v in entry["quick"].items():
        cmd += ["-p", "%s=%s" % (k, v)]
    for t in tun:
        cmd += ["-c", t]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s" % (" ".join(cmd), r.returncode,
                                             r.stderr.strip()))
    j = json.loads(r.stdout)
    if j.get("verified") is not True:
        sys.exit("FAIL: %s: not verified" % " ".join(cmd))
    u = j.get("unreclaimed_objects")
    return {"collections": j["collections"],
            "objects_examined": j["objects_examined"],
            "unreclaimed_max": u["max"] if isinstance(u, dict) else None}


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--break"):
        sys.exit(__doc__)
    gallery, gcrun, name = argv[:3]
    entries = {e["name"]: e for e in load(gallery).ENTRIES}
    if name not in entries:
        sys.exit("FAIL: no entry %s in %s" % (name, gallery))
    e = entries[name]
    pin = e.get("pin", ("collections", "objects_examined"))
    after = e["after"]
    if len(argv) == 4:
        after = ("naive", []) if pin == "equal" else e["before"]
    b, a = run(gcrun, e, e["before"]), run(gcrun, e, after)
    print("%s: before %s %s, after %s %s" % (name, e["before"][0], b,
                                             after[0], a))
    if pin == "equal":
        why = "the two sides differ (pinned equal)" if b != a else None
    else:
        worse = [k for k in pin if b[k] > a[k]]
        better = [k for k in pin if b[k] < a[k]]
        why = ("before is not worse than after in %s" % ", ".join(pin)
               if not worse or better else None)
    if len(argv) == 4:
        if why is None:
            sys.exit("FAIL: %s: the pin holds with the after side run wrong"
                     % name)
        print("ok: %s: run wrong, the pin fails: %s" % (name, why))
    elif why:
        sys.exit("FAIL: %s: %s" % (name, why))
    else:
        print("ok: %s" % name)


if __name__ == "__main__":
    main(sys.argv[1:])
