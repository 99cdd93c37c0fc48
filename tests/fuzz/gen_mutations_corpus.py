#!/usr/bin/env python3
"""Write the seed corpus of fuzz_mutations' version-2 language.

Deterministic: the same arguments write the same files.  Each seed aims at
one feature (finalizers of every kind, legacy_finalizers=1, trial's
in_order / whole_heap / max_roots / threshold / fail_collector, failure
injection, cookies, objects of dozens of slots, generational's thresholds)
under every collector but `none`, and a few dozen random programs mix them.
The language is described at the top of tests/fuzz/fuzz_mutations.c; the
knob indices below are that file's `knobs` table.

Usage: gen_mutations_corpus.py [--out DIR] [--random N] [--seed S]
Writes DIR/v2-*, replacing earlier v2-* files; leaves other files alone.
"""
import argparse
import glob
import os
import random
import sys

# Collector indices in gc/registry.c.
COLLECTORS = {"none": 0, "naive": 1, "trial": 2, "generational": 3}
# fuzz_mutations.c's knobs table.
KNOB = {name: i for i, name in enumerate([
    "auto", "legacy_finalizers", "fail_collector", "fail_seed", "fail_alloc",
    "fail_rate", "max_bytes", "cookie", "threshold", "threshold0",
    "threshold1", "threshold2", "adaptive", "step", "max_threshold",
    "min_freed", "min_yield", "whole_heap", "in_order", "max_roots", "growth",
    "longlived", "net_count"])}
# Opcodes.
(ALLOC, STORE, CLEAR, DROP, COLLECT, FULL, WALK, MOVE, FIN, FILL, HANG, RING,
 GCLEAR, AUTO, TRUNC, CHURN) = range(16)
# Finalizer actions.
(NOTHING, RESURRECT, FSTORE, FCLEAR, FDROP, FALLOC, FCOLLECT, FWALK) = range(8)


def slots(n):
    """The alloc operand for n slots."""
    return n if n < 4 else 0xC0 + n - 4


class Prog:
    def __init__(self, collector, threshold=0, knobs=()):
        self.b = [0x80 | COLLECTORS[collector], threshold, len(knobs)]
        for name, value in knobs:
            self.b += [KNOB[name], value]

    def op(self, *bs):
        self.b += list(bs)
        return self

    def bytes(self):
        return bytes(x & 0xFF for x in self.b)


def script(*pairs):
    out = []
    for act, arg in pairs:
        out += [act, arg]
    while len(out) < 6:
        out += [NOTHING, 0]
    return out


def ring_with_finalizers(p, k, fin_scripts, ns=2):
    """k objects of ns slots in a ring held by root 0..; finalizers on the
    first len(fin_scripts) members; then every root dropped."""
    base = 0
    for _ in range(k):
        p.op(ALLOC, slots(ns))
    for i in range(k):
        p.op(STORE, base + i, 0, base + (i + 1) % k)
    for i, s in enumerate(fin_scripts):
        p.op(FIN, base + i, *s)
    p.op(TRUNC, 0)
    return p


