/*
 * trial.c -- trial deletion: Bacon & Rajan's synchronous cycle collector
 * ("Concurrent Cycle Collection in Reference Counted Systems", ECOOP 2001,
 * section 3), the method of PHP's zend_gc and Nim's ORC.
 *
 * A cycle of garbage can only be created by a decrement that leaves a count
 * above zero, so the heap reports every such decrement (possible_root) and
 * the object is buffered as a PURPLE possible root.  A collection looks at
 * the subgraphs reachable from the buffered roots only, in the paper's
 * three phases, the last two fused into one walk:
 *
 *   mark_roots    (MarkRoots/MarkGray)  colour GRAY everything the roots
 *                 reach; gc_refs starts as a copy of refcnt and every edge
 *                 from a GRAY object decrements its target's copy.  Then
 *                 gc_refs counts the references from outside the GRAY set.
 *   scan_roots    (Scan/ScanBlack, CollectRoots/CollectWhite)  a GRAY
 *                 object with gc_refs > 0 is externally held: it and
 *                 everything it reaches turn BLACK (scan_black); the
 *                 remaining GRAY objects turn WHITE and are gathered into
 *                 garbage lists as they turn (below: four, dealt in turn),
 *                 freed by gc_free_garbage_ways_(), and the buffer is
 *                 emptied.
 *
 * Invariant between collections (trial_validate checks it):
 *
 *     every live tracked object is on h->gens[0], BLACK or PURPLE, not
 *     COLLECTING; PURPLE <=> GC_F_BUFFERED <=> roots[o->gc_refs] == o.
 *     Untracked objects are on the heap's untracked list, BLACK and never
 *     buffered -- unless buffer_untracked=1 (PHP, which buffers acyclic
 *     objects too, php-src #17127): then they are offered as possible
 *     roots like any object, and mark_roots looks at each buffered one
 *     (counted in `examined`) and lets it go without following it: what
 *     it reaches is untracked and, by the mutator's promise, on no cycle.
 *     Every walk skips an edge to an untracked object; scan counts one as
 *     a reference out of the garbage (`open`), so that freeing drops it.
 *
 * Where this differs from the paper, and why:
 *
 *  - Increments do not touch colours.  The paper's Increment colours the
 *    object BLACK, and MarkRoots then drops buffered roots that are no longer
 *    PURPLE.  gcbench's gc_incref is a plain increment (the inline fast path
 *    every collector shares), as in PHP, so a root stays PURPLE and is traced
 *    even if it was incremented after being buffered.  That costs a trace,
 *    never correctness: trial deletion from any object is safe.
 *  - The trial count is gc_refs, not the reference count itself, so refcnt
 *    never changes during the trial phases and ScanBlack has no counts to
 *    restore.
 *  - The buffer is an array, not a list; between collections a buffered
 *    object keeps its index in gc_refs, so forget() (a buffered object freed
 *    by reference counting) removes it in O(1) by moving the last entry into
 *    its place, as PHP's zend_gc does.
 *  - A collection detaches the buffer first.  gc_free_garbage_() decrements
 *    the survivors the garbage referred to, and those decrements buffer new
 *    possible roots into the fresh buffer, which the next collection handles.
 *  - WHITE objects are freed together (gc_free_garbage_ways_() and, for the
 *    path trial's, gc_free_garbage_()), which need them still WHITE to tell
 *    garbage from survivors; the objects gathered are
 *    flagged GC_F_COLLECTING instead of coloured BLACK as in the paper.
 *  - From `in_order` buffered roots on (a heap larger than the caches), a
 *    root that the walk of an earlier root reaches waits for its own turn
 *    in the buffer to be expanded.  mark_gray colours it GRAY and takes the
 *    edge off its gc_refs but leaves its slots to its turn (every root
 *    stays BUFFERED through mark_roots; one whose turn has passed is GRAY
 *    already, so only roots still to come wait).  scan_black colours it
 *    BLACK and leaves its slots to its turn, where scan expands a root it
 *    finds BLACK (scan_roots clears BUFFERED as each turn comes).  Scan's
 *    whiten walk expands a root it whitens at once, like any object; if a
 *    scan_black takes it back before its turn, it is expanded again then.
 *    The outcome is the paper's; the order of expansion is not.  When most
 *    objects are roots (a random graph whose every vertex was a dropped
 *    local) the walks then run through the buffer, whose next entries are
 *    known and prefetched, instead of jumping across the heap.  A root
 *    reached from an object near it in memory (`near` bytes either way,
 *    2048: the next link of a chain or ring allocated in order) gains
 *    nothing by waiting, so mark_gray expands it at once and clears its
 *    BUFFERED; from then on it is an ordinary object, and its turn skips
 *    it.  (Every vertex of a chain of 100 buffered: one walk instead of
 *    100 walks of one object.)
 *  - mark_roots drops each root that an earlier root's walk expanded (it
 *    clears its BUFFERED), and scan_roots gives turns to the roots still
 *    BUFFERED only: the kept root that reached a dropped one in mark
 *    reaches it again in scan, since scan and scan_black follow every edge
 *    of every GRAY object they expand.  PHP's gc_scan_roots skips such
 *    roots by colour; dropping them saves the second look.
 *  - A root whose subgraph is a chain or a singly linked ring is decided
 *    first by reading alone (the path trial, before mark_roots): a live
 *    one is left BLACK and never coloured, a garbage ring is gathered at
 *    once.  Only roots whose subgraph has another shape are coloured GRAY.
 *  - Scan gathers an object the moment it turns WHITE, instead of a third
 *    walk (CollectWhite) from every root after the scan: a pass over the
 *    garbage saved.  The few that a later scan_black turns BLACK again go
 *    back to the heap's list.  The same walk notes whether any WHITE object
 *    refers to a BLACK one; if none does, gc_free_garbage_ skips its pass
 *    over the garbage's slots ("closed").
 *  - Scan deals the objects it whitens to GC_GARBAGE_WAYS (4) garbage lists
 *    in turn, and the freeing walks the four at once
 *    (gc_free_garbage_ways_): a depth-first walk of a tree allocated
 *    breadth-first or shuffled finds its garbage jumping across the heap,
 *    and one list in that order makes the freeing wait on each link's
 *    miss in turn; four lists keep four misses in flight.  The turn carries
 *    on from one root to the next, so that garbage found in address order
 *    leaves each list in address order too, for the stream prefetch.  The
 *    path trial's garbage (chains and rings, whitened in the order they
 *    are linked, mostly the order they were allocated in) has a fifth list
 *    of its own, freed in one walk first: nothing outside a path's garbage
 *    refers into it and it refers to nothing outside itself, so freeing it
 *    before the rest has dropped its references to survivors is safe.
 *    (Dealing it to the four too cost 7% on garbage rings of 10.)  Where
 *    finalizers or the whole-heap fallback read the garbage, the lists are
 *    joined into one first.
 *
 * Why the WHITE set is garbage (the precondition of gc_free_garbage_): an
 * object turns WHITE only with gc_refs == 0, so every reference to it (slots
 * and external handles alike, all counted in refcnt) comes from a GRAY
 * object; and it stays WHITE only if no BLACK object refers to it, since
 * scan_black blackens every GRAY or WHITE target (a waiting root's, at the
 * root's turn, which comes before scan_roots ends).  After scan_roots every
 * GRAY object is BLACK or WHITE, so every reference to a WHITE object comes
 * from a WHITE object: nothing outside the set refers into it, and nothing in
 * it is reachable from an external reference.
 *
 * Why a collection leaves no garbage behind (completeness; every collection
 * here is full).  Claim, between collections: every live object unreachable
 * from an external reference is reachable from a buffered object -- so
 * every garbage cycle has a buffered member or hangs from one.  An object
 * becomes unreachable when a decrement removes the last path to it (the
 * last external reference, or a slot on the path).  The target of that
 * decrement either keeps a count above zero, and possible_root buffers it
 * (or it already was), or it is released, and the release decrements its
 * slots in turn; following the path, the first object that keeps a count
 * above zero still reaches the newly unreachable ones and is buffered.
 * gc_slot_steal ends an external reference without a decrement (it turns
 * the caller's reference to v into o's slot): the heap reports v to
 * possible_root as a decrement would (gc_stolen_), unless v's slots are
 * all NULL; then no path runs through v, so every other object keeps its
 * paths, and v is reached from whatever reaches o (an external reference,
 * or, by the claim, a buffered object).  (If
 * the buffer cannot take it, `overflow` makes the next collection scan the
 * whole heap instead.)  Nothing can reference, increment or decrement an
 * unreachable object afterwards, so it and the buffered object that reaches
 * it stay live and buffered until a collection.  A collection then colours
 * GRAY every unreachable object; references to an unreachable object come
 * only from unreachable objects, which are all GRAY, so each has gc_refs ==
 * 0 and no BLACK object reaches it: all turn WHITE and are freed.  The
 * collection removes only references held by garbage, so no survivor
 * becomes unreachable, and the claim holds again afterwards.
 *
 * When to collect: when the buffer holds `threshold` roots, possible_root
 * arms the heap's allocation trigger, and the collection runs at the next
 * gc_new (the heap's only safe point).  With adaptive=1 the threshold moves
 * after each automatic collection, in the manner of PHP 7.3's
 * gc_adjust_threshold: an unproductive collection raises it by `step`, up
 * to max_threshold, so a program whose possible roots are mostly live stops
 * paying a trace of live data every few thousand decrements; a productive
 * one lowers it by `step`, never below `threshold`.  Unproductive means
 * fewer than min_freed objects freed (PHP's GC_THRESHOLD_TRIGGER test) or
 * less than min_yield of the objects examined (the efficiency test of Nim's
 * ORC, which uses one half and resets the threshold instead of stepping).
 * Explicit gc_collect() calls do not move it.  adaptive=2 follows Nim
 * 1.6's ORC instead (adapt_threshold_orc): multiplicative, after every
 * collection.
 *
 * Tunables (trial_tunables below; `gcrun --list` prints them):
 *
 *   threshold=10000      roots buffered before an automatic collection
 *   adaptive=1           0: fixed threshold; 1: the rule above; 2: ORC's
 *   step=10000           roots the threshold moves by per adjustment
 *   max_threshold=1e9    ceiling of the adaptive threshold, in roots
 *   min_freed=100        objects a productive collection frees at least
 *   min_yield=0.05       fraction of the examined objects it frees at least
 *   in_order=65536       roots from which roots expand in buffer order
 *   max_roots=0          cap on buffered roots (0: as memory allows)
 *   near=2048            bytes: a root so close to its reacher expands at once
 *   path=1024            longest chain or ring a path trial decides unwritten
 *
 * A lower threshold means shorter pauses and less garbage held between
 * collections, but more collections, each tracing whatever live data the
 * roots reach; a higher one the reverse, plus 8 bytes of buffer per root.
 *
 * Memory: the buffer and the explicit stack are arrays that grow and are
 * reused.  If the buffer cannot grow (out of memory, or max_roots reached)
 * the root is dropped and the next collection scans the whole heap with
 * the subtract-refs method (refscan.h), which allocates nothing and misses
 * nothing; the same fallback runs if the stack cannot grow mid-collection.
 */
