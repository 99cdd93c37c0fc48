/*
 * tuplelist.c -- CPython gh-142531's program shape: a list built of N
 * small tuples of ints (N = 15,000,000 in the report: 142.9 s with the
 * collector on against 1.07 s off on 3.14.0, 37.1 s against 0.64 s on the
 * free-threaded 3.14.0; 3.14.2 fixed the default build, not 3.14t).
 * Modelled as
 *
 *     data = []
 *     for i in range(N):
 *         data.append((i, i))
 *
 * The tuples hold only ints, so CPython can untrack them; what each build
 * and version then counts toward its trigger decides how often it
 * collects while the list grows (3.14.0: trackable objects; 3.14.2:
 * tracked ones, most such tuples created untracked; 3.14t before
 * gh-142562: untracked tuples left out of long_lived_total, so the
 * threshold scaled to the live heap stays low).
 *
 * The model: each i is a fresh atom (ints past 256 are new objects;
 * GC_NEW_UNTRACKED), each tuple a GC_NEW_TUPLE of `width` slots all
 * holding it, the list a plain tracked object whose item array grows by
 * doubling (table.h: blocks of 8 x 2^k items, never copied).
 *
 * Answer: with keep=1 (the report's program: the list is still held when
 * it is timed) everything stays live: the list and its blocks, n tuples,
 * n ints.  keep=0 drops the list: reference counting frees everything.
 */
#include <stdio.h>

#include "table.h"
#include "workload.h"

enum { ITEM_BASE = 8 };

static const gc_param_def tuplelist_params[] = {
    {"n", GC_P_INT, "1000000", 0, 1e10, "tuples appended to the list"},
    {"width", GC_P_INT, "2", 1, 64, "slots per tuple (each holds its int)"},
    {"keep", GC_P_INT, "1", 0, 1,
     "1: the list is still held at the end (the report's); 0: dropped"},
    {"payload", GC_P_INT, "8", 0, GC_MAX_PAYLOAD,
     "payload bytes of an int atom"},
};

static int tuplelist_run(gc_heap *h, const gc_param_set *p, uint64_t seed,
                         wl_answer *ans, char *err, size_t errlen) {
  (void)seed;
  uint64_t n = (uint64_t)gc_params_int(p, "n");
  uint32_t width = (uint32_t)gc_params_int(p, "width");
  int keep = (int)gc_params_int(p, "keep");
  uint32_t payload = (uint32_t)gc_params_int(p, "payload");
  *ans = (wl_answer){0};
  double need = (double)n * ((double)gc_heap_object_cost(h, width, 0) +
                             (double)gc_heap_object_cost(h, 0, payload) +
                             2.0 * sizeof(gc_object *));
  int rc = wl_memory_check_n(h, "tuplelist", need, 0, (double)n, "n", err,
                             errlen);
  if (rc != WL_OK) return rc;
  gc_object *list = gc_new(h, WL_TABLE_BLOCKS, 0);
  if (!list || gc_root_push_steal(h, list) < 0) {
    gc_decref(h, list);
    return WL_ENOMEM;
  }
  wl_table items = {.owner = list, .base = ITEM_BASE};
  for (uint64_t i = 0; i < n; i++) {
    gc_object *v = gc_new_ex(h, 0, payload, GC_NEW_UNTRACKED);
    if (!v) return WL_ENOMEM;
    gc_object *t = gc_new_ex(h, width, 0, GC_NEW_TUPLE);
    if (!t) {
      gc_decref(h, v);
      return WL_ENOMEM;
    }
    for (uint32_t k = 0; k < width; k++) gc_slot_set(h, t, k, v);
    gc_decref(h, v); /* the tuple holds it now */
    rc = wl_table_append_steal(h, &items, t);
    if (rc != WL_OK) return rc;
  }
  ans->allocated = 1 + items.nblocks + 2 * n;
  ans->live = ans->allocated;
  if (!keep) {
    gc_root_truncate(h, gc_root_count(h) - 1);
    ans->freed_by_rc = ans->allocated;
    ans->live = 0;
  }
  return WL_OK;
}

static void tuplelist_estimate(const gc_param_set *p, int leaks,
                               wl_estimate *e) {
  (void)leaks;
  double n = (double)gc_params_int(p, "n");
  *e = (wl_estimate){.allocations = (uint64_t)(2 * n),
                     .live = (uint64_t)(2 * n),
                     .nslots = (uint32_t)gc_params_int(p, "width"),
                     .payload = 0};
}

const workload wl_tuplelist = {
    .name = "tuplelist",
    .summary = "a list built of n small tuples of ints (CPython gh-142531: "
               "untracked tuples and the free-threaded trigger)",
    .params = tuplelist_params,
    .nparams = sizeof tuplelist_params / sizeof tuplelist_params[0],
    .run = tuplelist_run,
    .estimate = tuplelist_estimate,
};
