/*
 * heapwalk.c -- CPython's free-threaded collector (Python/gc_free_threading.c
 * as of python/cpython@0090365728756749142e1c2202c6213c44a0aa3d, plus two
 * later 3.14 changes: mark alive's prefetch FIFO, PR #129203, and the
 * process-memory deferral, PR #133399): no lists.
 *
 * Objects carry no gc_link (16 bytes less each, as gh-112529 removed
 * PyGC_Head from the free-threaded build) and nothing is linked or unlinked
 * when they are created or freed.  A collection finds them by walking every
 * block of the mimalloc heap that holds them and nothing else
 * (gc_heap_walk_, mi_heap_visit_blocks), in the phases of gc_collect_internal:
 *
 *   1. mark alive (a traversal, not a walk): everything reachable from the
 *      root table (CPython: the sys dict, builtins, the static types' dicts
 *      and the frames' stack references) is flagged ALIVE and takes no
 *      further part; through the prefetch FIFO when the last collection
 *      kept more than 200,000 objects (use_prefetch);
 *   2. update_refs (a walk): every other object gets gc_refs = refcnt and
 *      is flagged UNREACHABLE; each reference from it to another such
 *      object is subtracted from that one's gc_refs;
 *   3. mark_heap (a walk): an UNREACHABLE object with gc_refs > 0 is
 *      referred to from outside; it and everything it reaches lose the flag;
 *   4. scan_heap (a walk): what is still UNREACHABLE is garbage: threaded
 *      into a list through its first 8 bytes when no object has a
 *      finalizer, else put on the unreachable worklist (CPython's
 *      state->unreachable, threaded through ob_tid); the rest is counted
 *      as long_lived_total;
 *   5. finalizers, then reachability recomputed over the garbage (PEP 442,
 *      finalize_garbage, handle_resurrected_objects), over the worklist;
 *   6. the garbage is freed.
 *
 * Three walks a collection, as CPython's, plus one per mark-stack overflow
 * (below).  The worklist is an array grown before a collection, outside
 * its pause, to the live count (8 bytes an object, once finalizers exist);
 * if it cannot grow (or worklist=0) the steps of 5 walk the heap instead.
 *
 * Nothing is allocated during a collection.  The mark stack is allocated
 * once, with the heap (tunable `stack` entries).  When it is full, an
 * object to be followed is flagged GRAY instead ("marked, slots not yet
 * followed") and, once the stack is empty, a walk of the heap picks the
 * GRAY objects up again, as often as it takes: the marking is monotone, so
 * this ends, and costs one walk per overflow.  (CPython's stacks grow in
 * chunks; when one cannot, it abandons the mark-alive pass or the
 * collection and raises MemoryError.)
 *
 * When (record_allocation, gc_should_collect): CPython counts allocations
 * minus deallocations of tracked objects per thread and adds the count to
 * young.count in steps of LOCAL_ALLOC_COUNT_THRESHOLD (512); at such a step
 * it schedules a collection when young.count > young.threshold (2000) and
 * young.count > long_lived_total / 4 (the survivors of the last
 * collection), the second test skipped when old[0].threshold is 0 (here
 * scaled=0).  gcbench's one thread sees the count it would have flushed:
 * the allocations less the deallocations since the last collection,
 * rounded toward zero to a multiple of `local`.  Deallocations during a
 * collection count, so a collection that frees k objects starts the next
 * count at -k.
 *
 * 3.14's process-memory deferral (mem_defer=1, profile cpython-3.14t; PR
 * #133399): once the count is due, and unless old[0].threshold is 0
 * (scaled=0), the collection runs only if the deferred count alone exceeds
 * 40 x threshold or the process has grown by more than max(last / 10, 128
 * KiB) since the last collection; otherwise the count is moved into the
 * deferred count and starts again.  CPython reads RSS + swap, which
 * freeing cyclic garbage does not lower (mimalloc keeps the pages,
 * gh-148937).  gcbench reads a deterministic stand-in: mem_base KiB for
 * the interpreter plus the high-water mark of the objects' allocator cost
 * (mem_held=1; 0: their current cost), not /proc.  PR #149475 reverted
 * the deferral on main (3.15).
 *
 * Untracked objects (gc_untrack, gc_new_ex) stay in the mimalloc heap, so
 * every walk passes their blocks, but no phase takes them (op_from_block
 * skips an untracked object), an edge to one is skipped, and they are not
 * examined.  Tuples (untrack_tuples, gc_maybe_untrack): mark alive untracks
 * a tuple it reaches that holds nothing that may be tracked instead of
 * marking it, and update_refs one it meets unmarked.  What counts toward
 * long_lived_total: before gh-142562 (3.14.0t-3.14.2t) the tracked
 * survivors only, so a heap of untracked tuples keeps the threshold at 2000
 * while each collection walks every block (gh-142531); after it
 * (long_lived_untracked=1; 3.14.3t, backport PR #142617) the untracked
 * objects the walk passes too, atoms aside (CPython allocates those
 * outside the GC's heaps).
 */