#include <stdio.h>
#include <stdlib.h>

#include "refscan.h"

/* ======================================================================
 * Tunables and state
 * ==================================================================== */

static const gc_param_def trial_tunables[] = {
    {"threshold", GC_P_INT, "10000", 1, 1e9,
     "possible roots buffered before an automatic collection (PHP's "
     "GC_THRESHOLD_DEFAULT); lower: shorter pauses, less garbage held, "
     "more traces of live data"},
    {"adaptive", GC_P_INT, "1", 0, 2,
     "0: fixed threshold; 1: raise it by `step` after an unproductive "
     "automatic collection, lower it back toward `threshold` after a "
     "productive one (PHP 7.3); 2: Nim 1.6 ORC's rule after every "
     "collection (x3/2 when under half the examined objects were freed, "
     "x2/3 down to 16 otherwise)"},
    {"step", GC_P_INT, "10000", 1, 1e9,
     "roots the adaptive threshold moves by per collection (PHP's "
     "GC_THRESHOLD_STEP); larger: adapts faster, overshoots more"},
    {"max_threshold", GC_P_INT, "1000000000", 1, 1e9,
     "ceiling of the adaptive threshold, in roots (PHP's GC_THRESHOLD_MAX); "
     "bounds the buffer (8 bytes a root) and the longest pause"},
    {"min_freed", GC_P_INT, "100", 0, 1e12,
     "a collection freeing fewer objects is unproductive (PHP's "
     "GC_THRESHOLD_TRIGGER)"},
    {"min_yield", GC_P_REAL, "0.05", 0, 1,
     "a collection freeing less than this fraction of the objects it "
     "examined is unproductive (Nim's ORC: 0.5); higher: the threshold "
     "grows more readily when live data dominates the traces"},
    {"whole_heap", GC_P_REAL, "0", 0, 1e6,
     "0: always trial deletion; r > 0: when the buffered roots exceed r "
     "times the live tracked objects, scan the whole heap instead (subtract-refs, "
     "three sequential passes) -- a hybrid, not Bacon & Rajan's algorithm; "
     "0.5 pays off on live heaps whose every object is a candidate"},
    {"in_order", GC_P_INT, "65536", 0, 4294967295.0,
     "from this many buffered roots on, each root is expanded at its turn "
     "in the buffer and the next roots' targets are prefetched (0: never); "
     "pays on heaps larger than the caches whose objects are mostly roots"},
    {"max_roots", GC_P_INT, "0", 0, 4294967295.0,
     "cap on buffered roots (0: as memory allows); past it the next "
     "collection scans the whole heap instead (bounded buffer, slower "
     "collection)"},
    {"path", GC_P_INT, "1024", 0, 1e9,
     "longest chain or singly linked ring (objects) that a root's path "
     "trial decides by reading alone, without colouring it (0: off); "
     "longer paths, and roots that reach other shapes, take the "
     "ordinary walk"},
    {"near", GC_P_INT, "2048", 0, 1048576,
     "with in_order: a root reached from an object within this many bytes "
     "of it (the next link of a chain allocated in order) is expanded at "
     "once instead of at its turn (0: every root waits for its turn)"},
    {"buffer_untracked", GC_P_INT, "0", 0, 1,
     "1: a decrement of an untracked (acyclic) object buffers it as a "
     "possible root like any other, and the collection looks at it (PHP, "
     "php-src #17127: more collections, each costing the buffer); 0: "
     "untracked objects are never buffered (Nim's acyclic types)"},
};

typedef struct trial_state {
  gc_heap *heap;
  /* The buffer of possible roots; entry i has gc_refs == i.  */
  gc_object **roots;
  size_t nroots, roots_cap;
  /* The detached buffer the running collection processes. */
  gc_object **work;
  size_t nwork, work_cap;
  /* The explicit stack of the trial phases (empty between them). */
  gc_object **stack;
  size_t sp, stack_cap;
  int stack_failed;  /* a push was dropped: this collection's trial is void */
  int overflow;      /* a root was dropped since the last collection */
  int open;          /* a WHITE object may refer to a BLACK one */
  uint32_t defer;    /* GC_F_BUFFERED: roots are expanded at their turn */
  uint64_t examined; /* objects coloured GRAY in this collection */
  /* Tunables, and the current (adaptive) threshold. */
  uint64_t base_threshold, threshold, step, max_threshold, min_freed;
  uint64_t max_roots, in_order, path;
  uintptr_t near; /* bytes: a root this close to its reacher does not wait */
  double min_yield, whole_heap;
  int adaptive;
  unsigned way;      /* scan: the garbage list the next WHITE object joins */
  unsigned way_mask; /* GC_GARBAGE_WAYS - 1, or 0: scan fills list 0 alone */
} trial_state;

