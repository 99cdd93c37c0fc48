"""peerlib.py -- the driver scripts/peer-php and scripts/peer-nim share.

A peer runtime provides one program that builds one shape, buffers one
protocol's roots, times one full cycle collection and prints one JSON object
(scripts/peers.d/shapes.php, shapes.nim).  This module runs it once per
repetition, each in a fresh process with a small warm-up heap built and
collected first, checks what it reports, and writes Google Benchmark-shaped
JSON whose row names are gcbench's collect-mode rows with the peer's
collector name.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from outpath import Output, OutputError, check_io, write_text  # noqa: E402

# shape: (gcbench workload, gcbench params after the collector)
SHAPES = {
    "rings": ("rings", "k:10/held:0"),
    "rings2": ("rings", "k:10/links:2/held:0"),
    "rings_live": ("rings", "k:10/held:1"),
    "chains": ("chains", "length:100/held:1"),
    "graphs": ("graphs", "degree:2/model:uniform/held:1"),
    "levels": ("levels", ""),
}
# gcbench's shapes grid (bench/gcbench.c, "The shapes grid";
# workloads/shapes.c): each row's params in gcbench's order, addressable as
# the shape `shapes/<params>` (a row name without collector and n) and all
# together as `grid`.  tests/schema/test_peer_grid.py checks that this list
# equals the shapes rows gcbench lists.
GRID_SIZE = 100000  # the one size gcbench runs the grid at by default
GRID = [f"{s}/held:{h}"
        for s in ("size:65535/degree:2/back:parent/order:bfs",
                  "size:65535/degree:2/back:parent/order:dfs",
                  "size:65535/degree:2/back:parent/order:scatter",
                  "size:100/degree:1/back:parent/order:bfs",
                  "size:100000/degree:1/back:parent/order:bfs",
                  "size:1000/degree:4/back:parent/order:dfs",
                  "size:1000/degree:3/back:start/order:bfs",
                  "size:10/degree:2/back:start/order:interleave",
                  "size:1000/degree:2/back:across/order:bfs",
                  "size:100000/degree:4/back:across/order:scatter",
                  "size:1000/degree:2/back:parent/share:0.3/order:dfs",
                  "size:10000/degree:3/back:across/share:0.5/order:interleave")
        for h in (0, 1)] + ["size:1000/degree:2/back:none/share:0.5/order:bfs/held:1"]
SHAPES.update((f"shapes/{g}", ("shapes", g)) for g in GRID)
DEFAULT_SHAPES = ("rings", "rings2", "rings_live", "chains", "graphs", "levels")
PROTOCOLS = ("workload", "all")
# Version of the JSON written ("schema" in its context); bump it when a key
# changes
SCHEMA = 1

PROTOCOL_DOC = """\
Buffering protocols (what is in the root buffer when the timed collection
starts; a row without a protocol component is `workload`):
  workload  the roots gcbench's own workload leaves: each ring's head, each
            chain's head, every graph vertex, every level but the top one,
            each grid component's start vertex (held or dropped; a dropped
            component without back edges is freed by reference counting)
  all       every vertex buffered once (rows .../protocol:all/mode:collect):
            the worst case, comparable with a whole-heap walk
