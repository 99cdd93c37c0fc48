/*
 * collector.h -- the collector interface, and the heap internals collectors
 * may touch.  Private to gc/: programs include gc.h only.
 *
 * A collector is a table of function pointers (struct gc_collector) in its
 * own file, listed in registry.c.  Contract with the heap:
 *
 *  - Between collections every live tracked object is on exactly one of the
 *    heap's generation lists h->gens[0..GC_NGENS-1]; new objects are appended to
 *    gens[0].  A collector that has no generations uses gens[0] only.
 *    A collector with heap_walk set has no lists at all: its objects carry
 *    no gc_link (16 bytes less each), the heap allocates them from a
 *    mimalloc heap of their own, and the collector finds them by walking
 *    that heap's blocks (gc_heap_walk_).
 *  - Untracked objects (gc_untrack, gc_new_ex) are on none of those lists:
 *    the heap keeps them on a private list (h->untracked) that no
 *    collector reads, or, without lists, leaves them in the mimalloc heap
 *    flagged untracked, where a heap_walk collector skips them.  No
 *    collector examines, traverses or buffers one (an edge to it is
 *    skipped like an edge out of the examined set), except a root-buffering
 *    collector that sets h->buffer_untracked in init: it is then offered
 *    untracked objects as possible roots too.  A collection may untrack
 *    objects (CPython's tuples) with gc_untrack_by_collector_.
 *  - Outside a collection every object is BLACK (or PURPLE while in trial
 *    deletion's root buffer), not COLLECTING, and its gc_refs is the
 *    collector's (trial deletion keeps a buffer index there).
 *  - collect(h, gen) frees garbage through gc_free_garbage_() or by letting
 *    counts reach zero; either way the heap counts it as freed by the
 *    collector because h->in_collection is set.  After collect(h, GC_FULL)
 *    no object unreachable from an external reference remains.
 *  - auto_collect(h) runs when h->alloc_since reaches h->trigger, before an
 *    allocation; it must leave alloc_since < trigger (every collection resets
 *    alloc_since to 0 as it starts, keeping the value in young_at_start, so
 *    only what finalizers allocate during it counts afterwards; a collector
 *    that declines raises trigger instead).
 *    A collector that sets h->net_count in init has every free lower
 *    alloc_since while it is above zero, as CPython's PyObject_GC_Del lowers
 *    generation 0's count: the trigger then counts allocations minus
 *    deallocations, and a mutator that frees what it allocates by reference
 *    counting alone never starts a collection.
 */
#ifndef GC_COLLECTOR_H
#define GC_COLLECTOR_H

#include "gc.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

struct gc_collector {
  const char *name;
  const char *summary; /* one line, for --list */
  const gc_param_def *tunables;
  size_t ntunables;
  size_t state_size; /* bytes of private state, zeroed, at h->state */
  /* 1: objects without list links, found by walking the heap's mimalloc
   * heap (requires allocator=mimalloc, which becomes the default). */
  int heap_walk;

  /* Read the tunables into the state.  GC_OK or GC_EINVAL with err set. */
  int (*init)(gc_heap *h, const gc_param_set *tunables, char *err,
              size_t errlen);
  void (*fini)(gc_heap *h); /* free private memory (not objects) */
  /* Collect `gen` (0..GC_NGENS-1) or GC_FULL; fill rec->examined. */
  void (*collect)(gc_heap *h, int gen, gc_collection_record *rec);
  void (*auto_collect)(gc_heap *h);
  /* Optional: a decrement left o's count above zero (sets wants_roots). */
  void (*possible_root)(gc_heap *h, gc_object *o);
  /* Optional: o, flagged GC_F_BUFFERED, is being freed. */
  void (*forget)(gc_heap *h, gc_object *o);
  /* Optional: check the collector's invariants; abort with a message. */
  void (*validate)(gc_heap *h, const char *where);
  /* Optional: called as a collection is about to start, before its pause
   * is timed: the place to grow the collector's arrays. */
  void (*prepare)(gc_heap *h);
};

/* The registry: every collector, in --list order. */
const gc_collector *gc_collector_find(const char *name);
const gc_collector *const *gc_collector_list(size_t *n);
/* The collector a name stands for: a collector's own name, or a profile's
 * (then *prof, if given, gets the profile; else NULL).  NULL if unknown. */
const gc_collector *gc_collector_resolve_(const char *name,
                                          const gc_profile **prof);
/* Tunables every heap accepts, whatever its collector. */
const gc_param_def *gc_heap_tunables(size_t *n);