static int trial_init(gc_heap *h, const gc_param_set *t, char *err,
                      size_t errlen) {
  trial_state *st = h->state;
  st->heap = h;
  st->base_threshold = (uint64_t)gc_params_int(t, "threshold");
  st->threshold = st->base_threshold;
  st->adaptive = (int)gc_params_int(t, "adaptive");
  st->step = (uint64_t)gc_params_int(t, "step");
  st->max_threshold = (uint64_t)gc_params_int(t, "max_threshold");
  st->min_freed = (uint64_t)gc_params_int(t, "min_freed");
  st->min_yield = gc_params_num(t, "min_yield");
  st->whole_heap = gc_params_num(t, "whole_heap");
  st->max_roots = (uint64_t)gc_params_int(t, "max_roots");
  st->in_order = (uint64_t)gc_params_int(t, "in_order");
  st->near = (uintptr_t)gc_params_int(t, "near");
  st->path = (uint64_t)gc_params_int(t, "path");
  h->buffer_untracked = (int)gc_params_int(t, "buffer_untracked");
  if (st->max_roots == 0 || st->max_roots > UINT32_MAX)
    st->max_roots = UINT32_MAX; /* the index must fit in gc_refs */
  if (st->max_threshold < st->base_threshold) {
    snprintf(err, errlen,
             "collector 'trial': max_threshold (%llu) is below threshold "
             "(%llu)",
             (unsigned long long)st->max_threshold,
             (unsigned long long)st->base_threshold);
    return GC_EINVAL;
  }
  gc_arm_trigger_(h, UINT64_MAX); /* nothing buffered yet */
  return GC_OK;
}

static void trial_fini(gc_heap *h) {
  trial_state *st = h->state;
  free(st->roots);
  free(st->work);
  free(st->stack);
}

/* ======================================================================
 * The root buffer
 * ==================================================================== */

/* A collection is due: the buffer is full, or a root was dropped. */
static int collection_due(const trial_state *st) {
  return st->nroots >= st->threshold || st->overflow;
}

/* Room for one more root.  Returns 0, or -1 when out of memory or at
 * max_roots. */
static int buffer_reserve(trial_state *st) {
  if (st->nroots < st->roots_cap) return 0;
  size_t cap = st->roots_cap ? st->roots_cap * 2 : 1024;
  if (cap > st->max_roots) cap = (size_t)st->max_roots;
  if (cap <= st->roots_cap || gc_grow_fails_(st->heap)) return -1;
  gc_object **r = realloc(st->roots, cap * sizeof *r);
  if (!r) return -1;
  st->roots = r;
  st->roots_cap = cap;
  return 0;
}

/* o's count dropped to a value above zero and o is not buffered.
 * Afterwards o is PURPLE, BUFFERED and roots[o->gc_refs] == o; or, if the
 * buffer cannot grow, o is unchanged and the next collection is whole-heap. */
static void trial_possible_root(gc_heap *h, gc_object *o) {
  trial_state *st = h->state;
  /* A finalizer dropped a reference to another object of the garbage set
   * being finalized: its colour and gc_refs belong to that collection
   * (finalization recomputes reachability from them). */
  if (gc_has_flag(o, GC_F_COLLECTING)) return;
  if (buffer_reserve(st) != 0) {
    st->overflow = 1;
    gc_arm_trigger_(h, 0);
    return;
  }
  gc_set_color(o, GC_PURPLE);
  gc_set_flag(o, GC_F_BUFFERED);
  o->gc_refs = (uint32_t)st->nroots;
  st->roots[st->nroots++] = o;
  if (st->nroots >= st->threshold) gc_arm_trigger_(h, 0);
}

/* o, BUFFERED, is being freed.  Afterwards it is out of the buffer, whose
 * last entry took its place. */
static void trial_forget(gc_heap *h, gc_object *o) {
  trial_state *st = h->state;
  uint32_t i = o->gc_refs;
  GC_CHECK(i < st->nroots && st->roots[i] == o, "trial forget",
           "object %p is BUFFERED but not at its buffer index %u", (void *)o,
           i);
  gc_object *last = st->roots[--st->nroots];
  st->roots[i] = last;
  last->gc_refs = i;
  gc_clear_flag(o, GC_F_BUFFERED);
}

/* Move the buffer to `work` for this collection; the buffer starts empty
 * (with work's old storage) and collects the roots the collection's own
 * decrements produce. */
static void detach_buffer(trial_state *st) {
  gc_object **r = st->work;
  size_t cap = st->work_cap;
  st->work = st->roots;
  st->work_cap = st->roots_cap;
  st->nwork = st->nroots;
  st->roots = r;
  st->roots_cap = cap;
  st->nroots = 0;
}

/* ======================================================================
 * The explicit stack
 * ==================================================================== */

/* The stack is full: grow it, or drop the push and set stack_failed (the
 * phases still terminate, and the collection falls back). */
static GC_NOINLINE int stack_grow(trial_state *st) {
  size_t cap = st->stack_cap ? st->stack_cap * 2 : 1024;
  gc_object **s = gc_grow_fails_(st->heap) ? NULL
                                           : realloc(st->stack, cap * sizeof *s);
  if (!s) {
    st->stack_failed = 1;
    return -1;
  }
  st->stack = s;
  st->stack_cap = cap;
  return 0;
}

/* The walks are bound by cache misses on the targets' headers, one after
 * another in a plain depth-first walk.  So an object popped off the stack
 * waits in a small first-in first-out ring of WINDOW objects (the window)
 * while the headers of its first four targets are prefetched, and is
 * expanded up to WINDOW - 1 pops later: the misses of several objects
 * overlap.  (The order of expansion does not change what a walk decides; it
 * changes the order of the garbage list, hence of finalizers, and how often
 * `open` is set.)  On a random graph of 1,000,000 vertices this halves
 * mark_gray and scan_black; 16 measured a little better than 8.
 *
 * A walk along a chain or a ring (at most two objects stacked, none in the
 * window; a doubly linked ring stacks its two neighbours) has nothing to
 * overlap and skips the window: the top object is expanded at once, handed
 * over in a register (`top`) rather than read back from the stack, and the
 * memory GC_STREAM_AHEAD bytes past it is prefetched (collector.h), where
 * objects allocated after it usually sit (as it is when the window holds
 * fewer than four): a chain's walk otherwise waits on each member in turn.
 * Doubly linked rings of 10, live: 12.8 -> 10.8 ms per 1,000,000 objects
 * with two stacked objects allowed instead of one; live chains of 100:
 * 9.5-9.9 -> 7.2-7.3 ms with 2048 bytes ahead instead of 512.
 *
 * A walk keeps the stack's top and storage in a local struct, which the
 * compiler keeps in registers; they go back to trial_state only around
 * what uses the stack too (stack_grow, a nested scan_black). */
enum { WINDOW = 16 };
typedef struct walk {
  gc_object **stack;
  size_t sp, cap, base; /* the walk uses the stack above base */
  uint64_t examined;
  uint32_t defer; /* st->defer */
  gc_object *top; /* stack[sp - 1] if pushed since the last pop, or NULL */
  unsigned way, way_mask; /* scan: st->way and st->way_mask */
  unsigned head, n; /* the window: n objects from win[head] on */
  gc_object *win[WINDOW];
} walk;