#include <stdlib.h>

#include "collector.h"

/* Flags: the generation bits and COLLECTING, which a collector without
 * generations or buffer is free to use. */
#define HW_ALIVE (1u << GC_F_GEN_SHIFT)       /* reached by mark alive */
#define HW_HELD (2u << GC_F_GEN_SHIFT)        /* +1 while finalizers run */
#define HW_UNREACHABLE GC_F_COLLECTING        /* tentatively garbage */
/* GC_GRAY: marked, slots not yet followed (the stack was full). */

static const gc_param_def heapwalk_tunables[] = {
    {"threshold", GC_P_INT, "2000", 1, 1e12,
     "young.threshold: a collection is due when the count of allocations "
     "less deallocations passes it"},
    {"scaled", GC_P_INT, "1", 0, 1,
     "1: the count must also pass long_lived_total / 4 (the survivors of "
     "the last collection); 0: as old[0].threshold == 0"},
    {"local", GC_P_INT, "512", 1, 1e9,
     "LOCAL_ALLOC_COUNT_THRESHOLD: the count is seen in steps of this many "
     "(1: every allocation)"},
    {"mark_alive", GC_P_INT, "1", 0, 1,
     "1: mark what the root table reaches alive before the heap walks "
     "(GC_ENABLE_MARK_ALIVE); 0: every object takes part in every walk"},
    {"mem_defer", GC_P_INT, "0", 0, 1,
     "1: 3.14's deferral (PR #133399): a due collection waits until the "
     "process size has grown by max(last / 10, 128 KiB) since the last "
     "collection or more than 40 x threshold allocations are deferred"},
    {"mem_held", GC_P_INT, "1", 0, 1,
     "the process size mem_defer reads, beside mem_base: 1: the high-water "
     "mark of the objects' allocator cost (mimalloc keeps the pages of "
     "freed garbage, so a collection does not lower it); 0: the live "
     "objects' cost (drops as garbage is freed)"},
    {"mem_base", GC_P_INT, "0", 0, 1e12,
     "KiB added to the process size mem_defer reads: the interpreter's own "
     "footprint (0: the objects alone; the 10% rule is relative to the "
     "whole process)"},
    {"worklist", GC_P_INT, "1", 0, 1,
     "1: finalizers and resurrection go over a list of the unreachable "
     "objects, grown before a collection to the live count (8 bytes an "
     "object, once finalizers exist); 0: over walks of the heap, 7 more "
     "with a finalizer pending, as when the list cannot grow"},
    {"prefetch", GC_P_INT, "1", 0, 2,
     "mark alive through 3.14's FIFO of prefetched objects (256 entries, "
     "refilled at 8 or fewer up to 16): 1: when the last collection's "
     "survivors exceed prefetch_above, as CPython; 0: never; 2: always"},
    {"prefetch_above", GC_P_INT, "200000", 0, 1e12,
     "long_lived_total above which prefetch=1 uses the FIFO (CPython: "
     "200000)"},
    {"untrack_tuples", GC_P_INT, "1", 0, 1,
     "1: mark alive and update_refs untrack the tuples that hold nothing "
     "that may be tracked (gc_maybe_untrack); 0: never"},
    {"long_lived_untracked", GC_P_INT, "0", 0, 1,
     "1: long_lived_total counts the untracked objects the walks pass, "
     "atoms aside (gh-142562, 3.14.3t on); 0: tracked survivors only "
     "(3.14.0t-3.14.2t: a heap of untracked tuples keeps collections "
     "2000 allocations apart)"},
    {"stack", GC_P_INT, "65536", 1, 1e9,
     "entries of the mark stack, allocated with the heap; when it is full, "
     "a walk of the heap finds the objects left to follow"},
};

