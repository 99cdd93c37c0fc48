/* registry.c -- every collector, by name, and the profiles. */
#include <string.h>

#include "collector.h"

/* ------------------------------------------------------------------------
 * Collectors: one line each.  A collector's file defines
 * `const gc_collector gc_collector_NAME` (NAME is also its .name) and adds
 * X(NAME) here; the top-level CMakeLists.txt compiles every gc/ file.
 *
 * The order is --list's, and it is part of the fuzzers' input format
 * (tests/fuzz: a byte picks the collector by its index in this list), so
 * append a new collector at the end: never insert or reorder.
 *
 * The test build reads this list too (tests/CMakeLists.txt parses the
 * X(NAME) lines into GCBENCH_COLLECTORS), so every suite runs a collector
 * added here; keep one X(NAME) a line.
 * ---------------------------------------------------------------------- */
#define GC_COLLECTORS(X) \
  X(none)                \
  X(naive)               \
  X(trial)               \
  X(generational)        \
  X(incremental)         \
  X(heapwalk)

#define GC_DECLARE_(name) extern const gc_collector gc_collector_##name;
#define GC_ENTRY_(name) &gc_collector_##name,
GC_COLLECTORS(GC_DECLARE_)

/* GC_EXTRA_COLLECTOR=SYMBOL: one more collector after the registered ones,
 * for a test build only (tests/toy compiles its toy collector so). */
#ifdef GC_EXTRA_COLLECTOR
extern const gc_collector GC_EXTRA_COLLECTOR;
#define GC_EXTRA_ENTRY_ &GC_EXTRA_COLLECTOR,
#else
#define GC_EXTRA_ENTRY_
#endif

static const gc_collector *const collectors[] = {
    GC_COLLECTORS(GC_ENTRY_) GC_EXTRA_ENTRY_};

const gc_collector *const *gc_collector_list(size_t *n) {
  *n = sizeof collectors / sizeof collectors[0];
  return collectors;
}

const gc_collector *gc_collector_find(const char *name) {
  for (size_t i = 0; i < sizeof collectors / sizeof collectors[0]; i++)
    if (strcmp(collectors[i]->name, name) == 0) return collectors[i];
  return NULL;
}

size_t gc_collector_count(void) {
  return sizeof collectors / sizeof collectors[0];
}
/* ------------------------------------------------------------------------
 * Profiles: each runtime's shipped policy, one row each.  A row is data
 * (a collector and its tunables), never a code path of its own; tests/
 * schedule pins what each claims.
 * ---------------------------------------------------------------------- */