static inline void walk_begin(trial_state *st, walk *k) {
  k->stack = st->stack;
  k->sp = k->base = st->sp;
  k->cap = st->stack_cap;
  k->examined = 0;
  k->defer = st->defer;
  k->top = NULL;
  k->head = k->n = 0;
}

/* Before a nested walk: it starts at this walk's top. */
static inline void walk_lend(trial_state *st, const walk *k) {
  st->sp = k->sp;
}

/* After a nested walk, which may have moved the stack (and leaves the top
 * where it found it). */
static inline void walk_resume(trial_state *st, walk *k) {
  k->stack = st->stack;
  k->cap = st->stack_cap;
}

static inline void walk_end(trial_state *st, const walk *k) {
  st->sp = k->sp;
  st->examined += k->examined;
}

/* Push o.  If the stack cannot grow, the push is dropped (stack_failed). */
static inline void walk_push(trial_state *st, walk *k, gc_object *o) {
  if (gc_unlikely(k->sp == k->cap)) {
    st->sp = k->sp;
    if (stack_grow(st) != 0) return;
    walk_resume(st, k);
  }
  k->stack[k->sp++] = o;
  k->top = o;
}

/* The next object to expand, or NULL when the stack above base and the
 * window are both empty. */
static inline gc_object *walk_next(walk *k) {
  /* A chain or a ring: nothing to overlap with. */
  if (k->n == 0 && k->sp - k->base <= 2) {
    if (k->sp == k->base) return NULL;
    gc_object *o = k->top ? k->top : k->stack[k->sp - 1];
    __builtin_prefetch((char *)o + GC_STREAM_AHEAD);
    k->sp--;
    k->top = NULL;
    return o;
  }
  k->top = NULL;
  while (k->sp > k->base && k->n < WINDOW) {
    gc_object *o = k->stack[--k->sp];
    GC_PREFETCH_EDGES_ANY(o);
    k->win[(k->head + k->n++) % WINDOW] = o;
  }
  /* The entry that enters the window next but one, unless pushes come
   * first: its own line, pushed long ago on a deep stack, is likely cold. */
  if (k->sp - k->base >= 2) __builtin_prefetch(k->stack[k->sp - 2]);
  if (k->n == 0) return NULL;
  gc_object *o = k->win[k->head];
  if (k->n < 4) __builtin_prefetch((char *)o + GC_STREAM_AHEAD);
  k->head = (k->head + 1) % WINDOW;
  k->n--;
  return o;
}

/* ======================================================================
 * MarkRoots: mark_gray from every buffered root
 * ==================================================================== */

/* o enters the trial: GRAY, with a private copy of its count. */
static inline void make_gray(walk *k, gc_object *o) {
  gc_set_color(o, GC_GRAY);
  o->gc_refs = o->refcnt;
  k->examined++;
}

/* t lies within d bytes of o, either way: with d = GC_STREAM_AHEAD (the
 * default of `near`), likely in the caches already or in the memory just
 * prefetched past o.  Never with d = 0. */
static inline int near_(const gc_object *o, const gc_object *t, uintptr_t d) {
  return (uintptr_t)t - (uintptr_t)o + d < 2 * d;
}

/* Colour GRAY every object reachable from the root s that is not GRAY yet,
 * and take each edge out of a GRAY object off its target's gc_refs.  With
 * `defer`, a root whose turn is still to come (BUFFERED: every root is,
 * through mark_roots, but one whose turn has passed is GRAY already) is
 * coloured when reached but expanded at its own turn, so roots are expanded
 * in buffer order rather than wherever a walk meets them -- unless it is
 * near the object that reaches it, when it is expanded at once and loses
 * BUFFERED.  Each object is expanded once: s is not GRAY yet, or waits for
 * this turn (mark_roots drops a GRAY root that does not wait).  The walk is
 * the caller's, empty on entry and on return.  Returns the objects
 * expanded. */
static inline size_t mark_gray(trial_state *st, walk *k, gc_object *s) {
  size_t expanded = 0;
  if (gc_get_color(s) != GC_GRAY) make_gray(k, s);
  walk_push(st, k, s);
  for (gc_object *o; (o = walk_next(k)) != NULL; expanded++) {
    gc_object **slot = gc_slots(o);
    /* A run of slots holding one target is taken off its gc_refs at once
     * (pyperformance's gc_traversal repeats one list in each level). */
    uint32_t run = 0, last = 0; /* last: the last run, if not NULL */
    for (uint32_t i = 0, n = o->nslots; i < n; i += run) {
      gc_object *t = slot[i];
      run = 1;
      while (i + run < n && slot[i + run] == t) run++;
      /* An untracked target is not examined: its edge is skipped. */
      if (!t || t->untracked) {
        last = 0;
        continue;
      }
      last = run;
      if (gc_get_color(t) != GC_GRAY) {
        make_gray(k, t);
        if (!(t->info & k->defer)) {
          walk_push(st, k, t);
        } else if (near_(o, t, st->near)) {
          gc_clear_flag(t, GC_F_BUFFERED); /* expanded now, not at its turn */
          walk_push(st, k, t);
        }
      }
      gc_take_refs_(t, run, "trial mark_gray");
    }
    gc_note_one_target_(o, last);
  }
  return expanded;
}

/* Roots are expanded in buffer order, so while each root's walk is short
 * (every object a root, as on a heap of dropped locals) the walks are bound
 * by misses on the targets of one root after another, which the buffer
 * shows ahead of time: prefetch the header of the root 2 * ROOTS_AHEAD on,
 * and the targets of the one ROOTS_AHEAD on.  After a long walk (a chain,
 * a ring) the next roots are not prefetched: their reads would wait behind
 * the walk's misses, and hardware prefetchers follow objects allocated one
 * after another.  Below `in_order` roots (tunable, 65536), whose objects
 * mostly sit in the caches, neither pays: roots are not deferred (`defer`
 * is 0) nor prefetched.  (On the replayed CPython heap of 19,735 objects, a
 * collection took 0.59 ms without them, 0.70 ms deferring only, 0.87 ms
 * with both; on the random graph of 1,000,000 vertices, 78-82 ms without,
 * 63-65 ms with both.) */
enum { ROOTS_AHEAD = 8, SHORT_WALK = 2 };
#define PREFETCH_ROOTS(st, i)                                    \
  do {                                                           \
    if ((i) + 2 * ROOTS_AHEAD < (st)->nwork)                     \
      __builtin_prefetch((st)->work[(i) + 2 * ROOTS_AHEAD]);     \
    if ((i) + ROOTS_AHEAD < (st)->nwork)                         \
      GC_PREFETCH_EDGES((st)->work[(i) + ROOTS_AHEAD]);          \
  } while (0)