typedef struct hw_state {
  uint64_t threshold, local;
  int scaled, mark_alive, mem_defer, mem_held, inject, prefetch, worklist;
  int untrack_tuples, ll_untracked;
  int fifo; /* this collection's mark alive uses the FIFO */
  uint64_t prefetch_above, mem_base_kib;
  gc_object **stack;
  size_t cap, n;
  int overflow;
  /* the unreachable worklist (CPython's state->unreachable), grown before
   * a collection to the live count; wover: it could not hold them all */
  gc_object **work;
  size_t wcap, wn;
  int wover;
  /* the count: allocations less deallocations since base_* */
  uint64_t base_alloc, base_freed;
  uint64_t long_lived_total;
  uint64_t deferred_count, last_mem_kib;
  /* one collection */
  uint64_t examined, survivors, garbage_n, pending_fin, revived;
  gc_object *garbage; /* threaded through the first 8 bytes */
  int closed;
  gc_heap *h;
} hw_state;

/* Allocations less deallocations since the count last started, of the
 * objects the heap counts (tunable count: by default every object but
 * atoms, as record_allocation counts GC objects). */
static int64_t hw_count(const gc_heap *h) {
  const hw_state *st = h->state;
  return (int64_t)(h->counted_in - st->base_alloc) -
         (int64_t)(h->counted_out - st->base_freed);
}

static void hw_count_restart(gc_heap *h) {
  hw_state *st = h->state;
  st->base_alloc = h->counted_in;
  st->base_freed = h->counted_out;
}

/* What young.count would hold: the count in whole steps of `local`. */
static int64_t hw_seen(const hw_state *st, int64_t count) {
  int64_t l = (int64_t)st->local;
  return count >= 0 ? count / l * l : -(-count / l * l);
}

/* The smallest count gc_should_collect says yes to. */
static int64_t hw_due_at(const hw_state *st) {
  uint64_t x = st->threshold;
  if (st->scaled && st->long_lived_total / 4 > x) x = st->long_lived_total / 4;
  return (int64_t)((x / st->local + 1) * st->local);
}

/* The process size 3.14's deferral reads, in KiB (get_process_mem_usage:
 * RSS + swap on Linux): the interpreter's footprint mem_base plus what the
 * objects take from the allocator, by default its high-water mark. */
static uint64_t hw_mem_kib(const gc_heap *h, const hw_state *st) {
  return st->mem_base_kib +
         (st->mem_held ? h->budget_peak : h->budget_used) / 1024;
}

/* Come back when the count can first be due (frees may delay it). */
static void hw_arm(gc_heap *h) {
  const hw_state *st = h->state;
  int64_t need = hw_due_at(st) - hw_count(h);
  gc_arm_trigger_(h, h->alloc_since + (uint64_t)(need > 0 ? need : 1));
}

static int heapwalk_init(gc_heap *h, const gc_param_set *t, char *err,
                         size_t errlen) {
  hw_state *st = h->state;
  st->h = h;
  st->threshold = (uint64_t)gc_params_int(t, "threshold");
  st->scaled = (int)gc_params_int(t, "scaled");
  st->local = (uint64_t)gc_params_int(t, "local");
  st->mark_alive = (int)gc_params_int(t, "mark_alive");
  st->mem_defer = (int)gc_params_int(t, "mem_defer");
  st->prefetch = (int)gc_params_int(t, "prefetch");
  st->prefetch_above = (uint64_t)gc_params_int(t, "prefetch_above");
  st->mem_held = (int)gc_params_int(t, "mem_held");
  st->worklist = (int)gc_params_int(t, "worklist");
  st->untrack_tuples = (int)gc_params_int(t, "untrack_tuples");
  st->ll_untracked = (int)gc_params_int(t, "long_lived_untracked");
  st->mem_base_kib = (uint64_t)gc_params_int(t, "mem_base");
  st->cap = (size_t)gc_params_int(t, "stack");
  st->inject = h->fail_collector > 0;
  st->stack = malloc(st->cap * sizeof *st->stack);
  if (!st->stack) {
    snprintf(err, errlen, "out of memory for heapwalk's mark stack of %zu "
             "entries (tunable stack)", st->cap);
    return GC_ENOMEM;
  }
  h->net_count = 0; /* the trigger counts allocations; hw_count the rest */
  hw_count_restart(h);
  hw_arm(h);
  return GC_OK;
}

