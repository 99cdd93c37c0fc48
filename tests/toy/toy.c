/*
 * toy.c -- a collector as small as one can be, to check that a collector
 * added as gc/README.md's "Adding a collector" says is judged by the
 * suites: a full subtract-refs scan (refscan.c) every `threshold`
 * allocations.  Compiled into test programs only (GC_EXTRA_COLLECTOR in
 * CMakeLists.txt), never into gcbench's own.
 *
 * TOY_BROKEN: a collection examines and frees nothing, so completeness
 * fails; the suites must say so.
 */
#include "refscan.h"

static const gc_param_def toy_tunables[] = {
    {"threshold", GC_P_INT, "1000", 1, 1e12,
     "allocations (less deallocations) between automatic collections"},
};

typedef struct toy_state {
  uint64_t threshold;
} toy_state;

static int toy_init(gc_heap *h, const gc_param_set *t, char *err,
                    size_t errlen) {
  (void)err, (void)errlen;
  toy_state *st = h->state;
  st->threshold = (uint64_t)gc_params_int(t, "threshold");
  h->net_count = 1; /* allocations less deallocations, as CPython counts */
  gc_arm_trigger_(h, st->threshold);
  return GC_OK;
}

static void toy_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  (void)gen; /* every collection is full */
  rec->generation = GC_FULL;
#ifdef TOY_BROKEN
  /* examines and frees nothing: a bug */
#else
  gc_link *all = &h->gens[0];
  for (int g = 1; g < GC_NGENS; g++) gc_list_merge(all, &h->gens[g]);
  gc_link unreachable;
  gc_list_init(&unreachable);
  int closed;
  rec->examined = gc_deduce_unreachable_(all, &unreachable, 0, 1, &closed);
  gc_finalize_garbage_(h, &unreachable, all);
  gc_free_garbage_(h, &unreachable, closed);
#endif
  gc_arm_trigger_(h, ((toy_state *)h->state)->threshold);
}

static void toy_auto(gc_heap *h) { gc_run_collection_(h, GC_FULL, 1); }

static void toy_validate(gc_heap *h, const char *where) {
  gc_validate_lists_(h, where, 1);
}

#ifdef TOY_BROKEN
#define TOY_NAME "toy_broken"
#define TOY_SYMBOL gc_collector_toy_broken
#else
#define TOY_NAME "toy"
#define TOY_SYMBOL gc_collector_toy
#endif

const gc_collector TOY_SYMBOL = {
    .name = TOY_NAME,
    .summary = "a test's toy: a full subtract-refs scan every threshold "
               "allocations",
    .tunables = toy_tunables,
    .ntunables = sizeof toy_tunables / sizeof toy_tunables[0],
    .state_size = sizeof(toy_state),
    .init = toy_init,
    .collect = toy_collect,
    .auto_collect = toy_auto,
    .validate = toy_validate,
};
