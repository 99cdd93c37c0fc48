/*
 * oracle.h -- the judge.  Computes reachability from the root table
 * (gc_root_*) by itself, with its own hash map and explicit stack, never the
 * collectors' header bits or code, and checks a heap against it:
 *
 *   safety        every object reachable before a collection is still live
 *                 afterwards, with the same slots;
 *   completeness  after a full collection, every live object is reachable;
 *   counts        every live object's refcnt equals the slots that hold it
 *                 plus the references the root-table entries that hold it
 *                 carry (gc_root_refs: one per entry, or its count; exact).
 *   tracking      (always) an untracked object's slots hold untracked
 *                 objects only; and, with completeness, unreachable objects
 *                 left on a cycle of untracked objects (or hanging from
 *                 one) are the mutator's broken acyclic promise, reported
 *                 as such and not as a collector's fault: no collector
 *                 frees an untracked cycle.
 *
 * The roots are the root table and gc.garbage (gc_garbage_*).  When
 * finalizers ran during a collection (they are mutators), safety is checked
 * on the state they left: all that is reachable is live, and no reference
 * outlived its target -- no live object receives more references (slots,
 * root table, gc.garbage) than its refcnt counts.  The second half catches
 * a reachable object freed by mistake whose address a finalizer's new
 * object then took, where liveness alone sees a live object; it misses
 * only if the new object is also held from outside the root table, by at
 * least as many references as outlived the old one.
 *
 * Cost O(live objects + slots), memory O(the same): for tests and --verify,
 * not for timed runs.
 */
#ifndef GC_ORACLE_H
#define GC_ORACLE_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  GC_ORACLE_COMPLETE = 1, /* no unreachable object may be live */
  GC_ORACLE_COUNTS = 2    /* every refcnt exactly explained */
};

typedef struct gc_oracle_report {
  uint64_t live;        /* objects on the heap's lists */
  uint64_t reachable;   /* of those, reachable from the root table */
  uint64_t unreachable; /* live - reachable */
  uint64_t unreachable_bytes; /* their bytes (gc_object_bytes) */
  uint64_t bad_counts;  /* objects whose refcnt is not explained */
  uint64_t broken_promise; /* unreachable untracked objects on, or hanging
                              from, a cycle of untracked objects */
  char error[512];      /* the first problem found, or "" */
} gc_oracle_report;

/* Returns 0 when the heap passes the checks in `flags`; otherwise -1 with
 * rep->error naming the first problem.  Also -1 if out of memory. */
int gc_oracle_check(gc_heap *h, int flags, gc_oracle_report *rep);

/* Safety across a collection: record what is reachable now ... */
typedef struct gc_oracle_snapshot gc_oracle_snapshot;
gc_oracle_snapshot *gc_oracle_before(gc_heap *h);
/* ... and check it is all still there, slots intact.  Frees snap.  Returns
 * 0, or -1 with err naming the first object lost or changed. */
int gc_oracle_after(gc_heap *h, gc_oracle_snapshot *snap, char *err,
                    size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