/* ----------------------------------------------------------------------
 * The path trial: trial deletion without writes, for chains and rings
 * ------------------------------------------------------------------------
 *
 * A root whose subgraph is a path -- each object holds at most one distinct
 * target, as a chain or a singly linked ring does -- can be decided by
 * reading alone.  The walk from the root s follows the one target until it
 * ends at NULL (a chain), comes back to s (a ring), meets an object that is
 * GRAY or WHITE already (the subgraph overlaps what mark_gray has coloured),
 * meets an object with two targets, revisits an object other than s (Brent's
 * cycle detection: a path that runs into a ring without s), or exceeds
 * `cap` objects.  In the last four cases it decides nothing and s takes the
 * ordinary walk.  S below is everything s reaches; on a path each object but
 * s is referred to from S by its predecessor's slots only, and s by the last
 * object's (a ring) or by nothing (a chain).
 *
 *  - A chain: s has no reference from S and a count above zero, so it is
 *    held from outside S, and it reaches all of S: PATH_LIVE.
 *  - A ring whose members' counts all equal the references from S: nothing
 *    outside refers into S, so S is garbage, whatever else the collection
 *    decides: PATH_GARBAGE, and path_whiten gathers it now (it refers to
 *    nothing outside S, so it leaves `open` clear).
 *  - A ring with one member held from outside S: every member is reachable
 *    from it: PATH_LIVE.
 *
 * Doubly linked paths (path_trial2): an object may also hold the object
 * the walk came from (a back link), and s may hold the path's last object.
 * The references from S to each object are then its predecessor's forward
 * slots plus its successor's back slots.  s held from outside: PATH_LIVE
 * (s reaches S); no member held: PATH_GARBAGE (S is closed both ways); a
 * ring with a member held: PATH_LIVE (the forward links reach everything);
 * a chain with only a later member held decides nothing, since that member
 * need not reach back to s.  path_trial1 handles the singly linked case in
 * a shorter loop and hands over when it meets a second target that may be
 * a back link.
 *
 * PATH_LIVE leaves S BLACK and untouched but for the roots on it, which
 * path_drop takes out of this collection (BLACK, not BUFFERED): no header
 * is written for a live chain or ring held at its head, where mark_gray and
 * scan_black would write each header twice.  It is sound even when what
 * holds S is itself garbage: S stays out of the GRAY set only until a walk
 * that does colour GRAY reaches it, and that walk then colours S GRAY as
 * it would any BLACK object.  Completeness still holds.  Take a garbage
 * component C that nothing outside C refers to (every garbage object hangs
 * from one); its buffered member b reaches all of C, so b's own path trial
 * cannot see b held from outside, and neither can the path trial of any
 * root on a path through b, which would be in C too.  So C is either
 * whitened as a ring or coloured GRAY from b by mark_gray, and so is
 * everything it reaches; the header's argument then applies to the GRAY
 * set. */
enum { PATH_UNDECIDED = 0, PATH_LIVE, PATH_GARBAGE };

/* Does o hold p in one of its slots? */
static inline int path_holds(const gc_object *o, const gc_object *p) {
  gc_object *const *slot = gc_slots((gc_object *)o);
  for (uint32_t i = 0, n = o->nslots; i < n; i++)
    if (slot[i] == p) return 1;
  return 0;
}

/* The one distinct target of o, or NULL if it has none; *slots counts the
 * slots holding it.  Returns o itself if o has two distinct targets. */
static inline gc_object *path_next(gc_object *o, uint32_t *slots) {
  gc_object **slot = gc_slots(o), *t = NULL;
  uint32_t m = 0;
  for (uint32_t i = 0, n = o->nslots; i < n; i++) {
    gc_object *x = slot[i];
    if (!x) continue;
    if (t && x != t) return o;
    t = x;
    m++;
  }
  *slots = m;
  return t;
}

/* The trial of the subgraph of s, a PURPLE root, if it is a singly linked
 * path: each object holds one distinct target.  Reads only.  *steps is set
 * to the objects read; *doubly when it stopped at an object with a second
 * target that may be a back link (s's own, or the object it came from),
 * where path_trial2 may decide; *purple when a member other than s is a
 * root.  The common case (a singly linked ring or chain) runs this loop,
 * which is shorter than path_trial2's: live rings of 10 took 4.5 ns per
 * vertex here and 5.6 there. */
static int path_trial1(gc_object *s, uint64_t cap, uint64_t *steps,
                       int *doubly, int *purple) {
  gc_object *o = s, *tortoise = s;
  uint64_t n = 0, power = 1, lam = 0;
  gc_object *pred = NULL;
  uint32_t in = 0; /* slots of o's predecessor that hold o */
  int held = 0;    /* a member other than s is held from outside S */
  int r = PATH_UNDECIDED, roots = 0;
  for (;;) {
    uint32_t m = 0;
    gc_object *t = path_next(o, &m);
    n++;
    if (o != s) {
      held |= o->refcnt > in;
      roots |= gc_get_color(o) == GC_PURPLE;
    }
    if (t == o) { /* two targets */
      *doubly = o == s || path_holds(o, pred);
      break;
    }
    if (!t || t->untracked) { /* a chain: an untracked end is no edge */
      r = PATH_LIVE;
      break;
    }
    if (t == s) {
      r = held || s->refcnt > m ? PATH_LIVE : PATH_GARBAGE;
      break;
    }
    gc_color c = gc_get_color(t);
    if (c == GC_GRAY || c == GC_WHITE || n >= cap || t == tortoise) break;
    if (++lam == power) { /* Brent: the tortoise jumps ahead */
      tortoise = t;
      power *= 2;
      lam = 0;
    }
    __builtin_prefetch((char *)t + GC_STREAM_AHEAD);
    in = m;
    pred = o;
    o = t;
  }
  *steps = n;
  *purple = roots;
  return r;
}

/* One step of a path walk at o, reached from pred (NULL at the root s).
 * Slots holding pred are back links (*back counts them); the others must
 * all hold one object, the next on the path (*fwd counts them), which is
 * returned, or NULL at the path's end.  At s a second distinct target is
 * allowed and returned in *other (*back counts its slots): the back link
 * of a doubly linked ring, which must turn out to be the path's last
 * object.  Returns o itself when o has a target the path cannot take. */
static inline gc_object *path_step(gc_object *o, const gc_object *pred,
                                   gc_object **other, uint32_t *fwd,
                                   uint32_t *back) {
  gc_object **slot = gc_slots(o), *t = NULL, *u = NULL;
  uint32_t m = 0, b = 0;
  for (uint32_t i = 0, n = o->nslots; i < n; i++) {
    gc_object *x = slot[i];
    if (!x) continue;
    if (x == pred) {
      b++;
    } else if (!t || x == t) {
      t = x;
      m++;
    } else if (!pred && (!u || x == u)) {
      u = x;
      b++;
    } else {
      return o;
    }
  }
  *fwd = m;
  *back = b;
  if (!pred) *other = u;
  return t;
}

/* The trial of the subgraph of s, a PURPLE root, if it is a path (above):
 * v0 = s, v1, ..., each holding only its neighbours.  Reads only; *steps
 * is set to the objects read.  Each object's references from S are the
 * forward slots of its predecessor and the back slots of its successor
 * (s's back link, `other`, counts for the last object); an object is held
 * from outside S when its count exceeds them. */
static int path_trial2(gc_object *s, uint64_t cap, uint64_t *steps) {
  gc_object *o = s, *pred = NULL, *tortoise = s, *other = NULL;
  uint64_t n = 0, power = 1, lam = 0;
  uint32_t in = 0;        /* forward slots of pred that hold o */
  uint32_t pred_in = 0;   /* the same for pred */
  uint32_t s_back = 0;    /* slots of s that hold `other` */
  uint32_t s_in = 0;      /* back slots of v1 that hold s */
  int held = 0;           /* a member other than s is held from outside S */
  int r = PATH_UNDECIDED;
  for (;;) {
    uint32_t fwd = 0, back = 0;
    gc_object *t = path_step(o, pred, &other, &fwd, &back);
    n++;
    if (t == o) break;
    /* An untracked next object: S's garbage would refer out of it, which
     * path_whiten does not expect.  The ordinary walk decides. */
    if (t && t->untracked) break;
    if (o == s) {
      s_back = back;
    } else if (pred == s) {
      s_in = back;
    } else {
      held |= pred->refcnt > pred_in + back; /* pred's references, all seen */
    }
    /* The same stop and step as path_trial1's; a helper shared by both
     * measured slower (live chains 2.79 -> 3.49 ns per vertex). */
    if (!t || t == s) { /* o is the last object: a chain, or a ring */
      if (other && other != o) break; /* s's back link points elsewhere */
      uint32_t o_in = in + (other == o ? s_back : 0);
      if (o != s) held |= o->refcnt > o_in;
      int s_held = s->refcnt > s_in + (t == s ? fwd : 0);
      if (!held && !s_held)
        r = PATH_GARBAGE; /* nothing outside S refers into it */
      else if (s_held || t == s)
        r = PATH_LIVE; /* s reaches S; a ring's every member reaches it */
      break;
    }
    gc_color c = gc_get_color(t);
    if (c == GC_GRAY || c == GC_WHITE || n >= cap || t == tortoise) break;
    if (++lam == power) { /* Brent: the tortoise jumps ahead */
      tortoise = t;
      power *= 2;
      lam = 0;
    }
    __builtin_prefetch((char *)t + GC_STREAM_AHEAD);
    pred_in = in;
    in = fwd;
    pred = o;
    o = t;
  }
  *steps = n;
  return r;
}