Each heap is built, collected once untimed while all of it is reachable
(which empties the buffer and frees nothing), then exactly the protocol's
vertices are buffered, by dropping one container that holds a second
reference to each; the runtime's own counter of buffered roots is checked
against the protocol before the timed collection.  Automatic collection is
off throughout.  One process per repetition; each first builds and collects
a warm-up heap of the same shape (min(n, 10000) vertices).
The grid's shapes follow gcbench's shapes workload (components, held rule,
allocation order, expected garbage); their random choices (`across`
targets, share edges, the scatter permutation) come from each runtime's
own seeded generator: the distribution is shared, not the exact graph."""


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


class Usage(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"{self.prog}: {message}; try '{self.prog} --help'\n")


def parse_args(prog, collector, description, extra=None, source=None):
    ap = Usage(
        prog=prog, description=description, epilog=PROTOCOL_DOC +
        "\n\nExit codes: 0 ok, 1 a repetition failed its check (its row is "
        "written with error_occurred), 2 bad usage, 4 the runtime is not "
        "installed or cannot build the program.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000,1000000",
                    help="vertices per shape, comma separated (default %(default)s)")
    ap.add_argument("--repetitions", type=int, default=3,
                    help="processes per shape, size and protocol (default %(default)s)")
    ap.add_argument("--shapes", default=",".join(DEFAULT_SHAPES),
                    help="shapes to run (default: all of %(default)s); `grid`: "
                         "the 25 rows of gcbench's shapes grid, each also "
                         "named alone as shapes/<its params>, e.g. "
                         f"{next(s for s in SHAPES if s.startswith('shapes/'))} "
                         f"(gcbench runs the grid at n={GRID_SIZE})")
    ap.add_argument("--protocols", default=",".join(PROTOCOLS),
                    help="buffering protocols (default %(default)s)")
    ap.add_argument("--list-shapes", action="store_true",
                    help="print the shapes --shapes selects, one a line, and exit")
    ap.add_argument("-o", "--output", default="-", help="JSON file, or - (default)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    if extra:
        extra(ap)
    a = ap.parse_args()
    try:  # first, before the long part: -o is never the peer's own program
        check_io([("the peer program", source)], [("-o", a.output)])
    except OutputError as e:
        ap.error(str(e))
    try:
        a.sizes = [int(float(s)) for s in a.sizes.split(",") if s]
    except ValueError:
        ap.error(f"--sizes wants whole numbers separated by commas, got '{a.sizes}'")
    if not a.sizes or min(a.sizes) < 10 or max(a.sizes) > 10**8:
        ap.error("--sizes: each size must be in 10..1e8")
    if a.repetitions < 1:
        ap.error("--repetitions must be at least 1")
    shapes = []
    for s in (s for s in a.shapes.split(",") if s):
        if s == "grid":
            shapes += [f"shapes/{g}" for g in GRID]
        elif s in SHAPES:
            shapes.append(s)
        else:
            ap.error(f"unknown shape '{s}' (known: {', '.join(DEFAULT_SHAPES)}, "
                     "grid, or a grid row shapes/<params> that --shapes grid --list-shapes prints)")
    a.shapes = list(dict.fromkeys(shapes))  # each once, in the order given
    if a.list_shapes:
        try:
            print("\n".join(a.shapes))
        except BrokenPipeError:  # | head
            pass
        sys.exit(0)
    if not a.shapes:
        ap.error("--shapes is empty")
    a.protocols = [p for p in a.protocols.split(",") if p]
    for p in a.protocols:
        if p not in PROTOCOLS:
            ap.error(f"unknown protocol '{p}' (known: {', '.join(PROTOCOLS)})")
    if not a.protocols:
        ap.error("--protocols is empty")
    if a.output != "-":
        try:  # a folder, a missing parent
            Output(a.output)
        except OutputError as e:
            ap.error(f"-o: {e}")
    return a


def row_name(shape, collector, n, protocol):
    row, params = SHAPES[shape]
    return (f"{row}/{collector}" + (f"/{params}" if params else "") + f"/n:{n}" +
            ("/protocol:all" if protocol == "all" else "") + "/mode:collect")


def run_one(cmd):
    """Run one repetition; returns (result dict or None, error string)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    line = (r.stdout.strip().splitlines() or [""])[-1]
    try:
        res = json.loads(line)
    except ValueError:
        err = (r.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"exit {r.returncode}: {err}"
    if r.returncode != 0:
        return res, (f"check failed: collected {res.get('collected')} (want "
                     f"{res.get('expected')}), {res.get('roots')} roots buffered "
                     f"(want {res.get('expected_roots')}), "
                     f"{res.get('untimed_collected')} freed by the untimed collection")
    return res, ""


def run(a, prog, collector, command, context):
    """command(shape, n, protocol, warmup) -> argv.  Writes the JSON."""
    benches, failed, version = [], 0, None
    for shape in a.shapes:
        for protocol in a.protocols:
            for n in a.sizes:
                name = row_name(shape, collector, n, protocol)
                times, objects = [], 0
                for r in range(a.repetitions):
                    res, err = run_one(command(shape, n, protocol, min(n, 10000)))
                    base = {"name": name, "run_name": name, "run_type": "iteration",
                            "repetitions": a.repetitions, "repetition_index": r,
                            "threads": 1, "iterations": 1, "time_unit": "ms"}
                    if err:
                        failed += 1
                        print(f"{prog}: {name} repetition {r}: {err}", file=sys.stderr)
                        benches.append(dict(base, error_occurred=True, error_message=err,
                                            real_time=0, cpu_time=0))
                        continue
                    version = version or res.get("php") or res.get("nim")
                    ns, objects = res["ns"], res["objects"]
                    times.append(ns)
                    benches.append(dict(base, real_time=ns / 1e6, cpu_time=ns / 1e6,
                                        ns_per_object=ns / max(1, objects),
                                        objects=objects, collected=res["collected"],
                                        roots=res["roots"], warmup_ns=res["warmup_ns"]))
                if not times:
                    continue
                for agg, v in (("median", median(times)), ("min", min(times)),
                               ("max", max(times))):
                    benches.append({
                        "name": f"{name}_{agg}", "run_name": name,
                        "run_type": "aggregate", "aggregate_name": agg,
                        "repetitions": a.repetitions, "threads": 1,
                        "iterations": len(times), "real_time": v / 1e6,
                        "cpu_time": v / 1e6, "time_unit": "ms",
                        "ns_per_object": v / max(1, objects), "objects": objects})
                if not a.quiet:
                    m = median(times)
                    print(f"{prog}: {name}: {m / 1e6:.3f} ms, "
                          f"{m / max(1, objects):.1f} ns/vertex "
                          f"(min {min(times) / max(1, objects):.1f}, "
                          f"max {max(times) / max(1, objects):.1f})", file=sys.stderr)
    ctx = dict(context)
    ctx.update({"schema": SCHEMA, "collector": collector, "runtime_version": version,
                "processes": "one per repetition, after a warm-up heap of "
                             "min(n, 10000) vertices of the same shape",
                "protocols": PROTOCOL_DOC})
    text = json.dumps({"context": ctx, "benchmarks": benches}, indent=1) + "\n"
    if a.output == "-":
        sys.stdout.write(text)
    else:
        try:
            write_text(a.output, text)
        except OutputError as e:
            print(f"{prog}: {e}; choose another -o", file=sys.stderr)
            return 2
    return 1 if failed else 0


def merge(out, paths):
    """Merge Google Benchmark JSON files of one repetition each (one process
    each; a row may be in some of the files only) into one file of
    repetitions: iterations kept, renumbered per run_name, `repetitions` the
    files that row came from; aggregates dropped (readers take medians of
    the repetitions); the first file's context, with `processes` noted."""
    check_io([(f"input {i + 1}", p) for i, p in enumerate(paths)],
             [("OUT", out)])
    benches, ctx, seen = [], None, {}
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        ctx = ctx if ctx is not None else d.get("context", {})
        for b in d.get("benchmarks", []):
            if b.get("run_type") == "aggregate":
                continue
            rn = b.get("run_name", b.get("name"))
            b = dict(b, repetition_index=seen.get(rn, 0))
            seen[rn] = seen.get(rn, 0) + 1
            benches.append(b)
    for b in benches:
        b["repetitions"] = seen[b.get("run_name", b.get("name"))]
    ctx = dict(ctx or {}, processes=f"{max(seen.values(), default=0)}, one per "
                                    "repetition")
    write_text(out, json.dumps({"context": ctx, "benchmarks": benches}, indent=1) + "\n")


if __name__ == "__main__":
    # used by scripts/bench --peers:
    #   python3 peerlib.py merge OUT IN...   merge one-repetition files
    #   python3 peerlib.py grid-size         print GRID_SIZE
    if sys.argv[1:] == ["grid-size"]:
        print(GRID_SIZE)
        sys.exit(0)
    if len(sys.argv) < 4 or sys.argv[1] != "merge":
        print("usage: peerlib.py merge OUT IN... | peerlib.py grid-size",
              file=sys.stderr)
        sys.exit(2)
    try:
        merge(sys.argv[2], sys.argv[3:])
    except (OSError, ValueError, OutputError) as e:
        print(f"peerlib.py merge: {e}", file=sys.stderr)
        sys.exit(2)
