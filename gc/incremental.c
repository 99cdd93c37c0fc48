/*
 * incremental.c -- CPython 3.14's incremental collector (Python/gc.c of
 * 3.14.0: the copy followed here predates the work_to_do rule of 3.14
 * after 3.14.0, as at python/cpython@0051397; 3.14.5 went back to the
 * generational collector of 3.13).
 *
 * Two generations.  New objects enter the young generation (h->gens[0]).
 * The old generation is split into two spaces, each a list: the *visited*
 * space, h->gens[visited], and the *pending* space, h->gens[3 - visited]
 * (visited is 1 or 2).  An object's generation bits name its list, so they
 * are its space bit: CPython flips one bit per object, gcbench stores the
 * list's index.
 *
 * A *scavenge* is one pass over the old generation: it starts when every
 * old object is pending and ends when the pending space is empty, when the
 * spaces swap (completed_scavenge): the visited list becomes the pending
 * list, by flipping `visited`, and nothing else moves.
 *
 * Each automatic collection is an *increment* (gc_collect_increment):
 *
 *   mark_roots     pre-marking (tunable premark): the first collection of
 *                  a scavenge only marks.  Everything the root table
 *                  reaches that is not visited yet (young or pending) moves
 *                  to the visited space, unexamined: it is reachable, so an
 *                  increment could only find it alive.  CPython marks from
 *                  the interpreter's globals and every thread's frames
 *                  (mark_at_start: mark_global_roots, mark_stacks); the
 *                  heap's root table is gcbench's globals and stack.  Later
 *                  increments of the scavenge mark from the entries pushed
 *                  since (mark_stacks with start=false, which stops at the
 *                  first frame it has seen before).
 *   form           the young generation, plus objects taken from the head
 *                  of the pending space, each with everything it reaches
 *                  transitively that is still pending
 *                  (expand_region_transitively_reachable), until the
 *                  increment holds work_to_do objects or the pending space
 *                  is empty.
 *   collect        the subtract-refs method (refscan.h) over the increment
 *                  alone: references from outside it (visited, pending,
 *                  the mutator) count as external.  Survivors go to the
 *                  visited space.
 *   swap           if the pending space is now empty, completed_scavenge.
 *
 * How much (assess_work_to_do), in 3.14.0's arithmetic, with `new` the
 * objects allocated since the last collection (CPython's young.count, less
 * frees), `heap` the live objects (heap_size) and integer division:
 *
 *   before:   work_to_do += new + min(heap / scan_rate_divisor / scale,
 *                                     new * max_heap_fraction)
 *   mark:     work_to_do -= 2 * marked at the start of a scavenge (3.14.0
 *             subtracts the count in mark_at_start and again in its
 *             caller, reported as python/cpython#141890), -= marked in
 *             later increments
 *   after:    work_to_do += heap / scan_rate_divisor / scale
 *             work_to_do -= objects in the increment
 *   swap:     work_to_do = 0
 *
 * so work not done is carried over, and so is work done in advance (a
 * closure that overshoots the budget).  gc_collect(h, 1) is one
 * increment, as gc.collect(1) is.
 *
 * 3.14 after 3.14.0 (as at python/cpython@0051397; that gh-140262 / PR
 * #140447 brought them is not verified) changed three things here, each
 * a tunable: the cap of the heap fraction is new * 2
 * (max_heap_fraction=2), nothing is added after an increment
 * (after_fraction=0), and an increment whose work_to_do is still negative
 * after the assessment returns at once, doing nothing (owed_wait=1).  With
 * gh-140262's tracked-object count (the heap tunable count=tracked: untracked
 * objects leave young.count and heap_size) and its tuples born untracked
 * (tuple_untracked=1) that is profile cpython-3.14; 3.14.0's rules are
 * cpython-3.14.0's.
 *
 * Tuples (untrack_tuples, CPython's untrack_tuples): an increment untracks
 * the young tuples that hold nothing that may be tracked before it marks
 * or forms (after an early return, if owed_wait), as gc_collect_young and
 * gc_collect_full do before collecting; and every collection of a region
 * untracks its surviving tuples once the garbage is found
 * (gc_collect_region).  Untracked objects are on no list: marking,
 * expansion and the scan never reach them.
 *
 * gc_collect(h, 0) collects the young generation alone (gc_collect_young)
 * into the visited space; gc_collect(h, 2) and GC_FULL collect every object
 * at once (gc_collect_full): the three lists become one, whose survivors
 * end in the visited space, and the spaces swap, so afterwards every old
 * object is pending and a new scavenge begins.
 *
 * Invariant between collections (inc_validate checks it): every live
 * tracked object is on exactly one of h->gens[0..2], BLACK, not COLLECTING, with
 * generation bits equal to its list's index, so young objects have 0, and
 * each old space's bits are its own; `visited` is 1 or 2; phase is MARK
 * only with premark.  Nothing relates the spaces' references: the mutator
 * stores any reference anywhere, with no write barrier, so a visited object
 * may refer to a pending or a young one and the reverse.  CPython 3.14
 * keeps no such invariant either; that is why an increment treats every
 * reference from outside it as external.
 *
 * Safety: the increment is collected by subtract-refs, which frees only
 * objects whose every reference comes from inside the increment and which
 * nothing with an outside reference reaches; marking moves only objects a
 * root reaches, and frees nothing.
 *
 * Cycles: a garbage cycle whose members are all pending (or young) when the
 * first of them is taken is in that increment whole, since taking an
 * object takes everything pending it reaches; it is freed there, never
 * split.  A cycle that straddles the spaces (a member reached the visited
 * space before the cycle became garbage, by surviving an increment or by
 * marking, or a young member survived because pending ones refer to it)
 * waits: its visited members keep the others alive.  Once all its members
 * are old, the next swap makes all of it pending, and garbage does not
 * change, so the scavenge after that frees it whole -- the memory the 3.14
 * users saw held.  gc_collect(h,
 * GC_FULL) frees everything unreachable at once.
 *
 * Cost: when everything live is reachable from the root table, the marking
 * step moves all that is pending to the visited space, the next increment
 * finds the pending space empty and ends the scavenge (forgiving the
 * marking's debt: the swap sets work_to_do to 0), and the one after marks
 * the whole heap again.  A heap that grows so is marked in full every
 * other increment: quadratic time (README has the figures).  That is
 * 3.14.0's rule, kept; premark=0 does not help, since taking the head of
 * a connected structure takes all of it.
 *
 * Where this differs from CPython 3.14.0, and why:
 *
 *  - The young count is gcbench's h->alloc_since under h->net_count:
 *    allocations since the last collection less frees while it is above
 *    zero, CPython's young.count (_PyObject_GC_Link adds, PyObject_GC_Del
 *    takes off); tunable net_count=0 counts allocations only.  An
 *    automatic collection runs when it exceeds `threshold` (CPython's test
 *    is young.count > threshold), before the next allocation: CPython runs
 *    it at the next eval-breaker check, a few allocations later.  The
 *    count is zeroed as the increment starts (assess_work_to_do reads it
 *    from h->young_at_start), so objects that finalizers allocate during
 *    the increment count towards the next one, as in 3.14.0.
 *  - Young objects carry generation 0, not the pending space's bit, so an
 *    increment need not set the bits of the young objects it takes (it
 *    tells a pending target by its bits alone) and gc_collect_young costs
 *    no pass to set them either; refscan sets the survivors' bits as it
 *    passes them.
 *  - Roots: CPython's mark_stacks stops at the first frame it saw at an
 *    earlier mark, assuming the frames below it have not changed.  The root
 *    table has no such mark per entry: later increments mark from the
 *    entries past the table's length at the previous mark, and the last
 *    entry before it (as CPython looks at the first seen frame again).  An
 *    entry overwritten in place below that is left to the increments,
 *    which is safe: marking only saves work.
 *  - No permanent generation (gc.freeze), no
 *    weak references; finalizers are gcbench's (finalize.c), legacy ones
 *    included.
 *  - The constants are tunables, with 3.14.0's values as defaults;
 *    premark=0 leaves out the marking (gh-126491 added it during 3.14's
 *    development) and keeps 3.14.0's work rule.
 *
 * Memory: a collection allocates nothing.  Marking and expansion walk the
 * list they append to (a breadth-first queue threaded through the objects'
 * own links, as CPython's are), so a 10,000,000-long chain taken into one
 * increment needs no stack, and there is no array whose growth could fail
 * (fail_collector finds nothing to fail here).
 */