/* The object after o on a path from s decided by path_trial1 (single: one
 * distinct target each) or path_trial2 (o reached from pred). */
static inline gc_object *path_after(gc_object *o, const gc_object *pred,
                                    int single) {
  uint32_t fwd, back;
  gc_object *other;
  return single ? path_next(o, &fwd) : path_step(o, pred, &other, &fwd, &back);
}

/* PATH_LIVE: the roots among the `steps` objects of s's path (s and any
 * PURPLE member) turn BLACK and leave the collection: their turns skip
 * them. */
static void path_drop(gc_object *s, uint64_t steps, int single) {
  gc_object *o = s, *pred = NULL;
  for (uint64_t i = 0; i < steps && o; i++) {
    if (o->info & GC_F_BUFFERED) {
      gc_clear_flag(o, GC_F_BUFFERED);
      gc_set_color(o, GC_BLACK);
    }
    gc_object *t = i + 1 < steps ? path_after(o, pred, single) : NULL;
    pred = o;
    o = t;
  }
}

/* PATH_GARBAGE: the `steps` objects of s's path turn WHITE and join
 * `garbage`, as scan would gather them; their roots leave the
 * collection. */
static void path_whiten(gc_object *s, uint64_t steps, int single,
                        gc_link *garbage) {
  gc_object *o = s, *pred = NULL;
  for (uint64_t i = 0; i < steps && o; i++) {
    gc_object *t = path_after(o, pred, single);
    o->info = (o->info & ~(GC_F_COLOR_MASK | GC_F_BUFFERED)) | GC_WHITE |
              GC_F_COLLECTING;
    gc_list_move(garbage, gc_link_of(o));
    pred = o;
    o = t;
  }
}

/* Afterwards every object reachable from a root is GRAY, and its gc_refs is
 * refcnt minus the references it receives from GRAY objects: the references
 * from outside the GRAY set, external handles included; and of the roots in
 * the detached buffer, only those no earlier root's walk expanded are
 * still BUFFERED.  One walk serves every root (a root's own walk cost as
 * much as a ring of 10). */
static void mark_roots(trial_state *st, gc_link *garbage) {
  walk k;
  walk_begin(st, &k);
  size_t expanded = 0;
  /* Objects the path trials may read in this collection: a walk that
   * decides covers objects no other decided walk covers, so only shapes
   * that defeat the trial (many roots into one long path) exhaust
   * `budget`, and they then cost one extra read of the heap at most.
   * Walks that decide nothing are read again by mark_gray: `waste` allows
   * them a sixteenth of the heap (a random graph of out-degree 1, every
   * vertex a root, runs into rings of about a thousand: without it
   * the collection took 2.8 times as long). */
  const gc_heap_stats *hs = &st->heap->stats;
  uint64_t tracked = hs->live_objects - hs->live_untracked; /* readable */
  uint64_t budget = st->path ? tracked + st->nwork : 0;
  uint64_t waste = tracked / 16 + st->path;
  for (size_t i = 0; i < st->nwork; i++) {
    if (st->defer && expanded <= SHORT_WALK) PREFETCH_ROOTS(st, i);
    gc_object *s = st->work[i];
    if (!(s->info & GC_F_BUFFERED)) { /* decided by a path trial */
      expanded = 0;
      continue;
    }
    if (gc_unlikely(s->untracked)) {
      /* buffer_untracked: looked at and let go.  What an untracked object
       * reaches is untracked and, by the mutator's promise, on no cycle,
       * so no trial from it can find garbage. */
      gc_clear_flag(s, GC_F_BUFFERED);
      gc_set_color(s, GC_BLACK);
      k.examined++;
      expanded = 0;
      continue;
    }
    if (budget && waste && gc_get_color(s) == GC_PURPLE) {
      uint64_t cap = budget < st->path ? budget : st->path, steps = 0;
      if (cap > waste) cap = waste;
      int doubly = 0, purple = 1;
      int r = path_trial1(s, cap, &steps, &doubly, &purple);
      if (r == PATH_UNDECIDED && doubly) {
        budget -= steps;
        waste -= steps < waste ? steps : waste;
        cap = budget < st->path ? budget : st->path;
        if (cap > waste) cap = waste;
        purple = 1;
        steps = 0; /* counted already */
        if (cap) r = path_trial2(s, cap, &steps);
      }
      budget -= steps;
      expanded = steps;
      if (r != PATH_UNDECIDED)
        k.examined += steps;
      else
        waste -= steps; /* mark_gray examines them */
      if (r == PATH_LIVE) {
        /* s alone holds flags to clear, unless a member is a root too */
        path_drop(s, purple ? steps : 1, !doubly);
        continue;
      }
      if (r == PATH_GARBAGE) {
        path_whiten(s, steps, !doubly, garbage);
        continue;
      }
    }
    if (gc_get_color(s) == GC_GRAY && !(s->info & st->defer)) {
      /* Reached from a root kept before it, and expanded: scan reaches it
       * from there too, so it needs no turn of its own. */
      gc_clear_flag(s, GC_F_BUFFERED);
      expanded = 0;
      continue;
    }
    expanded = mark_gray(st, &k, s);
  }
  walk_end(st, &k);
}

/* ======================================================================
 * ScanRoots and CollectRoots: scan, scan_black, gathering as it goes
 * ==================================================================== */

/* o turns WHITE and joins one of the GC_GARBAGE_WAYS lists of `garbage`
 * in turn, tentatively: off h->gens[0], flagged COLLECTING; pushed to have
 * its targets decided. */
static inline void whiten(trial_state *st, walk *k, gc_object *o,
                          gc_link *garbage) {
  o->info = (o->info & ~GC_F_COLOR_MASK) | GC_WHITE | GC_F_COLLECTING;
  gc_list_move(&garbage[k->way++ & k->way_mask], gc_link_of(o));
  walk_push(st, k, o);
}

/* Colour BLACK s and every GRAY or WHITE object it reaches; a WHITE one goes
 * back from `garbage` to `young` (h->gens[0]).  With `defer`, a root whose
 * turn is still to come (BUFFERED) is coloured but not expanded: scan
 * expands it at its turn.  Uses the stack above its current top, so scan
 * can call it mid-walk.  Returns the objects expanded. */
static size_t scan_black(trial_state *st, gc_object *s, gc_link *young) {
  size_t expanded = 0;
  walk k;
  walk_begin(st, &k);
  gc_set_color(s, GC_BLACK);
  walk_push(st, &k, s);
  for (gc_object *o; (o = walk_next(&k)) != NULL; expanded++) {
    gc_object **slot = gc_slots(o);
    gc_object *prev = NULL; /* a repeated target: claimed already */
    for (uint32_t i = 0, n = gc_scan_len_(o); i < n; i++) {
      gc_object *t = slot[i];
      if (!t || t == prev) continue;
      prev = t;
      gc_color c = gc_get_color(t);
      if (c == GC_GRAY) {
        gc_set_color(t, GC_BLACK);
      } else if (c == GC_WHITE) {
        /* Whitened before: garbage may refer to it. */
        t->info &= ~(GC_F_COLOR_MASK | GC_F_COLLECTING); /* BLACK */
        gc_list_move(young, gc_link_of(t));
        st->open = 1;
      } else {
        continue;
      }
      if (!(t->info & k.defer)) walk_push(st, &k, t);
    }
  }
  walk_end(st, &k);
  return expanded;
}