static void heapwalk_fini(gc_heap *h) {
  hw_state *st = h->state;
  free(st->stack);
  free(st->work);
}

/* Before a collection, outside its pause: room in the worklist for every
 * live object (each may turn out garbage), a quarter more to spare.  If
 * that fails the collection falls back to walks (heapwalk_collect). */
static void heapwalk_prepare(gc_heap *h) {
  hw_state *st = h->state;
  uint64_t need = h->stats.live_objects;
  if (!st->worklist || need <= st->wcap || !h->hot.has_finalizable) return;
  if (st->inject && gc_grow_fails_(h)) return;
  size_t cap = (size_t)(need + need / 4);
  gc_object **w = realloc(st->work, cap * sizeof *w);
  if (!w) return;
  st->work = w;
  st->wcap = cap;
}

/* ----------------------------------------------------------------------
 * The bounded mark stack
 * -------------------------------------------------------------------- */

/* o is marked; its slots are to be followed. */
static inline void hw_push(hw_state *st, gc_object *o) {
  if (gc_likely(st->n < st->cap) &&
      !(gc_unlikely(st->inject) && gc_grow_fails_(st->h))) {
    __builtin_prefetch(o);
    st->stack[st->n++] = o;
  } else {
    gc_set_color(o, GC_GRAY);
    st->overflow = 1;
  }
}

/* gc_maybe_untrack: o, tracked and not yet marked, is a tuple that holds
 * nothing that may be tracked: untracked, with none of this collection's
 * flags.  Returns 1 if it was. */
static int hw_maybe_untrack(hw_state *st, gc_object *o) {
  if (!st->untrack_tuples || o->kind != GC_KIND_TUPLE ||
      !gc_tuple_untrackable_(o))
    return 0;
  o->info &= ~(GC_F_COLOR_MASK | HW_ALIVE | HW_HELD | HW_UNREACHABLE);
  gc_untrack_by_collector_(st->h, o);
  return 1;
}

/* Mark alive: follow to every object not yet ALIVE. */
static void drain_alive_plain(hw_state *st) {
  while (st->n) {
    gc_object *o = st->stack[--st->n];
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, k = o->nslots; i < k; i++) {
      gc_object *t = s[i];
      if (t && !(t->info & HW_ALIVE) && !t->untracked &&
          !hw_maybe_untrack(st, t)) {
        t->info |= HW_ALIVE;
        hw_push(st, t);
      }
    }
  }
}

/* The same with 3.14's prefetch buffer (PR #129203: gc_mark_buffer_push,
 * gc_prime_buffer, gc_propagate_alive_prefetch): a FIFO of objects not yet looked at, each prefetched as it
 * goes in, so that its header has arrived by the time it comes out.  No
 * object is read before it leaves the FIFO, so an object may be queued
 * more than once; the one that finds it not yet ALIVE follows it.  The
 * stack takes what the FIFO has no room for, if not ALIVE already (so that
 * many references to few objects, as in `levels`, do not fill it with
 * duplicates), and refills the FIFO when HW_BUF_LO or fewer are
 * queued.  The ALIVE test before the stack and the run-of-one dedupe are
 * gcbench's; CPython queues list and tuple items as spans, gcbench does
 * not.  Objects on the stack here are queued, not yet marked (the stack is
 * this drain's alone: mark alive runs first). */
enum { HW_BUF = 256, HW_BUF_HI = 16, HW_BUF_LO = 8 };

static inline void buf_push(hw_state *st, gc_object **buf, unsigned *in,
                            unsigned out, gc_object *t) {
  if (*in - out < HW_BUF) {
    __builtin_prefetch(t);
    buf[(*in)++ & (HW_BUF - 1)] = t;
  } else if (!(t->info & HW_ALIVE) && !t->untracked) { /* no duplicates */
    hw_push(st, t); /* GRAY on overflow: the rescan queues it again */
  }
}