static const gc_profile profiles[] = {
    {"cpython-3.13", "generational",
     "threshold0=2000,threshold1=10,threshold2=10,longlived=1,net_count=1",
     "CPython 3.13 Python/gc.c: thresholds 2000/10/10, gc_select_generation "
     "with the long-lived rule (long_lived_pending >= long_lived_total / 4), "
     "generation 0 counting allocations minus deallocations "
     "(_PyObject_GC_Link, PyObject_GC_Del)",
     "CPython never tracks atoms and untracks tuples and dicts that hold "
     "only atoms, so fewer objects reach its lists (every gcbench object is "
     "tracked); a due collection runs at CPython's next eval-breaker check, "
     "here at the next allocation; weak references are not modelled"},
    {"php-8", "trial",
     "threshold=10000,adaptive=1,step=10000,max_threshold=1000000000,"
     "min_freed=100,min_yield=0",
     "PHP 8.2 Zend/zend_gc.c: a 10,000-root buffer (GC_THRESHOLD_DEFAULT), "
     "gc_adjust_threshold after each automatic collection: + "
     "GC_THRESHOLD_STEP (10,000) when fewer than GC_THRESHOLD_TRIGGER (100) "
     "were collected, up to GC_THRESHOLD_MAX (10^9), else - STEP down to the "
     "default; gc_collect_cycles() leaves it alone",
     "PHP collects while adding the root that fills the buffer (here: at the "
     "next allocation); it raises the threshold only if the root buffer can "
     "grow to it, and compresses buffer addresses past 2^20 roots; "
     "destructors run in a pass of their own (gcbench's finalizers follow "
     "PEP 442); which decrements buffer a root is the mutator's: every "
     "decrement to non-zero here"},
    {"nim-orc", "trial", "threshold=128,adaptive=2",
     "Nim 1.6.10 lib/system/orc.nim: 128 roots (defaultThreshold), "
     "collectCycles' rule after every collection, GC_fullCollect included: "
     "x2/3 (not below 16) when at least half the touched cells were freed, "
     "x3/2 otherwise, unchanged when all were garbage and the threshold is "
     "at most 128",
     "ORC collects inside registerCycle, as the root reaching the threshold "
     "is added (here: at the next allocation); its all-garbage short cut "
     "(rcSum == edges skips Scan) is not a separate phase here; Nim's "
     "move semantics and acyclic types keep many decrements from buffering "
     "a root, while gcbench buffers every decrement to non-zero"},
    {"cpython-3.14", "incremental",
     "threshold=2000,scale=10,scan_rate_divisor=10,max_heap_fraction=1.5,"
     "premark=1,net_count=1",
     "CPython 3.14.0 Python/gc.c: the incremental collector, young "
     "threshold 2000, old space split into visited and pending, increments "
     "of work_to_do objects (assess_work_to_do: new + min(heap / "
     "SCAN_RATE_DIVISOR / 10, new * 3 / 2), plus heap / 100 after each "
     "increment), expand_region_transitively_reachable, mark_at_start from "
     "globals and stacks (withdrawn in 3.14.5)",
     "the root table stands for globals and frames, and later increments "
     "mark only the entries pushed since (CPython: the frames not seen "
     "before); no permanent generation, tuple untracking or weak "
     "references; a due increment runs at the next allocation rather than "
     "the next eval-breaker check"},
    {"cpython-3.14.5", "generational",
     "threshold0=2000,threshold1=10,threshold2=10,longlived=1,net_count=1",
     "CPython 3.14.5 Python/gc.c: 3.13's generational collector brought "
     "forward with minimal changes (gh-148726: PRs #149025 and #149241 on "
     "the 3.14 branch; PR #149195 is main's), so the same schedule as "
     "cpython-3.13: thresholds 2000/10/10, gc_select_generation with the "
     "long-lived rule, generation 0 counting allocations minus "
     "deallocations (_PyObject_GC_Link, PyObject_GC_Del); the heap_size "
     "count brought back from 3.14.0 is reported in the statistics and "
     "chooses no collection",
     "no difference from cpython-3.13 changes behaviour on gcbench's object "
     "model, and tests/schedule pins that the two schedules are the same; "
     "as for cpython-3.13: atoms are never tracked and tuples and dicts of "
     "atoms untracked in CPython (every gcbench object is tracked), a due "
     "collection runs at the next allocation rather than the next "
     "eval-breaker check, weak references are not modelled"},
    {"cpython-3.14t", "heapwalk",
     "threshold=2000,scaled=1,local=512,mark_alive=1,prefetch=1,"
     "mem_defer=1,mem_held=1,mem_base=0",
     "CPython 3.14's free-threaded build, Python/gc_free_threading.c as at "
     "python/cpython@0090365: mark alive from known roots, three walks "
     "(update_refs, mark_heap, scan_heap over mi_heap_visit_blocks), "
     "finalizers and resurrection over the unreachable worklist, "
     "young.threshold 2000 seen in steps of LOCAL_ALLOC_COUNT_THRESHOLD 512 "
     "and scaled to long_lived_total / 4; plus mark alive's prefetch FIFO "
     "when long_lived_total > 200000 (PR #129203, gh-129201) and the "
     "process-memory deferral (PR #133399, gh-132917: "
     "gc_should_collect_mem_usage, 10% or 128 KiB of growth, or a "
     "deferred count above 40 x threshold; old[0].threshold == 0 bypasses "
     "it), which that commit predates; the deferral's revert (PR #149475) "
     "is on main only, no 3.14 backport was found",
     "no threads: no per-thread heaps, biased or deferred reference counts, "
     "stop-the-world or abandoned segments; the process size the deferral "
     "reads is mem_base (0 by default: the interpreter's own footprint is "
     "left out) plus the high-water mark of the objects' allocator cost, "
     "not RSS and swap; the mark stack is bounded (an overflow costs a "
     "walk) where CPython's grows; the FIFO takes no spans of lists and "
     "tuples; mark alive reaches from the root table, CPython's from "
     "interpreter roots and frames; no tuple untracking or weak "
     "references; a due collection runs at the next allocation"},
    {"cpython-3.15t", "heapwalk",
     "threshold=2000,scaled=1,local=512,mark_alive=1,prefetch=1,"
     "mem_defer=0",
     "CPython's free-threaded collector on main (3.15) after PR #149475 "
     "(gh-148937, 2026-05-06) reverted the process-memory deferral: "
     "cpython-3.14t's walks, prefetch and schedule without it",
     "as cpython-3.14t, less the deferral"},
};

const gc_profile *gc_profile_list(size_t *n) {
  *n = sizeof profiles / sizeof profiles[0];
  return profiles;
}

const gc_profile *gc_profile_find(const char *name) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
  return NULL;
}

const gc_collector *gc_collector_resolve_(const char *name,
                                          const gc_profile **prof) {
  const gc_collector *c = name ? gc_collector_find(name) : NULL;
  const gc_profile *p = c || !name ? NULL : gc_profile_find(name);
  if (p) c = gc_collector_find(p->collector);
  if (prof) *prof = p;
  return c;
}

const char *gc_collector_name(size_t i) {
  return i < gc_collector_count() ? collectors[i]->name : NULL;
}
const char *gc_collector_summary(size_t i) {
  return i < gc_collector_count() ? collectors[i]->summary : NULL;
}
const gc_param_def *gc_collector_tunables(size_t i, size_t *n) {
  *n = i < gc_collector_count() ? collectors[i]->ntunables : 0;
  return i < gc_collector_count() ? collectors[i]->tunables : NULL;
}
const gc_param_def *gc_common_tunables(size_t *n) {
  return gc_heap_tunables(n);
}
