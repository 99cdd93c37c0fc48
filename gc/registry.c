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
     "threshold0=2000,threshold1=10,threshold2=10,longlived=1,net_count=1,"
     "untrack_tuples=1,untrack_dicts=1,count=trackable,tuple_untracked=0,"
     "dict_untracked=1",
     "CPython 3.13 Python/gc.c: thresholds 2000/10/10, gc_select_generation "
     "with the long-lived rule (long_lived_pending >= long_lived_total / 4), "
     "generation 0 counting allocations minus deallocations of GC objects, "
     "tracked or not (_PyObject_GC_Link, PyObject_GC_Del); gc_collect_main's "
     "untrack_tuples after every collection and untrack_dicts after full "
     "ones; Objects/dictobject.c's MAINTAIN_TRACKING (dicts born untracked, "
     "tracked when they receive what may be tracked)",
     "a due collection runs at CPython's next eval-breaker check, here at "
     "the next allocation; weak references are not modelled; which objects "
     "are atoms, tuples or dicts is the workload's to say (gc_new_ex)"},
    {"php-8", "trial",
     "threshold=10000,adaptive=1,step=10000,max_threshold=1000000000,"
     "min_freed=100,min_yield=0,buffer_untracked=1",
     "PHP 8.2 Zend/zend_gc.c: a 10,000-root buffer (GC_THRESHOLD_DEFAULT), "
     "gc_adjust_threshold after each automatic collection: + "
     "GC_THRESHOLD_STEP (10,000) when fewer than GC_THRESHOLD_TRIGGER (100) "
     "were collected, up to GC_THRESHOLD_MAX (10^9), else - STEP down to the "
     "default; gc_collect_cycles() leaves it alone; every array and object "
     "is buffered on a decrement to non-zero, acyclic or not "
     "(gc_check_possible_root: GC_MAY_LEAK tests GC_NOT_COLLECTABLE, which "
     "GC_NULL, strings, resources, references and GC_CONSTANT_AST carry, "
     "no array or object): buffer_untracked=1, php-src #17127 "
     "(-c buffer_untracked=0 is the fix it asks for, PR #17130, unmerged)",
     "PHP collects while adding the root that fills the buffer (here: at the "
     "next allocation); it raises the threshold only if the root buffer can "
     "grow to it, and compresses buffer addresses past 2^20 roots; "
     "destructors run in a pass of their own (gcbench's finalizers follow "
     "PEP 442); a buffered acyclic object is looked at, not traversed "
     "(PHP's walk from it finds no collectable child)"},
    {"nim-orc", "trial", "threshold=128,adaptive=2,buffer_untracked=0",
     "Nim 1.6.10 lib/system/orc.nim: 128 roots (defaultThreshold), "
     "collectCycles' rule after every collection, GC_fullCollect included: "
     "x2/3 (not below 16) when at least half the touched cells were freed, "
     "x3/2 otherwise, unchanged when all were garbage and the threshold is "
     "at most 128; {.acyclic.} objects (gc_new_ex GC_NEW_UNTRACKED) are "
     "never registered as roots (their decrements use nimDecRefIsLast, "
     "never rememberCycle) nor traced; the same rules in 2.0.8, 2.0.10 and "
     "2.2.0, so no Nim 2.x profile (#24242's slowdown is lib/system/"
     "alloc.nim's, an allocator this model does not have)",
     "ORC collects inside registerCycle, as the root reaching the threshold "
     "is added (here: at the next allocation); its all-garbage short cut "
     "(rcSum == edges skips Scan) is not a separate phase here; Nim's "
     "move semantics keep many decrements from happening at all, while "
     "gcbench buffers every decrement to non-zero of a cyclic object"},
    {"cpython-3.14", "incremental",
     "threshold=2000,scale=10,scan_rate_divisor=10,max_heap_fraction=2,"
     "premark=1,net_count=1,after_fraction=0,owed_wait=1,untrack_tuples=1,"
     "count=tracked,tuple_untracked=1,dict_untracked=0",
     "CPython 3.14.1-3.14.4 (releases inferred from the merge date) "
     "Python/gc.c: 3.14.0's incremental collector (cpython-3.14.0) with "
     "gh-140262 (backport PR #140447, the gh-139951 fix): young.count and heap_size count tracked objects "
     "(_PyObject_GC_TRACK and _PyObject_GC_UNTRACK, not _PyObject_GC_Link); "
     "tuples built from items that cannot be tracked are born untracked "
     "(Objects/tupleobject.c); and, as at python/cpython@0051397 (3.14 after "
     "3.14.0; which change brought them is not verified), "
     "assess_work_to_do caps the heap fraction at new * 2 (3.14.0: new * 3 "
     "/ 2), no heap fraction after an increment, gc_collect_increment "
     "returns at once while work_to_do is negative; untrack_tuples as "
     "3.14.0; dicts tracked from creation (GH-127010)",
     "the root table stands for globals and frames, and later increments "
     "mark only the entries pushed since (CPython: the frames not seen "
     "before); no permanent generation or weak references; a due increment "
     "runs at the next allocation rather than the next eval-breaker check"},
    {"cpython-3.14.5", "generational",
     "threshold0=2000,threshold1=10,threshold2=10,longlived=1,net_count=1,"
     "untrack_tuples=1,untrack_dicts=0,count=trackable,tuple_untracked=1,"
     "dict_untracked=0",
     "CPython 3.14.5 Python/gc.c: 3.13's generational collector brought "
     "forward with minimal changes (gh-148726: PRs #149025 and #149241 on "
     "the 3.14 branch; PR #149195 is main's), so the same schedule as "
     "cpython-3.13: thresholds 2000/10/10, gc_select_generation with the "
     "long-lived rule, generation 0 counting allocations minus "
     "deallocations (_PyObject_GC_Link, PyObject_GC_Del), untrack_tuples "
     "after every collection; the heap_size count brought back from 3.14.0 "
     "is reported in the statistics and chooses no collection; 3.14's "
     "tuples (born untracked, gh-140262) and dicts (tracked from creation: "
     "GH-127010)",
     "no difference from cpython-3.13 changes the schedule of plain objects "
     "on gcbench's object model, and tests/schedule pins that the two "
     "schedules are the same; whether 3.14.5 counts allocations (3.13's "
     "_PyObject_GC_Link) or tracked objects (gh-140262's _PyObject_GC_TRACK, "
     "outside gc.c) was not verified: allocations here; nor whether the "
     "revert brought 3.13's dict untracking back (untrack_dicts=0 here); a "
     "due collection "
     "runs at the next allocation rather than the next eval-breaker check, "
     "weak references are not modelled"},
    {"cpython-3.14t", "heapwalk",
     "threshold=2000,scaled=1,local=512,mark_alive=1,prefetch=1,"
     "mem_defer=1,mem_held=1,mem_base=0,untrack_tuples=1,"
     "long_lived_untracked=0,count=trackable,tuple_untracked=0",
     "CPython 3.14.0t's free-threaded build, Python/gc_free_threading.c as "
     "at python/cpython@0090365: mark alive from known roots, three walks "
     "(update_refs, mark_heap, scan_heap over mi_heap_visit_blocks), "
     "finalizers and resurrection over the unreachable worklist, "
     "young.threshold 2000 seen in steps of LOCAL_ALLOC_COUNT_THRESHOLD 512 "
     "and scaled to long_lived_total / 4, which counts tracked survivors "
     "only (op_from_block skips untracked objects), so untracked tuples "
     "(gc_maybe_untrack in mark alive and update_refs) keep collections "
     "2000 allocations apart while each walks every block: gh-142531, "
     "before gh-142562 (cpython-3.14.3t); plus mark alive's prefetch FIFO "
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
     "interpreter roots and frames; atoms share the collector's mimalloc "
     "heap (CPython's are outside the GC heaps), so walks pass their "
     "blocks too; 3.14.1t and 3.14.2t (inferred from the merge dates) "
     "create tuples untracked "
     "(gh-140262), here they start tracked as in 3.14.0t; no weak "
     "references; a due collection runs at the next allocation"},
    {"cpython-3.15t", "heapwalk",
     "threshold=2000,scaled=1,local=512,mark_alive=1,prefetch=1,"
     "mem_defer=0,untrack_tuples=1,long_lived_untracked=1,count=trackable,"
     "tuple_untracked=1",
     "CPython's free-threaded collector on main (3.15) after PR #149475 "
     "(gh-148937, 2026-05-06) reverted the process-memory deferral: "
     "cpython-3.14t's walks, prefetch and schedule without it, with "
     "gh-142562's long_lived_total and gh-140262's tuples",
     "as cpython-3.14t, less the deferral"},
    {"cpython-3.14.0", "incremental",
     "threshold=2000,scale=10,scan_rate_divisor=10,max_heap_fraction=1.5,"
     "premark=1,net_count=1,after_fraction=1,owed_wait=0,untrack_tuples=1,"
     "count=trackable,tuple_untracked=0,dict_untracked=0",
     "CPython 3.14.0 Python/gc.c: the incremental collector, young "
     "threshold 2000, old space split into visited and pending, increments "
     "of work_to_do objects (assess_work_to_do: new + min(heap / "
     "SCAN_RATE_DIVISOR / 10, new * 3 / 2), plus heap / 100 after each "
     "increment), expand_region_transitively_reachable, mark_at_start from "
     "globals and stacks; young.count and heap_size count every GC object "
     "allocated (_PyObject_GC_Link) and freed (PyObject_GC_Del), tracked or "
     "not, so untracking tuples (untrack_tuples) lowers neither: gh-139951, "
     "fixed by gh-140262 (cpython-3.14); tuples born tracked; dicts tracked "
     "from creation (GH-127010, 3.14.0a2)",
     "the root table stands for globals and frames, and later increments "
     "mark only the entries pushed since (CPython: the frames not seen "
     "before); no permanent generation or weak references; a due increment "
     "runs at the next allocation rather than the next eval-breaker check"},
    {"cpython-3.14.3t", "heapwalk",
     "threshold=2000,scaled=1,local=512,mark_alive=1,prefetch=1,"
     "mem_defer=1,mem_held=1,mem_base=0,untrack_tuples=1,"
     "long_lived_untracked=1,count=trackable,tuple_untracked=1",
     "CPython 3.14.3t: cpython-3.14t with gh-142562 (backport PR #142617, "
     "the gh-142531 fix): long_lived_total counts the untracked tuples the "
     "walks pass (and frozen objects), so the scaled threshold grows with "
     "them; and gh-140262's tuples born untracked (3.14.1 on); the "
     "releases are inferred from the merge dates (backport 2025-12-12)",
     "as cpython-3.14t; the fix's later commit (objects found unreachable "
     "leave the count, resurrected ones return) is what scan_heap's count "
     "of survivors already does"},
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