static void drain_alive_prefetch(hw_state *st) {
  gc_object *buf[HW_BUF];
  unsigned in = 0, out = 0;
  for (;;) {
    if (in - out <= HW_BUF_LO) /* gc_prime_buffer's rule */
      while (st->n && in - out < HW_BUF_HI) {
        gc_object *o = st->stack[--st->n];
        __builtin_prefetch(o);
        buf[in++ & (HW_BUF - 1)] = o;
      }
    if (in == out) break;
    gc_object *o = buf[out++ & (HW_BUF - 1)];
    if ((o->info & HW_ALIVE) || o->untracked || hw_maybe_untrack(st, o))
      continue;
    o->info |= HW_ALIVE;
    gc_object **s = gc_slots(o), *prev = NULL;
    for (uint32_t i = 0, k = o->nslots; i < k; i++)
      if (s[i] && s[i] != prev) /* a run of one target: queued once */
        buf_push(st, buf, &in, out, prev = s[i]);
  }
}

static void drain_alive(hw_state *st) {
  if (st->fifo)
    drain_alive_prefetch(st);
  else
    drain_alive_plain(st);
}

/* mark_reachable: follow to every object still UNREACHABLE. */
static void drain_reachable(hw_state *st) {
  while (st->n) {
    gc_object *o = st->stack[--st->n];
    gc_object **s = gc_slots(o);
    for (uint32_t i = 0, k = o->nslots; i < k; i++) {
      gc_object *t = s[i];
      if (t && (t->info & HW_UNREACHABLE)) {
        t->info &= ~HW_UNREACHABLE;
        st->revived++;
        hw_push(st, t);
      }
    }
  }
}

typedef struct rescan_arg {
  hw_state *st;
  void (*drain)(hw_state *);
} rescan_arg;

static int rescan_one(gc_object *o, void *arg) {
  rescan_arg *r = arg;
  if (gc_get_color(o) != GC_GRAY) return 1;
  gc_set_color(o, GC_BLACK);
  hw_push(r->st, o); /* marked already, or (prefetch) queued unmarked */
  r->drain(r->st);
  return 1;
}

/* Follow what the stack could not hold: walks until none is left GRAY. */
static void hw_finish(hw_state *st, void (*drain)(hw_state *)) {
  drain(st);
  rescan_arg r = {st, drain};
  while (st->overflow) {
    st->overflow = 0;
    gc_heap_walk_(st->h, rescan_one, &r);
  }
}

/* ----------------------------------------------------------------------
 * The phases
 * -------------------------------------------------------------------- */

/* With the prefetch buffer an object on the stack is queued, not marked:
 * roots and GRAY objects go on unmarked, and the drain marks them. */
static void mark_alive_from_roots(gc_heap *h, hw_state *st) {
  for (size_t i = 0; i < h->nroots; i++) {
    gc_object *o = h->roots[i];
    if (!o) continue;
    if (st->fifo) {
      hw_push(st, o);
      if (st->n >= HW_BUF_HI) drain_alive(st);
    } else if (!(o->info & HW_ALIVE) && !o->untracked &&
               !hw_maybe_untrack(st, o)) {
      o->info |= HW_ALIVE;
      hw_push(st, o);
      drain_alive(st);
    }
  }
  hw_finish(st, drain_alive);
}

/* gc_maybe_init_refs: the first time a walk meets o, directly or as a
 * target, it becomes UNREACHABLE with gc_refs 0.  gc_refs is unsigned and
 * may pass below zero until o's own turn adds its count: the sum comes out
 * right modulo 2^32. */
static inline void init_refs(gc_object *o) {
  if (!(o->info & HW_UNREACHABLE)) {
    o->info |= HW_UNREACHABLE;
    o->gc_refs = 0;
  }
}

static int update_refs(gc_object *o, void *arg) {
  hw_state *st = arg;
  if (o->untracked) return 1; /* a block the walk passes over */
  st->examined++;
  if (o->info & HW_ALIVE) return 1;
  if (hw_maybe_untrack(st, o)) return 1; /* gc_restore_refs */
  init_refs(o);
  o->gc_refs += o->refcnt;
  gc_object **s = gc_slots(o);
  for (uint32_t i = 0, k = o->nslots; i < k; i++) {
    gc_object *t = s[i];
    if (t && !(t->info & HW_ALIVE) && !t->untracked) {
      init_refs(t);
      t->gc_refs--;
    }
  }
  return 1;
}

static int mark_heap(gc_object *o, void *arg) {
  hw_state *st = arg;
  if ((o->info & (HW_ALIVE | HW_UNREACHABLE)) != HW_UNREACHABLE) return 1;
  GC_CHECK(o->gc_refs <= o->refcnt, "heapwalk mark",
           "gc_refs %u above refcnt %u: references not counted",
           o->gc_refs, o->refcnt);
  if (o->gc_refs == 0) return 1;
  o->info &= ~HW_UNREACHABLE;
  hw_push(st, o);
  drain_reachable(st);
  return 1;
}