/* The root s's turn: decide the GRAY objects reachable from it.  One with
 * gc_refs > 0 is held from outside and scan_black claims it; one with
 * gc_refs == 0 turns WHITE and joins `garbage`, tentatively (a later
 * scan_black may still reach it and take it back).  Paper's Scan and
 * CollectWhite in one walk.  A BLACK root was claimed before its turn: with
 * `defer` it waits to be expanded now, without it was expanded then.  A
 * WHITE one was expanded when it turned WHITE.  Returns the objects
 * expanded by the walk from s. */
static size_t scan(trial_state *st, gc_object *s, gc_link *young,
                   gc_link *garbage) {
  gc_color c = gc_get_color(s);
  if (c == GC_WHITE || (c == GC_BLACK && !st->defer)) return 0;
  if (c == GC_BLACK || s->gc_refs > 0) return scan_black(st, s, young);
  size_t expanded = 0;
  walk k;
  walk_begin(st, &k);
  k.way = st->way;
  k.way_mask = st->way_mask;
  int open = 0;
  whiten(st, &k, s, garbage);
  for (gc_object *o; (o = walk_next(&k)) != NULL; expanded++) {
    /* Invariant: every object on the stack or in the window was GRAY with
     * gc_refs == 0 when pushed; one that scan_black reached since is BLACK,
     * and its targets are claimed by that scan_black or, if it is a root
     * that waits, at its turn. */
    if (gc_get_color(o) != GC_WHITE) continue;
    gc_object **slot = gc_slots(o);
    gc_object *prev = NULL; /* a repeated target: decided already */
    for (uint32_t i = 0, n = gc_scan_len_(o); i < n; i++) {
      gc_object *t = slot[i];
      if (!t || t == prev) continue;
      prev = t;
      gc_color c = gc_get_color(t);
      if (c != GC_GRAY) {
        open |= c == GC_BLACK; /* WHITE: decided already */
      } else if (t->gc_refs > 0) {
        if (t->info & k.defer) {
          gc_set_color(t, GC_BLACK); /* expanded at its turn */
        } else {
          walk_lend(st, &k);
          scan_black(st, t, young);
          walk_resume(st, &k);
        }
        open = 1;
      } else {
        whiten(st, &k, t, garbage);
      }
    }
  }
  st->way = k.way;
  walk_end(st, &k);
  st->open |= open;
  return expanded;
}

/* Afterwards the detached buffer is empty, no root is BUFFERED and no
 * object GRAY: BLACK ones are reachable from an object held from outside
 * the GRAY set, WHITE ones are garbage (see the header), all in `garbage`
 * and COLLECTING, which gc_free_garbage_ ignores.  `open` is clear only if
 * no WHITE object refers to a BLACK one (it may be set when none does):
 * every edge out of a WHITE object is looked at when the object is
 * expanded, and a target BLACK then, or claimed by scan_black then or
 * later, sets it. */
static void scan_roots(trial_state *st, gc_link *young, gc_link *garbage) {
  size_t expanded = 0;
  st->open = 0;
  for (size_t i = 0; i < st->nwork; i++) {
    gc_object *o = st->work[i];
    if (!(o->info & GC_F_BUFFERED)) continue; /* dropped by mark_roots */
    if (st->defer && expanded <= SHORT_WALK) PREFETCH_ROOTS(st, i);
    gc_clear_flag(o, GC_F_BUFFERED);
    expanded = scan(st, o, young, garbage);
  }
  st->nwork = 0;
}

/* ======================================================================
 * The fallback: a whole-heap scan
 * ==================================================================== */

/* Empty the detached buffer without tracing: roots turn BLACK, unbuffered. */
static void drop_roots(trial_state *st) {
  for (size_t i = 0; i < st->nwork; i++) {
    gc_object *o = st->work[i];
    gc_clear_flag(o, GC_F_BUFFERED);
    gc_set_color(o, GC_BLACK);
  }
  st->nwork = 0;
}

/* Subtract-refs over h->gens[0] (refscan.h), which resets every colour,
 * gc_refs and COLLECTING flag.  Precondition: nothing is BUFFERED (the fresh
 * buffer is still empty: no decrement has run in this collection).  Moves
 * the garbage to `garbage`; returns the objects examined. */
static uint64_t scan_whole_heap(gc_heap *h, gc_link *garbage) {
  trial_state *st = h->state;
  GC_CHECK(st->nroots == 0, "trial scan_whole_heap",
           "%zu roots buffered before the fallback", st->nroots);
  (void)st;
  gc_list_merge(&h->gens[0], garbage); /* a void trial's gathering */
  int closed; /* the caller frees the fallback's garbage as open */
  return gc_deduce_unreachable_(&h->gens[0], garbage, 0, 0, &closed);
}

/* ======================================================================
 * The collection
 * ==================================================================== */

static void adapt_threshold(trial_state *st, uint64_t examined, uint64_t freed);
static void adapt_threshold_orc(trial_state *st, uint64_t examined,
                                uint64_t freed);
static void arm(gc_heap *h, int automatic);

/* Read this to see a whole collection.  `gen` is ignored: trial deletion has
 * no generations, and every collection processes the whole buffer. */
static void trial_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  (void)gen;
  trial_state *st = h->state;
  uint64_t freed0 = h->stats.freed_by_collector;
  /* The hybrid (tunable whole_heap): so many candidates that tracing from
   * each costs more than scanning everything once. */
  int overflowed = st->overflow ||
                   (st->whole_heap > 0 &&
                    (double)st->nroots >
                        st->whole_heap *
                            (double)(h->stats.live_objects -
                                     h->stats.live_untracked));
  st->overflow = 0;
  rec->generation = GC_FULL;
  detach_buffer(st);

  /* scan's four lists, then the path trial's */
  gc_link garbage[GC_GARBAGE_WAYS + 1];
  for (int w = 0; w <= GC_GARBAGE_WAYS; w++) gc_list_init(&garbage[w]);
  st->examined = 0;
  st->stack_failed = 0;
  st->way = 0;
  _Static_assert((GC_GARBAGE_WAYS & (GC_GARBAGE_WAYS - 1)) == 0,
                 "the turn is taken with a mask");
  st->way_mask = h->hot.has_finalizable ? 0 : GC_GARBAGE_WAYS - 1;
  st->defer = 0;
  int closed = 0;
  if (!overflowed) {
    st->defer =
        st->in_order && st->nwork >= st->in_order ? GC_F_BUFFERED : 0;
    mark_roots(st, &garbage[GC_GARBAGE_WAYS]);
    scan_roots(st, &h->gens[0], garbage);
    closed = !st->open;
  } else {
    drop_roots(st);
  }
  rec->examined = st->examined;
  /* One list wherever anything but the freeing reads the garbage: the path
   * trial's first, then scan's (with finalizers scan filled list 0 alone,
   * so finalizers see the garbage in the order it was found). */
  int ways = !overflowed && !st->stack_failed && !h->hot.has_finalizable;
  gc_link *one = &garbage[GC_GARBAGE_WAYS];
  if (!ways)
    for (int w = 0; w < GC_GARBAGE_WAYS; w++) gc_list_merge(one, &garbage[w]);
  if (overflowed || st->stack_failed) {
    st->sp = 0;
    closed = 0;
    rec->examined += scan_whole_heap(h, one);
  }

  /* Resurrection turns WHITE objects BLACK; with finalizable objects the
   * freeing does not trust `closed` (gc_free_garbage_). */
  if (!ways) gc_finalize_garbage_(h, one, &h->gens[0]); /* resurrected: back */
  /* Frees, and may buffer survivors as new roots. */
  if (ways) {
    /* the path trial's garbage refers to nothing outside itself: closed
     * (debug builds check it) */
    gc_free_garbage_(h, one, 1);
    gc_free_garbage_ways_(h, garbage, closed);
  } else {
    gc_free_garbage_(h, one, closed);
  }
  if (st->adaptive == 2)
    adapt_threshold_orc(st, rec->examined,
                        h->stats.freed_by_collector - freed0);
  else if (rec->automatic && st->adaptive)
    adapt_threshold(st, rec->examined, h->stats.freed_by_collector - freed0);
  arm(h, rec->automatic);
}