#include "refscan.h"

/* ======================================================================
 * Tunables and state
 * ==================================================================== */

static const gc_param_def inc_tunables[] = {
    {"threshold", GC_P_INT, "2000", 1, 1e12,
     "new objects (allocations less frees) beyond which an automatic "
     "increment runs (CPython's young.threshold); lower: smaller increments "
     "and shorter pauses, more of them"},
    {"scale", GC_P_INT, "10", 0, 1e12,
     "divides the heap fraction each increment adds to work_to_do (CPython "
     "3.14's use of gc.set_threshold's second value; below 2 acts as 2); "
     "higher: shorter increments, slower scavenges, garbage held longer"},
    {"scan_rate_divisor", GC_P_INT, "10", 1, 1e12,
     "divides the heap fraction too (CPython's SCAN_RATE_DIVISOR): with "
     "scale 10, 1% of the heap per increment, twice (before and after)"},
    {"max_heap_fraction", GC_P_REAL, "1.5", 0, 1e6,
     "cap of the heap fraction added before an increment, in new objects "
     "(3.14.0: new * 3 / 2); keeps a big heap with few allocations from "
     "making every increment long"},
    {"premark", GC_P_INT, "1", 0, 1,
     "1: the first collection of each scavenge marks what the root table "
     "reaches as visited, and later ones mark new entries (3.14.0); 0: no "
     "marking, every object is examined by some increment.  Marking saves "
     "scans of live data but keeps garbage made from marked objects until "
     "the next scavenge"},
    {"net_count", GC_P_INT, "1", 0, 1,
     "1: as CPython, the young count is allocations minus deallocations; "
     "0: allocations only (more, smaller increments when objects die young)"},
    {"after_fraction", GC_P_INT, "1", 0, 1,
     "1: after each increment work_to_do gains the heap fraction again "
     "(3.14.0); 0: it does not (3.14 after 3.14.0): smaller increments, "
     "garbage held longer"},
    {"owed_wait", GC_P_INT, "0", 0, 1,
     "1: an increment whose work_to_do is negative after the assessment "
     "does nothing (3.14 after 3.14.0); 0: it still takes the young "
     "generation (3.14.0)"},
    {"untrack_tuples", GC_P_INT, "1", 0, 1,
     "1: increments untrack the young tuples, and every collection the "
     "surviving ones, that hold nothing that may be tracked (CPython's "
     "untrack_tuples); 0: never"},
};