static inline int finalizer_pending(const gc_heap *h, const gc_object *o) {
  return h->legacy_finalizers
             ? (o->info & GC_F_FINALIZER) != 0
             : (o->info & (GC_F_FINALIZER | GC_F_FINALIZED)) == GC_F_FINALIZER;
}

/* Thread garbage object o onto the list; note a reference out of the set. */
static inline void thread_garbage(hw_state *st, gc_object *o) {
  gc_object **s = gc_slots(o);
  for (uint32_t i = 0, k = o->nslots; i < k; i++)
    if (s[i] && !(s[i]->info & HW_UNREACHABLE)) st->closed = 0;
  gc_chain_set_(o, st->garbage); /* refcnt and gc_refs: no longer needed */
  st->garbage = o;
}

/* scan_heap_visitor.  Without finalizers in the heap the garbage is
 * threaded here (nothing reads its counts again).  With them it goes on
 * the worklist, as CPython's goes on state->unreachable, and stays
 * flagged for the steps below; if the worklist is full, the rest stays
 * flagged only and the steps fall back to walks. */
static int scan_heap(gc_object *o, void *arg) {
  hw_state *st = arg;
  if (o->untracked) {
    st->survivors += st->ll_untracked && o->kind != GC_KIND_ATOM;
    return 1;
  }
  if (o->info & HW_UNREACHABLE) {
    st->garbage_n++;
    if (!st->h->hot.has_finalizable) {
      thread_garbage(st, o);
      return 1;
    }
    if (finalizer_pending(st->h, o)) st->pending_fin++;
    if (st->wn < st->wcap)
      st->work[st->wn++] = o;
    else
      st->wover = 1;
    return 1;
  }
  o->info &= ~HW_ALIVE;
  st->survivors++;
  return 1;
}

static int thread_unreachable(gc_object *o, void *arg) {
  hw_state *st = arg;
  o->info &= ~HW_HELD;
  if (o->info & HW_UNREACHABLE) thread_garbage(st, o);
  return 1;
}

/* PEP 442, as gc_finalize_garbage_ does it over a list, over the heap. */
static int hold(gc_object *o, void *arg) {
  (void)arg;
  if (o->info & HW_UNREACHABLE) {
    o->refcnt++;
    o->info |= HW_HELD;
  }
  return 1;
}

/* Gather up to a stackful of garbage objects whose finalizer is due. */
static int gather_finalizable(gc_object *o, void *arg) {
  hw_state *st = arg;
  if ((o->info & HW_UNREACHABLE) && finalizer_pending(st->h, o)) {
    st->stack[st->n++] = o;
    if (st->n == st->cap) return 0;
  }
  return 1;
}

static int refs_from_outside(gc_object *o, void *arg) {
  (void)arg;
  if (o->info & HW_UNREACHABLE) o->gc_refs = o->refcnt - 1; /* less hold */
  return 1;
}

static int subtract_inside(gc_object *o, void *arg) {
  (void)arg;
  if (!(o->info & HW_UNREACHABLE)) return 1;
  gc_object **s = gc_slots(o);
  for (uint32_t i = 0, k = o->nslots; i < k; i++)
    if (s[i] && (s[i]->info & HW_UNREACHABLE)) s[i]->gc_refs--;
  return 1;
}

static int resurrect(gc_object *o, void *arg) {
  hw_state *st = arg;
  if (!(o->info & HW_UNREACHABLE) || o->gc_refs == 0) return 1;
  o->info &= ~HW_UNREACHABLE;
  st->revived++;
  hw_push(st, o);
  drain_reachable(st);
  return 1;
}

static int release_hold(gc_object *o, void *arg) {
  hw_state *st = arg;
  if (!(o->info & HW_HELD)) return 1;
  o->info &= ~HW_HELD;
  if (o->info & HW_UNREACHABLE) {
    thread_garbage(st, o);
  } else {
    o->refcnt--;
    GC_CHECK(o->refcnt > 0, "heapwalk finalize",
             "resurrected object with count 0");
  }
  return 1;
}

/* Legacy (pre-3.4): objects with finalizers, and all they reach, are kept;
 * the former go to gc.garbage. */