/* ------------------------------------------------------------------------
 * The heap, as collectors see it
 * ---------------------------------------------------------------------- */

#define GC_CLASS_TABLE_MAX 2048

/* Object allocators (heap tunable `allocator`).  GC_ALLOC_SYSTEM is plain
 * malloc/free, which sanitizer builds and GCBENCH_MALLOC=system use
 * whatever was asked, so that a checker sees every object. */
enum {
  GC_ALLOC_JEMALLOC,
  GC_ALLOC_MIMALLOC,
  GC_ALLOC_LIBC,
  GC_ALLOC_SYSTEM
};

struct gc_heap {
  struct gc_heap_hot hot; /* first: read by the inline paths in gc.h */
  const gc_collector *collector;
  void *state; /* collector's private state (state_size bytes) */
  gc_link gens[GC_NGENS];
  size_t link_bytes; /* sizeof(gc_link) if objects carry list links, else 0 */
  uint64_t alloc_since; /* allocations since the last collection (less
                           frees, under net_count) */
  uint64_t young_at_start; /* alloc_since when the running collection
                              began (the driver zeroes it then) */
  uint64_t trigger;     /* auto_collect when alloc_since reaches this */
  int net_count;        /* 1: a free lowers alloc_since while it is above
                           zero (CPython's generation-0 count: allocations
                           minus deallocations of tracked objects) */
  int auto_on;
  uint64_t max_bytes; /* memory budget of the live objects (max_bytes) */
  /* What the live objects really cost the allocator: each object's size
   * class (jemalloc's nallocx; the C library's chunk size), checked against
   * max_bytes.  size_class[i] is the class of a request of up to 16*i
   * bytes, for requests up to GC_CLASS_TABLE_MAX (one load in gc_new). */
  uint64_t budget_used;
  /* budget_used's high-water mark: what the allocator has had to take
   * from the system, which frees do not lower (heapwalk's mem_held). */
  uint64_t budget_peak;
  /* Heap walks made by collections (gc_heap_walk_ in a collection). */
  uint64_t heap_walks;
  /* heapwalk: collections whose mark alive used the prefetch FIFO. */
  uint64_t prefetch_marks;
  uint16_t size_class[GC_CLASS_TABLE_MAX / 16 + 1];
  int in_collection;
  /* Untracked objects (see gc.h): */
  gc_link untracked;    /* a listed heap's untracked objects; no collector
                           reads it */
  int buffer_untracked; /* the collector wants untracked possible roots */
  int count_tracked;    /* tunable count=tracked: the trigger counts tracked
                           objects (gh-140262); else every object but atoms
                           (CPython's trackable objects) */
  int tuple_untracked;  /* GC_NEW_TUPLE objects start untracked */
  int dict_untracked;   /* GC_NEW_DICT objects start untracked */
  /* Objects the trigger counts (count=...): every one counted in (an
   * allocation, or a track under count=tracked) and out (a free, or an
   * untrack) since the heap began; their difference is the live ones
   * (CPython's heap_size, gc_live_counted_). */
  uint64_t counted_in, counted_out;
  /* GC_NEW_TUPLE | GC_NEW_DICT bits of every object ever made here: a
   * collection's untracking pass (gc_untrack_list_) is skipped while no
   * tuple or dict exists to untrack, so heaps without them pay nothing. */
  unsigned made_kinds;
  gc_heap_stats stats;
  gc_object **roots;
  uint32_t *root_refs; /* references each entry holds; NULL: 1 each */
  size_t nroots, roots_cap;
  size_t truncate_to; /* SIZE_MAX: no gc_root_truncate running; else the
                         n a finalizer's truncate asked for meanwhile
                         (SIZE_MAX - 1: none yet) */
  gc_collection_record *records;
  size_t nrecords, records_cap;
  gc_collect_hook hook;
  void *hook_arg;
  uint64_t t_origin; /* gc_now_ns() at creation */
  uint64_t sample_every, next_sample; /* sample hook, by allocations */
  gc_sample_hook sample;
  void *sample_arg;
  gc_finalizer finalizer; /* run on GC_F_FINALIZER objects */
  void *finalizer_arg;
  int legacy_finalizers;  /* 1: pre-3.4 behaviour (gc.garbage) */
  int alloc;              /* GC_ALLOC_*: where objects come from */
  void *mi_heap;          /* alloc == GC_ALLOC_MIMALLOC: this heap's own */
  int checked;            /* failure injection or cookies on */
  int cookie;             /* payload cookies (tunable cookie) */
  uint64_t fail_at, fail_count, fail_rng; /* fail_alloc, fail_seed */
  double fail_rate, fail_collector;
  int defer_auto;         /* > 0 while finalizers run outside a collection */
  /* Unreclaimed garbage (gc_note_garbage): sum of count x allocations up
   * to ur_mark, and the maxima. */
  unsigned __int128 ur_objects_sum, ur_bytes_sum;
  uint64_t ur_mark, ur_max_objects, ur_max_bytes;
  gc_object **garbage;    /* gc.garbage, legacy mode */
  size_t ngarbage, garbage_cap;
};