enum { PHASE_MARK, PHASE_COLLECT };

/* work_to_do of a new heap, 3.14.0's.  Not a tunable: it cannot change
 * what any collection does.  The pending space is empty until the first
 * swap, an increment with an empty pending space takes nothing from it
 * whatever it is owed, and the swap that such an increment triggers sets
 * work_to_do to 0. */
#define INITIAL_WORK (-5000)

typedef struct inc_state {
  /* Tunables. */
  uint64_t threshold;
  int64_t scale, divisor;
  double max_fraction;
  int premark, after_fraction, owed_wait, untrack_tuples;
  /* The two spaces: h->gens[visited] and h->gens[3 - visited]. */
  unsigned visited;
  int phase;          /* PHASE_MARK: the next increment marks from roots */
  int64_t work_to_do; /* objects still owed to the scavenge (may be < 0) */
  size_t roots_seen;  /* root-table length at the last marking */
} inc_state;

static inline gc_link *visited_list(gc_heap *h) {
  return &h->gens[((inc_state *)h->state)->visited];
}
static inline unsigned pending_space(const inc_state *st) {
  return 3 - st->visited;
}

static void arm(gc_heap *h) {
  const inc_state *st = h->state;
  /* CPython collects when young.count > threshold. */
  gc_arm_trigger_(h, st->threshold + 1);
}