static int keep_legacy(gc_object *o, void *arg) {
  hw_state *st = arg;
  if (!(o->info & HW_UNREACHABLE) || !(o->info & GC_F_FINALIZER)) return 1;
  o->info &= ~HW_UNREACHABLE;
  st->revived++;
  /* Out of memory: not in gc.garbage, but kept alive all the same. */
  (void)gc_garbage_append_(st->h, o);
  hw_push(st, o);
  drain_reachable(st);
  return 1;
}

static void finalize(gc_heap *h, hw_state *st) {
  if (h->legacy_finalizers) {
    st->revived = 0;
    gc_heap_walk_(h, keep_legacy, st);
    hw_finish(st, drain_reachable);
    h->stats.uncollectable += st->revived;
    gc_heap_walk_(h, thread_unreachable, st);
    return;
  }
  gc_heap_walk_(h, hold, st);
  /* Run them a stackful at a time: a finalizer may allocate and free, which
   * no walk may see happen. */
  for (;;) {
    st->n = 0;
    gc_heap_walk_(h, gather_finalizable, st);
    size_t n = st->n;
    if (!n) break;
    st->n = 0;
    for (size_t i = 0; i < n; i++) {
      gc_object *o = st->stack[i];
      o->info |= GC_F_FINALIZED;
      h->stats.finalizers_run++;
      if (h->finalizer) h->finalizer(h, o, h->finalizer_arg);
    }
  }
  gc_heap_walk_(h, refs_from_outside, st);
  gc_heap_walk_(h, subtract_inside, st);
  st->revived = 0;
  gc_heap_walk_(h, resurrect, st);
  hw_finish(st, drain_reachable);
  h->stats.resurrected += st->revived;
  gc_heap_walk_(h, release_hold, st);
}

/* PEP 442 over the worklist, as CPython's finalize_garbage and
 * handle_resurrected_objects do it over state->unreachable: no walk.  The
 * list holds a reference to each member while finalizers run (CPython's
 * merge_refcount(op, 1) in scan_heap_visitor); a finalizer may allocate
 * and free, which an array does not mind.  Members still unreachable at
 * the end are threaded for freeing, the others drop the list's reference. */
static void finalize_list(gc_heap *h, hw_state *st) {
  gc_object **w = st->work;
  const size_t n = st->wn;
  if (st->pending_fin && h->legacy_finalizers) {
    st->revived = 0;
    for (size_t i = 0; i < n; i++) {
      gc_object *o = w[i];
      if (!(o->info & HW_UNREACHABLE) || !(o->info & GC_F_FINALIZER))
        continue;
      o->info &= ~HW_UNREACHABLE;
      st->revived++;
      (void)gc_garbage_append_(h, o); /* as keep_legacy */
      hw_push(st, o);
      drain_reachable(st);
    }
    hw_finish(st, drain_reachable);
    h->stats.uncollectable += st->revived;
  } else if (st->pending_fin) {
    for (size_t i = 0; i < n; i++) w[i]->refcnt++;
    for (size_t i = 0; i < n; i++) {
      gc_object *o = w[i];
      if (!finalizer_pending(h, o)) continue;
      o->info |= GC_F_FINALIZED;
      h->stats.finalizers_run++;
      if (h->finalizer) h->finalizer(h, o, h->finalizer_arg);
    }
    for (size_t i = 0; i < n; i++) w[i]->gc_refs = w[i]->refcnt - 1;
    for (size_t i = 0; i < n; i++) {
      gc_object **s = gc_slots(w[i]);
      for (uint32_t j = 0, k = w[i]->nslots; j < k; j++)
        if (s[j] && (s[j]->info & HW_UNREACHABLE)) s[j]->gc_refs--;
    }
    st->revived = 0;
    for (size_t i = 0; i < n; i++) {
      gc_object *o = w[i];
      if (!(o->info & HW_UNREACHABLE) || o->gc_refs == 0) continue;
      o->info &= ~HW_UNREACHABLE;
      st->revived++;
      hw_push(st, o);
      drain_reachable(st);
    }
    hw_finish(st, drain_reachable);
    h->stats.resurrected += st->revived;
    for (size_t i = 0; i < n; i++) {
      gc_object *o = w[i];
      if (o->info & HW_UNREACHABLE) continue;
      o->refcnt--;
      GC_CHECK(o->refcnt > 0, "heapwalk finalize",
               "resurrected object with count 0");
    }
  }
  for (size_t i = 0; i < n; i++)
    if (w[i]->info & HW_UNREACHABLE) thread_garbage(st, w[i]);
}