/* The live objects the trigger counts (CPython's heap_size). */
static inline uint64_t gc_live_counted_(const gc_heap *h) {
  return h->counted_in - h->counted_out;
}

/* Lists: circular, doubly linked, with a gc_link sentinel. */
static inline void gc_list_init(gc_link *l) { l->next = l->prev = l; }
static inline int gc_list_empty(const gc_link *l) { return l->next == l; }
static inline void gc_list_unlink(gc_link *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
}
static inline void gc_list_append(gc_link *l, gc_link *n) {
  n->prev = l->prev;
  n->next = l;
  l->prev->next = n;
  l->prev = n;
}
static inline void gc_list_move(gc_link *to, gc_link *n) {
  gc_list_unlink(n);
  gc_list_append(to, n);
}
/* Append every node of `from` to `to`; `from` becomes empty. */
static inline void gc_list_merge(gc_link *to, gc_link *from) {
  if (gc_list_empty(from)) return;
  gc_link *first = from->next, *last = from->prev;
  first->prev = to->prev;
  to->prev->next = first;
  last->next = to;
  to->prev = last;
  gc_list_init(from);
}
size_t gc_list_size(const gc_link *l);

/* One target: the first pass of a collection over o's slots records
 * whether they all hold one object, non-NULL and in the set being collected
 * (gc_object.one_target, the run of pyperformance's gc_traversal lists);
 * `last_run` is the length of the last run of such slots.  The later passes
 * of the same collection then read the slots up to gc_scan_len_(o) instead
 * of nslots. */
static inline void gc_note_one_target_(gc_object *o, uint32_t last_run) {
  o->one_target = o->nslots > 1 && last_run == o->nslots;
}
static inline uint32_t gc_scan_len_(const gc_object *o) {
  return o->one_target ? 1 : o->nslots;
}

/* Walks that follow objects allocated one after another (a list in
 * allocation order, a chain, a ring) meet them one after another in
 * memory: the allocator hands out consecutive slots of a slab.  Hardware
 * prefetchers follow such a stream only within a 4 KiB page, so the walks
 * also prefetch GC_STREAM_AHEAD bytes past where they are, across pages.
 * A wrong guess costs one prefetch.  (Live chains of 100, 1,000,000
 * objects, naive: 10.1 -> 8.1 ms per collection; 512 and 1024 bytes gained
 * less.) */
#define GC_STREAM_AHEAD 2048

/* Prefetch the headers of o's first four targets.  A macro: GCC finds a
 * function that only prefetches pure, and drops calls to it. */
#define GC_PREFETCH_EDGES(o)                                           \
  do {                                                                 \
    gc_object *const o_ = (o), **const s_ = gc_slots(o_);              \
    for (uint32_t i_ = 0, n_ = o_->nslots < 4 ? o_->nslots : 4; i_ < n_; \
         i_++)                                                         \
      if (s_[i_]) __builtin_prefetch(s_[i_]);                          \
  } while (0)

/* The same without a test per slot: a NULL slot's prefetch is a hint to
 * address 0, which the processor drops without a fault, and the test was a
 * branch whose outcome follows the shape (a leaf's NULL children), which
 * mispredicts.  Trial deletion's window: live binary trees of 2^16 with
 * parent links 17.1 -> 15.2 ns per vertex, random back edges 36 -> 30. */
#define GC_PREFETCH_EDGES_ANY(o)                                       \
  do {                                                                 \
    gc_object *const o_ = (o), **const s_ = gc_slots(o_);              \
    for (uint32_t i_ = 0, n_ = o_->nslots < 4 ? o_->nslots : 4; i_ < n_; \
         i_++)                                                         \
      __builtin_prefetch(s_[i_]);                                      \
  } while (0)