static int inc_init(gc_heap *h, const gc_param_set *t, char *err,
                    size_t errlen) {
  (void)err, (void)errlen;
  inc_state *st = h->state;
  st->threshold = (uint64_t)gc_params_int(t, "threshold");
  st->scale = gc_params_int(t, "scale");
  if (st->scale < 2) st->scale = 2; /* as assess_work_to_do does */
  st->divisor = gc_params_int(t, "scan_rate_divisor");
  st->max_fraction = gc_params_num(t, "max_heap_fraction");
  st->premark = (int)gc_params_int(t, "premark");
  st->after_fraction = (int)gc_params_int(t, "after_fraction");
  st->owed_wait = (int)gc_params_int(t, "owed_wait");
  st->untrack_tuples = (int)gc_params_int(t, "untrack_tuples");
  h->net_count = (int)gc_params_int(t, "net_count");
  st->visited = 1;
  st->phase = st->premark ? PHASE_MARK : PHASE_COLLECT;
  st->work_to_do = INITIAL_WORK;
  arm(h);
  return GC_OK;
}

/* ======================================================================
 * Marking from the roots
 * ==================================================================== */

/* o, if not visited yet (young or pending), joins `reachable` in the
 * visited space.  Returns 1 if it did. */
static inline uint64_t move_to_reachable(gc_object *o, gc_link *reachable,
                                         unsigned visited) {
  if (!o || o->untracked || gc_get_gen(o) == visited) return 0;
  gc_set_gen(o, visited);
  gc_list_move(reachable, gc_link_of(o));
  return 1;
}

/* Walk `reachable` from its head, appending every target not visited yet
 * to its tail, then hand it all to the visited space.  Afterwards nothing
 * a member of `reachable` reaches is young or pending.  Returns the
 * objects appended. */
static uint64_t mark_all_reachable(gc_link *reachable, gc_link *visited,
                                   unsigned space) {
  uint64_t n = 0;
  for (gc_link *p = reachable->next; p != reachable; p = p->next) {
    gc_object *o = gc_obj(p);
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, k = o->nslots; i < k; i++)
      n += move_to_reachable(s[i], reachable, space);
  }
  gc_list_merge(visited, reachable);
  return n;
}

/* Mark what the root-table entries from `from` on reach: afterwards it is
 * all in the visited space.  Returns the objects moved there. */
static uint64_t mark_roots(gc_heap *h, size_t from) {
  inc_state *st = h->state;
  gc_link reachable;
  gc_list_init(&reachable);
  uint64_t n = 0;
  for (size_t i = from; i < h->nroots; i++)
    n += move_to_reachable(h->roots[i], &reachable, st->visited);
  n += mark_all_reachable(&reachable, visited_list(h), st->visited);
  st->roots_seen = h->nroots;
  return n;
}

/* The first collection of a scavenge (CPython's mark_at_start): every
 * root.  3.14.0 takes the count off work_to_do here and again in
 * gc_collect_increment; so does this. */
static uint64_t mark_at_start(gc_heap *h) {
  inc_state *st = h->state;
  uint64_t n = mark_roots(h, 0);
  st->work_to_do -= (int64_t)n;
  st->phase = PHASE_COLLECT;
  return n;
}

/* A later increment (mark_stacks with start=false): the entries pushed
 * since the last marking, and the last one seen then. */
static uint64_t mark_new_roots(gc_heap *h) {
  const inc_state *st = h->state;
  size_t from = st->roots_seen < h->nroots ? st->roots_seen : h->nroots;
  return mark_roots(h, from > 0 ? from - 1 : 0);
}

/* ======================================================================
 * Forming and collecting an increment
 * ==================================================================== */

/* Walk the increment from `from` (just taken from the pending space) to its
 * tail, appending every pending target, in the visited space, to the tail.
 * Afterwards nothing `from` reaches is pending.  Returns the objects
 * appended. */