def feature_seeds():
    seeds = {}
    collectors = ["naive", "trial", "generational"]
    acts = {
        "resurrect": script((RESURRECT, 0)),
        "store": script((FSTORE, 5), (FSTORE, 9)),
        "clear": script((FCLEAR, 1)),
        "drop": script((FDROP, 0), (FDROP, 3)),
        "alloc-root": script((FALLOC, 0), (FALLOC, 4)),
        "alloc-slot": script((FALLOC, 1 + 4)),
        "alloc-hang": script((FALLOC, 2 + 4)),
        "alloc-cycle": script((FALLOC, 3), (RESURRECT, 0)),
        "collect": script((FCOLLECT, 3), (FCOLLECT, 0), (FALLOC, 0)),
        "walk": script((FWALK, 0), (FWALK, 1)),
        "mixed": script((FALLOC, 2 + 4), (FDROP, 1), (FWALK, 1)),
    }
    for c in collectors:
        for name, s in acts.items():
            for legacy in (0, 1):
                knobs = [("auto", 0)] if name == "collect" else []
                if legacy:
                    knobs.append(("legacy_finalizers", 1))
                p = Prog(c, 3, knobs)
                # A live root that finalizers can store and drop.
                p.op(ALLOC, slots(3))
                p.op(ALLOC, slots(1))
                p.op(STORE, 0, 0, 1)
                for k in range(4):
                    p.op(ALLOC, slots(2))
                for i in range(4):
                    p.op(STORE, 2 + i, 0, 2 + (i + 1) % 4)
                    p.op(STORE, 2 + i, 1, 0)
                p.op(FIN, 2, *s)
                p.op(FIN, 4, *acts["resurrect" if name == "mixed" else "clear"])
                p.op(DROP, 5, DROP, 4, DROP, 3, DROP, 2)
                p.op(COLLECT, 0, FULL)
                # A finalizer reached by reference counting, then cycles
                # again.
                p.op(ALLOC, slots(1), FIN, 2, *s, DROP, 2)
                p.op(RING, 5, FIN, 2, *s, CHURN, 40, DROP, 2, FULL)
                if legacy:
                    p.op(GCLEAR, FULL)
                seeds[f"fin-{name}-{'legacy-' if legacy else ''}{c}"] = p
    # Nested: finalizers whose drops release objects with finalizers.
    for c in collectors:
        p = Prog(c, 1, [("threshold", 2)])
        for i in range(8):
            p.op(ALLOC, slots(2))
        for i in range(7):
            p.op(STORE, i, 0, i + 1)
        for i in range(8):
            p.op(FIN, i, *script((FDROP, 0), (FALLOC, 3), (FWALK, 0)))
        p.op(STORE, 7, 0, 0, TRUNC, 1, DROP, 0, FULL)
        seeds[f"fin-nested-{c}"] = p
    # Trial's buffer settings, with many roots and cycles.
    for knobs, name in [
            ([("in_order", 1), ("threshold", 4)], "in-order-1"),
            ([("in_order", 3), ("adaptive", 0)], "in-order-3"),
            ([("whole_heap", 1)], "whole-heap-0.25"),
            ([("whole_heap", 4), ("in_order", 2)], "whole-heap-1-in-order"),
            ([("max_roots", 2)], "max-roots-2"),
            ([("max_roots", 5), ("in_order", 1)], "max-roots-in-order"),
            ([("fail_collector", 8), ("fail_seed", 3)], "fail-collector-half"),
            ([("fail_collector", 16)], "fail-collector-all"),
            ([("fail_collector", 4), ("in_order", 1), ("fail_seed", 9)],
             "fail-collector-in-order"),
            ([("adaptive", 1), ("step", 2), ("min_freed", 3),
              ("min_yield", 5), ("max_threshold", 0)], "adaptive"),
            ([("adaptive", 2), ("threshold", 15)], "adaptive-orc"),
            ([("in_order", 1), ("legacy_finalizers", 1)], "in-order-legacy")]:
        p = Prog("trial", 5, knobs)
        for i in range(12):
            p.op(ALLOC, slots(3))
        for i in range(12):
            p.op(STORE, i, 0, (i + 1) % 12, STORE, i, 1, (i * 5) % 12)
        p.op(FIN, 3, *script((RESURRECT, 0), (FALLOC, 2 + 4)))
        p.op(FIN, 7, *script((FDROP, 2), (FSTORE, 6)))
        p.op(DROP, 11, DROP, 9, DROP, 3, DROP, 1, DROP, 0)
        p.op(COLLECT, 3, CHURN, 63, RING, 7, RING, 3, DROP, 2, DROP, 1)
        p.op(TRUNC, 2, COLLECT, 0, FULL)
        seeds[f"trial-{name}"] = p
    # Objects of dozens of slots, every slot one target and not.
    for c in collectors:
        for fin in (0, 1):
            p = Prog(c, 7, [("cookie", 1)] if fin else [])
            p.op(ALLOC, slots(67), ALLOC, slots(40), ALLOC, slots(1))
            p.op(FILL, 0, 1, 0)           # every slot: root 1
            p.op(FILL, 1, 0, 1)           # roots 0, 1, 2, 0, ...
            p.op(STORE, 2, 0, 0)
            if fin:
                p.op(FIN, 1, *script((FCLEAR, 3), (FALLOC, 1 + 4 * 30),
                                      (RESURRECT, 0)))
            p.op(HANG, 0, 66, slots(20), HANG, 1, 39, slots(4))
            p.op(DROP, 0, DROP, 0, COLLECT, 0, COLLECT, 1)
            p.op(DROP, 0, FULL)
            seeds[f"big-{'fin-' if fin else ''}{c}"] = p
    # Failure injection and budgets.
    for c in collectors:
        for knobs, name in [([("fail_alloc", 10)], "fail-alloc"),
                            ([("fail_rate", 4), ("fail_seed", 7)], "fail-rate"),
                            ([("max_bytes", 2)], "max-bytes")]:
            p = Prog(c, 2, knobs)
            for i in range(20):
                p.op(ALLOC, slots(2), STORE, i, 0, i // 2)
            p.op(FIN, 3, *script((FALLOC, 0), (RESURRECT, 0), (FALLOC, 3)))
            p.op(TRUNC, 4, CHURN, 50, RING, 7, DROP, 0, FULL)
            seeds[f"{name}-{c}"] = p
    # Generational thresholds and the long-lived rule.
    for t1, t2, ll, net in [(1, 1, 0, 1), (2, 3, 1, 0), (3, 0, 1, 1)]:
        p = Prog("generational", 2, [("threshold1", t1), ("threshold2", t2),
                                     ("longlived", ll), ("net_count", net)])
        for i in range(6):
            p.op(ALLOC, slots(2))
        for i in range(6):
            p.op(STORE, i, 0, (i + 1) % 6)
        p.op(FIN, 2, *script((FWALK, 0), (FALLOC, 2 + 4)))
        for i in range(8):
            p.op(CHURN, 30, RING, 4, DROP, 6)
        p.op(AUTO, 0, CHURN, 9, AUTO, 1, TRUNC, 1, CHURN, 60, FULL)
        seeds[f"gen-thresholds-{t1}-{t2}-{ll}-{net}"] = p
    # Naive's growth rule.
    p = Prog("naive", 1, [("growth", 3), ("net_count", 0)])
    for i in range(8):
        p.op(RING, 3, CHURN, 20)
    p.op(TRUNC, 2, FULL)
    seeds["naive-growth"] = p
    # none with finalizers: cycles leak, finalizers run only at zero.
    p = Prog("none", 0)
    ring_with_finalizers(p, 4, [script((RESURRECT, 0))])
    p.op(ALLOC, 1, FIN, 0, *script((FALLOC, 0)), DROP, 0, FULL)
    seeds["none-finalizers"] = p
    return seeds


def random_seed(rng):
    c = rng.choice(["none", "naive", "trial", "trial", "generational",
                    "generational"])
    knobs = [(rng.choice(list(KNOB)), rng.randrange(256))
             for _ in range(rng.randrange(5))]
    p = Prog(c, rng.randrange(256), knobs)
    weights = [10, 10, 3, 5, 3, 1, 2, 2, 6, 2, 3, 3, 1, 1, 1, 2]
    for _ in range(rng.randrange(40, 160)):
        op = rng.choices(range(16), weights)[0]
        if op == ALLOC:
            n = rng.choice([0, 1, 2, 3, 3, 5, 12, 30, 67])
            p.op(op, slots(n))
        elif op == FIN:
            p.op(op, rng.randrange(256),
                 *[rng.randrange(256) for _ in range(6)])
        elif op in (STORE, FILL, HANG):
            p.op(op, *[rng.randrange(256) for _ in range(3)])
        elif op in (CLEAR, WALK, MOVE):
            p.op(op, rng.randrange(256), rng.randrange(256))
        elif op in (FULL, GCLEAR):
            p.op(op)
        else:
            p.op(op, rng.randrange(256))
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_mutations"),
        help="corpus folder (default: tests/fuzz/corpus/fuzz_mutations)")
    ap.add_argument("--random", type=int, default=40,
                    help="random mixed programs to add (default 40)")
    ap.add_argument("--seed", type=int, default=16, help="PRNG seed")
    a = ap.parse_args()
    if not os.path.isdir(a.out):
        sys.exit(f"gen_mutations_corpus: no folder '{a.out}'; create it first")
    for old in glob.glob(os.path.join(a.out, "v2-*")):
        os.remove(old)
    seeds = feature_seeds()
    rng = random.Random(a.seed)
    for i in range(a.random):
        seeds[f"random-{i:02d}"] = random_seed(rng)
    total = 0
    for name, p in sorted(seeds.items()):
        data = p.bytes()
        total += len(data)
        with open(os.path.join(a.out, "v2-" + name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds, {total} bytes, in {a.out}")


if __name__ == "__main__":
    main()