/* Call fn on every live object of a heap_walk heap, in the allocator's
 * order (mimalloc's pages, addresses ascending within a page), until fn
 * returns 0.  Nothing may be allocated from or freed to the heap during the
 * walk.  Returns 0 if fn stopped it, 1 if it went through. */
typedef int (*gc_walk_fn)(gc_object *o, void *arg);
int gc_heap_walk_(gc_heap *h, gc_walk_fn fn, void *arg);

/* Free a garbage set that a heap_walk collector threaded through its
 * members' first 8 bytes (gc_chain_set_, from `first` to NULL), every
 * member flagged GC_F_COLLECTING.  As gc_free_garbage_: references from the
 * set to objects outside it are dropped first (unless `closed`), then every
 * member is freed.  Returns the number freed. */
uint64_t gc_free_garbage_chain_(gc_heap *h, gc_object *first, int closed);
static inline void gc_chain_set_(gc_object *o, gc_object *next) {
  __builtin_memcpy((void *)o, &next, sizeof next); /* refcnt and gc_refs */
}
static inline gc_object *gc_chain_next_(const gc_object *o) {
  gc_object *n;
  __builtin_memcpy(&n, (const void *)o, sizeof n);
  return n;
}

/* ------------------------------------------------------------------------
 * Untracked objects, as collectors see them
 * ---------------------------------------------------------------------- */

/* Offer o to the collector as a possible root (a decrement left its count
 * above zero; o is not BUFFERED): an untracked o only to a collector that
 * buffers untracked objects. */
static inline void gc_offer_root_(gc_heap *h, gc_object *o) {
  if (gc_unlikely(o->untracked) && !h->buffer_untracked) return;
  h->collector->possible_root(h, o);
}

/* CPython's _PyObject_GC_MAY_BE_TRACKED, for every sequence of stores:
 * 0 only for what no store can track, an untracked object without slots
 * (an atom: an int, a str) or an untracked tuple with no NULL slot (a
 * built tuple, immutable in CPython: only the constructors given all
 * items create tuples untracked); 1 for anything else (a tracked object;
 * an untracked dict, plain object or atom with slots, or a tuple still
 * being built, which a later store into it may track). */
static inline int gc_may_be_tracked_(const gc_object *x) {
  if (!x->untracked) return 1;
  if (x->kind != GC_KIND_TUPLE) return x->nslots != 0;
  gc_object *const *s = gc_slots((gc_object *)x);
  for (uint32_t i = 0, n = x->nslots; i < n; i++)
    if (!s[i]) return 1;
  return 0;
}

/* CPython's _PyTuple_MaybeUntrack test, for a tracked tuple: no slot is
 * NULL (a tuple being built) and none holds an object that may be
 * tracked. */
int gc_tuple_untrackable_(const gc_object *o);
/* _PyDict_MaybeUntrack's, for a tracked dict: no slot holds an object
 * that may be tracked (NULL slots are empty entries). */
int gc_dict_untrackable_(const gc_object *o);

/* A collection untracks o (tracked, BLACK, no collection flag set by the
 * caller, gen bits its own): off its list onto the untracked one, counted
 * in untracked_by_collector.  The caller must not be walking o's list
 * through o's link. */
void gc_untrack_by_collector_(gc_heap *h, gc_object *o);

/* CPython's untrack_tuples and untrack_dicts over a list of tracked, BLACK
 * objects with no collection flag: each tuple (with `tuples`) and dict
 * (with `dicts`) that its test allows leaves the list for the untracked
 * one, in list order (a tuple holding a tuple met later stays tracked, as
 * in CPython).  Returns the number untracked. */
uint64_t gc_untrack_list_(gc_heap *h, gc_link *l, int tuples, int dicts);

/* Check the untracked objects (every validator calls it): each is BLACK
 * (or PURPLE and buffered, under buffer_untracked) with no collection flag
 * and holds untracked objects only; a listed heap's are all on
 * h->untracked, live_untracked of them.  Aborts with a message. */
void gc_validate_untracked_(gc_heap *h, const char *where);

/* Failure injection for a collector's own arrays (heap tunable
 * fail_collector): 1 if this growth is to fail, as if realloc had. */
int gc_grow_fails_(gc_heap *h);

/* Arm the allocation trigger: auto_collect after n more allocations since
 * the last collection (never while automatic collection is off). */
static inline void gc_arm_trigger_(gc_heap *h, uint64_t n) {
  h->trigger = h->auto_on ? n : UINT64_MAX;
}

