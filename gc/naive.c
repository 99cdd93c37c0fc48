/*
 * naive.c -- naive full scan.  Every collection examines every object with
 * CPython's subtract-refs method (refscan.c): copy the counts, subtract the
 * references internal to the heap, mark from what is left above zero; the
 * rest is garbage.  One list (h->gens[0]); no generations.
 *
 * When: once the count of allocations (less deallocations, as CPython
 * counts them, unless net_count=0) exceeds `threshold` (CPython's test,
 * count > threshold) or, with growth > 0, max(threshold, growth * live
 * tracked objects, the survivors so far: what a collection would scan),
 * so that the cost per allocation stays bounded as the heap grows.
 */
#include <math.h>

#include "refscan.h"

static const gc_param_def naive_tunables[] = {
    {"threshold", GC_P_INT, "2000", 1, 1e12,
     "allocations (less deallocations) between automatic collections "
     "(CPython's threshold0)"},
    {"growth", GC_P_REAL, "0", 0, 1000,
     "0: fixed threshold; g > 0: wait max(threshold, g * live tracked "
     "objects) "
     "allocations (less time, more memory)"},
    {"net_count", GC_P_INT, "1", 0, 1,
     "1: as CPython, the count is allocations minus deallocations; "
     "0: allocations only"},
};

typedef struct naive_state {
  uint64_t threshold;
  double growth;
} naive_state;

/* Allocations to wait for before the next automatic collection. */
static uint64_t naive_wait(const gc_heap *h) {
  const naive_state *st = h->state;
  uint64_t wait = st->threshold;
  if (st->growth > 0) {
    /* the survivors: tracked live objects (atoms are never examined) */
    double w = st->growth *
               (double)(h->stats.live_objects - h->stats.live_untracked);
    if (w > (double)wait) wait = w >= 1e18 ? (uint64_t)1e18 : (uint64_t)w;
  }
  return wait;
}

/* As CPython's test, count > threshold: the collection runs once
 * wait + 1 objects have been allocated. */
static void naive_arm(gc_heap *h) { gc_arm_trigger_(h, naive_wait(h) + 1); }

static int naive_init(gc_heap *h, const gc_param_set *t, char *err,
                      size_t errlen) {
  (void)err, (void)errlen;
  naive_state *st = h->state;
  st->threshold = (uint64_t)gc_params_int(t, "threshold");
  st->growth = gc_params_num(t, "growth");
  h->net_count = (int)gc_params_int(t, "net_count");
  naive_arm(h);
  return GC_OK;
}

/* Read this to see a whole collection: everything is young. */
static void naive_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  (void)gen; /* every collection is full */
  gc_link *young = &h->gens[0];
  for (int g = 1; g < GC_NGENS; g++) gc_list_merge(young, &h->gens[g]);
  gc_link unreachable;
  gc_list_init(&unreachable);
  int closed;
  rec->examined = gc_deduce_unreachable_(young, &unreachable, 0, 1, &closed);
  rec->generation = GC_FULL;
  gc_finalize_garbage_(h, &unreachable, young);
  gc_free_garbage_(h, &unreachable, closed);
  naive_arm(h);
}

static void naive_auto(gc_heap *h) {
  if (h->alloc_since > naive_wait(h))
    gc_run_collection_(h, GC_FULL, 1);
  else
    naive_arm(h);
}

static void naive_validate(gc_heap *h, const char *where) {
  gc_validate_lists_(h, where, 1);
}

const gc_collector gc_collector_naive = {
    .name = "naive",
    .summary = "naive full scan: every collection examines every object "
               "(CPython's subtract-refs over the whole heap)",
    .tunables = naive_tunables,
    .ntunables = sizeof naive_tunables / sizeof naive_tunables[0],
    .state_size = sizeof(naive_state),
    .init = naive_init,
    .collect = naive_collect,
    .auto_collect = naive_auto,
    .validate = naive_validate,
};