static void heapwalk_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  (void)gen; /* every collection is of the whole heap */
  hw_state *st = h->state;
  hw_count_restart(h); /* young.count = 0 */
  st->examined = st->survivors = st->garbage_n = st->pending_fin = 0;
  st->garbage = NULL;
  st->closed = 1;
  st->n = 0;
  st->overflow = 0;
  st->wn = 0;
  st->wover = 0;
  /* long_lived_total is still the last collection's survivors here */
  st->fifo = st->prefetch == 2 ||
             (st->prefetch == 1 && st->long_lived_total > st->prefetch_above);
  if (st->mark_alive) {
    if (st->fifo) h->prefetch_marks++;
    mark_alive_from_roots(h, st);
  }
  gc_heap_walk_(h, update_refs, st);
  gc_heap_walk_(h, mark_heap, st);
  hw_finish(st, drain_reachable);
  gc_heap_walk_(h, scan_heap, st);
  if (h->hot.has_finalizable && st->garbage_n) {
    if (!st->wover)
      finalize_list(h, st);
    else if (st->pending_fin) /* the worklist was short: walks */
      finalize(h, st);
    else
      gc_heap_walk_(h, thread_unreachable, st);
  }
  st->long_lived_total = st->survivors;
  rec->examined = st->examined;
  gc_free_garbage_chain_(h, st->garbage, st->closed);
  st->garbage = NULL;
  st->deferred_count = 0;
  st->last_mem_kib = hw_mem_kib(h, st);
  hw_arm(h);
}

/* gc_should_collect, and with mem_defer 3.14's gc_should_collect_mem_usage.
 * old[0].threshold == 0 (scaled=0) returns yes before either test.  The
 * escape reads the deferred count alone, as 3.14's `deferred >
 * threshold * 40`.  Returns 1 to collect now. */
static int hw_due(gc_heap *h, hw_state *st) {
  int64_t seen = hw_seen(st, hw_count(h));
  if (seen <= (int64_t)st->threshold) return 0;
  if (!st->scaled) return 1;
  if (seen <= (int64_t)(st->long_lived_total / 4)) return 0;
  if (!st->mem_defer) return 1;
  if (st->deferred_count > 40 * st->threshold) return 1;
  uint64_t mem = hw_mem_kib(h, st), last = st->last_mem_kib;
  uint64_t grow = last / 10 > 128 ? last / 10 : 128;
  if (mem > last && mem - last > grow) return 1;
  /* deferred: young.count moves to deferred_count and starts again */
  st->deferred_count += (uint64_t)seen;
  st->base_alloc += (uint64_t)seen;
  return 0;
}

static void heapwalk_auto(gc_heap *h) {
  hw_state *st = h->state;
  if (hw_due(h, st))
    gc_run_collection_(h, 0, 1); /* CPython reports generation 0 */
  else
    hw_arm(h);
}

/* Outside a collection every object is BLACK and carries none of the
 * collection's flags. */
static int check_clean(gc_object *o, void *arg) {
  const char *where = arg;
  if ((o->info & (GC_F_COLOR_MASK | HW_ALIVE | HW_HELD | HW_UNREACHABLE)) ||
      o->linked)
    gc_fatal_(where, "heapwalk: object %p has flags 0x%x after a collection",
              (void *)o, o->info & GC_INFO_FLAGS);
  return 1;
}

static void heapwalk_validate(gc_heap *h, const char *where) {
  gc_heap_walk_(h, check_clean, (void *)where);
  gc_validate_untracked_(h, where);
}

const gc_collector gc_collector_heapwalk = {
    .name = "heapwalk",
    .summary = "CPython's free-threaded collector: no lists (16 bytes less "
               "per object), walks the mimalloc heap's blocks; mark alive "
               "from the roots, then subtract-refs over the rest",
    .tunables = heapwalk_tunables,
    .ntunables = sizeof heapwalk_tunables / sizeof heapwalk_tunables[0],
    .state_size = sizeof(hw_state),
    .heap_walk = 1,
    .init = heapwalk_init,
    .fini = heapwalk_fini,
    .collect = heapwalk_collect,
    .auto_collect = heapwalk_auto,
    .validate = heapwalk_validate,
    .prepare = heapwalk_prepare,
};