static uint64_t expand_region_transitively_reachable(gc_link *increment,
                                                     gc_link *from,
                                                     const inc_state *st) {
  const unsigned pending = pending_space(st);
  uint64_t n = 0;
  for (gc_link *p = from; p != increment; p = p->next) {
    gc_object *o = gc_obj(p);
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, k = o->nslots; i < k; i++) {
      gc_object *t = s[i];
      if (t && gc_get_gen(t) == pending && !t->untracked) {
        gc_set_gen(t, st->visited);
        gc_list_move(increment, gc_link_of(t));
        n++;
      }
    }
  }
  return n;
}

/* Take pending objects, each with its pending closure, until `region`
 * holds `want` objects (it holds `size` now) or the pending space is
 * empty.  Returns the new size. */
static int64_t take_pending(gc_heap *h, gc_link *region, int64_t size,
                            int64_t want) {
  const inc_state *st = h->state;
  gc_link *pending = &h->gens[pending_space(st)];
  while (size < want && !gc_list_empty(pending)) {
    gc_link *p = pending->next;
    gc_set_gen(gc_obj(p), st->visited);
    gc_list_move(region, p);
    size++;
    size += (int64_t)expand_region_transitively_reachable(region, p, st);
  }
  return size;
}

static void set_gen(gc_link *l, unsigned g) {
  for (gc_link *p = l->next; p != l; p = p->next) gc_set_gen(gc_obj(p), g);
}

/* Collect `region` with subtract-refs (whole_heap: it holds every object,
 * none COLLECTING); survivors join the visited space.  Returns the objects
 * examined. */
static uint64_t collect_region(gc_heap *h, gc_link *region, int whole_heap) {
  const inc_state *st = h->state;
  gc_link unreachable;
  gc_list_init(&unreachable);
  int closed;
  uint64_t examined = gc_deduce_unreachable_(region, &unreachable, st->visited,
                                             whole_heap, &closed);
  if (st->untrack_tuples) gc_untrack_list_(h, region, 1, 0);
  uint64_t ran = h->stats.finalizers_run;
  uint64_t revived = gc_finalize_garbage_(h, &unreachable, region);
  gc_free_garbage_(h, &unreachable, closed);
  /* Resurrected or kept objects still carry their old bits. */
  if (revived || h->stats.finalizers_run != ran) set_gen(region, st->visited);
  gc_list_merge(visited_list(h), region);
  return examined;
}

/* The pending space is empty: the spaces swap.  The visited list turns
 * pending by a flip of `visited`, with no object touched (its members'
 * bits now name the pending space), and the empty list is the new visited
 * space. */
static void completed_scavenge(gc_heap *h) {
  inc_state *st = h->state;
  GC_CHECK(gc_list_empty(&h->gens[pending_space(st)]), "completed_scavenge",
           "the pending space is not empty");
  st->visited = pending_space(st);
  st->work_to_do = 0;
  st->phase = st->premark ? PHASE_MARK : PHASE_COLLECT;
  st->roots_seen = 0;
}

/* CPython's assess_work_to_do, on the new objects and the heap's size. */
static int64_t assess_work_to_do(const gc_heap *h) {
  const inc_state *st = h->state;
  int64_t new_objects = (int64_t)h->young_at_start;
  int64_t heap = (int64_t)gc_live_counted_(h);
  int64_t fraction = heap / st->divisor / st->scale;
  double cap = (double)new_objects * st->max_fraction;
  if ((double)fraction > cap) fraction = (int64_t)cap;
  return new_objects + fraction;
}

/* ======================================================================
 * The three kinds of collection
 * ==================================================================== */

/* gc_collect(h, 1) and every automatic collection.  Read this to see an
 * increment. */
