/*
 * none.c -- reference counting only.  Cycles leak: the baseline, as a
 * CPython program after gc.disable().  gc_collect() examines nothing.
 */
#include "refscan.h"

static int none_init(gc_heap *h, const gc_param_set *t, char *err,
                     size_t errlen) {
  (void)t, (void)err, (void)errlen;
  gc_arm_trigger_(h, UINT64_MAX);
  return GC_OK;
}

static void none_collect(gc_heap *h, int gen, gc_collection_record *rec) {
  (void)h, (void)gen;
  rec->examined = 0;
}

static void none_auto(gc_heap *h) { h->trigger = UINT64_MAX; }

static void none_validate(gc_heap *h, const char *where) {
  gc_validate_lists_(h, where, 0);
}

const gc_collector gc_collector_none = {
    .name = "none",
    .summary = "reference counting only: cycles leak (the baseline)",
    .init = none_init,
    .collect = none_collect,
    .auto_collect = none_auto,
    .validate = none_validate,
};