/* Run one collection of `gen`: hook, timing, statistics, record, validator.
 * Collectors' auto_collect calls this.  Returns objects freed. */
uint64_t gc_run_collection_(gc_heap *h, int gen, int automatic);

/* Free every object of `garbage`, all of them WHITE.  Slots that point to
 * non-WHITE objects are decremented (those may then be released); slots
 * between garbage objects are not.  Precondition, which every collector's
 * garbage set satisfies: no object outside the list refers to one inside.
 * `closed` says that no object inside refers to one outside either, which
 * spares the pass over the garbage's slots (debug builds check it); on a
 * heap with finalizable objects it is ignored, since a finalizer may have
 * stored a reference into the garbage after it was found closed.
 * Afterwards `garbage` is empty.  Returns the number freed. */
uint64_t gc_free_garbage_(gc_heap *h, gc_link *garbage, int closed);
/* The same for a garbage set kept in GC_GARBAGE_WAYS lists (garbage[0 ..
 * GC_GARBAGE_WAYS)) that a collector filled in turn as it found the
 * garbage: the passes walk all the lists at once, one object of each in
 * turn, so that where the garbage was found in an order that jumps across
 * the heap (a depth-first walk of a tree allocated breadth-first) the
 * misses of GC_GARBAGE_WAYS walks overlap instead of each link waiting on
 * the one before.  The precondition is gc_free_garbage_'s for the union of
 * the lists: every object on them WHITE, and no object outside the union
 * referring to one inside; `closed` is ignored on a heap with finalizable
 * objects, as there.  Afterwards every list is empty. */
enum { GC_GARBAGE_WAYS = 4 };
uint64_t gc_free_garbage_ways_(gc_heap *h, gc_link *garbage, int closed);
/* Free every object of every list as gc_free_garbage_ frees a closed
 * garbage set (statistics, the allocator's sized free; no pass over the
 * slots, no unlinking), leaving the lists empty.  Not a collection:
 * gcbench's floor-free row, the limit of freeing what a collection finds.
 * Returns the number freed. */
uint64_t gc_free_all_objects_(gc_heap *h);

/* Give every allocator's cached free memory back to the system: this
 * thread's jemalloc tcache flushed and every arena purged, mimalloc's
 * caches collected, glibc's heap trimmed.  The next heap is then built on
 * fresh pages in address order, as the first heap of a process is, not on
 * whatever order the last heap's frees left the caches in (which slowed a
 * list collector's later rows by up to 1.6x).  For harnesses, between
 * heaps; never inside a timed region. */
void gc_mem_trim_(void);

/* Run the finalizers of `garbage` (WHITE, as for gc_free_garbage_) and
 * recompute reachability over it: resurrected objects, BLACK, move to
 * `survivors`; what stays in `garbage` is still unreachable and satisfies
 * gc_free_garbage_'s precondition.  With legacy_finalizers=1, runs nothing
 * and moves finalizer-bearing objects and all they reach to `survivors`,
 * appending the former to gc.garbage.  Cheap when no garbage object has a
 * finalizer.  Returns the number of objects moved to `survivors`. */
uint64_t gc_finalize_garbage_(gc_heap *h, gc_link *garbage, gc_link *survivors);

/* Append o to gc.garbage (legacy_finalizers=1), with a reference of the
 * list's own.  0, or -1 when out of memory (o is not appended). */
int gc_garbage_append_(gc_heap *h, gc_object *o);

/* Abort with "gcbench: invariant violated (where): what". */
void gc_fatal_(const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 2, 3)))
#endif
    ;

#if defined(__GNUC__)
#define GC_NOINLINE __attribute__((noinline))
#else
#define GC_NOINLINE
#endif

/* Debug checks: on in debug and sanitizer builds (GC_DEBUG), nothing in
 * release builds. */
#ifdef GC_DEBUG
#define GC_CHECK(cond, where, ...) \
  do {                             \
    if (!(cond)) gc_fatal_(where, __VA_ARGS__); \
  } while (0)
#else
#define GC_CHECK(cond, where, ...) ((void)0)
#endif

/* k references to t from inside the set being examined: off its gc_refs
 * (a run of slots holding t, subtracted at once). */
static inline void gc_take_refs_(gc_object *t, uint32_t k,
                                 const char *where) {
  GC_CHECK(t->gc_refs >= k, where,
           "gc_refs below zero: refcnt smaller than references");
  (void)where;
  t->gc_refs -= k;
}

#ifdef __cplusplus
}
#endif
#endif