static void gc_collect_increment(gc_heap *h, gc_collection_record *rec) {
  inc_state *st = h->state;
  rec->generation = 1;
  st->work_to_do += assess_work_to_do(h);
  /* Owed work: nothing done.  Still a collection here (stats.collections,
   * a record with examined 0), which CPython's gc.get_stats() would not
   * count. */
  if (st->owed_wait && st->work_to_do < 0) return;
  if (st->untrack_tuples) gc_untrack_list_(h, &h->gens[0], 1, 0);
  if (st->phase == PHASE_MARK) {
    uint64_t marked = mark_at_start(h);
    st->work_to_do -= (int64_t)marked;
    rec->examined = marked;
    return;
  }
  uint64_t marked = st->premark ? mark_new_roots(h) : 0;
  st->work_to_do -= (int64_t)marked;

  gc_link region;
  gc_list_init(&region);
  gc_list_merge(&region, &h->gens[0]);
  int64_t size = (int64_t)gc_list_size(&region);
  size = take_pending(h, &region, size, st->work_to_do);
  rec->examined = marked + collect_region(h, &region, 0);

  if (st->after_fraction)
    st->work_to_do += (int64_t)gc_live_counted_(h) / st->divisor / st->scale;
  st->work_to_do -= size;
  if (gc_list_empty(&h->gens[pending_space(st)])) completed_scavenge(h);
}

/* gc_collect(h, 0): the young generation alone, into the visited space. */
static void gc_collect_young(gc_heap *h, gc_collection_record *rec) {
  rec->generation = 0;
  const inc_state *st = h->state;
  if (st->untrack_tuples) gc_untrack_list_(h, &h->gens[0], 1, 0);
  gc_link region;
  gc_list_init(&region);
  gc_list_merge(&region, &h->gens[0]);
  rec->examined = collect_region(h, &region, 0);
}

/* gc_collect(h, 2) and GC_FULL: every object at once, then a swap, so that
 * a new scavenge starts with every old object pending. */
static void gc_collect_full(gc_heap *h, gc_collection_record *rec) {
  inc_state *st = h->state;
  rec->generation = GC_FULL;
  if (st->untrack_tuples) gc_untrack_list_(h, &h->gens[0], 1, 0);
  gc_link region;
  gc_list_init(&region);
  gc_list_merge(&region, visited_list(h)); /* CPython's order */
  gc_list_merge(&region, &h->gens[pending_space(st)]);
  gc_list_merge(&region, &h->gens[0]);
  rec->examined = collect_region(h, &region, 1);
  /* Finalizers may have allocated young objects: they stay young. */
  gc_link *pending = &h->gens[pending_space(st)];
  GC_CHECK(gc_list_empty(pending), "gc_collect_full",
           "objects entered the pending space during the collection");
  (void)pending;
  completed_scavenge(h);
}

static void inc_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  if (gen == 0)
    gc_collect_young(h, rec);
  else if (gen == 1)
    gc_collect_increment(h, rec);
  else
    gc_collect_full(h, rec);
  arm(h);
}

/* The trigger fired: an increment, if the young count still exceeds the
 * threshold (frees may have lowered it since). */
static void inc_auto(gc_heap *h) {
  const inc_state *st = h->state;
  if (h->alloc_since > st->threshold)
    gc_run_collection_(h, 1, 1);
  else
    arm(h);
}

/* ======================================================================
 * Validation
 * ==================================================================== */

static void inc_validate(gc_heap *h, const char *where) {
  const inc_state *st = h->state;
  if (st->visited != 1 && st->visited != 2)
    gc_fatal_(where, "incremental: visited space is %u, not 1 or 2",
              st->visited);
  if (st->phase != PHASE_COLLECT && (st->phase != PHASE_MARK || !st->premark))
    gc_fatal_(where, "incremental: phase %d with premark=%d", st->phase,
              st->premark);
  /* Every object on one list, BLACK, no collection flag, its generation
   * bits equal to its list's index: young 0, each space its own. */
  gc_validate_lists_(h, where, 1);
}

const gc_collector gc_collector_incremental = {
    .name = "incremental",
    .summary = "CPython 3.14.0: young generation + old visited/pending "
               "spaces, increments closed under reachability, pre-marking "
               "from roots",
    .tunables = inc_tunables,
    .ntunables = sizeof inc_tunables / sizeof inc_tunables[0],
    .state_size = sizeof(inc_state),
    .init = inc_init,
    .collect = inc_collect,
    .auto_collect = inc_auto,
    .validate = inc_validate,
};