/* ======================================================================
 * When to collect
 * ==================================================================== */

/* PHP 7.3's rule with Nim's efficiency test added: an unproductive
 * collection raises the threshold by `step` (at most max_threshold), a
 * productive one lowers it by `step` (at least the base threshold). */
static void adapt_threshold(trial_state *st, uint64_t examined,
                            uint64_t freed) {
  int productive = freed >= st->min_freed &&
                   (double)freed >= st->min_yield * (double)examined;
  /* base_threshold <= threshold <= max_threshold: no difference wraps. */
  if (!productive)
    st->threshold = st->max_threshold - st->threshold > st->step
                        ? st->threshold + st->step
                        : st->max_threshold;
  else
    st->threshold = st->threshold - st->base_threshold > st->step
                        ? st->threshold - st->step
                        : st->base_threshold;
}

/* Nim 1.6.10's ORC (lib/system/orc.nim, collectCycles), after every
 * collection, explicit ones included: a collection that found nothing but
 * garbage leaves a threshold at or below its start alone; one that freed
 * at least half of the objects it examined ("touched") shrinks it to 2/3,
 * not below 16; any other grows it by half, up to max_threshold.  ORC
 * starts at 128 roots (`threshold`); unlike PHP's rule the threshold may
 * fall below its start. */
#define ORC_MIN_THRESHOLD 16
static void adapt_threshold_orc(trial_state *st, uint64_t examined,
                                uint64_t freed) {
  if (freed >= examined && st->threshold <= st->base_threshold) return;
  if (2 * freed >= examined) {
    uint64_t t = st->threshold / 3 * 2;
    st->threshold = t > ORC_MIN_THRESHOLD ? t : ORC_MIN_THRESHOLD;
  } else {
    uint64_t t = st->threshold * 3 / 2; /* threshold <= 1e9: no wrap */
    st->threshold = t < st->max_threshold ? t : st->max_threshold;
  }
}

/* After a collection, which resets alloc_since to 0: if roots already wait
 * (buffered by the collection's own decrements), collect at the next
 * allocation -- the one after the allocation that triggered an automatic
 * collection, so that auto_collect leaves alloc_since < trigger; otherwise
 * possible_root arms the trigger when the buffer fills. */
static void arm(gc_heap *h, int automatic) {
  gc_arm_trigger_(h,
                  collection_due(h->state) ? (automatic ? 1 : 0) : UINT64_MAX);
}

/* The trigger fired: collect if the buffer is still full (forget may have
 * shrunk it since), else disarm until possible_root arms again. */
static void trial_auto(gc_heap *h) {
  if (collection_due(h->state))
    gc_run_collection_(h, GC_FULL, 1);
  else
    gc_arm_trigger_(h, UINT64_MAX);
}

/* ======================================================================
 * Validation
 * ==================================================================== */

/* One object against the invariant in the header. */
static void validate_object(const trial_state *st, const gc_link *p,
                            const char *where) {
  const gc_object *o = gc_obj((gc_link *)p);
  if (p->next->prev != p || p->prev->next != p)
    gc_fatal_(where, "trial: object list broken at %p", (void *)o);
  gc_color c = gc_get_color(o);
  int buffered = gc_has_flag(o, GC_F_BUFFERED);
  if (c != GC_BLACK && c != GC_PURPLE)
    gc_fatal_(where, "trial: object %p is %s between collections", (void *)o,
              c == GC_GRAY ? "GRAY" : "WHITE");
  if ((c == GC_PURPLE) != buffered)
    gc_fatal_(where, "trial: object %p is %s but %sBUFFERED", (void *)o,
              c == GC_PURPLE ? "PURPLE" : "BLACK", buffered ? "" : "not ");
  if (buffered && (o->gc_refs >= st->nroots || st->roots[o->gc_refs] != o))
    gc_fatal_(where, "trial: object %p is BUFFERED but not at index %u",
              (void *)o, o->gc_refs);
  if (gc_has_flag(o, GC_F_COLLECTING))
    gc_fatal_(where, "trial: object %p is COLLECTING", (void *)o);
  if (gc_get_gen(o) != 0)
    gc_fatal_(where, "trial: object %p has generation %u", (void *)o,
              gc_get_gen(o));
  if (o->refcnt == 0)
    gc_fatal_(where, "trial: object %p is live with refcnt 0", (void *)o);
  if (o->untracked)
    gc_fatal_(where, "trial: untracked object %p is on the list", (void *)o);
}

/* Every object and the buffer against the invariant.  The buffer holds
 * exactly the BUFFERED objects: each sits at its own index, and there are
 * as many BUFFERED objects as entries. */
static void trial_validate(gc_heap *h, const char *where) {
  const trial_state *st = h->state;
  uint64_t count = 0, buffered = 0;
  for (int g = 1; g < GC_NGENS; g++)
    if (!gc_list_empty(&h->gens[g]))
      gc_fatal_(where, "trial: generation %d list is not empty", g);
  const gc_link *l = &h->gens[0];
  for (const gc_link *p = l->next; p != l; p = p->next) {
    validate_object(st, p, where);
    buffered += gc_has_flag(gc_obj((gc_link *)p), GC_F_BUFFERED) != 0;
    count++;
  }
  if (count != h->stats.live_objects - h->stats.live_untracked)
    gc_fatal_(where, "trial: %llu objects on the list, %llu live and tracked",
              (unsigned long long)count,
              (unsigned long long)(h->stats.live_objects -
                                   h->stats.live_untracked));
  gc_validate_untracked_(h, where);
  for (const gc_link *p = h->untracked.next; p != &h->untracked; p = p->next)
    buffered += gc_has_flag(gc_obj((gc_link *)p), GC_F_BUFFERED) != 0;
  if (buffered != st->nroots)
    gc_fatal_(where, "trial: %llu BUFFERED objects, %zu buffer entries",
              (unsigned long long)buffered, st->nroots);
  if (st->nwork != 0 || st->sp != 0)
    gc_fatal_(where, "trial: %zu detached roots, %zu stacked objects",
              st->nwork, st->sp);
  if (st->nroots >= st->threshold && h->auto_on && h->trigger == UINT64_MAX)
    gc_fatal_(where, "trial: buffer full (%zu roots) and no trigger armed",
              st->nroots);
}

const gc_collector gc_collector_trial = {
    .name = "trial",
    .summary =
        "trial deletion (Bacon & Rajan 2001): traces from buffered "
        "possible roots only; threshold 10000, adaptive as PHP 7.3",
    .tunables = trial_tunables,
    .ntunables = sizeof trial_tunables / sizeof trial_tunables[0],
    .state_size = sizeof(trial_state),
    .init = trial_init,
    .fini = trial_fini,
    .collect = trial_collect,
    .auto_collect = trial_auto,
    .possible_root = trial_possible_root,
    .forget = trial_forget,
    .validate = trial_validate,
};
